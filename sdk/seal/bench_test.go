package seal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/blobtest"
	"github.com/medledger/medledger/sdk/seal"
)

func benchSealer(b *testing.B) *seal.Sealer {
	kp, err := seal.NewLocalKeyProvider(filepath.Join(b.TempDir(), "kek.json"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := seal.New(kp)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSealHash is the CPU share of an encrypted upload: seal and
// SHA-256 the sealed bytes, no disk.
func BenchmarkSealHash(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20} {
		b.Run(strconv.Itoa(size>>20)+"MiB", func(b *testing.B) {
			s := benchSealer(b)
			plain, _ := io.ReadAll(blobtest.NewGenerator(int64(size), 1))
			b.SetBytes(int64(size))
			for b.Loop() {
				r, _, err := s.Seal(context.Background(), bytes.NewReader(plain), ad)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(sha256.New(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen decrypts and authenticates, no disk.
func BenchmarkOpen(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20} {
		b.Run(strconv.Itoa(size>>20)+"MiB", func(b *testing.B) {
			s := benchSealer(b)
			plain, _ := io.ReadAll(blobtest.NewGenerator(int64(size), 1))
			r, wrapped, err := s.Seal(context.Background(), bytes.NewReader(plain), ad)
			if err != nil {
				b.Fatal(err)
			}
			sealed, _ := io.ReadAll(r)
			b.SetBytes(int64(size))
			for b.Loop() {
				rc, err := s.Open(context.Background(), bytes.NewReader(sealed), wrapped, ad)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncryptedUploadFileStore is the whole encrypted upload: seal,
// hash, write, fsync, rename.
func BenchmarkEncryptedUploadFileStore(b *testing.B) {
	const size = 64 << 20
	s := benchSealer(b)
	store, err := blob.NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	plain, _ := io.ReadAll(blobtest.NewGenerator(size, 1))
	b.SetBytes(size)
	for b.Loop() {
		r, _, err := s.Seal(context.Background(), bytes.NewReader(plain), ad)
		if err != nil {
			b.Fatal(err)
		}
		obj, err := store.Put(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = store.Delete(context.Background(), obj.Ref)
		b.StartTimer()
	}
}
