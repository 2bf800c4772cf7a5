// Package durable owns how MedLedger writes a file that must survive a
// crash whole or not at all: write a temporary file beside its final name,
// starting the disk's writeback as the bytes arrive (WritebackWriter), fsync
// it, rename it into place, and fsync the folder (SyncDir) so the rename, or
// a removal, is itself on disk. The blob FileStore, the SDK's Download and
// the seal FileKeyStore use it; which of those steps each takes, and in
// what order with its own checks, stays with them.
package durable

import (
	"fmt"
	"os"
)

// WritebackChunk is how many written bytes WritebackWriter lets gather
// before it asks the kernel to start writing them out.
const WritebackChunk = 8 << 20

// WritebackWriter writes to a file and starts the disk write of every
// WritebackChunk bytes as soon as they are written, so the disk works while
// the CPU hashes and encrypts, and the fsync that ends the write finds
// little left to do. It only hints: the fsync still decides what is durable.
type WritebackWriter struct {
	f       *os.File
	off     int64 // bytes written
	flushed int64 // bytes whose writeback was started
}

// NewWritebackWriter writes to f from its current offset, which must be 0
// (a file just created).
func NewWritebackWriter(f *os.File) *WritebackWriter { return &WritebackWriter{f: f} }

// Write implements io.Writer.
func (w *WritebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.flushed >= WritebackChunk {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, err
}

// File is a temporary file that becomes another name only when the caller
// says so: create it beside its final name, write it (through a
// WritebackWriter), Finish it (fsync, close), then Rename it into place.
// Until Rename succeeds, Discard closes and removes it, so a failure leaves
// no partial file under the final name; defer Discard right after Create.
type File struct {
	f       *os.File
	w       *WritebackWriter
	closed  bool
	renamed bool
}

// CreateTemp creates a File in dir, named as os.CreateTemp names it from
// pattern, readable and writable by its owner only.
func CreateTemp(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return &File{f: f, w: NewWritebackWriter(f)}, nil
}

// Name is the temporary file's path.
func (t *File) Name() string { return t.f.Name() }

// Write implements io.Writer, starting writeback as WritebackWriter does.
func (t *File) Write(p []byte) (int, error) { return t.w.Write(p) }

// Finish fsyncs and closes the file: after it, its bytes are on disk.
func (t *File) Finish() error {
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	t.closed = true
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	return nil
}

// Rename moves the finished file to name, replacing what was there. The
// rename is durable only once the folder is synced (SyncDir).
func (t *File) Rename(name string) error {
	if err := os.Rename(t.f.Name(), name); err != nil {
		return err
	}
	t.renamed = true
	return nil
}

// Discard closes and removes the file unless it was renamed into place.
func (t *File) Discard() {
	if t.renamed {
		return
	}
	if !t.closed {
		_ = t.f.Close()
	}
	_ = os.Remove(t.f.Name())
}

// SyncDir fsyncs the folder dir, which makes a rename into it, or a removal
// from it, durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s for sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
