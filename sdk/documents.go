package sdk

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path/filepath"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/internal/durable"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/seal"
)

// DefaultMaxDocumentSize bounds an uploaded document's content unless
// WithMaxDocumentSize says otherwise.
const DefaultMaxDocumentSize int64 = 4 << 30

// Documents moves document contents between an application and a
// blob.Store, and keeps the ledger in step: Upload stores then registers,
// Open and Download audit (AccessDocument) then read and verify. It is safe
// for concurrent use.
//
// Contents are encrypted at rest unless WithoutEncryption says otherwise.
type Documents struct {
	client  *Client
	store   blob.Store
	sealer  blob.Sealer
	keys    blob.KeyStore
	maxSize int64

	// What the options asked for; NewDocuments settles it.
	encryption encryptionChoice
	keyDir     string
}

type encryptionChoice int

const (
	encryptionDefault encryptionChoice = iota // the local keyset and key store
	encryptionGiven                           // WithEncryption
	encryptionKeyDir                          // WithKeyDir
	encryptionOff                             // WithoutEncryption
)

// DocumentsOption configures Documents.
type DocumentsOption func(*Documents) error

func (d *Documents) chooseEncryption(c encryptionChoice, option string) error {
	if d.encryption != encryptionDefault && d.encryption != c {
		return fmt.Errorf("sdk: %s conflicts with an earlier encryption option (WithEncryption, WithKeyDir and WithoutEncryption exclude each other)", option)
	}
	d.encryption = c
	return nil
}

// WithEncryption seals every uploaded version with its own data key before
// it reaches the store and keeps the wrapped key in keys under the blob's
// reference; downloads open it again. The ledger hash is over the sealed
// bytes. Package seal provides both (for example seal.New with a KMS key
// provider). Without any encryption option NewDocuments encrypts anyway,
// with the local defaults described there.
func WithEncryption(sealer blob.Sealer, keys blob.KeyStore) DocumentsOption {
	return func(d *Documents) error {
		if sealer == nil || keys == nil {
			return errors.New("sdk: WithEncryption needs both a Sealer and a KeyStore")
		}
		if err := d.chooseEncryption(encryptionGiven, "WithEncryption"); err != nil {
			return err
		}
		d.sealer, d.keys = sealer, keys
		return nil
	}
}

// WithKeyDir keeps the default encryption but puts its files under dir: the
// key-encryption keyset in dir/kek.json (created on first use, owner-only)
// and the wrapped data keys in dir/keys. Tests and examples use it so they
// never write into the user's configuration folder.
func WithKeyDir(dir string) DocumentsOption {
	return func(d *Documents) error {
		if dir == "" {
			return errors.New("sdk: WithKeyDir needs a folder")
		}
		if err := d.chooseEncryption(encryptionKeyDir, "WithKeyDir"); err != nil {
			return err
		}
		d.keyDir = dir
		return nil
	}
}

// WithoutEncryption stores contents as they are, for deployments whose
// store already encrypts at rest with keys the hospital controls.
//
// What that changes for privacy: anyone who can read the store (its
// administrators, backups, a stolen disk) reads the documents; the SHA-256
// registered on the ledger is then over the plaintext, so anyone with ledger
// access can confirm a guess of a document's content (a form letter, a
// typical lab report) by hashing it, and can see that two documents are
// identical (they also share one blob); and erasure deletes the blob but has
// no key to shred, so copies in backups stay readable until they expire.
func WithoutEncryption() DocumentsOption {
	return func(d *Documents) error {
		return d.chooseEncryption(encryptionOff, "WithoutEncryption")
	}
}

// WithMaxDocumentSize bounds the content of one upload, in bytes before
// encryption (default DefaultMaxDocumentSize, at most model.MaxDocumentSize).
func WithMaxDocumentSize(n int64) DocumentsOption {
	return func(d *Documents) error {
		if n <= 0 || n > model.MaxDocumentSize {
			return fmt.Errorf("sdk: max document size %d: want 1 to %d", n, model.MaxDocumentSize)
		}
		d.maxSize = n
		return nil
	}
}

// DefaultKeyDir is the folder of the default encryption's files: the
// folder of seal.DefaultKeysetPath(), <user config dir>/medledger (for
// example ~/.config/medledger on Linux), holding kek.json and keys/.
func DefaultKeyDir() (string, error) {
	p, err := seal.DefaultKeysetPath()
	if err != nil {
		return "", fmt.Errorf("sdk: default encryption: %w", err)
	}
	return filepath.Dir(p), nil
}

