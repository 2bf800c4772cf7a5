package ledgersim

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Limits a peer applies to state queries (core/chaincode/chaincode_support.go
// MaxResultLimit, core.yaml ledger.state.totalQueryLimit).
const (
	maxResultLimit   = 100
	totalQueryLimit  = 100000
	compositeKeyNS   = "\x00"
	emptyKeySubst    = "\x01"
	maxUnicodeRune   = utf8.MaxRune
	errNotSupportedP = "ledgersim: %s is not supported (MedLedger uses no private data collections)"
)

// TxParams is everything a proposal gives the chaincode.
type TxParams struct {
	Namespace      string    // chaincode name; default "medledger"
	ChannelID      string    // default "mychannel"
	TxID           string    // required
	Timestamp      time.Time // required (becomes GetTxTimestamp)
	Creator        []byte    // serialized msp.SerializedIdentity (pki.Identity.Serialize)
	Args           [][]byte  // function name first
	Transient      map[string][]byte
	SignedProposal *peer.SignedProposal // optional
	Binding        []byte               // optional
}

func (p TxParams) check() error {
	if p.TxID == "" {
		return errors.New("ledgersim: TxParams.TxID is required")
	}
	if p.Timestamp.IsZero() {
		return errors.New("ledgersim: TxParams.Timestamp is required")
	}
	return nil
}

// TxResults is a simulation's read-write set and event.
type TxResults struct {
	Namespace    string
	TxID         string
	Timestamp    time.Time            // the proposal's timestamp; history uses it when CommitBlock gets none
	Reads        []KeyRead            // one per key read; sorted by key
	RangeQueries []RangeQuery         // in the order executed
	Writes       []KeyWrite           // last write per key; sorted by key
	Event        *peer.ChaincodeEvent // nil if none; last SetEvent wins
	// StateReads counts key/value pairs read: one per GetState key and one
	// per result an iterator (range, partial composite key, history) hands
	// to the chaincode. For benchmarks.
	StateReads int
}

// KeyRead is one key of the read set; a nil Version means the key did not exist.
type KeyRead struct {
	Key     string
	Version *Version
}

// RangeQuery is one range query as the peer records it for phantom-read
// validation: EndKey is the query's end when the iterator was exhausted,
// otherwise the last key the peer read.
type RangeQuery struct {
	StartKey, EndKey string
	ItrExhausted     bool
	Reads            []KeyRead
}

// KeyWrite is one key of the write set. Fabric turns an empty value into a delete.
type KeyWrite struct {
	Key      string
	Value    []byte
	IsDelete bool
}

// Stub implements shim.ChaincodeStubInterface for one transaction simulation.
// Reads see committed state as of the height at which the stub was created,
// never this transaction's own writes, exactly like Fabric.
type Stub struct {
	l      *Ledger
	p      TxParams
	ns     string
	height uint64

	mu                 sync.Mutex
	reads              map[string]*Version
	writes             map[string]KeyWrite
	ranges             []*rangeScan
	event              *peer.ChaincodeEvent
	writePerformed     bool
	paginatedPerformed bool
	stateReads         int
	results            *TxResults
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

// NewStub starts simulating one transaction on the current committed state.
func (l *Ledger) NewStub(p TxParams) *Stub {
	p.Namespace = nsOrDefault(p.Namespace)
	if p.ChannelID == "" {
		p.ChannelID = DefaultChannel
	}
	return &Stub{
		l:      l,
		p:      p,
		ns:     p.Namespace,
		height: l.Height(),
		reads:  map[string]*Version{},
		writes: map[string]KeyWrite{},
	}
}

// Results ends the simulation and returns its read-write set; call it after
// Invoke returns. Later state calls on the stub fail, as on a peer whose
// simulator is done; calling Results again returns the same results.
func (s *Stub) Results() *TxResults {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.results != nil {
		return s.results
	}
	r := &TxResults{
		Namespace:  s.ns,
		TxID:       s.p.TxID,
		Timestamp:  s.p.Timestamp,
		Event:      s.event,
		StateReads: s.stateReads,
	}
	for k, v := range s.reads {
		r.Reads = append(r.Reads, KeyRead{Key: k, Version: v})
	}
	sort.Slice(r.Reads, func(i, j int) bool { return r.Reads[i].Key < r.Reads[j].Key })
	for _, w := range s.writes {
		r.Writes = append(r.Writes, w)
	}
	sort.Slice(r.Writes, func(i, j int) bool { return r.Writes[i].Key < r.Writes[j].Key })
	for _, rs := range s.ranges {
		r.RangeQueries = append(r.RangeQueries, rs.record())
	}
	s.results = r
	return r
}

// checkDone needs s.mu held.
func (s *Stub) checkDone() error {
	if s.results != nil {
		return errors.New("this instance should not be used after calling Done()")
	}
	return nil
}

// wireString mirrors the shim's protobuf marshalling, which refuses strings
// that are not valid UTF-8 before anything reaches the peer.
func wireString(what, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("string field contains invalid UTF-8: %s [%x]", what, v)
	}
	return nil
}

// --- arguments and proposal ---

// GetArgs returns the invocation arguments, function name first.
func (s *Stub) GetArgs() [][]byte { return s.p.Args }

// GetStringArgs returns the arguments as strings.
func (s *Stub) GetStringArgs() []string {
	out := make([]string, 0, len(s.p.Args))
	for _, a := range s.p.Args {
		out = append(out, string(a))
	}
	return out
}

// GetFunctionAndParameters splits the arguments like the shim does.
func (s *Stub) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

// GetArgsSlice concatenates the arguments.
func (s *Stub) GetArgsSlice() ([]byte, error) { return bytes.Join(s.p.Args, nil), nil }

// GetTxID returns the transaction id.
func (s *Stub) GetTxID() string { return s.p.TxID }

// GetChannelID returns the channel name.
func (s *Stub) GetChannelID() string { return s.p.ChannelID }

// GetCreator returns the serialized identity of the proposal's creator.
func (s *Stub) GetCreator() ([]byte, error) { return s.p.Creator, nil }

// GetTransient returns the proposal's transient map.
func (s *Stub) GetTransient() (map[string][]byte, error) { return s.p.Transient, nil }

// GetBinding returns the proposal binding.
func (s *Stub) GetBinding() ([]byte, error) { return s.p.Binding, nil }

// GetDecorations returns no decorations: there is no peer decorator here.
func (s *Stub) GetDecorations() map[string][]byte { return nil }

// GetSignedProposal returns the signed proposal given in TxParams, if any.
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) { return s.p.SignedProposal, nil }

