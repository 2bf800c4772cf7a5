package ledgersim_test

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

func TestReadWriteSetRoundTripsAndReplaysTheSameVerdict(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "a", "1", "b", "1", "c", "1")
	stale := simulate(t, l, func(s *ledgersim.Stub) {
		_, _ = s.GetState("a")
		_, _ = s.GetState("missing")
		it, err := s.GetStateByRange("b", "")
		require.NoError(t, err)
		_, _ = it.Next()
		require.NoError(t, s.PutState("b", []byte("2")))
		require.NoError(t, s.DelState("c"))
	})
	b1, err := stale.MarshalReadWriteSet()
	require.NoError(t, err)
	b2, err := stale.MarshalReadWriteSet()
	require.NoError(t, err)
	require.Equal(t, b1, b2, "the encoding must be deterministic for endorsement comparison")

	back, err := ledgersim.ResultsFromReadWriteSet(stale.TxID, b1)
	require.NoError(t, err)
	require.Equal(t, stale.Namespace, back.Namespace)
	require.Equal(t, stale.TxID, back.TxID)
	require.Equal(t, stale.Reads, back.Reads)
	require.Equal(t, stale.RangeQueries, back.RangeQueries)
	require.Equal(t, stale.Writes, back.Writes)

	put(t, l, "a", "2")
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, l.Validate(stale))
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_MVCC_READ_CONFLICT}, l.CommitBlock([]*ledgersim.TxResults{back}, nil, nil))
}

func TestReadWriteSetOfAnUntouchedTransactionHasNoNamespace(t *testing.T) {
	l := ledgersim.New()
	res := simulate(t, l, func(*ledgersim.Stub) {})
	set, err := res.ReadWriteSet()
	require.NoError(t, err)
	require.Equal(t, rwset.TxReadWriteSet_KV, set.DataModel)
	require.Empty(t, set.NsRwset)
}

func TestResultsFromReadWriteSetRefusesWhatItCannotReplay(t *testing.T) {
	two, err := proto.Marshal(&rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: "a"}, {Namespace: "b"}}})
	require.NoError(t, err)
	pvt, err := proto.Marshal(&rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: "a",
		CollectionHashedRwset: []*rwset.CollectionHashedReadWriteSet{{CollectionName: "c"}}}}})
	require.NoError(t, err)
	doc, err := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_DataModel(9)})
	require.NoError(t, err)
	tests := []struct {
		name    string
		b       []byte
		wantErr string
	}{
		{"junk", []byte{0xff, 0xff}, "read-write set of tx"},
		{"two namespaces", two, "spans 2 namespaces"},
		{"private data", pvt, "private data"},
		{"unknown data model", doc, "want KV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ledgersim.ResultsFromReadWriteSet("tx", tt.b)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestKVRWSetOfAnUntouchedTransactionIsNil(t *testing.T) {
	l := ledgersim.New()
	b, err := simulate(t, l, func(*ledgersim.Stub) {}).KVRWSet()
	require.NoError(t, err)
	require.Nil(t, b)
}

func TestResultsFromKVRWSetReadsAnEmptyWrittenValueAsADelete(t *testing.T) {
	b, err := proto.Marshal(&kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "a"}, {Key: "b", Value: []byte("1")}}})
	require.NoError(t, err)
	res, err := ledgersim.ResultsFromKVRWSet("ns", "tx", b)
	require.NoError(t, err)
	require.Equal(t, "ns", res.Namespace)
	require.Equal(t, "tx", res.TxID)
	require.Equal(t, []ledgersim.KeyWrite{{Key: "a", IsDelete: true}, {Key: "b", Value: []byte("1")}}, res.Writes)
}

func TestResultsFromKVRWSetRefusesWhatItCannotReplay(t *testing.T) {
	meta, err := proto.Marshal(&kvrwset.KVRWSet{MetadataWrites: []*kvrwset.KVMetadataWrite{{Key: "a"}}})
	require.NoError(t, err)
	merkle, err := proto.Marshal(&kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{StartKey: "a", EndKey: "b",
		ReadsInfo: &kvrwset.RangeQueryInfo_ReadsMerkleHashes{ReadsMerkleHashes: &kvrwset.QueryReadsMerkleSummary{MaxDegree: 50}}}}})
	require.NoError(t, err)
	tests := []struct {
		name    string
		b       []byte
		wantErr string
	}{
		{"junk", []byte{0xff, 0xff}, "KV read-write set of tx"},
		{"metadata writes", meta, "writes key metadata"},
		{"merkle summary", merkle, "has a Merkle summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ledgersim.ResultsFromKVRWSet("ns", "tx", tt.b)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
