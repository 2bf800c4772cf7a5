package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/blobtest"
)

func TestFileStoreConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := blob.NewFileStore(t.TempDir())
		require.NoError(t, err)
		return s
	})
}

func TestMemoryStoreConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return blob.NewMemoryStore() })
}

// tempFiles lists what the store folder holds besides published objects.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if _, err := blob.ParseRef(blob.RefPrefix + e.Name()); err != nil {
			names = append(names, e.Name())
		}
	}
	return names
}

type brokenReader struct{ sent bool }

func (b *brokenReader) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "partial content"), nil
	}
	return 0, errors.New("connection reset")
}

func TestFileStoreFailedPutLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFileStore(dir)
	require.NoError(t, err)

	_, err = s.Put(context.Background(), &brokenReader{})
	require.ErrorContains(t, err, "connection reset")
	require.Empty(t, tempFiles(t, dir))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Put(ctx, strings.NewReader("x"))
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, tempFiles(t, dir))
}

func TestFileStoreStoresObjectUnderItsHashWithOwnerOnlyPermissions(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFileStore(dir)
	require.NoError(t, err)
	obj, err := s.Put(context.Background(), strings.NewReader("x-ray report"))
	require.NoError(t, err)

	info, err := os.Stat(filepath.Join(dir, obj.SHA256))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	require.Empty(t, tempFiles(t, dir))
}

// A crashed writer leaves a temporary file; the next NewFileStore removes it
// once it is old enough, and never shows it as an object.
func TestFileStoreRemovesStaleTemporaryFilesOnOpen(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".put-crashed")
	fresh := filepath.Join(dir, ".put-running")
	require.NoError(t, os.WriteFile(stale, []byte("half a blob"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("half a blob"), 0o600))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	s, err := blob.NewFileStore(dir)
	require.NoError(t, err)
	require.NoFileExists(t, stale)
	require.FileExists(t, fresh, "a temporary file another process may still write must stay")

	n := 0
	require.NoError(t, s.Walk(context.Background(), func(blob.Object) error { n++; return nil }))
	require.Zero(t, n)
}

func TestNewFileStoreRefusesEmptyFolder(t *testing.T) {
	_, err := blob.NewFileStore("")
	require.ErrorContains(t, err, "folder is empty")
}

func TestParseRef(t *testing.T) {
	h := strings.Repeat("ab", 32)
	tests := []struct {
		name, ref string
		ok        bool
	}{
		{"valid", "sha256:" + h, true},
		{"plain hex", h, false},
		{"upper case", "sha256:" + strings.ToUpper(h), false},
		{"short", "sha256:" + h[:62], false},
		{"other algorithm", "md5:" + h, false},
		{"path", "sha256:../" + h[:61], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := blob.ParseRef(tc.ref)
			if tc.ok {
				require.NoError(t, err)
				require.Equal(t, h, got)
				return
			}
			require.ErrorIs(t, err, blob.ErrInvalidRef)
		})
	}
}

func TestRefOfRoundTrips(t *testing.T) {
	sum := bytes.Repeat([]byte{0xcd}, 32)
	h, err := blob.ParseRef(blob.RefOf(sum))
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("cd", 32), h)
}