// GetTxTimestamp returns the proposal timestamp.
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if s.p.Timestamp.IsZero() {
		return nil, errors.New("ledgersim: transaction timestamp not set (TxParams.Timestamp)")
	}
	return timestamppb.New(s.p.Timestamp), nil
}

// SetEvent sets the transaction's chaincode event; the last call wins.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.event = &peer.ChaincodeEvent{
		ChaincodeId: s.ns,
		TxId:        s.p.TxID,
		EventName:   name,
		Payload:     bytes.Clone(payload),
	}
	return nil
}

// InvokeChaincode is not supported: MedLedger calls no other chaincode.
func (s *Stub) InvokeChaincode(chaincodeName string, _ [][]byte, _ string) *peer.Response {
	return shim.Error(fmt.Sprintf("ledgersim: InvokeChaincode(%q) is not supported", chaincodeName))
}

// --- state reads ---

// GetState returns the committed value of key (nil if absent) and records the read.
func (s *Stub) GetState(key string) ([]byte, error) {
	if err := wireString("key", key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDone(); err != nil {
		return nil, err
	}
	return s.readLocked(key), nil
}

// readLocked needs s.mu held.
func (s *Stub) readLocked(key string) []byte {
	s.l.mu.RLock()
	r := s.l.lookup(s.ns, key).asOf(s.height)
	var val []byte
	var ver *Version
	if r != nil && !r.isDelete {
		val = bytes.Clone(r.value)
		v := r.ver
		ver = &v
	}
	s.l.mu.RUnlock()
	// Every read of a key in one simulation sees the same snapshot, so the
	// first recorded version is also the last (Fabric keeps the last).
	if _, ok := s.reads[key]; !ok {
		s.reads[key] = ver
	}
	s.stateReads++
	return val
}

// GetMultipleStates reads several keys; missing keys give nil.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil // as the shim: no request, no read
	}
	for _, k := range keys {
		if err := wireString("key", k); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDone(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = s.readLocked(k)
	}
	return out, nil
}

// --- state writes ---

// PutState records a write. As in Fabric, an empty value is a delete.
func (s *Stub) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	return s.write(key, value)
}

// DelState records a delete.
func (s *Stub) DelState(key string) error { return s.write(key, nil) }

