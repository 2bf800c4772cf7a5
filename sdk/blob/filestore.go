package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medledger/medledger/internal/durable"
)

const (
	// tempPrefix starts the name of every file a Put is still writing. Walk
	// and Stat never look at such files, so a half-written blob is never
	// visible under a reference.
	tempPrefix = ".put-"
	// staleTempAge is how old a temporary file left by a crashed process
	// must be before NewFileStore removes it; younger ones may belong to a
	// Put still running in another process that shares the folder.
	staleTempAge = time.Hour
	// copyBufferSize is the one buffer a Put or Get streams through; memory
	// use does not grow with the object.
	copyBufferSize = 256 << 10
	// hashBuffers is how many buffers are in flight between a Put's reader
	// and its hashing goroutine.
	hashBuffers = 4
)

// FileStore is the default Store: one file per object in a single folder,
// named by the hex SHA-256 of its bytes.
//
// Put streams the bytes once into a temporary file in the same folder while
// hashing them, fsyncs the file, renames it to its hash and fsyncs the
// folder, so after a crash a name either holds the complete object or does
// not exist. Concurrent Puts of the same bytes each write their own temporary
// file; the renames replace one complete copy with another.
type FileStore struct {
	dir string
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens (creating it with owner-only permissions if needed) the
// folder dir as a store, and removes temporary files that crashed writers
// left there more than an hour ago.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("blob: file store folder is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create file store folder: %w", err)
	}
	s := &FileStore{dir: dir}
	if err := s.removeStaleTemps(time.Now().Add(-staleTempAge)); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the folder the store keeps its objects in.
func (s *FileStore) Dir() string { return s.dir }

func (s *FileStore) removeStaleTemps(before time.Time) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("blob: read file store folder: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(before) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: remove stale temporary file: %w", err)
		}
	}
	return nil
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, r io.Reader) (Object, error) {
	tmp, err := durable.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	defer tmp.Discard()

	n, sum, err := copyHashing(ctx, tmp, r)
	if err != nil {
		return Object{}, err
	}
	if err := tmp.Finish(); err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	// The last chance to give up: after the rename the object is stored.
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	ref := RefOf(sum)
	name := filepath.Join(s.dir, ref[len(RefPrefix):])
	// Whether the bytes were stored before: asked just before the rename,
	// which still happens (an identical complete copy replaces the old one
	// and renews its mtime, which garbage collection's grace period relies
	// on). A Put that cannot tell stores nothing: its caller could
	// otherwise delete another record's content.
	existed := false
	if _, err := os.Lstat(name); err == nil {
		existed = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Object{}, fmt.Errorf("blob: check whether %s is stored: %w", ref, err)
	}
	if err := tmp.Rename(name); err != nil {
		return Object{}, fmt.Errorf("blob: publish %s: %w", ref, err)
	}
	if err := durable.SyncDir(s.dir); err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	info, err := os.Stat(name)
	if err != nil {
		return Object{}, fmt.Errorf("blob: stat %s after put: %w", ref, err)
	}
	return Object{Ref: ref, SHA256: ref[len(RefPrefix):], Size: n, ModTime: info.ModTime(), Existed: existed}, nil
}

// Get implements Store. The returned reader fails once ctx ends.
func (s *FileStore) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	name, err := s.path(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", ref, err)
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: get %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", ref, err)
	}
	return &ctxReadCloser{ctx: ctx, r: f, c: f}, nil
}

// Stat implements Store.
func (s *FileStore) Stat(ctx context.Context, ref string) (Object, error) {
	name, err := s.path(ref)
	if err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("blob: stat %s: %w", ref, err)
	}
	info, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, fmt.Errorf("blob: stat %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Object{}, fmt.Errorf("blob: stat %s: %w", ref, err)
	}
	return Object{Ref: ref, SHA256: ref[len(RefPrefix):], Size: info.Size(), ModTime: info.ModTime()}, nil
}

// Delete implements Store. It fsyncs the folder, so a deleted object stays
// deleted after a crash (erasure must not come back).
func (s *FileStore) Delete(ctx context.Context, ref string) error {
	name, err := s.path(ref)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", ref, err)
	}
	err = os.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", ref, err)
	}
	if err := durable.SyncDir(s.dir); err != nil {
		return fmt.Errorf("blob: delete %s: %w", ref, err)
	}
	return nil
}

// Walk implements Store. It reads the folder in batches, so it does not hold
// the whole listing in memory.
func (s *FileStore) Walk(ctx context.Context, fn func(Object) error) error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	defer d.Close()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			ref := RefPrefix + e.Name()
			if _, perr := ParseRef(ref); perr != nil || !e.Type().IsRegular() {
				continue // temporary files and anything that is not ours
			}
			info, ierr := e.Info()
			if errors.Is(ierr, fs.ErrNotExist) {
				continue // deleted since the listing was read
			}
			if ierr != nil {
				return fmt.Errorf("blob: walk: %w", ierr)
			}
			if ferr := fn(Object{Ref: ref, SHA256: e.Name(), Size: info.Size(), ModTime: info.ModTime()}); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
	}
}

func (s *FileStore) path(ref string) (string, error) {
	h, err := ParseRef(ref)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, h), nil
}

// copyHashing streams r into w, checking ctx between reads, and returns the
// number of bytes and their SHA-256. The hash runs on a second goroutine fed
// through a few fixed buffers, so hashing overlaps reading and writing (an
// upload is otherwise CPU-bound on SHA-256 plus encryption) while memory
// stays at hashBuffers*copyBufferSize. The goroutine has ended when
// copyHashing returns, whatever happened.
func copyHashing(ctx context.Context, w io.Writer, r io.Reader) (int64, []byte, error) {
	work := make(chan []byte, hashBuffers)
	free := make(chan []byte, hashBuffers)
	for range hashBuffers {
		free <- make([]byte, copyBufferSize)
	}
	h := sha256.New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range work {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	finish := func() { close(work); <-done }

	var n int64
	for {
		if err := ctx.Err(); err != nil {
			finish()
			return n, nil, fmt.Errorf("blob: put: %w", err)
		}
		// A buffer comes back only after the hasher is done with it, and
		// this goroutine reuses it only after its own write returned.
		buf := <-free
		m, rerr := r.Read(buf)
		if m > 0 {
			work <- buf[:m]
			if _, werr := w.Write(buf[:m]); werr != nil {
				finish()
				return n, nil, fmt.Errorf("blob: put: write: %w", werr)
			}
			n += int64(m)
		} else {
			free <- buf
		}
		if rerr == io.EOF {
			finish()
			return n, h.Sum(nil), nil
		}
		if rerr != nil {
			finish()
			return n, nil, fmt.Errorf("blob: put: read content: %w", rerr)
		}
	}
}

// ctxReadCloser fails reads once ctx ends, so a download stops with its
// caller's deadline.
type ctxReadCloser struct {
	ctx context.Context
	r   io.Reader
	c   io.Closer
}

func (r *ctxReadCloser) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *ctxReadCloser) Close() error { return r.c.Close() }
