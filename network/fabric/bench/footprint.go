package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
)

// footprint is what one committed transaction put on the ledger, by size:
// the keys it read (point reads and range queries), the values it wrote,
// its event and its result. The baseline's ReadWrite reproduces a footprint
// of point reads without the transaction's logic.
type footprint struct {
	reads        int
	rangeQueries int
	writes       []int // value sizes, in the order of the write set (key order)
	eventBytes   int
	resultBytes  int
}

func (f footprint) String() string {
	total := 0
	for _, n := range f.writes {
		total += n
	}
	return fmt.Sprintf("%d keys read, %d range queries, %d keys written (%d bytes), event %d bytes, result %d bytes",
		f.reads, f.rangeQueries, len(f.writes), total, f.eventBytes, f.resultBytes)
}

// footprintOf finds transaction txID in block and returns its footprint in
// the chaincode namespace ns.
func footprintOf(block *common.Block, txID, ns string) (footprint, error) {
	for i, raw := range block.GetData().GetData() {
		action, found, err := chaincodeAction(raw, txID)
		if err != nil {
			return footprint{}, fmt.Errorf("block %d, transaction %d: %w", block.GetHeader().GetNumber(), i, err)
		}
		if !found {
			continue
		}
		f := footprint{resultBytes: len(action.GetResponse().GetPayload())}
		if ev := action.GetEvents(); len(ev) > 0 {
			var event peer.ChaincodeEvent
			if err := proto.Unmarshal(ev, &event); err != nil {
				return footprint{}, fmt.Errorf("transaction %s: event: %w", txID, err)
			}
			f.eventBytes = len(event.GetPayload())
		}
		var txRWSet rwset.TxReadWriteSet
		if err := proto.Unmarshal(action.GetResults(), &txRWSet); err != nil {
			return footprint{}, fmt.Errorf("transaction %s: read-write set: %w", txID, err)
		}
		for _, nsRWSet := range txRWSet.GetNsRwset() {
			if nsRWSet.GetNamespace() != ns {
				continue
			}
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(nsRWSet.GetRwset(), &kv); err != nil {
				return footprint{}, fmt.Errorf("transaction %s: read-write set of %s: %w", txID, ns, err)
			}
			f.reads += len(kv.GetReads())
			f.rangeQueries += len(kv.GetRangeQueriesInfo())
			for _, w := range kv.GetWrites() {
				f.writes = append(f.writes, len(w.GetValue()))
			}
		}
		return f, nil
	}
	return footprint{}, fmt.Errorf("transaction %s is not in block %d", txID, block.GetHeader().GetNumber())
}

// chaincodeAction returns the chaincode action of the endorser transaction
// in envelope raw when its id is txID.
func chaincodeAction(raw []byte, txID string) (*peer.ChaincodeAction, bool, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return nil, false, fmt.Errorf("envelope: %w", err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, false, fmt.Errorf("payload: %w", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, false, fmt.Errorf("channel header: %w", err)
	}
	if ch.GetTxId() != txID {
		return nil, false, nil
	}
	if ch.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, false, fmt.Errorf("transaction %s is of type %d, not an endorser transaction", txID, ch.GetType())
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil {
		return nil, false, fmt.Errorf("transaction: %w", err)
	}
	if len(tx.GetActions()) != 1 {
		return nil, false, fmt.Errorf("transaction %s has %d actions, want 1", txID, len(tx.GetActions()))
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap); err != nil {
		return nil, false, fmt.Errorf("chaincode action payload: %w", err)
	}
	var prp peer.ProposalResponsePayload
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return nil, false, fmt.Errorf("proposal response payload: %w", err)
	}
	var action peer.ChaincodeAction
	if err := proto.Unmarshal(prp.GetExtension(), &action); err != nil {
		return nil, false, fmt.Errorf("chaincode action: %w", err)
	}
	return &action, true, nil
}

// readWrite is the baseline's ReadWrite call with a footprint. Like
// AccessDocument, whose reads are the caller's keys (the same for every call
// of a client) and the document asked for (a different one each time), it
// reads keys written once for each client and, last, a key the caller
// names: a value the baseline's Put wrote earlier in the run.
type readWrite struct {
	fp            footprint
	fixed         [][]string // by client: all the keys read but the last
	writes        string     // JSON, as the contract API takes arguments
	event, result string
}

