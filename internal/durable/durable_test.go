package durable

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestFileRenamedIntoPlaceHoldsEveryByteAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	want := bytes.Repeat([]byte("0123456789abcdef"), (2*WritebackChunk+12345)/16) // crosses the writeback chunk twice
	tmp, err := CreateTemp(dir, ".part-*")
	require.NoError(t, err)
	defer tmp.Discard()
	n, err := io.Copy(tmp, bytes.NewReader(want))
	require.NoError(t, err)
	require.EqualValues(t, len(want), n)
	require.NoError(t, tmp.Finish())
	final := filepath.Join(dir, "final")
	require.NoError(t, tmp.Rename(final))
	require.NoError(t, SyncDir(dir))
	tmp.Discard() // after the rename: must not remove the final file

	got, err := os.ReadFile(final)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, []string{"final"}, entries(t, dir))
}

func TestDiscardBeforeRenameRemovesTheTemporaryAndKeepsTheOldFile(t *testing.T) {
	for _, finished := range []bool{false, true} {
		t.Run(map[bool]string{false: "mid-write", true: "after finish"}[finished], func(t *testing.T) {
			dir := t.TempDir()
			final := filepath.Join(dir, "final")
			require.NoError(t, os.WriteFile(final, []byte("old"), 0o600))
			tmp, err := CreateTemp(dir, ".part-*")
			require.NoError(t, err)
			_, err = tmp.Write([]byte("new, unfinished"))
			require.NoError(t, err)
			if finished {
				require.NoError(t, tmp.Finish())
			}
			tmp.Discard()

			require.Equal(t, []string{"final"}, entries(t, dir))
			got, err := os.ReadFile(final)
			require.NoError(t, err)
			require.Equal(t, "old", string(got))
		})
	}
}

func TestCreateTempIsPrivateToItsOwner(t *testing.T) {
	tmp, err := CreateTemp(t.TempDir(), "x-*")
	require.NoError(t, err)
	defer tmp.Discard()
	info, err := os.Stat(tmp.Name())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestErrorsNameWhatFailed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := CreateTemp(missing, "x-*")
	require.ErrorContains(t, err, "create temporary file")
	require.ErrorIs(t, err, os.ErrNotExist)

	err = SyncDir(missing)
	require.ErrorContains(t, err, "open folder "+missing)
	require.ErrorIs(t, err, os.ErrNotExist)

	dir := t.TempDir()
	tmp, err := CreateTemp(dir, "x-*")
	require.NoError(t, err)
	defer tmp.Discard()
	require.NoError(t, tmp.Finish())
	require.Error(t, tmp.Rename(filepath.Join(missing, "final")))
}
