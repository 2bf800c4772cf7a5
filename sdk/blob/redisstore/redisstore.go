// Package redisstore is a blob.Store on Redis (go-redis), for hospitals that
// already run Redis for documents that must be close at hand.
//
// An object is one Redis hash, "<prefix>obj:<hex sha256>": field "meta"
// holds its size, chunk size and time; fields "0", "1", ... hold its bytes
// in chunks, so an object's size is not limited by Redis' largest value
// (proto-max-bulk-len, 512 MB by default). Put writes the chunks into a
// temporary hash "<prefix>tmp:<random>" that expires unless a chunk arrives
// within an hour, writes "meta" last, and publishes the whole hash with
// RENAME and PERSIST in one MULTI/EXEC transaction: a reader finds either
// no "meta" (ErrNotFound) or a complete object. A crashed writer's
// temporary hash expires on its own.
//
// Reading checks "meta" again with every chunk (one HMGET), so an object
// deleted (or rewritten with another chunk size) while it is read fails the
// read with ErrChanged instead of mixing bytes.
//
// The store needs a standalone or Sentinel-managed Redis: RENAME between
// keys of different hash slots does not work on Redis Cluster.
package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/medledger/medledger/sdk/blob"
)

const (
	// DefaultChunkSize is the size of one stored chunk, and so the memory
	// a Put or a reader holds.
	DefaultChunkSize = 1 << 20
	minChunkSize     = 1 << 10
	maxChunkSize     = 64 << 20
	// tempTTL is how long a temporary hash outlives its last written
	// chunk: long enough for a slow client, short enough that a crashed
	// writer's bytes do not stay for good.
	tempTTL = time.Hour
	// cleanupTimeout bounds the clean-up after a failed Put, which runs
	// even when the caller's context has ended.
	cleanupTimeout = 30 * time.Second
	metaField      = "meta"
	scanCount      = 100
)

// Options tunes a Store; the zero value works.
type Options struct {
	// Prefix is prepended to every key, so several stores can share a
	// database (for example "medledger:hospital-a:").
	Prefix string
	// ChunkSize is the chunk size in bytes, from 1 KiB to 64 MiB; zero means
	// DefaultChunkSize. Stores with different chunk sizes can share objects:
	// each object records its own.
	ChunkSize int
}

// Store is a blob.Store in one Redis database under one key prefix.
type Store struct {
	rdb       *redis.Client
	prefix    string
	chunkSize int
}

var _ blob.Store = (*Store)(nil)

// New returns a Store that keeps its objects through rdb. The caller owns
// rdb (address, TLS, password, timeouts) and closes it.
func New(rdb *redis.Client, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: client is nil")
	}
	cs := opts.ChunkSize
	if cs == 0 {
		cs = DefaultChunkSize
	}
	if cs < minChunkSize || cs > maxChunkSize {
		return nil, fmt.Errorf("redisstore: chunk size %d is outside %d..%d", cs, minChunkSize, maxChunkSize)
	}
	return &Store{rdb: rdb, prefix: opts.Prefix, chunkSize: cs}, nil
}

// meta describes a stored object; it is written last and read first.
type meta struct {
	size      int64
	chunkSize int
	modTime   time.Time
}

func (m meta) String() string {
	return fmt.Sprintf("%d %d %d", m.size, m.chunkSize, m.modTime.UnixNano())
}

func parseMeta(s string) (meta, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return meta{}, fmt.Errorf("redisstore: malformed object metadata %q", s)
	}
	size, err1 := strconv.ParseInt(f[0], 10, 64)
	cs, err2 := strconv.Atoi(f[1])
	ns, err3 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || size < 0 || cs <= 0 {
		return meta{}, fmt.Errorf("redisstore: malformed object metadata %q", s)
	}
	return meta{size: size, chunkSize: cs, modTime: time.Unix(0, ns)}, nil
}

func (m meta) chunks() int64 { return (m.size + int64(m.chunkSize) - 1) / int64(m.chunkSize) }

func (s *Store) objKey(sum string) string { return s.prefix + "obj:" + sum }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, r io.Reader) (blob.Object, error) {
	tmp := s.prefix + "tmp:" + randomName()
	published := false
	defer func() {
		if !published {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			s.rdb.Del(cctx, tmp)
		}
	}()

	h := sha256.New()
	buf := make([]byte, s.chunkSize)
	var size int64
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return blob.Object{}, fmt.Errorf("redisstore: put: %w", err)
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			if _, perr := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, tmp, strconv.Itoa(i), buf[:n])
				p.Expire(ctx, tmp, tempTTL)
				return nil
			}); perr != nil {
				return blob.Object{}, s.wrap("put", tmp, perr)
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return blob.Object{}, fmt.Errorf("redisstore: put: read content: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Object{}, fmt.Errorf("redisstore: put: %w", err)
	}

	sum := hex.EncodeToString(h.Sum(nil))
	m := meta{size: size, chunkSize: s.chunkSize, modTime: time.Now()}
	key := s.objKey(sum)
	// Rewriting an object that exists replaces it with identical bytes and
	// renews its time, which the garbage collector's grace period relies on.
	// EXISTS runs inside the same MULTI/EXEC, so it sees the key exactly as
	// the RENAME found it: no other client's Put or Delete falls between.
	var existed *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, tmp, metaField, m.String())
		existed = p.Exists(ctx, key)
		p.Rename(ctx, tmp, key)
		p.Persist(ctx, key)
		return nil
	})
	if err != nil {
		return blob.Object{}, s.wrap("publish", blob.RefPrefix+sum, err)
	}
	published = true
	return blob.Object{Ref: blob.RefPrefix + sum, SHA256: sum, Size: size, ModTime: m.modTime, Existed: existed.Val() == 1}, nil
}

