package devnet

import (
	"context"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// txStatus is where and how a transaction was committed.
type txStatus struct {
	block uint64
	code  peer.TxValidationCode
}

// chain is the peer's channel ledger: the world state (ledgersim), the transaction index, the
// chaincode events of each block, and the waiters for commits and new blocks.
type chain struct {
	sim *ledgersim.Ledger
	// simLock is the state database lock of a Fabric peer: simulations share it, a block commit
	// takes it exclusively, so that every endorser of one proposal reads the same height.
	simLock sync.RWMutex

	mu       sync.Mutex
	txs      map[string]txStatus // first occurrence of each transaction id, valid or not
	waiters  map[string][]chan txStatus
	blocks   []*common.Block          // every block, by number, for Deliver
	events   [][]*peer.ChaincodeEvent // chaincode events of valid transactions, by block number
	newBlock chan struct{}            // closed and replaced when a block is committed
	closed   chan struct{}
}

func newChain() *chain {
	return &chain{
		sim:      ledgersim.New(),
		txs:      map[string]txStatus{},
		waiters:  map[string][]chan txStatus{},
		newBlock: make(chan struct{}),
		closed:   make(chan struct{}),
	}
}

func (c *chain) height() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return uint64(len(c.events))
}

func (c *chain) hasTx(txID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.txs[txID]
	return ok
}

func (c *chain) txStatus(txID string) (txStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.txs[txID]
	return st, ok
}

// appended records a committed block: indexes its transactions (keeping the first occurrence of
// a duplicated id, as Fabric's block index does), keeps its events and wakes waiters.
func (c *chain) appended(block *common.Block, txIDs []string, codes []peer.TxValidationCode, events []*peer.ChaincodeEvent) {
	number := block.GetHeader().GetNumber()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, id := range txIDs {
		if id == "" {
			continue
		}
		if _, ok := c.txs[id]; ok {
			continue
		}
		st := txStatus{block: number, code: codes[i]}
		c.txs[id] = st
		for _, w := range c.waiters[id] {
			w <- st
		}
		delete(c.waiters, id)
	}
	c.blocks = append(c.blocks, block)
	c.events = append(c.events, events)
	close(c.newBlock)
	c.newBlock = make(chan struct{})
}

// waitForTx returns the status of a transaction, waiting for its commit if needed.
func (c *chain) waitForTx(ctx context.Context, txID string) (txStatus, error) {
	c.mu.Lock()
	if st, ok := c.txs[txID]; ok {
		c.mu.Unlock()
		return st, nil
	}
	w := make(chan txStatus, 1)
	c.waiters[txID] = append(c.waiters[txID], w)
	c.mu.Unlock()

	select {
	case st := <-w:
		return st, nil
	case <-ctx.Done():
		c.mu.Lock()
		ws := c.waiters[txID]
		for i, x := range ws {
			if x == w {
				c.waiters[txID] = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(c.waiters[txID]) == 0 {
			delete(c.waiters, txID)
		}
		c.mu.Unlock()
		return txStatus{}, ctx.Err()
	case <-c.closed:
		return txStatus{}, errNetworkClosed
	}
}

// blockEvents returns the chaincode events of block number, waiting until it is committed.
func (c *chain) blockEvents(ctx context.Context, number uint64) ([]*peer.ChaincodeEvent, error) {
	if err := c.waitForBlock(ctx, number); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events[number], nil
}

// block returns block number, waiting until it is committed.
func (c *chain) block(ctx context.Context, number uint64) (*common.Block, error) {
	if err := c.waitForBlock(ctx, number); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocks[number], nil
}

func (c *chain) waitForBlock(ctx context.Context, number uint64) error {
	for {
		c.mu.Lock()
		if number < uint64(len(c.events)) {
			c.mu.Unlock()
			return nil
		}
		wait := c.newBlock
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return errNetworkClosed
		}
	}
}
