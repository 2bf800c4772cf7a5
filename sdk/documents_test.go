package sdk

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/seal"
	"github.com/stretchr/testify/require"
)

// fakeConfigHome points the user configuration folder at a temporary one,
// so the default encryption never touches the real one, and returns it.
func fakeConfigHome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", t.TempDir())
	return dir
}

// sealRoundTrip seals content with d's sealer, keeps the key in d's key
// store as an upload does, and opens it again.
func sealRoundTrip(t *testing.T, d *Documents, content []byte) []byte {
	t.Helper()
	ctx := context.Background()
	ad := associatedData("doc-1")
	sealed, wrapped, err := d.sealer.Seal(ctx, bytes.NewReader(content), ad)
	require.NoError(t, err)
	obj, err := d.store.Put(ctx, sealed)
	require.NoError(t, err)
	require.NoError(t, d.keys.PutKey(ctx, obj.Ref, wrapped))

	rc, err := d.store.Get(ctx, obj.Ref)
	require.NoError(t, err)
	stored, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.NotContains(t, string(stored), string(content), "the store holds ciphertext")

	key, err := d.keys.GetKey(ctx, obj.Ref)
	require.NoError(t, err)
	plain, err := d.sealer.Open(ctx, bytes.NewReader(stored), key, ad)
	require.NoError(t, err)
	defer plain.Close()
	got, err := io.ReadAll(plain)
	require.NoError(t, err)
	return got
}

func TestDocumentsEncryptByDefaultWithTheLocalKeysetAndKeyStore(t *testing.T) {
	cfg := fakeConfigHome(t)
	d, err := NewDocuments(&Client{}, blob.NewMemoryStore())
	require.NoError(t, err)
	require.True(t, d.Encrypted())

	dir, err := DefaultKeyDir()
	require.NoError(t, err)
	require.Equal(t, filepath.Join(cfg, "medledger"), dir)
	keysetPath, err := seal.DefaultKeysetPath()
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "kek.json"), keysetPath, "the keyset is seal's default")
	require.DirExists(t, filepath.Join(dir, "keys"))

	content := []byte("discharge letter")
	require.Equal(t, content, sealRoundTrip(t, d, content))
	info, err := os.Stat(keysetPath)
	require.NoError(t, err, "the keyset is created on first use")
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "the wrapped key went to the default key store")
}

func TestKeyDirKeepsKeysetAndKeysInOneFolder(t *testing.T) {
	cfg := fakeConfigHome(t)
	dir := t.TempDir()
	d, err := NewDocuments(&Client{}, blob.NewMemoryStore(), WithKeyDir(dir))
	require.NoError(t, err)
	require.True(t, d.Encrypted())

	content := []byte("lab result")
	require.Equal(t, content, sealRoundTrip(t, d, content))
	require.FileExists(t, filepath.Join(dir, "kek.json"))
	entries, err := os.ReadDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.NoDirExists(t, filepath.Join(cfg, "medledger"), "nothing in the user's configuration folder")
}

func TestWithoutEncryptionStoresPlaintextAndCreatesNoKeys(t *testing.T) {
	cfg := fakeConfigHome(t)
	d, err := NewDocuments(&Client{}, blob.NewMemoryStore(), WithoutEncryption())
	require.NoError(t, err)
	require.False(t, d.Encrypted())
	require.Nil(t, d.keys)
	require.NoDirExists(t, filepath.Join(cfg, "medledger"))
}

func TestWithEncryptionUsesTheGivenSealerAndKeys(t *testing.T) {
	cfg := fakeConfigHome(t)
	kp, err := seal.NewLocalKeyProvider(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)
	sealer, err := seal.New(kp)
	require.NoError(t, err)
	keys := seal.NewMemoryKeyStore()
	d, err := NewDocuments(&Client{}, blob.NewMemoryStore(), WithEncryption(sealer, keys))
	require.NoError(t, err)
	require.Same(t, sealer, d.sealer)
	require.Same(t, keys, d.keys)
	require.NoDirExists(t, filepath.Join(cfg, "medledger"))
}

func TestConflictingEncryptionOptionsAreRefused(t *testing.T) {
	fakeConfigHome(t)
	sealer, err := seal.New(seal.StaticKeyProvider{})
	require.NoError(t, err)
	keys := seal.NewMemoryKeyStore()
	cases := []struct {
		name string
		opts []DocumentsOption
		want string
	}{
		{"without, then with", []DocumentsOption{WithoutEncryption(), WithEncryption(sealer, keys)}, "WithEncryption conflicts"},
		{"with, then without", []DocumentsOption{WithEncryption(sealer, keys), WithoutEncryption()}, "WithoutEncryption conflicts"},
		{"key dir, then without", []DocumentsOption{WithKeyDir(t.TempDir()), WithoutEncryption()}, "WithoutEncryption conflicts"},
		{"with, then key dir", []DocumentsOption{WithEncryption(sealer, keys), WithKeyDir(t.TempDir())}, "WithKeyDir conflicts"},
		{"empty key dir", []DocumentsOption{WithKeyDir("")}, "WithKeyDir needs a folder"},
		{"no key store", []DocumentsOption{WithEncryption(sealer, nil)}, "needs both a Sealer and a KeyStore"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewDocuments(&Client{}, blob.NewMemoryStore(), tc.opts...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
