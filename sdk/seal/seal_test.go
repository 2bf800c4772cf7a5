package seal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/testing/fakekms"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/blobtest"
	"github.com/medledger/medledger/sdk/seal"
)

// Tink's AES-256-GCM-HKDF 1 MiB layout: a 40-byte header and the first
// segment fill the first MiB of ciphertext, every later segment is one MiB;
// each segment carries a 16-byte tag.
const (
	segment      = 1 << 20
	firstPlain   = segment - 40 - 16
	laterPlain   = segment - 16
	trailerBytes = 16
)

var ad = []byte("document D-1 version 1")

func newSealer(t *testing.T) (*seal.Sealer, *seal.LocalKeyProvider) {
	t.Helper()
	kp, err := seal.NewLocalKeyProvider(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)
	s, err := seal.New(kp)
	require.NoError(t, err)
	return s, kp
}

func sealBytes(t *testing.T, s *seal.Sealer, plain []byte) (sealed, wrapped []byte) {
	t.Helper()
	r, wrapped, err := s.Seal(context.Background(), bytes.NewReader(plain), ad)
	require.NoError(t, err)
	sealed, err = io.ReadAll(r)
	require.NoError(t, err)
	return sealed, wrapped
}

// openBytes opens sealed and returns what it read before the error.
func openBytes(s *seal.Sealer, sealed, wrapped, ad []byte) ([]byte, error) {
	rc, err := s.Open(context.Background(), bytes.NewReader(sealed), wrapped, ad)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func plaintext(n int) []byte {
	b, _ := io.ReadAll(blobtest.NewGenerator(int64(n), uint64(n)))
	return b
}

func TestRoundTrip(t *testing.T) {
	s, _ := newSealer(t)
	for _, n := range []int{0, 1, 1000, firstPlain, firstPlain + 1, firstPlain + laterPlain, 3*segment + 7} {
		plain := plaintext(n)
		sealed, wrapped := sealBytes(t, s, plain)
		if n >= 16 {
			require.NotContains(t, string(sealed), string(plain[:16]), "size %d: plaintext visible in the sealed bytes", n)
		}
		got, err := openBytes(s, sealed, wrapped, ad)
		require.NoError(t, err, "size %d", n)
		require.Equal(t, plain, got, "size %d", n)
	}
}

// 256 MiB streamed through Seal and Open without holding it: generated,
// hashed on the way in and on the way out.
func TestRoundTripLargeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large round trip skipped with -short")
	}
	const size = 256 << 20
	s, _ := newSealer(t)
	ctx := context.Background()
	in := sha256.New()
	sr, wrapped, err := s.Seal(ctx, io.TeeReader(blobtest.NewGenerator(size, 1), in), ad)
	require.NoError(t, err)
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, sr)
		pw.CloseWithError(err)
	}()
	rc, err := s.Open(ctx, pr, wrapped, ad)
	require.NoError(t, err)
	out := sha256.New()
	n, err := io.Copy(out, rc)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	require.Equal(t, in.Sum(nil), out.Sum(nil))
}

func TestEverySealUsesAFreshDataKey(t *testing.T) {
	s, _ := newSealer(t)
	plain := []byte("the same letter twice")
	sealed1, wrapped1 := sealBytes(t, s, plain)
	sealed2, wrapped2 := sealBytes(t, s, plain)
	require.NotEqual(t, sealed1, sealed2)
	require.NotEqual(t, wrapped1, wrapped2)
	_, err := openBytes(s, sealed1, wrapped2, ad)
	require.ErrorIs(t, err, seal.ErrTampered, "one object's key must not open another")
}

