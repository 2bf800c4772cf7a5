package ledgersim

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// deterministic marshalling: two endorsers that simulated the same thing must produce the same
// bytes, as Fabric's gateway compares proposal responses byte for byte.
var deterministic = proto.MarshalOptions{Deterministic: true}

// KVRWSet returns the deterministic encoding of the results as Fabric's KVRWSet, the bytes of
// one NsReadWriteSet.Rwset. It returns nil when the transaction touched no key: a peer then
// leaves the namespace out. Range reads are always raw (a peer switches to a Merkle summary
// above 50). This is the one place that turns TxResults into kvrwset protos; callers that build
// multi-namespace sets (devnet adds _lifecycle) wrap these bytes.
func (r *TxResults) KVRWSet() ([]byte, error) {
	if len(r.Reads) == 0 && len(r.RangeQueries) == 0 && len(r.Writes) == 0 {
		return nil, nil
	}
	kv := &kvrwset.KVRWSet{}
	for _, rd := range r.Reads {
		kv.Reads = append(kv.Reads, kvRead(rd))
	}
	for _, rq := range r.RangeQueries {
		raw := &kvrwset.QueryReads{}
		for _, rd := range rq.Reads {
			raw.KvReads = append(raw.KvReads, kvRead(rd))
		}
		kv.RangeQueriesInfo = append(kv.RangeQueriesInfo, &kvrwset.RangeQueryInfo{
			StartKey:     rq.StartKey,
			EndKey:       rq.EndKey,
			ItrExhausted: rq.ItrExhausted,
			ReadsInfo:    &kvrwset.RangeQueryInfo_RawReads{RawReads: raw},
		})
	}
	for _, w := range r.Writes {
		kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: w.Key, IsDelete: w.IsDelete, Value: w.Value})
	}
	b, err := deterministic.Marshal(kv)
	if err != nil {
		return nil, fmt.Errorf("ledgersim: marshal KV read-write set: %w", err)
	}
	return b, nil
}

// ResultsFromKVRWSet rebuilds the TxResults of namespace ns from the KVRWSet bytes of one
// NsReadWriteSet.Rwset (the inverse of KVRWSet). A written empty value comes back as a delete,
// Fabric's rule. Key metadata writes and Merkle-summarised range queries are refused, as the
// simulator cannot replay them. Event, Timestamp and StateReads are not part of a read-write set.
func ResultsFromKVRWSet(ns, txID string, b []byte) (*TxResults, error) {
	res := &TxResults{Namespace: ns, TxID: txID}
	kv := &kvrwset.KVRWSet{}
	if err := proto.Unmarshal(b, kv); err != nil {
		return nil, fmt.Errorf("ledgersim: KV read-write set of %s: %w", txID, err)
	}
	if len(kv.MetadataWrites) > 0 {
		return nil, fmt.Errorf("ledgersim: read-write set of %s writes key metadata, which is not supported", txID)
	}
	for _, rd := range kv.Reads {
		res.Reads = append(res.Reads, keyRead(rd))
	}
	for _, rq := range kv.RangeQueriesInfo {
		raw := rq.GetRawReads()
		if raw == nil && rq.GetReadsMerkleHashes() != nil {
			return nil, fmt.Errorf("ledgersim: range query [%q, %q) of %s has a Merkle summary, which is not supported", rq.StartKey, rq.EndKey, txID)
		}
		out := RangeQuery{StartKey: rq.StartKey, EndKey: rq.EndKey, ItrExhausted: rq.ItrExhausted}
		for _, rd := range raw.GetKvReads() {
			out.Reads = append(out.Reads, keyRead(rd))
		}
		res.RangeQueries = append(res.RangeQueries, out)
	}
	for _, w := range kv.Writes {
		res.Writes = append(res.Writes, KeyWrite{Key: w.Key, IsDelete: w.IsDelete || len(w.Value) == 0, Value: w.Value})
	}
	return res, nil
}

// ReadWriteSet returns the results as Fabric's TxReadWriteSet (KV data model) with the one
// namespace the simulation ran in, the bytes a proposal response carries in
// ChaincodeAction.Results. A transaction that touched no key has no namespace entry, as on a peer.
func (r *TxResults) ReadWriteSet() (*rwset.TxReadWriteSet, error) {
	set := &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
	b, err := r.KVRWSet()
	if err != nil || b == nil {
		return set, err
	}
	set.NsRwset = []*rwset.NsReadWriteSet{{Namespace: nsOrDefault(r.Namespace), Rwset: b}}
	return set, nil
}

// MarshalReadWriteSet returns the deterministic encoding of ReadWriteSet, so
// two endorsers that simulated the same thing produce the same bytes.
func (r *TxResults) MarshalReadWriteSet() ([]byte, error) {
	set, err := r.ReadWriteSet()
	if err != nil {
		return nil, err
	}
	b, err := deterministic.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("ledgersim: marshal read-write set: %w", err)
	}
	return b, nil
}

// ResultsFromReadWriteSet rebuilds TxResults from a marshalled single-namespace TxReadWriteSet
// (for replaying stored blocks through CommitBlock). Event, Timestamp and StateReads are not
// part of a read-write set; the caller sets what it needs.
func ResultsFromReadWriteSet(txID string, b []byte) (*TxResults, error) {
	set := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(b, set); err != nil {
		return nil, fmt.Errorf("ledgersim: read-write set of %s: %w", txID, err)
	}
	if set.DataModel != rwset.TxReadWriteSet_KV {
		return nil, fmt.Errorf("ledgersim: read-write set of %s has data model %s, want KV", txID, set.DataModel)
	}
	switch len(set.NsRwset) {
	case 0:
		return &TxResults{Namespace: DefaultNamespace, TxID: txID}, nil
	case 1:
	default:
		return nil, fmt.Errorf("ledgersim: read-write set of %s spans %d namespaces, want one", txID, len(set.NsRwset))
	}
	ns := set.NsRwset[0]
	if len(ns.CollectionHashedRwset) > 0 {
		return nil, fmt.Errorf("ledgersim: read-write set of %s has private data, which is not supported", txID)
	}
	return ResultsFromKVRWSet(ns.Namespace, txID, ns.Rwset)
}

func kvRead(rd KeyRead) *kvrwset.KVRead {
	out := &kvrwset.KVRead{Key: rd.Key}
	if rd.Version != nil {
		out.Version = &kvrwset.Version{BlockNum: rd.Version.BlockNum, TxNum: rd.Version.TxNum}
	}
	return out
}

func keyRead(rd *kvrwset.KVRead) KeyRead {
	out := KeyRead{Key: rd.Key}
	if rd.Version != nil {
		out.Version = &Version{BlockNum: rd.Version.BlockNum, TxNum: rd.Version.TxNum}
	}
	return out
}