// NewDocuments returns Documents that store contents in store and act on
// the ledger as c's identity.
//
// Contents are encrypted at rest by default: without an encryption option
// it uses seal.New(seal.NewLocalKeyProvider(seal.DefaultKeysetPath())) and
// a seal.FileKeyStore in the keys folder beside that keyset (see
// DefaultKeyDir; the keyset is created on the first upload or download, the
// keys folder now). WithKeyDir moves both, WithEncryption replaces them
// (for example with a KMS), WithoutEncryption turns encryption off.
func NewDocuments(c *Client, store blob.Store, opts ...DocumentsOption) (*Documents, error) {
	if c == nil || store == nil {
		return nil, errors.New("sdk: NewDocuments needs a Client and a blob.Store")
	}
	d := &Documents{client: c, store: store, maxSize: DefaultMaxDocumentSize}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	switch d.encryption {
	case encryptionDefault:
		dir, err := DefaultKeyDir()
		if err != nil {
			return nil, fmt.Errorf("%w (pass WithKeyDir, WithEncryption or WithoutEncryption)", err)
		}
		d.keyDir = dir
		fallthrough
	case encryptionKeyDir:
		sealer, keys, err := localEncryption(d.keyDir)
		if err != nil {
			return nil, err
		}
		d.sealer, d.keys = sealer, keys
	}
	return d, nil
}