// Every damage gives its own error and never bytes that were not sealed:
// whatever was read before the error is a prefix of the plaintext.
func TestDamagedObjectsFailWithTheirOwnError(t *testing.T) {
	s, _ := newSealer(t)
	plain := plaintext(4*segment + 100)
	sealed, wrapped := sealBytes(t, s, plain)
	tink := sealed[:len(sealed)-trailerBytes]

	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(at int) []byte {
		b := bytes.Clone(sealed)
		b[at] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		sealed []byte
		want   error
	}{
		{"cut in the middle of a segment", sealed[:2*segment+500], seal.ErrTruncated},
		{"cut at a segment boundary", sealed[:3*segment], seal.ErrTruncated},
		{"trailer cut off", tink, seal.ErrTruncated},
		{"empty", nil, seal.ErrTruncated},
		{"a middle segment removed, trailer kept", cat(tink[:segment], tink[2*segment:], sealed[len(tink):]), seal.ErrTruncated},
		{"segments 1 and 2 swapped", cat(tink[:segment], tink[2*segment:3*segment], tink[segment:2*segment], sealed[3*segment:]), seal.ErrTampered},
		{"byte changed in the header", flip(5), seal.ErrTampered},
		{"byte changed in a middle segment", flip(2*segment + 1234), seal.ErrTampered},
		{"byte changed in the last segment", flip(len(tink) - 3), seal.ErrTampered},
		{"byte changed in the trailer", flip(len(sealed) - 1), seal.ErrTampered},
		{"segment duplicated", cat(tink[:2*segment], tink[segment:], sealed[len(tink):]), seal.ErrTampered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := openBytes(s, tc.sealed, wrapped, ad)
			require.ErrorIs(t, err, tc.want)
			for _, other := range []error{seal.ErrTruncated, seal.ErrTampered} {
				if other != tc.want {
					require.NotErrorIs(t, err, other)
				}
			}
			require.True(t, bytes.HasPrefix(plain, got), "read %d bytes that are not the plaintext's start", len(got))
		})
	}
}

func TestWrongAssociatedDataIsRefusedBeforeReading(t *testing.T) {
	s, _ := newSealer(t)
	sealed, wrapped := sealBytes(t, s, []byte("x-ray"))
	src := &countingReader{r: bytes.NewReader(sealed)}
	_, err := s.Open(context.Background(), src, wrapped, []byte("document D-2 version 1"))
	require.ErrorIs(t, err, seal.ErrAssociatedData)
	require.Zero(t, src.n, "nothing may be read with the wrong associated data")
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestMissingWrappedKey(t *testing.T) {
	s, _ := newSealer(t)
	sealed, _ := sealBytes(t, s, []byte("x-ray"))
	_, err := openBytes(s, sealed, nil, ad)
	require.ErrorIs(t, err, seal.ErrMissingKey)
}

func TestWrongKEK(t *testing.T) {
	s1, _ := newSealer(t)
	s2, _ := newSealer(t) // its own keyset file, so another KEK
	sealed, wrapped := sealBytes(t, s1, []byte("x-ray"))
	_, err := openBytes(s2, sealed, wrapped, ad)
	require.ErrorIs(t, err, seal.ErrWrongKEK)
	require.ErrorContains(t, err, "local:")
}

func TestDamagedWrappedKey(t *testing.T) {
	s, _ := newSealer(t)
	sealed, wrapped := sealBytes(t, s, []byte("x-ray"))
	flipped := bytes.Clone(wrapped)
	flipped[len(flipped)-1] ^= 1
	for name, w := range map[string][]byte{
		"flipped byte": flipped,
		"garbage":      []byte("not a key at all"),
		"cut":          wrapped[:6],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := openBytes(s, sealed, w, ad)
			require.ErrorIs(t, err, seal.ErrBadWrappedKey)
			require.NotErrorIs(t, err, seal.ErrWrongKEK)
		})
	}
}

// A store that fails mid-read must surface as its own error, not as a
// damaged object.
func TestStoreFailureWhileOpeningIsNotTampering(t *testing.T) {
	s, _ := newSealer(t)
	sealed, wrapped := sealBytes(t, s, plaintext(3*segment))
	src := io.MultiReader(bytes.NewReader(sealed[:segment+10]), &failReader{err: blob.ErrUnavailable})
	rc, err := s.Open(context.Background(), src, wrapped, ad)
	require.NoError(t, err)
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, blob.ErrUnavailable)
	require.NotErrorIs(t, err, seal.ErrTampered)
	require.NotErrorIs(t, err, seal.ErrTruncated)
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

func TestSealStopsWhenContextEnds(t *testing.T) {
	s, _ := newSealer(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, _, err := s.Seal(ctx, blobtest.NewGenerator(10*segment, 1), ad)
	require.NoError(t, err)
	_, err = io.ReadFull(r, make([]byte, 100))
	require.NoError(t, err)
	cancel()
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, context.Canceled)
}

func TestSealPassesPlaintextReadErrorOn(t *testing.T) {
	s, _ := newSealer(t)
	broken := errors.New("disk read error")
	r, _, err := s.Seal(context.Background(), io.MultiReader(bytes.NewReader(make([]byte, 1000)), &failReader{err: broken}), ad)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, broken)
}

