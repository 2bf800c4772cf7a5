package devnet

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// lifecycleNamespace is where Fabric 2.x keeps chaincode definitions. Every real endorsement
// reads namespaces/fields/<cc>/Sequence there (so a definition upgrade invalidates transactions
// endorsed against the old one); devnet records the same read, at the genesis height where its
// chaincodes are defined.
const lifecycleNamespace = "_lifecycle"

// deterministic marshalling: two endorsers of the same simulation must produce identical bytes,
// as Fabric's gateway compares ProposalResponsePayloads byte for byte.
var deterministic = proto.MarshalOptions{Deterministic: true}

func sequenceKey(chaincode string) string { return "namespaces/fields/" + chaincode + "/Sequence" }

// marshalResults turns a simulation's results into the TxReadWriteSet bytes a peer puts in
// ChaincodeAction.Results: namespaces in lexical order ("_lifecycle" first), reads and writes
// sorted by key (ledgersim already sorts them), range queries in execution order with raw reads.
// ledgersim encodes the chaincode's own namespace; devnet adds the _lifecycle read and the order.
func marshalResults(chaincode string, r *ledgersim.TxResults) ([]byte, error) {
	lifecycle, err := deterministic.Marshal(&kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{
		Key:     sequenceKey(chaincode),
		Version: &kvrwset.Version{BlockNum: 0, TxNum: 0},
	}}})
	if err != nil {
		return nil, err
	}
	txrw := &rwset.TxReadWriteSet{
		DataModel: rwset.TxReadWriteSet_KV,
		NsRwset:   []*rwset.NsReadWriteSet{{Namespace: lifecycleNamespace, Rwset: lifecycle}},
	}
	if r != nil {
		b, err := r.KVRWSet()
		if err != nil {
			return nil, err
		}
		if b != nil {
			ns := &rwset.NsReadWriteSet{Namespace: chaincode, Rwset: b}
			if chaincode < lifecycleNamespace {
				txrw.NsRwset = append([]*rwset.NsReadWriteSet{ns}, txrw.NsRwset...)
			} else {
				txrw.NsRwset = append(txrw.NsRwset, ns)
			}
		}
	}
	return deterministic.Marshal(txrw)
}

// unmarshalResults rebuilds the simulation results of one chaincode namespace from a
// transaction's TxReadWriteSet, as a committing peer reads them out of the block. A read-write set
// that touches another application namespace is refused: devnet chaincodes do not call each other.
func unmarshalResults(chaincode, txID string, results []byte) (*ledgersim.TxResults, error) {
	txrw := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(results, txrw); err != nil {
		return nil, fmt.Errorf("bad read-write set: %w", err)
	}
	out := &ledgersim.TxResults{Namespace: chaincode, TxID: txID}
	for _, ns := range txrw.GetNsRwset() {
		switch ns.GetNamespace() {
		case lifecycleNamespace:
			continue // definitions never change on devnet, so this read always validates
		case chaincode:
		default:
			return nil, fmt.Errorf("read-write set touches namespace %q besides %q", ns.GetNamespace(), chaincode)
		}
		if len(ns.GetCollectionHashedRwset()) > 0 {
			return nil, fmt.Errorf("private data collections are not supported")
		}
		part, err := ledgersim.ResultsFromKVRWSet(chaincode, txID, ns.GetRwset())
		if err != nil {
			return nil, fmt.Errorf("bad read-write set of %q: %w", chaincode, err)
		}
		out.Reads = append(out.Reads, part.Reads...)
		out.RangeQueries = append(out.RangeQueries, part.RangeQueries...)
		out.Writes = append(out.Writes, part.Writes...)
	}
	return out, nil
}
