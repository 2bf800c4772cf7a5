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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

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

func run(sizes, dir string, child int64) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "sealbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if child > 0 {
		r, err := measure(context.Background(), dir, child)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(r)
	}

	fmt.Printf("openssl speed -evp aes-256-gcm (16 KiB blocks): %.0f MB/s\n", opensslAESGCM())
	fmt.Printf("%-8s %12s %14s %14s %22s %17s %20s %13s\n", "size", "upload MB/s", "download MB/s", "plain up MB/s", "seal+sha256 (no disk)", "input gen+write", "openssl sha256 MB/s", "peak RSS MiB")
	for _, s := range strings.Split(sizes, ",") {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		out, err := exec.Command(os.Args[0], "-child", strconv.FormatInt(n, 10), "-dir", dir).Output()
		if err != nil {
			return fmt.Errorf("size %s: %w", s, err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("size %s: %w: %s", s, err, out)
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
	if err := writeInput(input, size); err != nil {
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
	start = time.Now()
	if out, err := exec.Command("openssl", "dgst", "-sha256", input).CombinedOutput(); err != nil {
		return r, fmt.Errorf("openssl dgst: %w: %s", err, out)
	}
	r.SHA256MBps = mbps(time.Since(start))

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

	r.PeakRSSMiB = peakRSSMiB()
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

// writeInput writes size pseudo-random bytes (incompressible, so no layer
// can cheat) and syncs them, so the measurement starts from a quiet disk.
func writeInput(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var seed [32]byte
	if _, err := io.CopyBuffer(f, io.LimitReader(rand.NewChaCha8(seed), size), make([]byte, 1<<20)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var speedLine = regexp.MustCompile(`(?m)^AES-256-GCM\s+(.*)$`)

// opensslAESGCM returns openssl's AES-256-GCM throughput in MB/s on 16 KiB
// blocks, its largest default block size, or 0 if openssl is missing.
func opensslAESGCM() float64 {
	out, err := exec.Command("openssl", "speed", "-evp", "aes-256-gcm", "-seconds", "2").Output()
	if err != nil {
		return 0
	}
	m := speedLine.FindSubmatch(out)
	if m == nil {
		return 0
	}
	f := bytes.Fields(m[1])
	last := strings.TrimSuffix(string(f[len(f)-1]), "k")
	v, err := strconv.ParseFloat(last, 64)
	if err != nil {
		return 0
	}
	return v * 1000 / 1e6 // openssl prints thousands of bytes per second
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("size %q: want a positive number with KiB, MiB or GiB", s)
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("size %q: want a positive number with KiB, MiB or GiB", s)
}
