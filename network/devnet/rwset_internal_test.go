package devnet

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// pinnedResults touches every part of a KV read-write set: a versioned read, a read of a missing
// key, a range query with raw reads, a write and a delete.
func pinnedResults() *ledgersim.TxResults {
	return &ledgersim.TxResults{
		Namespace: "medledger",
		TxID:      "tx1",
		Reads: []ledgersim.KeyRead{
			{Key: "a", Version: &ledgersim.Version{BlockNum: 3, TxNum: 1}},
			{Key: "missing"},
		},
		RangeQueries: []ledgersim.RangeQuery{{
			StartKey: "b", EndKey: "c", ItrExhausted: true,
			Reads: []ledgersim.KeyRead{{Key: "b", Version: &ledgersim.Version{BlockNum: 2}}},
		}},
		Writes: []ledgersim.KeyWrite{{Key: "b", Value: []byte("2")}, {Key: "c", IsDelete: true}},
	}
}

// The endorsement payload is compared byte for byte between endorsers (and with what a real peer
// would produce), so the exact encoding is pinned here, namespace order included.
func TestMarshalResultsEncodingIsPinned(t *testing.T) {
	tests := []struct {
		name      string
		chaincode string
		results   *ledgersim.TxResults
		want      string
	}{
		{"nothing touched", "medledger", nil, "12380a0a5f6c6966656379636c65122a0a280a246e616d657370616365732f6669656c64732f6d65646c65646765722f53657175656e63651200"},
		{"after _lifecycle", "medledger", pinnedResults(), "12380a0a5f6c6966656379636c65122a0a280a246e616d657370616365732f6669656c64732f6d65646c65646765722f53657175656e6365120012470a096d65646c6564676572123a0a090a01611204080310010a090a076d697373696e6712130a0162120163180122090a070a0162120208021a060a01621a01321a050a01631001"},
		{"before _lifecycle", "AAA", pinnedResults(), "12410a03414141123a0a090a01611204080310010a090a076d697373696e6712130a0162120163180122090a070a0162120208021a060a01621a01321a050a0163100112320a0a5f6c6966656379636c6512240a220a1e6e616d657370616365732f6669656c64732f4141412f53657175656e63651200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marshalResults(tt.chaincode, tt.results)
			require.NoError(t, err)
			require.Equal(t, tt.want, hex.EncodeToString(got))
		})
	}
}

func TestUnmarshalResultsReadsBackWhatMarshalResultsWrote(t *testing.T) {
	for _, chaincode := range []string{"medledger", "AAA"} {
		t.Run(chaincode, func(t *testing.T) {
			b, err := marshalResults(chaincode, pinnedResults())
			require.NoError(t, err)
			got, err := unmarshalResults(chaincode, "tx1", b)
			require.NoError(t, err)
			want := pinnedResults()
			want.Namespace = chaincode
			require.Equal(t, want, got)
		})
	}
}

func TestUnmarshalResultsRefusesAnotherApplicationNamespace(t *testing.T) {
	b, err := marshalResults("other", pinnedResults())
	require.NoError(t, err)
	_, err = unmarshalResults("medledger", "tx1", b)
	require.ErrorContains(t, err, `read-write set touches namespace "other" besides "medledger"`)
}

// Fabric treats a written empty value as a delete; ledgersim decodes it so, and devnet with it.
func TestUnmarshalResultsReadsAnEmptyWrittenValueAsADelete(t *testing.T) {
	b, err := marshalResults("medledger", &ledgersim.TxResults{Writes: []ledgersim.KeyWrite{{Key: "a"}}})
	require.NoError(t, err)
	got, err := unmarshalResults("medledger", "tx1", b)
	require.NoError(t, err)
	require.Equal(t, []ledgersim.KeyWrite{{Key: "a", IsDelete: true}}, got.Writes)
}