// localEncryption is the default encryption with its files under dir.
func localEncryption(dir string) (blob.Sealer, blob.KeyStore, error) {
	kp, err := seal.NewLocalKeyProvider(filepath.Join(dir, "kek.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("sdk: default encryption: %w", err)
	}
	sealer, err := seal.New(kp)
	if err != nil {
		return nil, nil, fmt.Errorf("sdk: default encryption: %w", err)
	}
	keys, err := seal.NewFileKeyStore(filepath.Join(dir, "keys"))
	if err != nil {
		return nil, nil, fmt.Errorf("sdk: default encryption: %w", err)
	}
	return sealer, keys, nil
}

// Encrypted reports whether d seals contents before storing them.
func (d *Documents) Encrypted() bool { return d.sealer != nil }

// NewDocument is a document to upload and register.
type NewDocument struct {
	DocumentID string
	PatientID  string
	Category   model.Category
	// MediaType is a lowercase type/subtype such as "application/pdf".
	MediaType string
	// Content is read once, to EOF.
	Content io.Reader
	// Size, when positive, is the content's length: an upload over the limit
	// is refused before a byte is read, and content of another length fails
	// the upload without storing anything.
	Size int64
}

// NewVersion is new content for an existing document.
type NewVersion struct {
	DocumentID string
	MediaType  string
	Content    io.Reader
	Size       int64
}

// Upload stores a new document's content and registers it on the ledger.
// The content is streamed once: hashed while it is written, in constant
// memory. If registration is refused, the blob (and its wrapped key) is
// removed again unless the store reports that the same bytes were stored
// before this upload (blob.Object.Existed), so a refused upload leaves
// nothing behind; if its outcome is unknown (the commit status never came),
// the blob stays for the record that may exist. Bad input is refused before
// anything is stored.
//
// One race remains without encryption: two uploads of identical plaintext
// at about the same time. If the first one's Put publishes before the
// second one's, the first is told the bytes are new; should its
// registration then be refused after the second registered, its clean-up
// deletes the bytes the second record references (Download then fails with
// a not-found error until the content is uploaded again). The store cannot
// tell the two apart, and the ledger does not know which references are
// being registered. Encrypted uploads never share bytes (each version has
// its own data key), so they are not exposed.
func (d *Documents) Upload(ctx context.Context, doc NewDocument) (model.Document, error) {
	tx := model.TxRegisterDocument
	if err := checkID(tx, "document id", doc.DocumentID); err != nil {
		return model.Document{}, err
	}
	if err := checkID(tx, "patient id", doc.PatientID); err != nil {
		return model.Document{}, err
	}
	if !doc.Category.Valid() {
		return model.Document{}, invalidArgument(tx, "category %q: want one of %v", doc.Category, model.Categories)
	}
	ad := associatedData(doc.DocumentID)
	return d.storeAndRegister(ctx, tx, doc.MediaType, doc.Content, doc.Size, ad,
		func(obj blob.Object) (model.Document, error) {
			return d.client.RegisterDocument(ctx, model.RegisterDocumentInput{
				DocumentID: doc.DocumentID, PatientID: doc.PatientID, Category: doc.Category,
				SHA256: obj.SHA256, Size: obj.Size, MediaType: doc.MediaType, StorageRef: obj.Ref,
			})
		})
}

// AddVersion stores new content for a document and registers it as the
// document's next version, with the same guarantees as Upload.
func (d *Documents) AddVersion(ctx context.Context, v NewVersion) (model.Document, error) {
	tx := model.TxAddDocumentVersion
	if err := checkID(tx, "document id", v.DocumentID); err != nil {
		return model.Document{}, err
	}
	ad := associatedData(v.DocumentID)
	return d.storeAndRegister(ctx, tx, v.MediaType, v.Content, v.Size, ad,
		func(obj blob.Object) (model.Document, error) {
			return d.client.AddDocumentVersion(ctx, model.AddDocumentVersionInput{
				DocumentID: v.DocumentID, SHA256: obj.SHA256, Size: obj.Size,
				MediaType: v.MediaType, StorageRef: obj.Ref,
			})
		})
}

func checkUploadInput(tx, mediaType string, content io.Reader, size, maxSize int64) error {
	if !model.ValidMediaType(mediaType) {
		return invalidArgument(tx, "media type %q: want a lowercase type/subtype such as application/pdf", mediaType)
	}
	if content == nil {
		return invalidArgument(tx, "no content")
	}
	if size < 0 {
		return invalidArgument(tx, "declared size %d is negative", size)
	}
	if size > maxSize {
		return invalidArgument(tx, "content of %d bytes is over the limit of %d", size, maxSize)
	}
	return nil
}

// storeAndRegister is the shared body of Upload and AddVersion.
func (d *Documents) storeAndRegister(ctx context.Context, tx, mediaType string, content io.Reader, size int64, ad []byte,
	register func(blob.Object) (model.Document, error)) (model.Document, error) {
	if err := checkUploadInput(tx, mediaType, content, size, d.maxSize); err != nil {
		return model.Document{}, err
	}
	// Refuse empty content before the store sees a byte.
	br := bufio.NewReaderSize(content, 64<<10)
	if _, err := br.Peek(1); err == io.EOF {
		return model.Document{}, invalidArgument(tx, "content is empty")
	} else if err != nil {
		return model.Document{}, fmt.Errorf("sdk: read content: %w", err)
	}
	plain := &limitReader{r: br, max: d.maxSize, want: size}

	var (
		stream     io.Reader = plain
		wrappedKey []byte
		err        error
	)
	if d.sealer != nil {
		stream, wrappedKey, err = d.sealer.Seal(ctx, plain, ad)
		if err != nil {
			return model.Document{}, fmt.Errorf("sdk: seal content: %w", err)
		}
	}
	obj, err := d.store.Put(ctx, stream)
	if err != nil {
		if errors.Is(err, errTooLarge) || errors.Is(err, errSizeMismatch) {
			return model.Document{}, invalidArgument(tx, "%v", err)
		}
		return model.Document{}, fmt.Errorf("sdk: store content: %w", err)
	}
	// Sealed bytes are new by construction (fresh data key); plain bytes may
	// be stored already for another record, and must then survive a refusal.
	// The store says which, as it publishes (blob.Object.Existed).
	existed := obj.Existed
	if d.sealer != nil {
		if err := d.keys.PutKey(ctx, obj.Ref, wrappedKey); err != nil {
			delErr := d.store.Delete(context.WithoutCancel(ctx), obj.Ref)
			return model.Document{}, errors.Join(fmt.Errorf("sdk: keep wrapped key: %w", err), cleanupErr(obj.Ref, delErr))
		}
	}
	doc, err := register(obj)
	if err == nil {
		return doc, nil
	}
	if existed {
		return model.Document{}, err
	}
	if !definitelyNotRegistered(err) {
		// The transaction may have committed (its status was not learnt):
		// deleting could leave a record without its bytes. An unreferenced
		// blob is garbage collection's to remove.
		return model.Document{}, fmt.Errorf("%w (outcome unknown: blob %s kept; garbage collection removes it if no record references it)", err, obj.Ref)
	}
	// The caller's context may be what failed; clean up regardless.
	cleanup := context.WithoutCancel(ctx)
	var cerrs []error
	if d.sealer != nil {
		if kerr := d.keys.DeleteKey(cleanup, obj.Ref); kerr != nil && !errors.Is(kerr, blob.ErrNotFound) {
			cerrs = append(cerrs, kerr)
		}
	}
	if derr := d.store.Delete(cleanup, obj.Ref); derr != nil && !errors.Is(derr, blob.ErrNotFound) {
		cerrs = append(cerrs, derr)
	}
	return model.Document{}, errors.Join(err, cleanupErr(obj.Ref, errors.Join(cerrs...)))
}

// definitelyNotRegistered reports whether a failed registration surely
// wrote nothing: refused before sending, refused at endorsement, or
// invalidated at commit. A failure while submitting or while waiting for the
// commit status leaves the outcome unknown.
func definitelyNotRegistered(err error) bool {
	var endorseErr *client.EndorseError
	if errors.As(err, &endorseErr) {
		return true
	}
	if _, ok := ValidationCode(err); ok {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.TransactionID == ""
}

func cleanupErr(ref string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sdk: blob %s left stored, remove it (or let garbage collection): %w", ref, err)
}

// associatedData binds sealed bytes to the document they belong to, so that
// a blob swapped between documents fails to open.
func associatedData(documentID string) []byte {
	return []byte("medledger/v1/document/" + documentID)
}

var (
	errTooLarge     = errors.New("content is over the size limit")
	errSizeMismatch = errors.New("content length differs from the declared size")
)

// limitReader fails a read that goes past max bytes, or that reaches EOF at
// a length other than want (when want > 0), so that the store's Put aborts
// and keeps nothing.
type limitReader struct {
	r    io.Reader
	max  int64
	want int64
	n    int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return 0, fmt.Errorf("%w of %d bytes", errTooLarge, l.max)
	}
	if l.want > 0 && l.n > l.want {
		return 0, fmt.Errorf("%w: more than %d bytes", errSizeMismatch, l.want)
	}
	if err == io.EOF && l.want > 0 && l.n != l.want {
		return n, fmt.Errorf("%w: %d bytes, declared %d", errSizeMismatch, l.n, l.want)
	}
	return n, err
}

// Erase marks a document erased on the ledger, then deletes every
// version's blob and, with encryption, its wrapped key (crypto-shredding).
// If some cannot be deleted, the error is an *EraseError naming them; the
// ledger record is erased either way and garbage collection removes the
// rest later.
func (d *Documents) Erase(ctx context.Context, documentID string) (model.Document, error) {
	doc, err := d.client.EraseDocument(ctx, documentID)
	if err != nil {
		return model.Document{}, err
	}
	var left []string
	var errs []error
	for _, v := range doc.Versions {
		if v.StorageRef == "" {
			continue
		}
		if d.keys != nil {
			if err := d.keys.DeleteKey(ctx, v.StorageRef); err != nil && !errors.Is(err, blob.ErrNotFound) {
				left, errs = append(left, v.StorageRef), append(errs, err)
				continue
			}
		}
		if err := d.store.Delete(ctx, v.StorageRef); err != nil && !errors.Is(err, blob.ErrNotFound) {
			left, errs = append(left, v.StorageRef), append(errs, err)
		}
	}
	if len(left) > 0 {
		return doc, &EraseError{DocumentID: documentID, Remaining: left, Err: errors.Join(errs...)}
	}
	return doc, nil
}

// EraseError says which blobs of an erased document are still stored.
type EraseError struct {
	DocumentID string
	Remaining  []string
	Err        error
}

// Error names the document and the blobs left.
func (e *EraseError) Error() string {
	return fmt.Sprintf("sdk: document %s erased on the ledger, but %d blob(s) remain stored %v: %v", e.DocumentID, len(e.Remaining), e.Remaining, e.Err)
}

// Unwrap returns the store's errors.
func (e *EraseError) Unwrap() error { return e.Err }

// DocumentReader streams one audited read of a document version. Read
// returns an error wrapping ErrIntegrity, at the latest in place of EOF,
// when the stored bytes differ from the ledger's hash or size; bytes read
// before it must then be discarded.
type DocumentReader struct {
	access   model.AccessResult
	verifier *verifyingReader
	stored   io.ReadCloser
	plain    io.ReadCloser // the sealer's output, nil without encryption
}

// Access returns the ledger's answer to the read: the document, the version
// read (hash, size, media type) and the audit entry written.
func (r *DocumentReader) Access() model.AccessResult { return r.access }

// Read implements io.Reader.
func (r *DocumentReader) Read(p []byte) (int, error) {
	if r.plain == nil {
		return r.verifier.Read(p)
	}
	n, err := r.plain.Read(p)
	if err == nil || err == io.EOF {
		if err == io.EOF && r.verifier.err == nil {
			// The sealer may stop at its final segment; make sure the
			// stored bytes were all read and hashed.
			if _, derr := io.Copy(io.Discard, r.verifier); derr != nil {
				return n, derr
			}
		}
		return n, err
	}
	// A failed decryption: tell tampering (the stored bytes do not hash to
	// the ledger's value) from other causes such as a wrong key.
	if r.verifier.err == nil {
		_, _ = io.Copy(io.Discard, r.verifier)
	}
	if errors.Is(r.verifier.err, ErrIntegrity) {
		return n, errors.Join(r.verifier.err, err)
	}
	return n, fmt.Errorf("sdk: open sealed document: %w", err)
}

// Close releases the stored object.
func (r *DocumentReader) Close() error {
	var perr error
	if r.plain != nil {
		perr = r.plain.Close()
	}
	return errors.Join(perr, r.stored.Close())
}

// Open submits AccessDocument for the version (0 means the latest), so the
// read is decided and audited on the ledger first; a denial returns
// ErrForbidden and reads nothing. It then opens the stored bytes, verified
// against the ledger's hash as they are read.
func (d *Documents) Open(ctx context.Context, documentID string, version int) (*DocumentReader, error) {
	access, err := d.client.AccessDocument(ctx, documentID, version)
	if err != nil {
		return nil, err
	}
	v := access.Version
	if !model.ValidStorageRef(v.StorageRef) || !model.ValidSHA256(v.SHA256) {
		return nil, fmt.Errorf("sdk: ledger returned no usable storage reference for %s v%d", documentID, v.Version)
	}
	stored, err := d.store.Get(ctx, v.StorageRef)
	if err != nil {
		return nil, fmt.Errorf("sdk: open %s v%d: %w", documentID, v.Version, err)
	}
	r := &DocumentReader{
		access:   access,
		stored:   stored,
		verifier: &verifyingReader{r: stored, h: sha256.New(), wantSHA: v.SHA256, wantSize: v.Size},
	}
	if d.sealer != nil {
		key, err := d.keys.GetKey(ctx, v.StorageRef)
		if err != nil {
			_ = stored.Close()
			return nil, fmt.Errorf("sdk: wrapped key of %s v%d: %w", documentID, v.Version, err)
		}
		plain, err := d.sealer.Open(ctx, r.verifier, key, associatedData(access.Document.ID))
		if err != nil {
			_ = stored.Close()
			return nil, fmt.Errorf("sdk: open sealed %s v%d: %w", documentID, v.Version, err)
		}
		r.plain = plain
	}
	return r, nil
}

// Download reads a document version (0 means the latest) into the file at
// path, through Open: the bytes go to a temporary file beside path, which
// is renamed into place only once the whole content matched the ledger's
// hash. On any failure path is left as it was.
func (d *Documents) Download(ctx context.Context, documentID string, version int, path string) (model.AccessResult, error) {
	r, err := d.Open(ctx, documentID, version)
	if err != nil {
		return model.AccessResult{}, err
	}
	defer r.Close()
	tmp, err := durable.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return model.AccessResult{}, fmt.Errorf("sdk: download: %w", err)
	}
	defer tmp.Discard()
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(tmp, r, buf); err != nil {
		return model.AccessResult{}, fmt.Errorf("sdk: download %s: %w", documentID, err)
	}
	if err := tmp.Finish(); err != nil {
		return model.AccessResult{}, fmt.Errorf("sdk: download: %w", err)
	}
	if err := tmp.Rename(path); err != nil {
		return model.AccessResult{}, fmt.Errorf("sdk: download: %w", err)
	}
	return r.Access(), nil
}

// verifyingReader hashes what it passes on and, at EOF, compares hash and
// length with the ledger's; a mismatch replaces EOF with ErrIntegrity. It
// fails early when more bytes arrive than the ledger registered.
type verifyingReader struct {
	r        io.Reader
	h        hash.Hash
	wantSHA  string
	wantSize int64
	n        int64
	err      error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.wantSize {
		v.err = fmt.Errorf("%w: more than the registered %d bytes", ErrIntegrity, v.wantSize)
		return 0, v.err
	}
	if err == io.EOF {
		if v.n != v.wantSize {
			v.err = fmt.Errorf("%w: %d bytes stored, %d registered", ErrIntegrity, v.n, v.wantSize)
			return n, v.err
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.wantSHA {
			v.err = fmt.Errorf("%w: stored bytes hash to %s, ledger has %s", ErrIntegrity, got, v.wantSHA)
			return n, v.err
		}
		v.err = io.EOF
	} else if err != nil {
		v.err = err
	}
	return n, err
}
