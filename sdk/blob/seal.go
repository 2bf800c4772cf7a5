package blob

import (
	"context"
	"io"
)

// Sealer encrypts document contents before they reach a Store and decrypts
// them after, with a fresh data key per stored object (package seal
// implements it). The ledger hash is over the sealed bytes.
type Sealer interface {
	// Seal returns a stream of the sealed form of plaintext and the wrapped
	// data key that opens it. associatedData is bound to the ciphertext: Open
	// fails unless it gets the same bytes.
	Seal(ctx context.Context, plaintext io.Reader, associatedData []byte) (sealed io.Reader, wrappedKey []byte, err error)
	// Open returns a stream of the plaintext of sealed. Reading it fails on
	// any changed, reordered or missing byte, at the latest at EOF.
	Open(ctx context.Context, sealed io.Reader, wrappedKey, associatedData []byte) (io.ReadCloser, error)
}

// KeyStore keeps wrapped data keys apart from the blobs they open, keyed by
// blob reference, so that deleting a key makes every copy of its blob
// unreadable (crypto-shredding).
type KeyStore interface {
	PutKey(ctx context.Context, ref string, wrappedKey []byte) error
	// GetKey returns an error wrapping ErrNotFound when ref has no key.
	GetKey(ctx context.Context, ref string) ([]byte, error)
	DeleteKey(ctx context.Context, ref string) error
}