// write is the peer's txSimulator.SetState
// (core/ledger/kvledger/txmgmt/txmgr/tx_simulator.go checkWritePrecondition).
func (s *Stub) write(key string, value []byte) error {
	if err := wireString("key", key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDone(); err != nil {
		return err
	}
	if s.paginatedPerformed {
		return fmt.Errorf("txid [%s]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed", s.p.TxID)
	}
	s.writePerformed = true
	w := KeyWrite{Key: key, IsDelete: len(value) == 0}
	if !w.IsDelete {
		w.Value = bytes.Clone(value)
	}
	s.writes[key] = w
	return nil
}

// StartWriteBatch is a no-op: writes are recorded as they are made.
func (s *Stub) StartWriteBatch() {}

// FinishWriteBatch is a no-op: every write was already applied (and checked) when made.
func (s *Stub) FinishWriteBatch() error { return nil }

// SetStateValidationParameter is not supported (no key-level endorsement).
func (s *Stub) SetStateValidationParameter(key string, _ []byte) error {
	return fmt.Errorf("ledgersim: key-level endorsement (SetStateValidationParameter %q) is not supported", key)
}

// GetStateValidationParameter is not supported (no key-level endorsement).
func (s *Stub) GetStateValidationParameter(key string) ([]byte, error) {
	return nil, fmt.Errorf("ledgersim: key-level endorsement (GetStateValidationParameter %q) is not supported", key)
}

// --- composite keys ---

// CreateCompositeKey is the shim's own function, with its validation.
func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey splits a composite key. Unlike the shim, which panics on
// a key that is not composite, it returns an error.
func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if len(compositeKey) < 2 || compositeKey[0] != compositeKeyNS[0] || compositeKey[len(compositeKey)-1] != 0 {
		return "", nil, fmt.Errorf("ledgersim: key %q is not a composite key", compositeKey)
	}
	var parts []string
	start := 1
	for i := 1; i < len(compositeKey); i++ {
		if compositeKey[i] == 0 {
			parts = append(parts, compositeKey[start:i])
			start = i + 1
		}
	}
	return parts[0], parts[1:], nil
}

// validateSimpleKeys is the shim's check that keeps range queries out of the
// composite-key namespace.
func validateSimpleKeys(keys ...string) error {
	for _, key := range keys {
		if len(key) > 0 && key[0] == compositeKeyNS[0] {
			return fmt.Errorf(`first character of the key [%s] contains a null character which is not allowed`, key)
		}
	}
	return nil
}

func partialKeyRange(objectType string, attributes []string) (string, string, error) {
	start, err := shim.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return "", "", err
	}
	return start, start + string(maxUnicodeRune), nil
}

// --- range queries ---

// GetStateByRange iterates committed keys in [startKey, endKey); "" start
// means from the first simple key, "" end means to the last.
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubst
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	it, _, err := s.rangeQuery(startKey, endKey, nil)
	return it, err
}

// GetStateByPartialCompositeKey iterates the composite keys with this prefix.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialKeyRange(objectType, keys)
	if err != nil {
		return nil, err
	}
	it, _, err := s.rangeQuery(start, end, nil)
	return it, err
}

