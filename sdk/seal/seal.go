// Package seal encrypts document contents at rest: it implements
// blob.Sealer with Tink's streaming AEAD (AES-256-GCM-HKDF, 1 MiB segments),
// a fresh data key for every stored object, and that key wrapped by a
// key-encryption key (KEK) from a KeyProvider. It also keeps wrapped keys
// (blob.KeyStore) apart from the blobs, so deleting a key shreds every copy
// of its blob.
//
// The package does not build ciphers of its own: segments, nonces, key
// derivation and authentication are Tink's. What it adds is bookkeeping that
// lets a failure say what went wrong (see the Err variables): a hash of the
// associated data inside the wrapped key, the KEK's name next to it, and a
// 16-byte trailer after the ciphertext recording the ciphertext's length.
// None of that is trusted for security: every plaintext byte is
// authenticated by Tink, and a trailer that lies only changes which error a
// failed read reports.
//
// Memory is constant: a Seal or Open stream holds about two segments
// whatever the object's size.
package seal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"

	"github.com/medledger/medledger/sdk/blob"
)

// The ways opening a sealed object can fail, each its own sentinel error so
// callers can act on it with errors.Is. None of them ever comes with
// plaintext that is not authentic.
var (
	// ErrTruncated: the sealed stream ends before its end (bytes missing at
	// the end or in the middle).
	ErrTruncated = errors.New("seal: sealed object is truncated")
	// ErrTampered: the sealed bytes fail authentication: a byte changed,
	// segments reordered or swapped in from another object, or bytes added.
	// AES-GCM cannot tell these apart; the message names the segment.
	ErrTampered = errors.New("seal: sealed object fails authentication (changed, reordered or foreign bytes)")
	// ErrAssociatedData: Open got other associated data than Seal.
	ErrAssociatedData = errors.New("seal: associated data differs from the data the object was sealed with")
	// ErrMissingKey: there is no wrapped data key for the object (never
	// stored, or erased: the object is crypto-shredded).
	ErrMissingKey = errors.New("seal: wrapped data key is missing")
	// ErrWrongKEK: the data key was wrapped by another key-encryption key
	// than the KeyProvider holds.
	ErrWrongKEK = errors.New("seal: data key was wrapped by another key-encryption key")
	// ErrBadWrappedKey: the wrapped key is damaged or not a wrapped key.
	ErrBadWrappedKey = errors.New("seal: wrapped data key is damaged")
	// ErrKEKFailed: the wrapped key is intact and names the provider's KEK,
	// but the KEK did not unwrap it: the key service did not answer (the
	// cause is wrapped too), or the KEK's material was replaced under the
	// same name.
	ErrKEKFailed = errors.New("seal: key-encryption key failed to unwrap the data key")
)

const (
	// trailerMagic starts the trailer that follows the Tink ciphertext.
	trailerMagic = "MLSEAL\x00\x01"
	trailerLen   = len(trailerMagic) + 8
	// plainChunk is how much plaintext a Seal stream reads at a time.
	plainChunk = 256 << 10
	// segmentSize is the ciphertext segment size of the key template.
	segmentSize = 1 << 20
)

// Sealer implements blob.Sealer. It is safe for concurrent use.
type Sealer struct {
	keys KeyProvider
}

var _ blob.Sealer = (*Sealer)(nil)

// New returns a Sealer whose data keys are wrapped by keys's KEK.
func New(keys KeyProvider) (*Sealer, error) {
	if keys == nil {
		return nil, errors.New("seal: key provider is nil")
	}
	return &Sealer{keys: keys}, nil
}

