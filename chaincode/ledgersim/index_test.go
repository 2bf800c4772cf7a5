package ledgersim

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyIndexKeepsKeysSortedAcrossChunkSplits(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var ix keyIndex
	want := map[string]bool{}
	for i := 0; i < 5*chunkMax; i++ {
		k := fmt.Sprintf("k%06d", rng.Intn(4*chunkMax))
		ix.insert(k)
		want[k] = true
	}
	var sorted []string
	for k := range want {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	require.Greater(t, len(ix.chunks), 2, "the test must exercise splits")
	for _, c := range ix.chunks {
		require.LessOrEqual(t, len(c), chunkMax)
		require.NotEmpty(t, c)
	}

	tests := []struct {
		name string
		from string
	}{
		{"from the start", ""},
		{"from an existing key", sorted[len(sorted)/3]},
		{"from between keys", sorted[len(sorted)/2] + "x"},
		{"from a successor", successor(sorted[10])},
		{"past the end", "z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			ix.ascend(tt.from, func(k string) bool { got = append(got, k); return true })
			i := sort.SearchStrings(sorted, tt.from)
			require.Equal(t, len(sorted[i:]), len(got))
			if len(got) > 0 {
				require.Equal(t, sorted[i:], got)
			}
		})
	}
}
