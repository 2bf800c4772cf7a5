// Package s3store is a blob.Store on an S3-compatible object store (AWS S3,
// MinIO, Ceph RGW, ...), through the minio-go client.
//
// Objects live under "<prefix>sha256/<hex>". The content address is known
// only once the bytes have streamed, so a Put of more than one part uploads
// to "<prefix>tmp/<random>" with a multipart upload, then copies the
// completed object server-side to its final key and deletes the temporary
// one. S3 makes each PUT and copy visible all at once, so a reader never
// sees a partly written object under its reference. A Put that fails aborts
// its multipart upload and deletes its temporary object; what a crash leaves
// under "tmp/" is never listed and is best expired by a bucket lifecycle rule
// on that prefix.
package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/medledger/medledger/sdk/blob"
)

const (
	// DefaultPartSize is the multipart part size, and so the memory one Put
	// holds: one part buffer. With S3's 10,000 parts it allows objects up
	// to 160 GiB.
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's smallest part size (except the last part).
	MinPartSize = 5 << 20
	maxParts    = 10000
	maxCopySize = 5 << 30

	objectsDir = "sha256/"
	tempDir    = "tmp/"
	// cleanupTimeout bounds the clean-up after a failed Put, which runs
	// even when the caller's context has ended.
	cleanupTimeout = time.Minute
)

// Config says where the store is and how to reach it.
type Config struct {
	// Endpoint is the server's URL: "https://s3.eu-central-1.amazonaws.com",
	// "http://127.0.0.1:9000". Plain HTTP only makes sense on loopback or
	// behind a TLS-terminating proxy the hospital controls.
	Endpoint string
	// Region defaults to $AWS_REGION, then "us-east-1".
	Region string
	// Bucket must exist.
	Bucket string
	// Prefix is prepended to every key, so several stores (hospitals,
	// environments) can share a bucket; end it with "/" to get a folder.
	Prefix string
	// PartSize is the multipart part size, at least MinPartSize; zero
	// means DefaultPartSize.
	PartSize int64
	// Credentials default to the environment: AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), then MINIO_ROOT_USER and
	// MINIO_ROOT_PASSWORD (or MINIO_ACCESS_KEY and MINIO_SECRET_KEY), then the
	// AWS shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, $AWS_PROFILE).
	Credentials *credentials.Credentials
	// Transport overrides the HTTP transport, for example to trust a
	// private CA.
	Transport http.RoundTripper
	// MaxRetries bounds the client's retries of a failed request; zero
	// means minio-go's default (10).
	MaxRetries int
}

// Store is a blob.Store in one bucket under one prefix.
type Store struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	prefix   string
	partSize int64
	secure   bool
}

var _ blob.Store = (*Store)(nil)

// New checks cfg and returns a Store. It does not contact the server; the
// first call does (see CheckBucket).
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("s3store: endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3store: bucket is empty")
	}
	if strings.HasPrefix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("s3store: prefix %q must not start with /", cfg.Prefix)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize {
		return nil, fmt.Errorf("s3store: part size %d is below S3's minimum of %d", partSize, MinPartSize)
	}
	creds := cfg.Credentials
	if creds == nil {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
		})
		v, _ := creds.Get()
		if v.AccessKeyID == "" {
			return nil, errors.New("s3store: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER and MINIO_ROOT_PASSWORD), or pass Config.Credentials")
		}
	}
	region := cfg.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:      creds,
		Secure:     u.Scheme == "https",
		Region:     region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	return &Store{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: cfg.Prefix, partSize: partSize, secure: u.Scheme == "https"}, nil
}

// CheckBucket reports whether the bucket is reachable and exists, so a
// misconfiguration shows at start-up rather than at the first upload.
func (s *Store) CheckBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.wrap("check bucket", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3store: bucket %q does not exist", s.bucket)
	}
	return nil
}

func (s *Store) key(sum string) string { return s.prefix + objectsDir + sum }

