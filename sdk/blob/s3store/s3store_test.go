package s3store_test

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/blobtest"
	"github.com/medledger/medledger/sdk/blob/s3store"
)

const bucket = "medledger-docs"

// newServer starts an S3-protocol server (gofakes3, in memory) on a
// loopback port with one bucket and returns its URL.
func newServer(t *testing.T) string {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

func staticCreds() *credentials.Credentials {
	return credentials.NewStaticV4("test-access-key", "test-secret-key", "")
}

// clearCredentialEnv makes sure no credentials of the machine running the
// tests leak in.
func clearCredentialEnv(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
}

// The suite runs with the smallest part size S3 allows, so its 5 MiB and
// 64 MiB objects go through multipart upload and the server-side copy, and
// with credentials from the environment as in production.
func TestConformance(t *testing.T) {
	url := newServer(t)
	clearCredentialEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "env-access-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret-key")
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		n++
		s, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket, Prefix: "suite-" + string(rune('a'+n)) + "/", PartSize: s3store.MinPartSize})
		require.NoError(t, err)
		return s
	})
}

func TestCredentialsFromMinioEnvironment(t *testing.T) {
	url := newServer(t)
	clearCredentialEnv(t)
	t.Setenv("MINIO_ROOT_USER", "minio-user")
	t.Setenv("MINIO_ROOT_PASSWORD", "minio-password")
	s, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket})
	require.NoError(t, err)
	require.NoError(t, s.CheckBucket(context.Background()))
}

func TestNoCredentialsIsAClearError(t *testing.T) {
	clearCredentialEnv(t)
	_, err := s3store.New(s3store.Config{Endpoint: "http://127.0.0.1:9", Bucket: bucket})
	require.ErrorContains(t, err, "no credentials: set AWS_ACCESS_KEY_ID")
}

func TestConfigIsChecked(t *testing.T) {
	tests := []struct {
		name string
		cfg  s3store.Config
		want string
	}{
		{"endpoint without scheme", s3store.Config{Endpoint: "127.0.0.1:9000", Bucket: bucket}, "want http(s)://host[:port]"},
		{"endpoint with path", s3store.Config{Endpoint: "http://127.0.0.1:9000/x", Bucket: bucket}, "want http(s)://host[:port]"},
		{"no bucket", s3store.Config{Endpoint: "http://127.0.0.1:9000"}, "bucket is empty"},
		{"absolute prefix", s3store.Config{Endpoint: "http://127.0.0.1:9000", Bucket: bucket, Prefix: "/a/"}, "must not start with /"},
		{"small parts", s3store.Config{Endpoint: "http://127.0.0.1:9000", Bucket: bucket, PartSize: 1 << 20}, "below S3's minimum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Credentials = staticCreds()
			_, err := s3store.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// listKeys lists every key in the bucket, temporary ones included.
func listKeys(t *testing.T, url string) []string {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(url, "http://"), &minio.Options{Creds: staticCreds()})
	require.NoError(t, err)
	var keys []string
	for o := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, o.Err)
		keys = append(keys, o.Key)
	}
	uploads, err := minio.Core{Client: c}.ListMultipartUploads(context.Background(), bucket, "", "", "", "", 1000)
	require.NoError(t, err)
	for _, u := range uploads.Uploads {
		keys = append(keys, "upload:"+u.Key)
	}
	return keys
}

func TestMultipartPutLeavesOnlyTheFinalKeyUnderThePrefix(t *testing.T) {
	url := newServer(t)
	s, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket, Prefix: "hospital-a/", PartSize: s3store.MinPartSize, Credentials: staticCreds()})
	require.NoError(t, err)

	obj, err := s.Put(context.Background(), blobtest.NewGenerator(2*s3store.MinPartSize+1, 1))
	require.NoError(t, err)
	require.Equal(t, []string{"hospital-a/sha256/" + obj.SHA256}, listKeys(t, url))
}

func TestFailedMultipartPutAbortsItsUpload(t *testing.T) {
	url := newServer(t)
	s, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket, PartSize: s3store.MinPartSize, Credentials: staticCreds()})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{r: blobtest.NewGenerator(3*s3store.MinPartSize, 2), n: s3store.MinPartSize + 10, cancel: cancel}
	_, err = s.Put(ctx, r)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, listKeys(t, url))
}

type cancelAfter struct {
	r      interface{ Read([]byte) (int, error) }
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	m, err := c.r.Read(p)
	c.n -= m
	if c.n <= 0 {
		c.cancel()
	}
	return m, err
}

func TestPrefixesSeparateStoresInOneBucket(t *testing.T) {
	url := newServer(t)
	a, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket, Prefix: "hospital-a/", Credentials: staticCreds()})
	require.NoError(t, err)
	b, err := s3store.New(s3store.Config{Endpoint: url, Bucket: bucket, Prefix: "hospital-b/", Credentials: staticCreds()})
	require.NoError(t, err)

	obj, err := a.Put(context.Background(), bytes.NewReader([]byte("only in a")))
	require.NoError(t, err)
	_, err = b.Stat(context.Background(), obj.Ref)
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.NoError(t, b.Walk(context.Background(), func(o blob.Object) error {
		t.Fatalf("store b lists %s of store a", o.Ref)
		return nil
	}))
}

func TestMissingBucketIsReported(t *testing.T) {
	url := newServer(t)
	s, err := s3store.New(s3store.Config{Endpoint: url, Bucket: "no-such-bucket", Credentials: staticCreds()})
	require.NoError(t, err)
	require.ErrorContains(t, s.CheckBucket(context.Background()), `bucket "no-such-bucket" does not exist`)
	_, err = s.Put(context.Background(), strings.NewReader("x"))
	require.ErrorContains(t, err, "bucket does not exist")
	require.NotErrorIs(t, err, blob.ErrUnavailable, "a missing bucket is a configuration error, a retry will not help")
}

func TestUnreachableServerIsErrUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there any more

	s, err := s3store.New(s3store.Config{Endpoint: "http://" + addr, Bucket: bucket, Credentials: staticCreds(), MaxRetries: 1})
	require.NoError(t, err)
	blobtest.Unavailable(t, s)
}
