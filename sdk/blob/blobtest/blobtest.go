// Package blobtest is the conformance suite every blob.Store adapter must
// pass: a new adapter proves itself by calling Run from its own tests.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/sdk/blob"
)

// LargeSize is the size of the object the large-object test streams through
// the store. The test generates the bytes as it goes and never holds them.
const LargeSize = 64 << 20

// Run runs the conformance suite against stores made by newStore. Every
// subtest gets a fresh, empty store. With -short the large-object test is
// skipped.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutThenGetStatDelete", testPutGetStatDelete},
		{"EmptyObject", testEmptyObject},
		{"SameBytesSameRefOneObject", testSameBytesSameRef},
		{"PutReportsWhetherTheBytesExisted", testPutReportsExisted},
		{"MissingObjectIsErrNotFound", testMissingObject},
		{"InvalidRefIsRefused", testInvalidRef},
		{"ConcurrentWritersOfSameContent", testConcurrentWriters},
		{"ReaderErrorMidwayStoresNothing", testReaderErrorStoresNothing},
		{"CancelledContextMidwayStoresNothing", testCancelStoresNothing},
		{"LargeObjectStreams", testLargeObject},
		{"WalkListsEveryObject", testWalk},
		{"WalkStopsAtCallbackError", testWalkStops},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func refOf(b []byte) string {
	sum := sha256.Sum256(b)
	return blob.RefOf(sum[:])
}

func readAll(t *testing.T, s blob.Store, ref string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), ref)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func testPutGetStatDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := []byte("discharge letter, version 1")
	before := time.Now().Add(-time.Minute)

	obj, err := s.Put(ctx, bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, refOf(data), obj.Ref)
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), obj.SHA256)
	require.Equal(t, int64(len(data)), obj.Size)
	require.True(t, obj.ModTime.After(before), "ModTime %v is not recent", obj.ModTime)

	require.Equal(t, data, readAll(t, s, obj.Ref))

	st, err := s.Stat(ctx, obj.Ref)
	require.NoError(t, err)
	require.Equal(t, obj.Ref, st.Ref)
	require.Equal(t, obj.SHA256, st.SHA256)
	require.Equal(t, obj.Size, st.Size)
	require.WithinDuration(t, obj.ModTime, st.ModTime, 2*time.Second)

	require.NoError(t, s.Delete(ctx, obj.Ref))
	_, err = s.Get(ctx, obj.Ref)
	require.ErrorIs(t, err, blob.ErrNotFound)
	_, err = s.Stat(ctx, obj.Ref)
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, obj.Ref), blob.ErrNotFound)
}

func testEmptyObject(t *testing.T, s blob.Store) {
	ctx := context.Background()
	obj, err := s.Put(ctx, bytes.NewReader(nil))
	require.NoError(t, err)
	require.Equal(t, refOf(nil), obj.Ref)
	require.Zero(t, obj.Size)
	require.Empty(t, readAll(t, s, obj.Ref))
	st, err := s.Stat(ctx, obj.Ref)
	require.NoError(t, err)
	require.Zero(t, st.Size)
}

func testSameBytesSameRef(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := []byte("lab result")
	a, err := s.Put(ctx, bytes.NewReader(data))
	require.NoError(t, err)
	b, err := s.Put(ctx, bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, a.Ref, b.Ref)
	require.Equal(t, []string{a.Ref}, walkRefs(t, s))
}

