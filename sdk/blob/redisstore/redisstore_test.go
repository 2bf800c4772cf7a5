package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/blobtest"
	"github.com/medledger/medledger/sdk/blob/redisstore"
)

// startRedis starts a real redis-server on a free loopback port, without
// persistence, with extra config lines, and returns a client for it. The
// server is stopped when the test ends.
func startRedis(t *testing.T, extra ...string) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install -y redis-server); skipping tests against a real Redis")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	dir := t.TempDir()
	conf := fmt.Sprintf("bind 127.0.0.1\nport %d\nsave \"\"\nappendonly no\ndir %s\nprotected-mode yes\n", port, dir)
	for _, line := range extra {
		conf += line + "\n"
	}
	confPath := filepath.Join(dir, "redis.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o600))
	logFile, err := os.Create(filepath.Join(dir, "redis.log"))
	require.NoError(t, err)
	cmd := exec.Command(bin, confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	for i := 0; ; i++ {
		if err := rdb.Ping(ctx).Err(); err == nil {
			break
		} else if i == 100 {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("redis-server did not answer on port %d: %v\n%s", port, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return rdb
}

func TestConformance(t *testing.T) {
	rdb := startRedis(t)
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		n++
		s, err := redisstore.New(rdb, redisstore.Options{Prefix: fmt.Sprintf("suite-%d:", n), ChunkSize: 256 << 10})
		require.NoError(t, err)
		return s
	})
}

// The server refuses values over 1 MB (its smallest proto-max-bulk-len);
// a 5 MiB object still goes in and comes back whole, in chunks.
func TestObjectLargerThanRedisValueLimit(t *testing.T) {
	rdb := startRedis(t, "proto-max-bulk-len 1mb")
	ctx := context.Background()
	big := make([]byte, 2<<20)
	require.Error(t, rdb.Set(ctx, "too-big", big, 0).Err(), "the server must refuse a 2 MiB value for this test to mean anything")

	s, err := redisstore.New(rdb, redisstore.Options{ChunkSize: 512 << 10})
	require.NoError(t, err)
	data, err := io.ReadAll(blobtest.NewGenerator(5<<20+3, 9))
	require.NoError(t, err)
	obj, err := s.Put(ctx, bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), obj.Size)
	n, err := rdb.HLen(ctx, "obj:"+obj.SHA256).Result()
	require.NoError(t, err)
	require.Equal(t, int64(11+1), n, "10 full chunks, one short chunk and the metadata")

	rc, err := s.Get(ctx, obj.Ref)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, data, got)
}

// While a Put runs its chunks sit under a temporary key that expires on
// its own (so a crashed writer leaves nothing for good) and no object is
// visible; after a failed Put the temporary key is gone at once.
func TestUnfinishedPutIsInvisibleAndExpires(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	s, err := redisstore.New(rdb, redisstore.Options{Prefix: "h:", ChunkSize: 4 << 10})
	require.NoError(t, err)

	var seenTemp []string
	var seenTTL time.Duration
	r := &probeReader{r: blobtest.NewGenerator(64<<10, 5), after: 20 << 10, probe: func() error {
		keys, err := rdb.Keys(ctx, "h:*").Result()
		if err != nil {
			return err
		}
		seenTemp = keys
		if len(keys) == 1 {
			seenTTL, err = rdb.TTL(ctx, keys[0]).Result()
		}
		return err
	}}
	_, err = s.Put(ctx, r)
	require.ErrorContains(t, err, "probe done")

	require.Len(t, seenTemp, 1)
	require.Regexp(t, `^h:tmp:[0-9a-f]{32}$`, seenTemp[0])
	require.Greater(t, seenTTL, 50*time.Minute)
	keys, err := rdb.Keys(ctx, "h:*").Result()
	require.NoError(t, err)
	require.Empty(t, keys)
}

// probeReader calls probe once after `after` bytes, then fails.
type probeReader struct {
	r     io.Reader
	after int
	probe func() error
}

func (p *probeReader) Read(b []byte) (int, error) {
	if p.after <= 0 {
		if err := p.probe(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("probe done")
	}
	if len(b) > p.after {
		b = b[:p.after]
	}
	n, err := p.r.Read(b)
	p.after -= n
	return n, err
}

func TestObjectDeletedWhileReadFailsTheRead(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	s, err := redisstore.New(rdb, redisstore.Options{ChunkSize: 1 << 10})
	require.NoError(t, err)
	obj, err := s.Put(ctx, blobtest.NewGenerator(10<<10, 1))
	require.NoError(t, err)

	rc, err := s.Get(ctx, obj.Ref)
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 1<<10))
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, obj.Ref))
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, redisstore.ErrChanged)
}

func TestPrefixWithGlobCharactersWalksOnlyItsOwnObjects(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	a, err := redisstore.New(rdb, redisstore.Options{Prefix: "h[a]*:"})
	require.NoError(t, err)
	b, err := redisstore.New(rdb, redisstore.Options{Prefix: "ha:"})
	require.NoError(t, err)
	_, err = b.Put(ctx, bytes.NewReader([]byte("b's object")))
	require.NoError(t, err)
	require.NoError(t, a.Walk(ctx, func(o blob.Object) error {
		t.Fatalf("store a lists %s of store b", o.Ref)
		return nil
	}))
}

func TestOptionsAreChecked(t *testing.T) {
	_, err := redisstore.New(nil, redisstore.Options{})
	require.ErrorContains(t, err, "client is nil")
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	_, err = redisstore.New(rdb, redisstore.Options{ChunkSize: 100})
	require.ErrorContains(t, err, "chunk size 100 is outside")
}

func TestUnreachableServerIsErrUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	s, err := redisstore.New(rdb, redisstore.Options{})
	require.NoError(t, err)
	blobtest.Unavailable(t, s)
}
