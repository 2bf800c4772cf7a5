// Package benchkit is the plumbing the two throughput programs share:
// test/bench (issue 4: plaintext documents through the SDK next to
// `openssl dgst -sha256`) and sdk/seal/sealbench (issue 6: encrypted storage
// next to openssl's AES-256-GCM and SHA-256). It owns sizes as flags and
// table cells, incompressible input files, the openssl reference runs and
// the peak memory of a run measured in a child process of its own. What is
// measured, and the tables, stay in the programs.
package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var units = []struct {
	suffix string
	mult   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseSize reads a size such as "100MiB" (suffixes GiB, MiB, KiB, B;
// surrounding blanks ignored).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("size %q: want a positive number with KiB, MiB or GiB", s)
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("size %q: want a positive number with KiB, MiB or GiB", s)
}

// ParseSizes reads a comma-separated list of sizes, the programs' -sizes flag.
func ParseSizes(list string) ([]int64, error) {
	var sizes []int64
	for _, s := range strings.Split(list, ",") {
		n, err := ParseSize(s)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// FormatSize writes n in the largest unit that divides it, as ParseSize reads it.
func FormatSize(n int64) string {
	for _, u := range units {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// WriteRandomFile writes size pseudo-random bytes to path and fsyncs them:
// incompressible, so no layer can cheat, cheap to make, and on disk before
// the measurement starts. The same size always gives the same bytes.
func WriteRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyBuffer(f, io.LimitReader(rng, size), make([]byte, 1<<20)); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// OpenSSLSHA256 runs `openssl dgst -sha256` on path and returns how long it
// took and the hex digest it printed.
func OpenSSLSHA256(ctx context.Context, path string) (time.Duration, string, error) {
	start := time.Now()
	out, err := run(exec.CommandContext(ctx, "openssl", "dgst", "-sha256", "-r", path))
	if err != nil {
		return 0, "", fmt.Errorf("openssl dgst: %w", err)
	}
	took := time.Since(start)
	sum, _, _ := strings.Cut(string(out), " ")
	return took, sum, nil
}

var speedLine = regexp.MustCompile(`(?m)^AES-256-GCM\s+(.*)$`)

// OpenSSLAESGCM returns openssl's AES-256-GCM throughput in MB/s on 16 KiB
// blocks, its largest default block size (`openssl speed -evp aes-256-gcm`,
// two seconds per block size).
func OpenSSLAESGCM(ctx context.Context) (float64, error) {
	out, err := run(exec.CommandContext(ctx, "openssl", "speed", "-evp", "aes-256-gcm", "-seconds", "2"))
	if err != nil {
		return 0, fmt.Errorf("openssl speed: %w", err)
	}
	m := speedLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("openssl speed: no AES-256-GCM line in %q", out)
	}
	f := bytes.Fields(m[1])
	if len(f) == 0 {
		return 0, fmt.Errorf("openssl speed: no figures in %q", m[0])
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(string(f[len(f)-1]), "k"), 64)
	if err != nil {
		return 0, fmt.Errorf("openssl speed: %w", err)
	}
	return v * 1000 / 1e6, nil // openssl prints thousands of bytes per second
}

// PeakRSSKiB is this process's peak resident set size (VmHWM) in KiB. It
// reads /proc/self/status, so it exists on Linux only. VmHWM belongs to the
// process's own memory, unlike getrusage's ru_maxrss, which a child started
// by vfork+exec inherits from its parent's peak.
func PeakRSSKiB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// RunChild runs this program again with args, so that one measurement has
// a process, and so a peak memory, of its own, and decodes the JSON the
// child printed on its standard output (see Report) into a T.
func RunChild[T any](ctx context.Context, args ...string) (T, error) {
	var r T
	self, err := os.Executable()
	if err != nil {
		return r, err
	}
	out, err := run(exec.CommandContext(ctx, self, args...))
	if err != nil {
		return r, fmt.Errorf("child %s: %w", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("child %s output %q: %w", strings.Join(args, " "), out, err)
	}
	return r, nil
}

// Report prints a child's result for RunChild.
func Report(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }

// run returns cmd's standard output; a failure carries its standard error.
func run(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}
