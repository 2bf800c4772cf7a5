package benchkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
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
			got, err := ParseSize(tc.in)
			if tc.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseSizesReadsTheFlagList(t *testing.T) {
	got, err := ParseSizes("1MiB, 100MiB,1GiB")
	require.NoError(t, err)
	require.Equal(t, []int64{1 << 20, 100 << 20, 1 << 30}, got)

	_, err = ParseSizes("1MiB,,1GiB")
	require.ErrorContains(t, err, `size ""`)
}

func TestFormatSizeUsesTheLargestUnitThatDivides(t *testing.T) {
	tests := map[int64]string{
		1 << 30:       "1GiB",
		3 << 30:       "3GiB",
		100 << 20:     "100MiB",
		1<<30 + 1<<20: "1025MiB",
		64 << 10:      "64KiB",
		1000:          "1000B",
		1<<20 + 1:     "1048577B",
		0:             "0B",
	}
	for n, want := range tests {
		require.Equal(t, want, FormatSize(n), "%d", n)
		if n > 0 {
			back, err := ParseSize(want)
			require.NoError(t, err)
			require.Equal(t, n, back)
		}
	}
}

func TestWriteRandomFileIsSizedRepeatableAndIncompressible(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, WriteRandomFile(a, 3<<20+5))
	require.NoError(t, WriteRandomFile(b, 3<<20+5))
	da, err := os.ReadFile(a)
	require.NoError(t, err)
	db, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Len(t, da, 3<<20+5)
	require.Equal(t, da, db)
	seen := map[byte]bool{}
	for _, c := range da[:4096] {
		seen[c] = true
	}
	require.Greater(t, len(seen), 200, "bytes should look random")
}

func TestOpenSSLSHA256MatchesGo(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	path := filepath.Join(t.TempDir(), "in")
	require.NoError(t, WriteRandomFile(path, 1<<20))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	want := sha256.Sum256(data)

	took, sum, err := OpenSSLSHA256(context.Background(), path)
	require.NoError(t, err)
	require.Positive(t, took)
	require.Equal(t, hex.EncodeToString(want[:]), sum)

	_, _, err = OpenSSLSHA256(context.Background(), filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "openssl dgst")
}

func TestPeakRSSKiBReadsTheKernelsFigure(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	kib, err := PeakRSSKiB()
	require.NoError(t, err)
	require.Positive(t, kib)
	// A test binary's peak is surely below 64 GiB: the unit is KiB, not bytes.
	require.Less(t, kib, int64(64<<20))
}

type childResult struct {
	PeakKiB int64  `json:"peakKiB"`
	Args    string `json:"args"`
}

// TestChildHelper is the child of TestRunChildDecodesWhatTheChildReports:
// it does nothing unless that test started it.
func TestChildHelper(t *testing.T) {
	switch os.Getenv("BENCHKIT_TEST_CHILD") {
	case "report":
		kib, _ := PeakRSSKiB()
		_ = Report(childResult{PeakKiB: kib, Args: os.Args[len(os.Args)-1]})
		os.Exit(0)
	case "fail":
		_, _ = os.Stderr.WriteString("child says no\n")
		os.Exit(3)
	}
}

func TestRunChildDecodesWhatTheChildReports(t *testing.T) {
	t.Setenv("BENCHKIT_TEST_CHILD", "report")
	r, err := RunChild[childResult](context.Background(), "-test.run=^TestChildHelper$", "marker")
	require.NoError(t, err)
	require.Equal(t, "marker", r.Args)

	t.Setenv("BENCHKIT_TEST_CHILD", "fail")
	_, err = RunChild[childResult](context.Background(), "-test.run=^TestChildHelper$")
	require.ErrorContains(t, err, "child says no")
}
