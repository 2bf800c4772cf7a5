package seal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/core/registry"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/medledger/medledger/internal/durable"
)

// KEK is a key-encryption key: the AEAD that wraps and unwraps data keys,
// and a stable name for it that is stored with every wrapped key.
type KEK struct {
	// ID names the key, 1 to 255 bytes: a KMS key URI, or "local:<keyset
	// primary key id>". It lets Open report ErrWrongKEK.
	ID string
	// AEAD encrypts and decrypts data keys. Any tink.AEAD fits, in
	// particular one from a Tink KMS client (registry.KMSClient.GetAEAD).
	AEAD tink.AEAD
}

// KeyProvider hands out the key-encryption key. Implementations must be safe
// for concurrent use. Plug in an external key service by implementing it, or
// with NewKMSProvider for anything that has a Tink KMS client (AWS KMS, GCP
// KMS, HashiCorp Vault: tink-go-awskms, tink-go-gcpkms, tink-go-hcvault).
type KeyProvider interface {
	KEK(ctx context.Context) (KEK, error)
}

// StaticKeyProvider always returns the same KEK, for tests and for programs
// that obtain their AEAD some other way.
type StaticKeyProvider KEK

// KEK implements KeyProvider.
func (p StaticKeyProvider) KEK(context.Context) (KEK, error) {
	if p.AEAD == nil {
		return KEK{}, errNoKEK
	}
	return KEK(p), nil
}

// KMSProvider wraps data keys with a key held by an external key management
// service, through Tink's KMS client interface. The key never leaves the
// service; every Seal and Open makes one call to it.
type KMSProvider struct {
	kek KEK
}

// NewKMSProvider returns a KeyProvider for the key keyURI of client, for
// example "aws-kms://arn:aws:kms:eu-central-1:111122223333:key/..." with
// github.com/tink-crypto/tink-go-awskms.
func NewKMSProvider(client registry.KMSClient, keyURI string) (*KMSProvider, error) {
	if client == nil {
		return nil, errors.New("seal: KMS client is nil")
	}
	if !client.Supported(keyURI) {
		return nil, fmt.Errorf("seal: the KMS client does not support key URI %q", keyURI)
	}
	a, err := client.GetAEAD(keyURI)
	if err != nil {
		return nil, fmt.Errorf("seal: KMS key %q: %w", keyURI, err)
	}
	return &KMSProvider{kek: KEK{ID: keyURI, AEAD: a}}, nil
}

// KEK implements KeyProvider.
func (p *KMSProvider) KEK(context.Context) (KEK, error) { return p.kek, nil }

// LocalKeyProvider keeps the KEK in a Tink keyset file (AES-256-GCM, JSON)
// on the local disk. The file is created on first use, readable by its
// owner only; a file that others can read is refused. It is the hospital's
// root secret for documents at rest: back it up apart from the blobs, and
// prefer a KMS in production.
//
// To rotate, add a new primary key to the keyset with Tink's tinkey; objects
// wrapped under the older keys still open.
type LocalKeyProvider struct {
	path string

	mu  sync.Mutex
	kek *KEK
}

// DefaultKeysetPath is where the local KEK lives unless configured:
// <user config dir>/medledger/kek.json (for example
// ~/.config/medledger/kek.json on Linux).
func DefaultKeysetPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("seal: no default keyset path: %w", err)
	}
	return filepath.Join(dir, "medledger", "kek.json"), nil
}

// NewLocalKeyProvider returns a provider for the keyset file at path; it
// does not touch the file until the first KEK call.
func NewLocalKeyProvider(path string) (*LocalKeyProvider, error) {
	if path == "" {
		return nil, errors.New("seal: keyset path is empty")
	}
	return &LocalKeyProvider{path: path}, nil
}

// Path returns the keyset file's path.
func (p *LocalKeyProvider) Path() string { return p.path }

// KEK implements KeyProvider: it loads the keyset file, creating it first if
// it does not exist.
func (p *LocalKeyProvider) KEK(context.Context) (KEK, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kek != nil {
		return *p.kek, nil
	}
	handle, err := p.load()
	if errors.Is(err, fs.ErrNotExist) {
		handle, err = p.create()
	}
	if err != nil {
		return KEK{}, err
	}
	a, err := aead.New(handle)
	if err != nil {
		return KEK{}, fmt.Errorf("seal: keyset %s: %w", p.path, err)
	}
	primary, err := handle.Primary()
	if err != nil {
		return KEK{}, fmt.Errorf("seal: keyset %s: %w", p.path, err)
	}
	p.kek = &KEK{ID: "local:" + strconv.FormatUint(uint64(primary.KeyID()), 10), AEAD: a}
	return *p.kek, nil
}

func (p *LocalKeyProvider) load() (*keyset.Handle, error) {
	f, err := os.Open(p.path)
	if err != nil {
		return nil, fmt.Errorf("seal: open keyset: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: stat keyset: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: keyset %s is accessible to others (mode %v); run chmod 600 on it", p.path, info.Mode().Perm())
	}
	handle, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(f))
	if err != nil {
		return nil, fmt.Errorf("seal: read keyset %s: %w", p.path, err)
	}
	return handle, nil
}

// create writes a new keyset to a temporary file and links it into place,
// so two processes starting at once end up with the same, complete keyset.
func (p *LocalKeyProvider) create() (*keyset.Handle, error) {
	dir := filepath.Dir(p.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create keyset folder: %w", err)
	}
	handle, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("seal: new key-encryption key: %w", err)
	}
	tmp, err := durable.CreateTemp(dir, ".kek-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("seal: create keyset: %w", err)
	}
	defer tmp.Discard() // after the link, removes the temporary name only
	werr := insecurecleartextkeyset.Write(handle, keyset.NewJSONWriter(tmp))
	if werr == nil {
		werr = tmp.Finish()
	}
	if werr != nil {
		return nil, fmt.Errorf("seal: write keyset: %w", werr)
	}
	if err := os.Link(tmp.Name(), p.path); errors.Is(err, fs.ErrExist) {
		return p.load() // another process was first
	} else if err != nil {
		return nil, fmt.Errorf("seal: install keyset %s: %w", p.path, err)
	}
	_ = durable.SyncDir(dir) // the keyset is complete either way; best effort, as before
	return handle, nil
}
