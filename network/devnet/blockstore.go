package devnet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// blockStore is an append-only block file, like a peer's blockfile: each block is its protobuf
// bytes preceded by their length as a uvarint. A torn last record (the process died mid-write) is
// cut off when the file is opened, so the file always holds whole blocks.
type blockStore struct {
	mu sync.Mutex
	f  *os.File
}

// openBlockStore opens (or creates) the block file and returns every whole block in it.
func openBlockStore(path string) (*blockStore, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	var blocks [][]byte
	var good int64
	r := bufio.NewReader(f)
	for {
		size, err := binary.ReadUvarint(r)
		if err != nil {
			break // io.EOF at a record boundary, or a torn length
		}
		if size > 1<<30 {
			break
		}
		raw := make([]byte, size)
		if _, err := io.ReadFull(r, raw); err != nil {
			break
		}
		blocks = append(blocks, raw)
		good += int64(uvarintLen(size)) + int64(size)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("cutting torn block record: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &blockStore{f: f}, blocks, nil
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// append writes one block record with a single write, so a crash leaves at most a torn tail.
func (s *blockStore) append(raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("block store closed")
	}
	rec := binary.AppendUvarint(make([]byte, 0, len(raw)+binary.MaxVarintLen64), uint64(len(raw)))
	rec = append(rec, raw...)
	_, err := s.f.Write(rec)
	return err
}

func (s *blockStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}
