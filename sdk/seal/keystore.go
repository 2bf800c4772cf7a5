package seal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/medledger/medledger/internal/durable"
	"github.com/medledger/medledger/sdk/blob"
)

// A missing key is reported as both blob.ErrNotFound (the KeyStore
// contract) and ErrMissingKey (what it means for decryption).
func errNoKey(op, ref string) error {
	return fmt.Errorf("seal: %s key of %s: %w: %w", op, ref, ErrMissingKey, blob.ErrNotFound)
}

// FileKeyStore keeps one file per wrapped key in a folder,
// "<hex sha256>.key", written atomically and readable by its owner only.
// Put the folder on other storage than the blobs (and out of the blobs'
// backups) so that deleting a key really shreds its blob.
type FileKeyStore struct {
	dir string
}

var _ blob.KeyStore = (*FileKeyStore)(nil)

// NewFileKeyStore opens (creating it if needed) the folder dir.
func NewFileKeyStore(dir string) (*FileKeyStore, error) {
	if dir == "" {
		return nil, errors.New("seal: key store folder is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create key store folder: %w", err)
	}
	return &FileKeyStore{dir: dir}, nil
}

func (s *FileKeyStore) path(ref string) (string, error) {
	h, err := blob.ParseRef(ref)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, h+".key"), nil
}

// PutKey implements blob.KeyStore: temporary file, fsync, rename, fsync
// folder, as the blob FileStore does.
func (s *FileKeyStore) PutKey(ctx context.Context, ref string, wrappedKey []byte) error {
	name, err := s.path(ref)
	if err != nil {
		return err
	}
	if len(wrappedKey) == 0 {
		return fmt.Errorf("seal: put key of %s: wrapped key is empty", ref)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seal: put key of %s: %w", ref, err)
	}
	tmp, err := durable.CreateTemp(s.dir, ".key-*")
	if err != nil {
		return fmt.Errorf("seal: put key of %s: %w", ref, err)
	}
	defer tmp.Discard()
	_, werr := tmp.Write(wrappedKey)
	if werr == nil {
		werr = tmp.Finish()
	}
	if werr == nil {
		werr = tmp.Rename(name)
	}
	if werr == nil {
		werr = durable.SyncDir(s.dir)
	}
	if werr != nil {
		return fmt.Errorf("seal: put key of %s: %w", ref, werr)
	}
	return nil
}

// GetKey implements blob.KeyStore.
func (s *FileKeyStore) GetKey(ctx context.Context, ref string) ([]byte, error) {
	name, err := s.path(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("seal: get key of %s: %w", ref, err)
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoKey("get", ref)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: get key of %s: %w", ref, err)
	}
	return b, nil
}

// DeleteKey implements blob.KeyStore. A missing key is reported (wrapping
// blob.ErrNotFound), so a caller retrying an erasure can tell it is done.
// The folder is fsynced: a shredded key must not come back after a crash.
func (s *FileKeyStore) DeleteKey(ctx context.Context, ref string) error {
	name, err := s.path(ref)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seal: delete key of %s: %w", ref, err)
	}
	err = os.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return errNoKey("delete", ref)
	}
	if err == nil {
		err = durable.SyncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("seal: delete key of %s: %w", ref, err)
	}
	return nil
}

// MemoryKeyStore is a KeyStore in memory, for tests; it behaves like
// FileKeyStore.
type MemoryKeyStore struct {
	mu   sync.RWMutex
	keys map[string][]byte
}

var _ blob.KeyStore = (*MemoryKeyStore)(nil)

// NewMemoryKeyStore returns an empty MemoryKeyStore.
func NewMemoryKeyStore() *MemoryKeyStore { return &MemoryKeyStore{keys: map[string][]byte{}} }

// PutKey implements blob.KeyStore.
func (s *MemoryKeyStore) PutKey(ctx context.Context, ref string, wrappedKey []byte) error {
	if _, err := blob.ParseRef(ref); err != nil {
		return err
	}
	if len(wrappedKey) == 0 {
		return fmt.Errorf("seal: put key of %s: wrapped key is empty", ref)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seal: put key of %s: %w", ref, err)
	}
	s.mu.Lock()
	s.keys[ref] = append([]byte(nil), wrappedKey...)
	s.mu.Unlock()
	return nil
}

// GetKey implements blob.KeyStore.
func (s *MemoryKeyStore) GetKey(ctx context.Context, ref string) ([]byte, error) {
	if _, err := blob.ParseRef(ref); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("seal: get key of %s: %w", ref, err)
	}
	s.mu.RLock()
	k, ok := s.keys[ref]
	s.mu.RUnlock()
	if !ok {
		return nil, errNoKey("get", ref)
	}
	return append([]byte(nil), k...), nil
}

// DeleteKey implements blob.KeyStore.
func (s *MemoryKeyStore) DeleteKey(ctx context.Context, ref string) error {
	if _, err := blob.ParseRef(ref); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seal: delete key of %s: %w", ref, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[ref]; !ok {
		return errNoKey("delete", ref)
	}
	delete(s.keys, ref)
	return nil
}