// testPutReportsExisted holds the contract the SDK's clean-up relies on: a
// Put says whether the same bytes were stored before it, so a caller undoing
// its upload never deletes an object someone else stored; Stat and Walk
// never claim it.
func testPutReportsExisted(t *testing.T, s blob.Store) {
	ctx := context.Background()
	cases := []struct {
		name string
		data []byte
	}{
		{"small", []byte("radiology report")},
		{"multipart", generate(6<<20+5, 9)}, // over S3's part minimum: the copy path
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first, err := s.Put(ctx, bytes.NewReader(tc.data))
			require.NoError(t, err)
			require.False(t, first.Existed, "the first Put of new bytes")

			other, err := s.Put(ctx, bytes.NewReader(append(bytes.Clone(tc.data), '!')))
			require.NoError(t, err)
			require.False(t, other.Existed, "different bytes are new too")

			second, err := s.Put(ctx, bytes.NewReader(tc.data))
			require.NoError(t, err)
			require.True(t, second.Existed, "a second Put of the same bytes")
			require.Equal(t, first.Ref, second.Ref)
			require.Equal(t, first.Size, second.Size)

			st, err := s.Stat(ctx, first.Ref)
			require.NoError(t, err)
			require.False(t, st.Existed, "Stat leaves Existed false")
			require.NoError(t, s.Walk(ctx, func(o blob.Object) error {
				require.False(t, o.Existed, "Walk leaves Existed false")
				return nil
			}))

			require.NoError(t, s.Delete(ctx, first.Ref))
			again, err := s.Put(ctx, bytes.NewReader(tc.data))
			require.NoError(t, err)
			require.False(t, again.Existed, "after Delete the bytes are new again")
			require.Equal(t, tc.data, readAll(t, s, again.Ref))
		})
	}
}

func testMissingObject(t *testing.T, s blob.Store) {
	ctx := context.Background()
	ref := refOf([]byte("never stored"))
	_, err := s.Get(ctx, ref)
	require.ErrorIs(t, err, blob.ErrNotFound)
	_, err = s.Stat(ctx, ref)
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, ref), blob.ErrNotFound)
}

func testInvalidRef(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, ref := range []string{
		"",
		"../../etc/passwd",
		"sha256:" + string(bytes.Repeat([]byte("A"), 64)), // upper case
		"sha256:abc",
		hex.EncodeToString(make([]byte, 32)), // no prefix
	} {
		_, err := s.Get(ctx, ref)
		require.ErrorIs(t, err, blob.ErrInvalidRef, "Get(%q)", ref)
		_, err = s.Stat(ctx, ref)
		require.ErrorIs(t, err, blob.ErrInvalidRef, "Stat(%q)", ref)
		require.ErrorIs(t, s.Delete(ctx, ref), blob.ErrInvalidRef, "Delete(%q)", ref)
	}
}

// testConcurrentWriters stores the same bytes from several goroutines while
// others read: every writer gets the same reference, every read sees either
// nothing or all of the bytes, and one object remains.
func testConcurrentWriters(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := generate(6<<20+17, 7) // over S3's 5 MiB part minimum: multipart writers race too
	ref := refOf(data)
	const writers, readers = 6, 2

	var wg sync.WaitGroup
	refs := make([]string, writers)
	errs := make([]error, writers+readers)
	stop := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			obj, err := s.Put(ctx, bytes.NewReader(data))
			refs[i], errs[i] = obj.Ref, err
		})
	}
	var rg sync.WaitGroup
	for i := range readers {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rc, err := s.Get(ctx, ref)
				if errors.Is(err, blob.ErrNotFound) {
					continue
				}
				if err != nil {
					errs[writers+i] = err
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					errs[writers+i] = err
					return
				}
				if !bytes.Equal(got, data) {
					errs[writers+i] = errors.New("a reader saw a partly written object")
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	for _, r := range refs {
		require.Equal(t, ref, r)
	}
	require.Equal(t, data, readAll(t, s, ref))
	require.Equal(t, []string{ref}, walkRefs(t, s))
}

var errReader = errors.New("blobtest: reader broke")

// failingReader yields n generated bytes, then fails with errReader (or
// calls cancel and keeps going, when cancel is set).
type failingReader struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.cancel != nil {
			f.cancel()
			return f.r.Read(p)
		}
		return 0, errReader
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	m, err := f.r.Read(p)
	f.n -= int64(m)
	return m, err
}

func testReaderErrorStoresNothing(t *testing.T, s blob.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, &failingReader{r: NewGenerator(8<<20, 3), n: 5 << 20})
	require.ErrorIs(t, err, errReader)
	require.Empty(t, walkRefs(t, s))
	_, err = s.Stat(ctx, refOf(generate(5<<20, 3)))
	require.ErrorIs(t, err, blob.ErrNotFound)
}

