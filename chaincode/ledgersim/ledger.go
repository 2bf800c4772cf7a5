package ledgersim

import (
	"bytes"
	"sort"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// DefaultNamespace and DefaultChannel are used when TxParams leaves them empty.
const (
	DefaultNamespace = "medledger"
	DefaultChannel   = "mychannel"
)

// Version is the height of the transaction that last wrote a key: block
// number and index of the transaction in that block, as in Fabric.
type Version struct{ BlockNum, TxNum uint64 }

// record is one committed write of a key. Every write is kept: the latest one
// is the state, the older ones are its history and let a simulation started
// at an earlier height keep reading a consistent snapshot while blocks commit.
type record struct {
	value    []byte
	ver      Version
	isDelete bool
	txID     string
	ts       time.Time
}

type keyHistory struct{ recs []record }

// latest returns the newest record, or nil.
func (h *keyHistory) latest() *record {
	if h == nil || len(h.recs) == 0 {
		return nil
	}
	return &h.recs[len(h.recs)-1]
}

// asOf returns the newest record committed in a block below height, or nil.
func (h *keyHistory) asOf(height uint64) *record {
	if h == nil {
		return nil
	}
	for i := len(h.recs) - 1; i >= 0; i-- {
		if h.recs[i].ver.BlockNum < height {
			return &h.recs[i]
		}
	}
	return nil
}

// namespace is one chaincode's state.
type namespace struct {
	keys  map[string]*keyHistory
	index keyIndex
}

// Ledger is committed world state (namespace -> key -> value and version)
// with key history. It is safe for concurrent use: simulations read while
// CommitBlock runs, each seeing the state as of the height it started at, as
// a peer's simulation does under its commit lock.
type Ledger struct {
	mu     sync.RWMutex
	height uint64
	nss    map[string]*namespace
	txIDs  map[string]struct{}
}

// New returns an empty ledger. Its height is 1: block 0 is the channel's
// genesis (configuration) block, which holds no state, so the first block
// CommitBlock commits is block 1, as on a fresh Fabric channel.
func New() *Ledger {
	return &Ledger{height: 1, nss: map[string]*namespace{}, txIDs: map[string]struct{}{}}
}

// Height returns the number of committed blocks (including the genesis
// block); the next CommitBlock commits block number Height().
func (l *Ledger) Height() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.height
}

// GetCommitted returns the committed value and version of key in namespace
// ns; ok is false when the key does not exist (never written, or deleted).
func (l *Ledger) GetCommitted(ns, key string) (value []byte, v Version, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	r := l.lookup(ns, key).latest()
	if r == nil || r.isDelete {
		return nil, Version{}, false
	}
	return bytes.Clone(r.value), r.ver, true
}

// HasTxID reports whether a transaction with this id is in a committed block
// (valid or not), which is what makes a peer mark a resubmission DUPLICATE_TXID.
func (l *Ledger) HasTxID(txID string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, ok := l.txIDs[txID]
	return ok
}

// lookup needs l.mu held.
func (l *Ledger) lookup(ns, key string) *keyHistory {
	n := l.nss[ns]
	if n == nil {
		return nil
	}
	return n.keys[key]
}

// pendingWrite is a write of an earlier valid transaction of the block being
// validated, the "updates" batch of Fabric's validator.
type pendingWrite struct {
	value    []byte
	ver      Version
	isDelete bool
}

type blockUpdates map[string]map[string]pendingWrite

