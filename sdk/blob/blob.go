// Package blob stores document contents off the ledger. A Store keeps
// immutable objects named by an opaque reference; the SDK registers that
// reference and the SHA-256 of the stored bytes on the ledger and checks the
// hash again on every download.
//
// Adapters (filesystem, memory, S3-compatible, Redis) implement Store and
// prove themselves by passing the conformance suite in blobtest.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (possibly wrapped) when an object does not exist.
var ErrNotFound = errors.New("blob: object not found")

// ErrUnavailable is returned (wrapped, with the cause) when a store cannot
// be reached or does not answer: the operation may succeed if retried later.
// It tells an unreachable store apart from a missing object.
var ErrUnavailable = errors.New("blob: store unavailable")

// Object describes one stored object.
type Object struct {
	// Ref is the object's reference, the value registered on the ledger.
	Ref string
	// SHA256 is the lowercase hex SHA-256 of the stored bytes.
	SHA256 string
	// Size is the number of stored bytes.
	Size int64
	// ModTime is when the object was stored.
	ModTime time.Time
	// Existed is set by Put: an object with the same bytes was already
	// stored before this Put published its copy. Stat and Walk leave it
	// false. A caller that must undo its Put (the SDK after a refused
	// registration) deletes the object only when Existed is false, since
	// another record may reference an object that existed.
	//
	// Existed describes the moment of publishing only: a second Put of the
	// same bytes that publishes after this one sees true, but this one
	// still says false, so two uploads of identical bytes racing each other
	// can both believe the object is theirs (see sdk.Documents.Upload).
	Existed bool
}

// Store is a content-addressed object store: Put stores a stream under a
// reference derived from the SHA-256 of its bytes, so storing the same bytes
// twice yields the same reference and one object.
//
// Implementations must be safe for concurrent use, must never expose a
// partly written object under its reference (a reader sees all of it or
// ErrNotFound), and must stream: memory use may not grow with object size.
type Store interface {
	// Put reads r to EOF, stores its bytes and returns the object, with
	// Existed telling whether the same bytes were stored already (checked
	// as close to publishing as the store allows). If r fails or ctx ends
	// before EOF, nothing is left stored.
	Put(ctx context.Context, r io.Reader) (Object, error)
	// Get opens the object named by ref for reading.
	Get(ctx context.Context, ref string) (io.ReadCloser, error)
	// Stat describes the object named by ref.
	Stat(ctx context.Context, ref string) (Object, error)
	// Delete removes the object named by ref. Deleting a missing object
	// returns an error wrapping ErrNotFound.
	Delete(ctx context.Context, ref string) error
	// Walk calls fn for every stored object, in no particular order, and
	// stops at the first error fn returns.
	Walk(ctx context.Context, fn func(Object) error) error
}