func testCancelStoresNothing(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Put(ctx, &failingReader{r: NewGenerator(8<<20, 4), n: 5 << 20, cancel: cancel})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, walkRefs(t, s))
	_, err = s.Stat(context.Background(), refOf(generate(8<<20, 4)))
	require.ErrorIs(t, err, blob.ErrNotFound)
}

func testLargeObject(t *testing.T, s blob.Store) {
	if testing.Short() {
		t.Skip("large object skipped with -short")
	}
	ctx := context.Background()
	want := sha256.New()
	obj, err := s.Put(ctx, io.TeeReader(NewGenerator(LargeSize, 11), want))
	require.NoError(t, err)
	require.Equal(t, blob.RefOf(want.Sum(nil)), obj.Ref)
	require.Equal(t, int64(LargeSize), obj.Size)

	st, err := s.Stat(ctx, obj.Ref)
	require.NoError(t, err)
	require.Equal(t, int64(LargeSize), st.Size)

	rc, err := s.Get(ctx, obj.Ref)
	require.NoError(t, err)
	defer rc.Close()
	got := sha256.New()
	n, err := io.Copy(got, rc)
	require.NoError(t, err)
	require.Equal(t, int64(LargeSize), n)
	require.Equal(t, want.Sum(nil), got.Sum(nil))
}

func testWalk(t *testing.T, s blob.Store) {
	ctx := context.Background()
	want := map[string]int64{}
	for i, size := range []int{0, 1, 1000, 70000} {
		data := generate(size, uint64(20+i))
		obj, err := s.Put(ctx, bytes.NewReader(data))
		require.NoError(t, err)
		want[obj.Ref] = int64(size)
	}
	got := map[string]int64{}
	require.NoError(t, s.Walk(ctx, func(o blob.Object) error {
		require.NotContains(t, got, o.Ref, "Walk showed an object twice")
		h, err := blob.ParseRef(o.Ref)
		require.NoError(t, err)
		require.Equal(t, h, o.SHA256)
		require.False(t, o.ModTime.IsZero())
		got[o.Ref] = o.Size
		return nil
	}))
	require.Equal(t, want, got)
}

func testWalkStops(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for i := range 3 {
		_, err := s.Put(ctx, bytes.NewReader([]byte{byte(i)}))
		require.NoError(t, err)
	}
	stop := errors.New("enough")
	calls := 0
	err := s.Walk(ctx, func(blob.Object) error {
		calls++
		return stop
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, calls)
}

func walkRefs(t *testing.T, s blob.Store) []string {
	t.Helper()
	refs := []string{}
	require.NoError(t, s.Walk(context.Background(), func(o blob.Object) error {
		refs = append(refs, o.Ref)
		return nil
	}))
	return refs
}

// NewGenerator returns a reader of size pseudo-random bytes from seed; the
// same seed gives the same bytes, and nothing is held in memory. Adapters'
// tests and benchmarks use it for content that must not compress or repeat.
func NewGenerator(size int64, seed uint64) io.Reader {
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

func generate(size int, seed uint64) []byte {
	b, _ := io.ReadAll(NewGenerator(int64(size), seed)) // the generator never fails
	return b
}

// Unavailable checks a store whose server does not answer: every call
// fails with blob.ErrUnavailable (never blob.ErrNotFound, which would make
// a caller believe an object is gone). An adapter for a networked store
// calls it with a store pointed at an address nothing listens on.
func Unavailable(t *testing.T, s blob.Store) {
	t.Helper()
	ctx := context.Background()
	ref := blob.RefOf(make([]byte, 32))
	_, err := s.Stat(ctx, ref)
	require.ErrorIs(t, err, blob.ErrUnavailable)
	require.NotErrorIs(t, err, blob.ErrNotFound)
	_, err = s.Get(ctx, ref)
	require.ErrorIs(t, err, blob.ErrUnavailable)
	require.ErrorIs(t, s.Delete(ctx, ref), blob.ErrUnavailable)
	_, err = s.Put(ctx, bytes.NewReader([]byte("x")))
	require.ErrorIs(t, err, blob.ErrUnavailable)
	require.ErrorIs(t, s.Walk(ctx, func(blob.Object) error { return nil }), blob.ErrUnavailable)
}
