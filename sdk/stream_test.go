package sdk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestVerifyingReaderReportsTamperingAtTheLatestAtEOF(t *testing.T) {
	good := bytes.Repeat([]byte("medical record "), 10000)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	cases := []struct {
		name    string
		stored  []byte
		wantErr bool
	}{
		{"intact", good, false},
		{"one bit flipped", flipped, true},
		{"truncated", good[:len(good)-1], true},
		{"extended", append(bytes.Clone(good), 'x'), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := &verifyingReader{r: iotest.HalfReader(bytes.NewReader(tc.stored)), h: sha256.New(), wantSHA: sha(good), wantSize: int64(len(good))}
			got, err := io.ReadAll(v)
			if !tc.wantErr {
				require.NoError(t, err)
				require.Equal(t, good, got)
				return
			}
			require.ErrorIs(t, err, ErrIntegrity)
			// Reading on keeps failing: no later EOF hides the mismatch.
			_, err = v.Read(make([]byte, 1))
			require.ErrorIs(t, err, ErrIntegrity)
		})
	}
}

func TestLimitReaderStopsOversizedAndMisdeclaredContent(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 1000)
	cases := []struct {
		name      string
		max, want int64
		err       error
	}{
		{"fits", 1000, 0, nil},
		{"declared right", 2000, 1000, nil},
		{"over the limit", 999, 0, errTooLarge},
		{"shorter than declared", 2000, 1001, errSizeMismatch},
		{"longer than declared", 2000, 999, errSizeMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &limitReader{r: iotest.OneByteReader(bytes.NewReader(data)), max: tc.max, want: tc.want}
			got, err := io.ReadAll(l)
			if tc.err == nil {
				require.NoError(t, err)
				require.Equal(t, data, got)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}