// readKeyBytes is the size of the values ReadWrite reads that setup writes.
// A block records the keys a transaction read, not their values;
// MedLedger's are 50 to 700 bytes (identity binding, MSP organisations,
// document), the baseline's Put writes 256.
const readKeyBytes = 256

// newReadWrite measures the footprints of one RegisterDocument and one
// AccessDocument by the first patient, from the blocks that committed them,
// and writes the keys the baseline's ReadWrite, given AccessDocument's
// footprint, will read for every call of each of up to clients clients.
func newReadWrite(ctx context.Context, c *sdk.Client, baseline string, run int64, clients int) (register footprint, rw *readWrite, err error) {
	id := fmt.Sprintf("bench-%d-footprint", run)
	sum := sha256.Sum256([]byte(id))
	doc, err := c.RegisterDocument(ctx, model.RegisterDocumentInput{
		DocumentID: id, PatientID: patientID(0), Category: model.CategoryLabResult,
		SHA256: hex.EncodeToString(sum[:]), Size: 1024, MediaType: "application/pdf",
		StorageRef: "sha256:" + hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return footprint{}, nil, fmt.Errorf("register a document: %w", err)
	}
	if len(doc.Versions) == 0 {
		return footprint{}, nil, fmt.Errorf("RegisterDocument returned document %s without its version", doc.ID)
	}
	if register, err = committedFootprint(ctx, c, doc.Versions[0].TxID); err != nil {
		return footprint{}, nil, err
	}
	res, err := c.AccessDocument(ctx, id, 0)
	if err != nil {
		return footprint{}, nil, fmt.Errorf("access it: %w", err)
	}
	fp, err := committedFootprint(ctx, c, res.Audit.TxID)
	if err != nil {
		return footprint{}, nil, err
	}
	if fp.rangeQueries > 0 {
		return footprint{}, nil, fmt.Errorf("AccessDocument's footprint (%s) has range queries, which ReadWrite does not reproduce", fp)
	}
	if fp.reads == 0 {
		return footprint{}, nil, fmt.Errorf("AccessDocument's footprint (%s) reads no key", fp)
	}
	writes, err := json.Marshal(fp.writes)
	if err != nil {
		return footprint{}, nil, err
	}
	rw = &readWrite{fp: fp, writes: string(writes), event: fmt.Sprint(fp.eventBytes), result: fmt.Sprint(fp.resultBytes)}
	contract := c.Gateway().GetNetwork(c.Channel()).GetContract(baseline)
	value := strings.Repeat("r", readKeyBytes)
	for client := range clients {
		keys := make([]string, fp.reads-1)
		for k := range keys {
			keys[k] = fmt.Sprintf("bench-%d-read-%d-%d", run, client, k)
			if _, err := contract.SubmitTransaction("Put", keys[k], value); err != nil {
				return footprint{}, nil, fmt.Errorf("write %s: %w", keys[k], err)
			}
		}
		rw.fixed = append(rw.fixed, keys)
	}
	return register, rw, nil
}

// committedFootprint is the footprint of transaction txID of the client's
// chaincode, which committed in the last block the client saw.
func committedFootprint(ctx context.Context, c *sdk.Client, txID string) (footprint, error) {
	block, err := blockAt(ctx, c, c.CommittedBlock())
	if err != nil {
		return footprint{}, err
	}
	return footprintOf(block, txID, c.Chaincode())
}

// submit runs ReadWrite as client, reading key last, and returns the block
// that committed it.
func (rw *readWrite) submit(c *sdk.Client, baseline string, client int, last string) (uint64, error) {
	reads, err := json.Marshal(append(slices.Clip(rw.fixed[client]), last))
	if err != nil {
		return 0, err
	}
	return submit(c.Gateway().GetNetwork(c.Channel()).GetContract(baseline), "ReadWrite",
		string(reads), rw.writes, rw.event, rw.result)
}

// blockAt reads block n of the client's channel from its gateway peer.
func blockAt(ctx context.Context, c *sdk.Client, n uint64) (*common.Block, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	blocks, err := c.Gateway().GetNetwork(c.Channel()).BlockEvents(ctx, client.WithStartBlock(n))
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", n, err)
	}
	select {
	case block, ok := <-blocks:
		if ok {
			return block, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read block %d: %w", n, err)
		}
		return nil, fmt.Errorf("read block %d: the block stream ended", n)
	case <-ctx.Done():
		return nil, fmt.Errorf("read block %d: %w", n, ctx.Err())
	}
}