// Validate checks tx against committed state alone, as CommitBlock would if
// tx were the first transaction of the next block.
func (l *Ledger) Validate(tx *TxResults) peer.TxValidationCode {
	if tx == nil {
		return peer.TxValidationCode_NIL_ENVELOPE
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.validate(tx, blockUpdates{})
}

// validate is Fabric's validator.validateTx for one namespace
// (core/ledger/kvledger/txmgmt/validation/validator.go): every read must be
// untouched by earlier transactions of the block and at the committed
// version; every range query must return the same keys at the same versions.
// l.mu must be held.
func (l *Ledger) validate(tx *TxResults, updates blockUpdates) peer.TxValidationCode {
	ns := nsOrDefault(tx.Namespace)
	for _, rd := range tx.Reads {
		if _, ok := updates[ns][rd.Key]; ok {
			return peer.TxValidationCode_MVCC_READ_CONFLICT
		}
		var committed *Version
		if r := l.lookup(ns, rd.Key).latest(); r != nil && !r.isDelete {
			committed = &r.ver
		}
		if !sameVersion(committed, rd.Version) {
			return peer.TxValidationCode_MVCC_READ_CONFLICT
		}
	}
	for _, rq := range tx.RangeQueries {
		if !l.rangeStillSame(ns, rq, updates) {
			return peer.TxValidationCode_PHANTOM_READ_CONFLICT
		}
	}
	return peer.TxValidationCode_VALID
}

// rangeStillSame re-runs a range query over committed state merged with the
// block's updates, like Fabric's combinedIterator and
// rangeQueryResultsValidator: [StartKey, EndKey) when the iterator was
// exhausted, [StartKey, EndKey] (EndKey being the last key read) otherwise.
func (l *Ledger) rangeStillSame(ns string, rq RangeQuery, updates blockUpdates) bool {
	inRange := func(k string) bool {
		if k < rq.StartKey {
			return false
		}
		if rq.EndKey == "" {
			return true
		}
		if rq.ItrExhausted {
			return k < rq.EndKey
		}
		return k <= rq.EndKey
	}
	type kv struct {
		key string
		ver Version
	}
	var now []kv
	upd := updates[ns]
	var updKeys []string
	for k := range upd {
		if inRange(k) {
			updKeys = append(updKeys, k)
		}
	}
	sort.Strings(updKeys)
	var committed []string
	if n := l.nss[ns]; n != nil {
		n.index.ascend(rq.StartKey, func(k string) bool {
			if !inRange(k) {
				return false
			}
			committed = append(committed, k)
			return true
		})
	}
	i, j := 0, 0
	// Merge the committed keys and the update keys, updates winning.
	for i < len(committed) || j < len(updKeys) {
		var key string
		if j >= len(updKeys) || (i < len(committed) && committed[i] < updKeys[j]) {
			key = committed[i]
			i++
		} else {
			key = updKeys[j]
			j++
			if i < len(committed) && committed[i] == key {
				i++
			}
		}
		if w, ok := upd[key]; ok {
			if !w.isDelete {
				now = append(now, kv{key, w.ver})
			}
			continue
		}
		if r := l.lookup(ns, key).latest(); r != nil && !r.isDelete {
			now = append(now, kv{key, r.ver})
		}
	}
	if len(now) != len(rq.Reads) {
		return false
	}
	for k, rd := range rq.Reads {
		if now[k].key != rd.Key || !sameVersion(&now[k].ver, rd.Version) {
			return false
		}
	}
	return true
}

func sameVersion(a, b *Version) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// CommitBlock commits one block of simulated transactions. Each transaction
// is validated in order, as Fabric's validator does: a nil entry is
// NIL_ENVELOPE; a transaction whose precheck code is not VALID (for example
// ENDORSEMENT_POLICY_FAILURE decided by the caller) keeps that code; a
// transaction id already committed or repeated in the block is
// DUPLICATE_TXID; then MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT against
// committed state plus the writes of earlier valid transactions of this block.
// Valid transactions are applied with Version{block number, index}, and their
// writes recorded in key history with timestamps[i] (or the transaction's own
// Timestamp when timestamps is short). precheck may be nil (all VALID). The
// block number is Height() before the call; Height grows by one.
func (l *Ledger) CommitBlock(txs []*TxResults, precheck []peer.TxValidationCode, timestamps []time.Time) []peer.TxValidationCode {
	l.mu.Lock()
	defer l.mu.Unlock()
	blockNum := l.height
	codes := make([]peer.TxValidationCode, len(txs))
	updates := blockUpdates{}
	inBlock := map[string]bool{}
	type applied struct {
		tx  *TxResults
		ver Version
		ts  time.Time
	}
	var valid []applied
	for i, tx := range txs {
		code := peer.TxValidationCode_VALID
		if i < len(precheck) {
			code = precheck[i]
		}
		switch {
		case tx == nil:
			code = peer.TxValidationCode_NIL_ENVELOPE
		case code != peer.TxValidationCode_VALID:
		case tx.TxID != "" && (inBlock[tx.TxID] || l.hasTxIDLocked(tx.TxID)):
			code = peer.TxValidationCode_DUPLICATE_TXID
		default:
			code = l.validate(tx, updates)
		}
		codes[i] = code
		if tx == nil {
			continue
		}
		if tx.TxID != "" {
			inBlock[tx.TxID] = true
		}
		if code != peer.TxValidationCode_VALID {
			continue
		}
		ver := Version{BlockNum: blockNum, TxNum: uint64(i)}
		ts := tx.Timestamp
		if i < len(timestamps) && !timestamps[i].IsZero() {
			ts = timestamps[i]
		}
		ns := nsOrDefault(tx.Namespace)
		if updates[ns] == nil {
			updates[ns] = map[string]pendingWrite{}
		}
		for _, w := range tx.Writes {
			updates[ns][w.Key] = pendingWrite{value: w.Value, ver: ver, isDelete: w.IsDelete}
		}
		valid = append(valid, applied{tx, ver, ts})
	}
	for _, a := range valid {
		ns := nsOrDefault(a.tx.Namespace)
		n := l.nss[ns]
		if n == nil {
			n = &namespace{keys: map[string]*keyHistory{}}
			l.nss[ns] = n
		}
		for _, w := range a.tx.Writes {
			h := n.keys[w.Key]
			if h == nil {
				h = &keyHistory{}
				n.keys[w.Key] = h
				n.index.insert(w.Key)
			}
			rec := record{ver: a.ver, isDelete: w.IsDelete || len(w.Value) == 0, txID: a.tx.TxID, ts: a.ts}
			if !rec.isDelete {
				rec.value = bytes.Clone(w.Value)
			}
			h.recs = append(h.recs, rec)
		}
	}
	for i, tx := range txs {
		if tx != nil && tx.TxID != "" && codes[i] != peer.TxValidationCode_NIL_ENVELOPE {
			l.txIDs[tx.TxID] = struct{}{}
		}
	}
	l.height++
	return codes
}

func (l *Ledger) hasTxIDLocked(txID string) bool {
	_, ok := l.txIDs[txID]
	return ok
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}
