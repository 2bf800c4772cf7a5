package main

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

// endorserTx is the envelope of an endorser transaction as a peer commits
// it, with one chaincode action.
func endorserTx(t *testing.T, txID string, txType common.HeaderType, action *peer.ChaincodeAction) []byte {
	t.Helper()
	prp := mustMarshal(t, &peer.ProposalResponsePayload{ProposalHash: []byte("hash"), Extension: mustMarshal(t, action)})
	cap := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: cap}}})
	header := &common.Header{ChannelHeader: mustMarshal(t, &common.ChannelHeader{Type: int32(txType), TxId: txID, ChannelId: "mychannel"})}
	return mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, &common.Payload{Header: header, Data: tx})})
}

func action(t *testing.T, ns string, kv *kvrwset.KVRWSet, event []byte, result []byte) *peer.ChaincodeAction {
	t.Helper()
	results := mustMarshal(t, &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{
		{Namespace: "_lifecycle", Rwset: mustMarshal(t, &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "namespaces/fields/" + ns + "/Sequence"}}})},
		{Namespace: ns, Rwset: mustMarshal(t, kv)},
	}})
	a := &peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200, Payload: result}}
	if event != nil {
		a.Events = mustMarshal(t, &peer.ChaincodeEvent{ChaincodeId: ns, TxId: "tx", EventName: "DocumentAccessed", Payload: event})
	}
	return a
}

func TestFootprintOfCountsWhatTheTransactionPutOnTheLedger(t *testing.T) {
	other := action(t, "medledger", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "x", Value: make([]byte, 9)}}}, nil, nil)
	target := action(t, "medledger", &kvrwset.KVRWSet{
		Reads: []*kvrwset.KVRead{
			{Key: "identity", Version: &kvrwset.Version{BlockNum: 2}}, {Key: "mspOrgs", Version: &kvrwset.Version{BlockNum: 1}},
			{Key: "document"}, // absent
		},
		RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{StartKey: "a", EndKey: "b"}},
		Writes:           []*kvrwset.KVWrite{{Key: "audit", Value: make([]byte, 420)}, {Key: "marker", Value: []byte{0}}},
	}, make([]byte, 256), make([]byte, 1100))
	block := &common.Block{
		Header: &common.BlockHeader{Number: 7},
		Data: &common.BlockData{Data: [][]byte{
			endorserTx(t, "tx-other", common.HeaderType_ENDORSER_TRANSACTION, other),
			endorserTx(t, "tx-target", common.HeaderType_ENDORSER_TRANSACTION, target),
		}},
	}

	fp, err := footprintOf(block, "tx-target", "medledger")
	require.NoError(t, err)
	require.Equal(t, footprint{reads: 2, absent: 1, rangeQueries: 1, writes: []int{420, 1}, eventBytes: 256, resultBytes: 1100}, fp)
	require.Equal(t, "3 keys read (1 absent), 1 range queries, 2 keys written (421 bytes), event 256 bytes, result 1100 bytes", fp.String())

	// Only the chaincode's own namespace counts, not _lifecycle's read.
	fp, err = footprintOf(block, "tx-other", "medledger")
	require.NoError(t, err)
	require.Equal(t, footprint{writes: []int{9}}, fp)
}

func TestFootprintOfSaysWhatIsWrong(t *testing.T) {
	a := action(t, "medledger", &kvrwset.KVRWSet{}, nil, nil)
	tests := []struct {
		name  string
		block *common.Block
		want  string
	}{
		{"transaction not in the block", &common.Block{Header: &common.BlockHeader{Number: 3}, Data: &common.BlockData{Data: [][]byte{
			endorserTx(t, "tx-other", common.HeaderType_ENDORSER_TRANSACTION, a),
		}}}, "transaction tx-target is not in block 3"},
		{"a configuration transaction", &common.Block{Header: &common.BlockHeader{Number: 0}, Data: &common.BlockData{Data: [][]byte{
			endorserTx(t, "tx-target", common.HeaderType_CONFIG, a),
		}}}, "not an endorser transaction"},
		{"bytes that are no envelope", &common.Block{Header: &common.BlockHeader{Number: 5}, Data: &common.BlockData{Data: [][]byte{
			{0xff, 0xff, 0xff},
		}}}, "block 5, transaction 0: envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := footprintOf(tt.block, "tx-target", "medledger")
			require.ErrorContains(t, err, tt.want)
		})
	}
}