// GetStateByRangeWithPagination returns one page; only in read-only transactions.
func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubst
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(startKey, endKey, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// GetStateByPartialCompositeKeyWithPagination returns one page of composite
// keys with this prefix; only in read-only transactions.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, end, err := partialKeyRange(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(start, end, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// GetAllStatesCompositeKeyWithPagination pages through every composite key.
func (s *Stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.rangeQuery(compositeKeyNS, compositeKeyNS+string(maxUnicodeRune), &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// rangeQuery is the peer's HandleGetStateByRange (core/chaincode/handler.go):
// metadata with a page size or a bookmark makes the query paginated, the
// bookmark replaces the start key, a paginated query is refused once the
// transaction wrote, and the first batch of results is fetched at once.
func (s *Stub) rangeQuery(startKey, endKey string, md *peer.QueryMetadata) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if err := wireString("startKey", startKey); err != nil {
		return nil, nil, err
	}
	if err := wireString("endKey", endKey); err != nil {
		return nil, nil, err
	}
	paginated := md != nil && (md.PageSize != 0 || md.Bookmark != "")
	if paginated {
		if err := wireString("bookmark", md.Bookmark); err != nil {
			return nil, nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDone(); err != nil {
		return nil, nil, err
	}
	limit := totalQueryLimit
	if paginated {
		if md.PageSize > 0 && int(md.PageSize) < limit {
			limit = int(md.PageSize)
		}
		if md.Bookmark != "" {
			startKey = md.Bookmark
		}
		if s.writePerformed {
			return nil, nil, fmt.Errorf("txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", s.p.TxID)
		}
		s.paginatedPerformed = true
	}
	scan := &rangeScan{
		l:      s.l,
		ns:     s.ns,
		height: s.height,
		start:  startKey,
		end:    endKey,
		cursor: startKey,
	}
	s.ranges = append(s.ranges, scan)
	it := &stateIter{stub: s, scan: scan, paginated: paginated, limit: limit}
	it.fetch()
	meta := &peer.QueryResponseMetadata{}
	if paginated {
		meta.FetchedRecordsCount = int32(it.count)
		meta.Bookmark = scan.peek()
	}
	return it, meta, nil
}

// rangeScan is the peer's resultsItr over LevelDB: it walks the snapshot in
// key order and records what it read in the range query info.
type rangeScan struct {
	l          *Ledger
	ns         string
	height     uint64
	start, end string
	// cursor is where the next read resumes: the start key, then the
	// successor of the last key read. Resuming by key, not by position,
	// keeps the scan right while commits insert keys into the index.
	cursor string

	exhausted bool
	lastKey   string
	reads     []KeyRead
}

// next returns the next live key/value in range, or nil at the end (which
// marks the iterator exhausted, as updateRangeQueryInfo does).
func (rs *rangeScan) next() *queryresult.KV {
	if rs.exhausted {
		return nil
	}
	rs.l.mu.RLock()
	defer rs.l.mu.RUnlock()
	var out *queryresult.KV
	var ver Version
	if n := rs.l.nss[rs.ns]; n != nil {
		n.index.ascend(rs.cursor, func(k string) bool {
			if rs.end != "" && k >= rs.end {
				return false
			}
			r := n.keys[k].asOf(rs.height)
			if r == nil || r.isDelete {
				return true
			}
			out = &queryresult.KV{Namespace: rs.ns, Key: k, Value: bytes.Clone(r.value)}
			ver = r.ver
			return false
		})
	}
	if out == nil {
		rs.exhausted = true
		return nil
	}
	rs.cursor = successor(out.Key)
	rs.lastKey = out.Key
	rs.reads = append(rs.reads, KeyRead{Key: out.Key, Version: &ver})
	return out
}

// peek returns the next live key in range without recording it: LevelDB's
// bookmark (kvScanner.GetBookmarkAndClose), "" when there is none.
func (rs *rangeScan) peek() string {
	if rs.exhausted {
		return ""
	}
	rs.l.mu.RLock()
	defer rs.l.mu.RUnlock()
	next := ""
	if n := rs.l.nss[rs.ns]; n != nil {
		n.index.ascend(rs.cursor, func(k string) bool {
			if rs.end != "" && k >= rs.end {
				return false
			}
			if r := n.keys[k].asOf(rs.height); r != nil && !r.isDelete {
				next = k
				return false
			}
			return true
		})
	}
	return next
}

func (rs *rangeScan) record() RangeQuery {
	rq := RangeQuery{StartKey: rs.start, ItrExhausted: rs.exhausted, Reads: append([]KeyRead(nil), rs.reads...)}
	if rs.exhausted {
		rq.EndKey = rs.end
	} else {
		rq.EndKey = rs.lastKey
	}
	return rq
}

// stateIter is what the chaincode sees. It fetches from the scan in the
// batches a peer sends to the shim (QueryResponseGenerator.BuildQueryResponse):
// up to 100 results, reading one more to know there are more, so the range
// query record covers what the peer read, not just what the chaincode used.
type stateIter struct {
	stub      *Stub
	scan      *rangeScan
	paginated bool
	limit     int
	count     int

	pending *queryresult.KV
	batch   []*queryresult.KV
	idx     int
	hasMore bool
	closed  bool
}

var _ shim.StateQueryIteratorInterface = (*stateIter)(nil)

func (it *stateIter) fetch() {
	it.batch, it.idx, it.hasMore = nil, 0, false
	if it.pending != nil {
		it.batch = append(it.batch, it.pending)
		it.pending = nil
	}
	for it.count < it.limit {
		kv := it.scan.next()
		if kv == nil {
			return
		}
		it.count++
		if !it.paginated && len(it.batch) == maxResultLimit {
			it.pending = kv
			it.hasMore = true
			return
		}
		it.batch = append(it.batch, kv)
	}
}

// HasNext reports whether Next has another result.
func (it *stateIter) HasNext() bool {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	return !it.closed && (it.idx < len(it.batch) || it.hasMore)
}

// Next returns the next key/value.
func (it *stateIter) Next() (*queryresult.KV, error) {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	if it.closed {
		return nil, errors.New("ledgersim: iterator is closed")
	}
	if it.idx >= len(it.batch) {
		if !it.hasMore {
			return nil, errors.New("no such key")
		}
		if err := it.stub.checkDone(); err != nil {
			return nil, err
		}
		it.fetch()
		if len(it.batch) == 0 {
			return nil, errors.New("no such key")
		}
	}
	kv := it.batch[it.idx]
	it.idx++
	it.stub.stateReads++
	return kv, nil
}

// Close releases the iterator; the range read so far stays recorded.
func (it *stateIter) Close() error {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	it.closed = true
	return nil
}

// --- history ---

// GetHistoryForKey returns the committed modifications of key, newest first
// (as Fabric's history database does), as of the simulation's snapshot. It
// records nothing in the read set: history reads are not re-validated.
func (s *Stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if err := wireString("key", key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDone(); err != nil {
		return nil, err
	}
	s.l.mu.RLock()
	h := s.l.lookup(s.ns, key)
	var mods []*queryresult.KeyModification
	if h != nil {
		for i := len(h.recs) - 1; i >= 0; i-- {
			r := h.recs[i]
			if r.ver.BlockNum >= s.height {
				continue
			}
			mods = append(mods, &queryresult.KeyModification{
				TxId:      r.txID,
				Value:     bytes.Clone(r.value),
				Timestamp: timestamppb.New(r.ts),
				IsDelete:  r.isDelete,
			})
		}
	}
	s.l.mu.RUnlock()
	return &historyIter{stub: s, mods: mods}, nil
}

type historyIter struct {
	stub   *Stub
	mods   []*queryresult.KeyModification
	idx    int
	closed bool
}

var _ shim.HistoryQueryIteratorInterface = (*historyIter)(nil)

// HasNext reports whether Next has another modification.
func (it *historyIter) HasNext() bool {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	return !it.closed && it.idx < len(it.mods)
}

// Next returns the next (older) modification.
func (it *historyIter) Next() (*queryresult.KeyModification, error) {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	if it.closed {
		return nil, errors.New("ledgersim: iterator is closed")
	}
	if it.idx >= len(it.mods) {
		return nil, errors.New("no such key")
	}
	m := it.mods[it.idx]
	it.idx++
	it.stub.stateReads++
	return m, nil
}

// Close releases the iterator.
func (it *historyIter) Close() error {
	it.stub.mu.Lock()
	defer it.stub.mu.Unlock()
	it.closed = true
	return nil
}

// --- not supported on a LevelDB peer, or not by this simulator ---

// GetQueryResult fails as on a LevelDB peer: rich queries need CouchDB.
func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, errors.New("ExecuteQuery not supported for leveldb")
}

// GetQueryResultWithPagination fails as on a LevelDB peer. Like the peer, it
// first applies the paginated-query rule (and marks the transaction as having
// made a paginated query).
func (s *Stub) GetQueryResultWithPagination(_ string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if pageSize != 0 || bookmark != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.writePerformed {
			return nil, nil, fmt.Errorf("txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", s.p.TxID)
		}
		s.paginatedPerformed = true
		return nil, nil, errors.New("ExecuteQueryWithMetadata not supported for leveldb")
	}
	return nil, nil, errors.New("ExecuteQuery not supported for leveldb")
}

// GetPrivateData is not supported.
func (s *Stub) GetPrivateData(collection, _ string) ([]byte, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateData")
}

// GetMultiplePrivateData is not supported.
func (s *Stub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetMultiplePrivateData")
}

// GetPrivateDataHash is not supported.
func (s *Stub) GetPrivateDataHash(string, string) ([]byte, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateDataHash")
}

// PutPrivateData is not supported.
func (s *Stub) PutPrivateData(string, string, []byte) error {
	return fmt.Errorf(errNotSupportedP, "PutPrivateData")
}

// DelPrivateData is not supported.
func (s *Stub) DelPrivateData(string, string) error {
	return fmt.Errorf(errNotSupportedP, "DelPrivateData")
}

// PurgePrivateData is not supported.
func (s *Stub) PurgePrivateData(string, string) error {
	return fmt.Errorf(errNotSupportedP, "PurgePrivateData")
}

// SetPrivateDataValidationParameter is not supported.
func (s *Stub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return fmt.Errorf(errNotSupportedP, "SetPrivateDataValidationParameter")
}

// GetPrivateDataValidationParameter is not supported.
func (s *Stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateDataValidationParameter")
}

// GetPrivateDataByRange is not supported.
func (s *Stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateDataByRange")
}

// GetPrivateDataByPartialCompositeKey is not supported.
func (s *Stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateDataByPartialCompositeKey")
}

// GetPrivateDataQueryResult is not supported.
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, fmt.Errorf(errNotSupportedP, "GetPrivateDataQueryResult")
}
