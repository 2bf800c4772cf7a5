package sdk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/medledger/medledger/sdk/blob"
)

// existenceProbe passes an upload's bytes on to the store's Put and, just
// before Put sees EOF, asks the store whether an object with the same bytes
// is already stored. Put has not published anything yet at that moment, so
// the answer tells a pre-existing blob (which a refused registration must
// leave alone: another record may reference it) from the one this upload
// creates.
//
// The probe needs the content's hash before Put's own hash is known, so it
// hashes too, on a second goroutine fed through a few fixed buffers: the two
// hashes run on two cores, memory stays bounded, and the upload still reads
// its content once.
type existenceProbe struct {
	ctx   context.Context
	store blob.Store
	r     io.Reader
	h     hash.Hash

	work chan []byte
	free chan []byte
	done chan struct{}

	closed bool // work closed and the hasher finished
	atEOF  bool
	found  bool
	sum    string
}

const (
	probeBuffers    = 4
	probeBufferSize = 256 << 10
)

func newExistenceProbe(ctx context.Context, store blob.Store, r io.Reader) *existenceProbe {
	p := &existenceProbe{
		ctx: ctx, store: store, r: r, h: sha256.New(),
		work: make(chan []byte, probeBuffers),
		free: make(chan []byte, probeBuffers),
		done: make(chan struct{}),
	}
	for range probeBuffers {
		p.free <- make([]byte, probeBufferSize)
	}
	go func() {
		defer close(p.done)
		for b := range p.work {
			p.h.Write(b)
			p.free <- b[:cap(b)]
		}
	}()
	return p
}

func (p *existenceProbe) Read(b []byte) (int, error) {
	if p.atEOF {
		return 0, io.EOF
	}
	n, err := p.r.Read(b)
	for off := 0; off < n; {
		buf := <-p.free
		m := copy(buf, b[off:n])
		p.work <- buf[:m]
		off += m
	}
	if err != io.EOF {
		return n, err
	}
	p.stop()
	p.sum = hex.EncodeToString(p.h.Sum(nil))
	_, serr := p.store.Stat(p.ctx, blob.RefOf(p.h.Sum(nil)))
	switch {
	case serr == nil:
		p.found = true
	case errors.Is(serr, blob.ErrNotFound):
	default:
		// Without the answer a refused registration could delete another
		// record's content; better to store nothing.
		return n, fmt.Errorf("check whether the content is stored already: %w", serr)
	}
	p.atEOF = true
	return n, io.EOF
}

// stop ends the hashing goroutine; Read calls it at EOF, the upload after a
// failed Put.
func (p *existenceProbe) stop() {
	if p.closed {
		return
	}
	close(p.work)
	<-p.done
	p.closed = true
}

// existed reports whether the content was stored before this upload.
func (p *existenceProbe) existed() bool { return p.found }
