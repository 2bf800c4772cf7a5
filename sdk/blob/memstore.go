package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// MemoryStore is a Store that keeps objects in memory, for tests and
// examples. It behaves like FileStore: the same references, the same errors,
// nothing stored when a Put fails; only durability differs (and it holds
// each object's bytes, so it is no place for large documents).
type MemoryStore struct {
	mu      sync.RWMutex
	objects map[string]memObject // by hex SHA-256
	now     func() time.Time
}

type memObject struct {
	data    []byte // never modified once stored
	modTime time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{objects: make(map[string]memObject), now: time.Now}
}

// Put implements Store.
func (s *MemoryStore) Put(ctx context.Context, r io.Reader) (Object, error) {
	var buf bytes.Buffer
	n, sum, err := copyHashing(ctx, &buf, r)
	if err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	ref := RefOf(sum)
	hexSum := ref[len(RefPrefix):]
	o := memObject{data: buf.Bytes(), modTime: s.now()}
	s.mu.Lock()
	_, existed := s.objects[hexSum]
	s.objects[hexSum] = o
	s.mu.Unlock()
	return Object{Ref: ref, SHA256: hexSum, Size: n, ModTime: o.modTime, Existed: existed}, nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	o, err := s.lookup(ctx, "get", ref)
	if err != nil {
		return nil, err
	}
	return &ctxReadCloser{ctx: ctx, r: bytes.NewReader(o.data), c: io.NopCloser(nil)}, nil
}

// Stat implements Store.
func (s *MemoryStore) Stat(ctx context.Context, ref string) (Object, error) {
	o, err := s.lookup(ctx, "stat", ref)
	if err != nil {
		return Object{}, err
	}
	return Object{Ref: ref, SHA256: ref[len(RefPrefix):], Size: int64(len(o.data)), ModTime: o.modTime}, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, ref string) error {
	sum, err := ParseRef(ref)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", ref, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[sum]; !ok {
		return fmt.Errorf("blob: delete %s: %w", ref, ErrNotFound)
	}
	delete(s.objects, sum)
	return nil
}

// Walk implements Store. fn runs without the store's lock held, so it may
// call the store (for example to delete what it is shown).
func (s *MemoryStore) Walk(ctx context.Context, fn func(Object) error) error {
	s.mu.RLock()
	objs := make([]Object, 0, len(s.objects))
	for sum, o := range s.objects {
		objs = append(objs, Object{Ref: RefPrefix + sum, SHA256: sum, Size: int64(len(o.data)), ModTime: o.modTime})
	}
	s.mu.RUnlock()
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (s *MemoryStore) lookup(ctx context.Context, op, ref string) (memObject, error) {
	sum, err := ParseRef(ref)
	if err != nil {
		return memObject{}, err
	}
	if err := ctx.Err(); err != nil {
		return memObject{}, fmt.Errorf("blob: %s %s: %w", op, ref, err)
	}
	s.mu.RLock()
	o, ok := s.objects[sum]
	s.mu.RUnlock()
	if !ok {
		return memObject{}, fmt.Errorf("blob: %s %s: %w", op, ref, ErrNotFound)
	}
	return o, nil
}