func (s *Store) stat(ctx context.Context, op, ref string) (string, meta, error) {
	sum, err := blob.ParseRef(ref)
	if err != nil {
		return "", meta{}, err
	}
	v, err := s.rdb.HGet(ctx, s.objKey(sum), metaField).Result()
	if err != nil {
		return "", meta{}, s.wrap(op, ref, err)
	}
	m, err := parseMeta(v)
	if err != nil {
		return "", meta{}, err
	}
	return sum, m, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, ref string) (blob.Object, error) {
	sum, m, err := s.stat(ctx, "stat", ref)
	if err != nil {
		return blob.Object{}, err
	}
	return blob.Object{Ref: ref, SHA256: sum, Size: m.size, ModTime: m.modTime}, nil
}

// Get implements blob.Store. The reader fetches one chunk at a time.
func (s *Store) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	sum, m, err := s.stat(ctx, "get", ref)
	if err != nil {
		return nil, err
	}
	return &reader{ctx: ctx, s: s, ref: ref, key: s.objKey(sum), meta: m}, nil
}

// ErrChanged is returned by a reader when its object was deleted or
// replaced while it was being read.
var ErrChanged = errors.New("redisstore: object deleted or replaced while being read")

type reader struct {
	ctx  context.Context
	s    *Store
	ref  string
	key  string
	meta meta
	next int64  // next chunk to fetch
	buf  []byte // unread part of the current chunk
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next >= r.meta.chunks() {
			return 0, io.EOF
		}
		vals, err := r.s.rdb.HMGet(r.ctx, r.key, metaField, strconv.FormatInt(r.next, 10)).Result()
		if err != nil {
			return 0, r.s.wrap("read", r.ref, err)
		}
		ms, _ := vals[0].(string)
		chunk, _ := vals[1].(string)
		// A concurrent Put of the same bytes republishes the object with a
		// new time but the same chunks, which is fine to read on; anything
		// else is not the object this reader started on.
		m, err := parseMeta(ms)
		if err != nil || m.size != r.meta.size || m.chunkSize != r.meta.chunkSize || chunk == "" {
			return 0, fmt.Errorf("redisstore: read %s chunk %d: %w", r.ref, r.next, ErrChanged)
		}
		want := int64(r.meta.chunkSize)
		if last := r.meta.size - r.next*want; last < want {
			want = last
		}
		if int64(len(chunk)) != want {
			return 0, fmt.Errorf("redisstore: read %s: chunk %d has %d bytes, want %d", r.ref, r.next, len(chunk), want)
		}
		r.buf = []byte(chunk)
		r.next++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *reader) Close() error { r.buf, r.next = nil, r.meta.chunks(); return nil }

// Delete implements blob.Store. UNLINK frees the memory in the background,
// so deleting a large object does not block Redis.
func (s *Store) Delete(ctx context.Context, ref string) error {
	sum, err := blob.ParseRef(ref)
	if err != nil {
		return err
	}
	n, err := s.rdb.Unlink(ctx, s.objKey(sum)).Result()
	if err != nil {
		return s.wrap("delete", ref, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: delete %s: %w", ref, blob.ErrNotFound)
	}
	return nil
}

// Walk implements blob.Store with SCAN, so it does not block Redis; an
// object stored or deleted during the walk may or may not be shown.
func (s *Store) Walk(ctx context.Context, fn func(blob.Object) error) error {
	match := globEscape(s.prefix+"obj:") + "*"
	var cursor uint64
	for {
		keys, next, err := s.rdb.ScanType(ctx, cursor, match, scanCount, "hash").Result()
		if err != nil {
			return s.wrap("walk", match, err)
		}
		for _, k := range keys {
			ref := blob.RefPrefix + strings.TrimPrefix(k, s.prefix+"obj:")
			o, err := s.Stat(ctx, ref)
			if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrInvalidRef) {
				continue // deleted since the scan, or not ours
			}
			if err != nil {
				return err
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// wrap says what failed and marks a missing object with blob.ErrNotFound
// and a connection failure with blob.ErrUnavailable.
func (s *Store) wrap(op, name string, err error) error {
	var rerr redis.Error
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("redisstore: %s %s: %w", op, name, blob.ErrNotFound)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("redisstore: %s %s: %w", op, name, err)
	case errors.As(err, &rerr) && !strings.HasPrefix(rerr.Error(), "LOADING") && !strings.HasPrefix(rerr.Error(), "BUSY"):
		return fmt.Errorf("redisstore: %s %s: %w", op, name, err)
	default:
		return fmt.Errorf("redisstore: %s %s: %w: %w", op, name, blob.ErrUnavailable, err)
	}
}

// globEscape quotes the characters SCAN MATCH treats as patterns.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
