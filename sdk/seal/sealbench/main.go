// Command sealbench measures encrypted upload and download through the
// filesystem store, next to OpenSSL on the same machine, and the peak memory
// of each run. It is what `make bench` runs for the storage side:
//
//	go run ./sdk/seal/sealbench -sizes 100MiB,1GiB
//
// Upload is the SDK's path: read a file, seal it (Tink AES-256-GCM-HKDF),
// store it (SHA-256 while writing, fsync, rename). Download reads the blob,
// hashes it (the ledger check) and decrypts it. "plain up" stores without
// sealing (the disk's share); "seal+sha256" seals and hashes without
// writing (the CPU's share). Each size runs in a child process, so the peak
// resident memory reported is that run's alone.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/medledger/medledger/internal/benchkit"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/seal"
)

type result struct {
	Size        int64   `json:"size"`
	UploadMBps  float64 `json:"uploadMBps"`
	DownloadMBs float64 `json:"downloadMBps"`
	PlainUpMBps float64 `json:"plainUploadMBps"`
	SealHashMB  float64 `json:"sealHashMBps"`
	DiskMBps    float64 `json:"diskWriteFsyncMBps"`
	PeakRSSMiB  float64 `json:"peakRssMiB"`
	SHA256MBps  float64 `json:"opensslSha256MBps"`
}

func main() {
	sizes := flag.String("sizes", "100MiB,1GiB", "comma-separated object sizes (KiB, MiB, GiB)")
	dir := flag.String("dir", "", "scratch folder on the disk to measure (default: a temporary folder)")
	child := flag.Int64("child", 0, "internal: run one size in this process")
	flag.Parse()
	if err := run(*sizes, *dir, *child); err != nil {
		fmt.Fprintln(os.Stderr, "sealbench:", err)
		os.Exit(1)
	}
}

func run(sizeList, dir string, child int64) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "sealbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if child > 0 {
		r, err := measure(ctx, dir, child)
		if err != nil {
			return err
		}
		return benchkit.Report(r)
	}
	sizes, err := benchkit.ParseSizes(sizeList)
	if err != nil {
		return err
	}

	// A reference line only: the table does not need it, so a missing
	// openssl is said, not fatal.
	if aesGCM, err := benchkit.OpenSSLAESGCM(ctx); err != nil {
		fmt.Printf("openssl speed -evp aes-256-gcm: not measured (%v)\n", err)
	} else {
		fmt.Printf("openssl speed -evp aes-256-gcm (16 KiB blocks): %.0f MB/s\n", aesGCM)
	}
	fmt.Printf("%-8s %12s %14s %14s %22s %17s %20s %13s\n", "size", "upload MB/s", "download MB/s", "plain up MB/s", "seal+sha256 (no disk)", "input gen+write", "openssl sha256 MB/s", "peak RSS MiB")
	for _, n := range sizes {
		s := benchkit.FormatSize(n)
		r, err := benchkit.RunChild[result](ctx, "-child", strconv.FormatInt(n, 10), "-dir", dir)
		if err != nil {
			return fmt.Errorf("size %s: %w", s, err)
		}
		fmt.Printf("%-8s %12.0f %14.0f %14.0f %22.0f %17.0f %20.0f %13.1f\n", s, r.UploadMBps, r.DownloadMBs, r.PlainUpMBps, r.SealHashMB, r.DiskMBps, r.SHA256MBps, r.PeakRSSMiB)
	}
	return nil
}

func measure(ctx context.Context, dir string, size int64) (result, error) {
	r := result{Size: size}
	input := filepath.Join(dir, "input")
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	start := time.Now()
	if err := benchkit.WriteRandomFile(input, size); err != nil {
		return r, err
	}
	r.DiskMBps = mbps(time.Since(start)) // generate, write, fsync in one goroutine, no writeback hints
	defer os.Remove(input)
	store, err := blob.NewFileStore(filepath.Join(dir, "blobs"))
	if err != nil {
		return r, err
	}
	kp, err := seal.NewLocalKeyProvider(filepath.Join(dir, "kek.json"))
	if err != nil {
		return r, err
	}
	sealer, err := seal.New(kp)
	if err != nil {
		return r, err
	}
	ad := []byte("bench")

	// Reference: openssl's SHA-256 over the same file.
	took, _, err := benchkit.OpenSSLSHA256(ctx, input)
	if err != nil {
		return r, err
	}
	r.SHA256MBps = mbps(took)

	// The upload's CPU work alone: seal and hash, no disk.
	start = time.Now()
	f, err := os.Open(input)
	if err != nil {
		return r, err
	}
	sr, _, err := sealer.Seal(ctx, f, ad)
	if err != nil {
		f.Close()
		return r, err
	}
	_, err = io.CopyBuffer(sha256.New(), sr, make([]byte, 256<<10))
	f.Close()
	if err != nil {
		return r, err
	}
	r.SealHashMB = mbps(time.Since(start))

	// Plain upload, for comparison.
	start = time.Now()
	obj, err := putFile(ctx, store, input, nil, nil)
	if err != nil {
		return r, err
	}
	r.PlainUpMBps = mbps(time.Since(start))
	if err := store.Delete(ctx, obj.Ref); err != nil {
		return r, err
	}

	// Encrypted upload.
	start = time.Now()
	obj, err = putFile(ctx, store, input, sealer, ad)
	if err != nil {
		return r, err
	}
	wrapped := obj.wrapped
	r.UploadMBps = mbps(time.Since(start))

	// Encrypted download: hash the stored bytes (the ledger check) while
	// decrypting them.
	start = time.Now()
	rc, err := store.Get(ctx, obj.Ref)
	if err != nil {
		return r, err
	}
	h := sha256.New()
	dec, err := sealer.Open(ctx, io.TeeReader(rc, h), wrapped, ad)
	if err != nil {
		return r, err
	}
	n, err := io.CopyBuffer(io.Discard, dec, make([]byte, 256<<10))
	rc.Close()
	if err != nil {
		return r, err
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != obj.SHA256 {
		return r, fmt.Errorf("download gave %d bytes, hash %x; want %d, %s", n, h.Sum(nil), size, obj.SHA256)
	}
	r.DownloadMBs = mbps(time.Since(start))
	if err := store.Delete(ctx, obj.Ref); err != nil {
		return r, err
	}

	// 0 where the kernel does not say (not Linux), as the table always showed.
	if kib, err := benchkit.PeakRSSKiB(); err == nil {
		r.PeakRSSMiB = float64(kib) / 1024
	}
	return r, nil
}

type stored struct {
	blob.Object
	wrapped []byte
}

func putFile(ctx context.Context, store blob.Store, path string, s *seal.Sealer, ad []byte) (stored, error) {
	f, err := os.Open(path)
	if err != nil {
		return stored{}, err
	}
	defer f.Close()
	var src io.Reader = f
	var wrapped []byte
	if s != nil {
		if src, wrapped, err = s.Seal(ctx, f, ad); err != nil {
			return stored{}, err
		}
	}
	obj, err := store.Put(ctx, src)
	return stored{Object: obj, wrapped: wrapped}, err
}