// Seal implements blob.Sealer: it makes a fresh AES-256-GCM-HKDF streaming
// keyset for this one object, wraps it with the KEK (binding a hash of
// associatedData to it) and returns a stream that encrypts plaintext as it
// is read. Reading the stream fails once ctx ends.
func (s *Sealer) Seal(ctx context.Context, plaintext io.Reader, associatedData []byte) (io.Reader, []byte, error) {
	if plaintext == nil {
		return nil, nil, errors.New("seal: plaintext reader is nil")
	}
	kek, err := s.keys.KEK(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: get key-encryption key: %w", err)
	}
	handle, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		return nil, nil, fmt.Errorf("seal: new data key: %w", err)
	}
	wrapped, err := wrapKey(kek, handle, associatedData)
	if err != nil {
		return nil, nil, err
	}
	sa, err := streamingaead.New(handle)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: data key primitive: %w", err)
	}
	r := &sealReader{ctx: ctx, src: plaintext, buf: make([]byte, plainChunk)}
	// Tink hands over one segment at a time; room for one up front spares
	// the buffer its doubling.
	r.out.Grow(segmentSize + trailerLen)
	r.enc, err = sa.NewEncryptingWriter(&r.out, associatedData)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: start encryption: %w", err)
	}
	return r, wrapped, nil
}

// countingBuffer is the Tink writer's output: what the sealed stream hands
// out next, and how many ciphertext bytes there were in all.
type countingBuffer struct {
	bytes.Buffer
	total uint64
}

func (b *countingBuffer) Write(p []byte) (int, error) {
	b.total += uint64(len(p))
	return b.Buffer.Write(p)
}

// sealReader encrypts on demand: each Read that finds no ciphertext ready
// reads a chunk of plaintext and feeds it to Tink's encrypting writer,
// which emits a segment whenever one is full. No goroutine, so a caller that
// stops reading leaks nothing.
type sealReader struct {
	ctx  context.Context
	src  io.Reader
	enc  io.WriteCloser
	buf  []byte
	out  countingBuffer
	done bool
	err  error
}

func (r *sealReader) Read(p []byte) (int, error) {
	for r.out.Len() == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("seal: %w", err)
			return 0, r.err
		}
		n, err := r.src.Read(r.buf)
		if n > 0 {
			if _, werr := r.enc.Write(r.buf[:n]); werr != nil {
				r.err = fmt.Errorf("seal: encrypt: %w", werr)
				return 0, r.err
			}
		}
		if err == io.EOF {
			if cerr := r.enc.Close(); cerr != nil {
				r.err = fmt.Errorf("seal: encrypt last segment: %w", cerr)
				return 0, r.err
			}
			var t [trailerLen]byte
			copy(t[:], trailerMagic)
			binary.BigEndian.PutUint64(t[len(trailerMagic):], r.out.total)
			r.out.Buffer.Write(t[:])
			r.done = true
		} else if err != nil {
			r.err = fmt.Errorf("seal: read plaintext: %w", err)
			return 0, r.err
		}
	}
	return r.out.Read(p)
}

// Open implements blob.Sealer. It checks the wrapped key and the associated
// data before it reads anything, then returns a stream that decrypts and
// authenticates sealed segment by segment. The stream ends with io.EOF only
// when the whole object was authentic; otherwise it fails with one of the
// Err variables (or with the error of sealed itself, for example
// blob.ErrUnavailable).
func (s *Sealer) Open(ctx context.Context, sealed io.Reader, wrappedKey, associatedData []byte) (io.ReadCloser, error) {
	if len(wrappedKey) == 0 {
		return nil, ErrMissingKey
	}
	if sealed == nil {
		return nil, errors.New("seal: sealed reader is nil")
	}
	kek, err := s.keys.KEK(ctx)
	if err != nil {
		return nil, fmt.Errorf("seal: get key-encryption key: %w", err)
	}
	handle, err := unwrapKey(kek, wrappedKey, associatedData)
	if err != nil {
		return nil, err
	}
	sa, err := streamingaead.New(handle)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWrappedKey, err)
	}
	hb := &holdback{src: sealed, buf: make([]byte, 256<<10)}
	dec, err := sa.NewDecryptingReader(hb, associatedData)
	if err != nil {
		return nil, fmt.Errorf("seal: start decryption: %w", err)
	}
	return &openReader{ctx: ctx, dec: dec, hb: hb, closer: sealed}, nil
}