// Put implements blob.Store. It holds one part in memory whatever the size.
func (s *Store) Put(ctx context.Context, r io.Reader) (blob.Object, error) {
	h := sha256.New()
	buf := make([]byte, s.partSize)
	n, eof, err := readPart(ctx, r, buf, h)
	if err != nil {
		return blob.Object{}, err
	}
	if eof {
		// One part: the hash is known before anything is sent, so a plain
		// PUT to the final key is already atomic.
		if err := ctx.Err(); err != nil {
			return blob.Object{}, fmt.Errorf("s3store: put: %w", err)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		existed, err := s.exists(ctx, sum)
		if err != nil {
			return blob.Object{}, err
		}
		// The request is signed over the content's SHA-256, which the
		// server checks against the body it receives.
		opts := minio.PutObjectOptions{DisableContentSha256: true}
		if _, err := s.core.PutObject(ctx, s.bucket, s.key(sum), bytes.NewReader(buf[:n]), int64(n), "", sum, opts); err != nil {
			return blob.Object{}, s.wrap("put", blob.RefPrefix+sum, err)
		}
		return s.published(ctx, sum, existed)
	}
	return s.putMultipart(ctx, r, h, buf, n)
}

func (s *Store) putMultipart(ctx context.Context, r io.Reader, h hash.Hash, buf []byte, n int) (blob.Object, error) {
	tmp := s.prefix + tempDir + randomName()
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, tmp, minio.PutObjectOptions{})
	if err != nil {
		return blob.Object{}, s.wrap("start upload", tmp, err)
	}
	completed := false
	defer func() {
		if !completed {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_ = s.core.AbortMultipartUpload(cctx, s.bucket, tmp, uploadID)
		}
	}()

	var parts []minio.CompletePart
	size := int64(0)
	for eof := false; ; {
		if len(parts) == maxParts {
			return blob.Object{}, fmt.Errorf("s3store: put: object exceeds %d parts of %d bytes; raise Config.PartSize", maxParts, s.partSize)
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, tmp, uploadID, len(parts)+1, bytes.NewReader(buf[:n]), int64(n), s.partOptions(buf[:n]))
		if err != nil {
			return blob.Object{}, s.wrap("upload part", tmp, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
		size += int64(n)
		if eof {
			break
		}
		if n, eof, err = readPart(ctx, r, buf, h); err != nil {
			return blob.Object{}, err
		}
		if n == 0 {
			break // the stream ended exactly at a part boundary
		}
	}
	// The last chance to give up before anything becomes visible.
	if err := ctx.Err(); err != nil {
		return blob.Object{}, fmt.Errorf("s3store: put: %w", err)
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, tmp, uploadID, parts, minio.PutObjectOptions{}); err != nil {
		return blob.Object{}, s.wrap("complete upload", tmp, err)
	}
	completed = true
	defer s.removeQuietly(ctx, tmp)

	sum := hex.EncodeToString(h.Sum(nil))
	existed, err := s.exists(ctx, sum)
	if err != nil {
		return blob.Object{}, err
	}
	// One server-side copy up to S3's 5 GiB copy limit, a multipart copy
	// above it. The copy also renews the object's modification time, which
	// the garbage collector's grace period relies on.
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(sum)}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
	if size <= maxCopySize {
		_, err = s.client.CopyObject(ctx, dst, src)
	} else {
		_, err = s.client.ComposeObject(ctx, dst, src)
	}
	if err != nil {
		return blob.Object{}, s.wrap("publish", blob.RefPrefix+sum, err)
	}
	return s.published(ctx, sum, existed)
}

// exists asks, just before the final PUT or copy, whether the object is
// stored already (blob.Object.Existed). S3 has no conditional publish that
// also refreshes the modification time, so this is a separate HEAD: a Put
// of the same bytes by another client between the two is not seen. A Put
// that cannot tell stores nothing, since its caller could otherwise delete
// another record's content.
func (s *Store) exists(ctx context.Context, sum string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	werr := s.wrap("check", blob.RefPrefix+sum, err)
	if errors.Is(werr, blob.ErrNotFound) {
		return false, nil
	}
	return false, werr
}

// published describes the object a Put just published.
func (s *Store) published(ctx context.Context, sum string, existed bool) (blob.Object, error) {
	obj, err := s.Stat(ctx, blob.RefPrefix+sum)
	obj.Existed = existed
	return obj, err
}

// partOptions signs a part over its SHA-256 on plain HTTP, where nothing
// else protects it in transit; over TLS the part goes with an unsigned
// payload, as minio-go does by default. Either way the body is sent with a
// plain Content-Length instead of minio-go's aws-chunked streaming
// signature, which not every S3-compatible server decodes for parts.
func (s *Store) partOptions(part []byte) minio.PutObjectPartOptions {
	opts := minio.PutObjectPartOptions{DisableContentSha256: true}
	if !s.secure {
		sum := sha256.Sum256(part)
		opts.Sha256Hex = hex.EncodeToString(sum[:])
	}
	return opts
}

func (s *Store) removeQuietly(ctx context.Context, key string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.client.RemoveObject(cctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// readPart fills buf from r (hashing what it reads) and reports whether r
// ended.
func readPart(ctx context.Context, r io.Reader, buf []byte, h hash.Hash) (int, bool, error) {
	n := 0
	for n < len(buf) {
		if err := ctx.Err(); err != nil {
			return 0, false, fmt.Errorf("s3store: put: %w", err)
		}
		m, err := r.Read(buf[n:])
		h.Write(buf[n : n+m])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("s3store: put: read content: %w", err)
		}
	}
	return n, false, nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	sum, err := blob.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	rc, _, _, err := s.core.GetObject(ctx, s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", ref, err)
	}
	return rc, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, ref string) (blob.Object, error) {
	sum, err := blob.ParseRef(ref)
	if err != nil {
		return blob.Object{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if err != nil {
		return blob.Object{}, s.wrap("stat", ref, err)
	}
	return blob.Object{Ref: ref, SHA256: sum, Size: info.Size, ModTime: info.LastModified}, nil
}

// Delete implements blob.Store. S3 deletes are idempotent, so it asks first
// whether the object exists to report ErrNotFound.
func (s *Store) Delete(ctx context.Context, ref string) error {
	sum, err := blob.ParseRef(ref)
	if err != nil {
		return err
	}
	if _, err := s.Stat(ctx, ref); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{}); err != nil {
		return s.wrap("delete", ref, err)
	}
	return nil
}

// Walk implements blob.Store. Temporary objects are not listed.
func (s *Store) Walk(ctx context.Context, fn func(blob.Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	dir := s.prefix + objectsDir
	for info := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if info.Err != nil {
			return s.wrap("walk", dir, info.Err)
		}
		ref := blob.RefPrefix + strings.TrimPrefix(info.Key, dir)
		sum, err := blob.ParseRef(ref)
		if err != nil {
			continue // not ours
		}
		if err := fn(blob.Object{Ref: ref, SHA256: sum, Size: info.Size, ModTime: info.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// wrap turns a client error into one that says what failed and carries
// blob.ErrNotFound for a missing object or blob.ErrUnavailable when the
// server could not be reached or is overloaded.
func (s *Store) wrap(op, name string, err error) error {
	var resp minio.ErrorResponse
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("s3store: %s %s: %w", op, name, err)
	case errors.As(err, &resp) && (resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket")):
		return fmt.Errorf("s3store: %s %s: %w", op, name, blob.ErrNotFound)
	case errors.As(err, &resp) && resp.StatusCode != 0 && resp.StatusCode < 500:
		return fmt.Errorf("s3store: %s %s in bucket %s: %w", op, name, s.bucket, err)
	default:
		return fmt.Errorf("s3store: %s %s: %w: %w", op, name, blob.ErrUnavailable, err)
	}
}

func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