// The whole path the SDK takes: seal, store, keep the key apart, fetch,
// open; and crypto-shredding: without the key the stored blob is lost.
func TestSealedObjectThroughFileStoreAndShredding(t *testing.T) {
	ctx := context.Background()
	s, _ := newSealer(t)
	store, err := blob.NewFileStore(t.TempDir())
	require.NoError(t, err)
	keys, err := seal.NewFileKeyStore(t.TempDir())
	require.NoError(t, err)

	plain := plaintext(2*segment + 3)
	sr, wrapped, err := s.Seal(ctx, bytes.NewReader(plain), ad)
	require.NoError(t, err)
	obj, err := store.Put(ctx, sr)
	require.NoError(t, err)
	require.NoError(t, keys.PutKey(ctx, obj.Ref, wrapped))

	key, err := keys.GetKey(ctx, obj.Ref)
	require.NoError(t, err)
	rc, err := store.Get(ctx, obj.Ref)
	require.NoError(t, err)
	dec, err := s.Open(ctx, rc, key, ad)
	require.NoError(t, err)
	got, err := io.ReadAll(dec)
	require.NoError(t, err)
	require.NoError(t, dec.Close())
	require.Equal(t, plain, got)

	require.NoError(t, keys.DeleteKey(ctx, obj.Ref))
	_, err = keys.GetKey(ctx, obj.Ref)
	require.ErrorIs(t, err, seal.ErrMissingKey)
	require.ErrorIs(t, err, blob.ErrNotFound)
}

func TestLocalKeysetIsCreatedOnFirstUseForOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "kek.json")
	kp, err := seal.NewLocalKeyProvider(path)
	require.NoError(t, err)
	require.NoFileExists(t, path)

	kek, err := kp.KEK(context.Background())
	require.NoError(t, err)
	require.Regexp(t, `^local:[0-9]+$`, kek.ID)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dirInfo, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())

	// A second provider on the same file (a restarted process) has the
	// same KEK and opens what the first sealed.
	kp2, err := seal.NewLocalKeyProvider(path)
	require.NoError(t, err)
	kek2, err := kp2.KEK(context.Background())
	require.NoError(t, err)
	require.Equal(t, kek.ID, kek2.ID)
	s1, _ := seal.New(kp)
	s2, _ := seal.New(kp2)
	sealed, wrapped := sealBytes(t, s1, []byte("kept across restarts"))
	got, err := openBytes(s2, sealed, wrapped, ad)
	require.NoError(t, err)
	require.Equal(t, []byte("kept across restarts"), got)
}

func TestLocalKeysetReadableByOthersIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek.json")
	kp, _ := seal.NewLocalKeyProvider(path)
	_, err := kp.KEK(context.Background())
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))

	kp2, _ := seal.NewLocalKeyProvider(path)
	_, err = kp2.KEK(context.Background())
	require.ErrorContains(t, err, "chmod 600")
}

// After a rotation (a new primary key in the keyset file) new objects are
// wrapped under the new key and old ones still open.
func TestLocalKeysetRotationKeepsOldObjectsReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek.json")
	kp, _ := seal.NewLocalKeyProvider(path)
	s, _ := seal.New(kp)
	sealed, wrapped := sealBytes(t, s, []byte("before rotation"))
	old, _ := kp.KEK(context.Background())

	f, err := os.Open(path)
	require.NoError(t, err)
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(f))
	require.NoError(t, err)
	f.Close()
	m := keyset.NewManagerFromHandle(h)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	require.NoError(t, err)
	require.NoError(t, m.SetPrimary(id))
	rotated, err := m.Handle()
	require.NoError(t, err)
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	require.NoError(t, err)
	require.NoError(t, insecurecleartextkeyset.Write(rotated, keyset.NewJSONWriter(out)))
	require.NoError(t, out.Close())

	kp2, _ := seal.NewLocalKeyProvider(path)
	s2, _ := seal.New(kp2)
	now, _ := kp2.KEK(context.Background())
	require.NotEqual(t, old.ID, now.ID)
	got, err := openBytes(s2, sealed, wrapped, ad)
	require.NoError(t, err)
	require.Equal(t, []byte("before rotation"), got)
}