// openReader turns Tink's decryption errors into the package's errors.
type openReader struct {
	ctx    context.Context
	dec    io.Reader
	hb     *holdback
	closer io.Reader
	err    error
}

func (r *openReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("seal: %w", err)
		return 0, r.err
	}
	n, err := r.dec.Read(p)
	if err == nil {
		return n, nil
	}
	if r.hb.srcErr != nil {
		r.err = fmt.Errorf("seal: read sealed object: %w", r.hb.srcErr)
		return 0, r.err
	}
	if err == io.EOF {
		// Tink authenticated every segment including the last; the trailer
		// must agree, or the stored bytes were changed after all.
		if t, ok := r.hb.trailer(); !ok || t != r.hb.passed {
			r.err = fmt.Errorf("%w: the trailer after the ciphertext is damaged", ErrTampered)
			return 0, r.err
		}
		return 0, io.EOF
	}
	r.err = r.classify(err)
	return 0, r.err
}

// classify reads the rest of the sealed stream to find its trailer, and
// uses it to tell a stream cut short from one whose bytes changed.
func (r *openReader) classify(cause error) error {
	failedAt := r.hb.passed
	if _, err := io.Copy(io.Discard, r.hb); err != nil || r.hb.srcErr != nil {
		return fmt.Errorf("seal: read sealed object: %w", errors.Join(err, r.hb.srcErr))
	}
	declared, ok := r.hb.trailer()
	switch {
	case !ok:
		return fmt.Errorf("%w: it ends without its trailer after %d bytes", ErrTruncated, r.hb.passed+uint64(r.hb.tailLen))
	case declared > r.hb.passed:
		return fmt.Errorf("%w: %d of %d ciphertext bytes are there", ErrTruncated, r.hb.passed, declared)
	case declared < r.hb.passed:
		return fmt.Errorf("%w: %d ciphertext bytes where %d were written", ErrTampered, r.hb.passed, declared)
	default:
		return fmt.Errorf("%w: segment ending before byte %d: %v", ErrTampered, failedAt, cause)
	}
}

func (r *openReader) Close() error {
	if c, ok := r.closer.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// holdback passes a stream on except its last trailerLen bytes, which it
// keeps for the trailer check. It records the source's own error apart, so
// that a failing store is never mistaken for a damaged object.
type holdback struct {
	src        io.Reader
	buf        []byte
	start, end int
	srcEOF     bool
	srcErr     error
	passed     uint64 // bytes handed on
	tailLen    int
}

func (h *holdback) Read(p []byte) (int, error) {
	for h.end-h.start <= trailerLen && !h.srcEOF {
		if h.srcErr != nil {
			return 0, h.srcErr
		}
		if h.start > 0 {
			h.end = copy(h.buf, h.buf[h.start:h.end])
			h.start = 0
		}
		n, err := h.src.Read(h.buf[h.end:])
		h.end += n
		if err == io.EOF {
			h.srcEOF = true
		} else if err != nil {
			h.srcErr = err
			return 0, err
		}
	}
	avail := h.end - h.start - trailerLen
	if avail <= 0 {
		h.tailLen = h.end - h.start
		return 0, io.EOF
	}
	n := copy(p, h.buf[h.start:h.start+avail])
	h.start += n
	h.passed += uint64(n)
	return n, nil
}

// trailer returns the ciphertext length the trailer records, once the
// stream has ended; ok is false when there is no trailer.
func (h *holdback) trailer() (uint64, bool) {
	t := h.buf[h.start:h.end]
	if !h.srcEOF || len(t) != trailerLen || string(t[:len(trailerMagic)]) != trailerMagic {
		return 0, false
	}
	return binary.BigEndian.Uint64(t[len(trailerMagic):]), true
}

// adHash is what the wrapped key records of the associated data.
func adHash(ad []byte) [sha256.Size]byte { return sha256.Sum256(ad) }
