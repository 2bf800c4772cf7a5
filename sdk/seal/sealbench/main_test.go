package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "100MiB", want: 100 << 20},
		{in: " 1GiB", want: 1 << 30},
		{in: "64KiB", want: 64 << 10},
		{in: "10B", want: 10},
		{in: "1GB", bad: true},
		{in: "-1MiB", bad: true},
		{in: "MiB", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if tc.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
