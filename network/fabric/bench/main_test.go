package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSummaryGivesTheMedianOfTheRoundsWithTheirRange(t *testing.T) {
	tests := []struct {
		name   string
		v      []float64
		rounds int
		want   string
	}{
		{"one round", []float64{27.25}, 1, "27.2"},
		{"odd rounds", []float64{90, 120.5, 100}, 3, "100.0 [90.0-120.5]"},
		{"even rounds average the middle two", []float64{4, 1, 3, 2}, 4, "2.5 [1.0-4.0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, summary(tc.v, "%.1f", tc.rounds))
		})
	}
}

func TestParseClientsRefusesWhatIsNotACount(t *testing.T) {
	got, err := parseClients("1, 16")
	require.NoError(t, err)
	require.Equal(t, []int{1, 16}, got)
	for _, bad := range []string{"", "0", "x", "1,,2", "257"} {
		_, err := parseClients(bad)
		require.Error(t, err, bad)
	}
}

func TestBlockSpanCountsTheBlocksFromTheFirstToTheLastSeen(t *testing.T) {
	var all blockSpan
	require.Zero(t, all.count(), "no transaction, no block")

	var a, b blockSpan
	for _, n := range []uint64{12, 10, 12} {
		a.add(n)
	}
	b.add(15)
	all.join(a)
	all.join(blockSpan{}) // a client that committed nothing
	all.join(b)
	require.Equal(t, uint64(3), a.count())
	require.Equal(t, uint64(6), all.count(), "blocks 10 to 15")
}
