package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/medledger/medledger/sdk/blob"
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

func TestExistenceProbeTellsStoredContentFromNew(t *testing.T) {
	ctx := context.Background()
	store := blob.NewMemoryStore()
	old := bytes.Repeat([]byte("old"), 200000) // several probe buffers
	_, err := store.Put(ctx, bytes.NewReader(old))
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		content []byte
		existed bool
	}{
		{"stored before", old, true},
		{"new", []byte("brand new"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newExistenceProbe(ctx, store, iotest.HalfReader(bytes.NewReader(tc.content)))
			obj, err := store.Put(ctx, p)
			p.stop()
			require.NoError(t, err)
			require.Equal(t, tc.existed, p.existed())
			require.Equal(t, obj.SHA256, p.sum)
		})
	}
}

// failingStatStore fails Stat, as an unreachable store would.
type failingStatStore struct{ *blob.MemoryStore }

func (failingStatStore) Stat(context.Context, string) (blob.Object, error) {
	return blob.Object{}, errors.New("connection refused")
}

func TestExistenceProbeStoresNothingWhenItCannotTell(t *testing.T) {
	ctx := context.Background()
	store := failingStatStore{blob.NewMemoryStore()}
	p := newExistenceProbe(ctx, store, bytes.NewReader([]byte("content")))
	_, err := store.Put(ctx, p)
	p.stop()
	require.ErrorContains(t, err, "connection refused")
	n := 0
	require.NoError(t, store.Walk(ctx, func(blob.Object) error { n++; return nil }))
	require.Zero(t, n)
}