func TestKMSProvider(t *testing.T) {
	uri, err := fakekms.NewKeyURI()
	require.NoError(t, err)
	client, err := fakekms.NewClient("fake-kms://")
	require.NoError(t, err)
	kp, err := seal.NewKMSProvider(client, uri)
	require.NoError(t, err)
	s, err := seal.New(kp)
	require.NoError(t, err)
	sealed, wrapped := sealBytes(t, s, []byte("wrapped by the KMS"))
	got, err := openBytes(s, sealed, wrapped, ad)
	require.NoError(t, err)
	require.Equal(t, []byte("wrapped by the KMS"), got)

	otherURI, err := fakekms.NewKeyURI()
	require.NoError(t, err)
	other, err := seal.NewKMSProvider(client, otherURI)
	require.NoError(t, err)
	s2, _ := seal.New(other)
	_, err = openBytes(s2, sealed, wrapped, ad)
	require.ErrorIs(t, err, seal.ErrWrongKEK)

	_, err = seal.NewKMSProvider(client, "aws-kms://arn:aws:kms:eu-central-1:1:key/x")
	require.ErrorContains(t, err, "does not support key URI")
}

func TestKeyStores(t *testing.T) {
	stores := map[string]func(t *testing.T) blob.KeyStore{
		"file": func(t *testing.T) blob.KeyStore {
			ks, err := seal.NewFileKeyStore(t.TempDir())
			require.NoError(t, err)
			return ks
		},
		"memory": func(*testing.T) blob.KeyStore { return seal.NewMemoryKeyStore() },
	}
	ref := blob.RefOf(bytes.Repeat([]byte{7}, 32))
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ks := newStore(t)
			_, err := ks.GetKey(ctx, ref)
			require.ErrorIs(t, err, blob.ErrNotFound)
			require.ErrorIs(t, err, seal.ErrMissingKey)

			require.NoError(t, ks.PutKey(ctx, ref, []byte("wrapped-1")))
			got, err := ks.GetKey(ctx, ref)
			require.NoError(t, err)
			require.Equal(t, []byte("wrapped-1"), got)

			require.NoError(t, ks.DeleteKey(ctx, ref))
			_, err = ks.GetKey(ctx, ref)
			require.ErrorIs(t, err, seal.ErrMissingKey)
			require.ErrorIs(t, ks.DeleteKey(ctx, ref), blob.ErrNotFound)

			require.ErrorContains(t, ks.PutKey(ctx, ref, nil), "wrapped key is empty")
			require.ErrorIs(t, ks.PutKey(ctx, "../../etc/passwd", []byte("k")), blob.ErrInvalidRef)
			_, err = ks.GetKey(ctx, "sha256:xyz")
			require.ErrorIs(t, err, blob.ErrInvalidRef)
		})
	}
}

func TestFileKeyStoreWritesOwnerOnlyFiles(t *testing.T) {
	dir := t.TempDir()
	ks, err := seal.NewFileKeyStore(dir)
	require.NoError(t, err)
	ref := blob.RefOf(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, ks.PutKey(context.Background(), ref, []byte("wrapped")))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file may stay behind")
	info, err := entries[0].Info()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestNewRefusesNilProvider(t *testing.T) {
	_, err := seal.New(nil)
	require.ErrorContains(t, err, "key provider is nil")
}

// failingKMS is a key service that stopped answering.
type failingKMS struct{}

var errKMSDown = errors.New("dial tcp 127.0.0.1:1: connection refused")

func (failingKMS) Encrypt(p, ad []byte) ([]byte, error) { return nil, errKMSDown }
func (failingKMS) Decrypt(c, ad []byte) ([]byte, error) { return nil, errKMSDown }

func TestKeyServiceOutageIsNotADamagedKey(t *testing.T) {
	s, kp := newSealer(t)
	sealed, wrapped := sealBytes(t, s, []byte("x-ray"))
	kek, err := kp.KEK(context.Background())
	require.NoError(t, err)

	down, err := seal.New(seal.StaticKeyProvider{ID: kek.ID, AEAD: failingKMS{}})
	require.NoError(t, err)
	_, err = openBytes(down, sealed, wrapped, ad)
	require.ErrorIs(t, err, seal.ErrKEKFailed)
	require.ErrorIs(t, err, errKMSDown)
	require.NotErrorIs(t, err, seal.ErrBadWrappedKey)

	_, _, err = down.Seal(context.Background(), bytes.NewReader([]byte("x")), ad)
	require.ErrorIs(t, err, errKMSDown)
}
