package ledgersim_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var txSeq int

// simulate runs body as one transaction simulation and returns its results.
func simulate(t *testing.T, l *ledgersim.Ledger, body func(s *ledgersim.Stub)) *ledgersim.TxResults {
	t.Helper()
	txSeq++
	s := l.NewStub(ledgersim.TxParams{TxID: fmt.Sprintf("tx%d", txSeq), Timestamp: t0.Add(time.Duration(txSeq) * time.Second)})
	body(s)
	return s.Results()
}

// commit commits one block and requires every code to be VALID.
func commit(t *testing.T, l *ledgersim.Ledger, txs ...*ledgersim.TxResults) {
	t.Helper()
	for i, c := range l.CommitBlock(txs, nil, nil) {
		require.Equal(t, peer.TxValidationCode_VALID, c, "tx %d", i)
	}
}

// put commits one block writing the given key/value pairs.
func put(t *testing.T, l *ledgersim.Ledger, kv ...string) {
	t.Helper()
	commit(t, l, simulate(t, l, func(s *ledgersim.Stub) {
		for i := 0; i < len(kv); i += 2 {
			require.NoError(t, s.PutState(kv[i], []byte(kv[i+1])))
		}
	}))
}

func TestReadsDoNotSeeTheTransactionsOwnWrites(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "a", "committed")
	res := simulate(t, l, func(s *ledgersim.Stub) {
		require.NoError(t, s.PutState("a", []byte("mine")))
		require.NoError(t, s.PutState("b", []byte("new")))
		got, err := s.GetState("a")
		require.NoError(t, err)
		require.Equal(t, "committed", string(got))
		got, err = s.GetState("b")
		require.NoError(t, err)
		require.Nil(t, got)
		it, err := s.GetStateByRange("", "")
		require.NoError(t, err)
		var keys []string
		for it.HasNext() {
			kv, err := it.Next()
			require.NoError(t, err)
			keys = append(keys, kv.Key)
		}
		require.Equal(t, []string{"a"}, keys, "a range query must not see this transaction's new key")
	})
	require.Equal(t, []ledgersim.KeyWrite{{Key: "a", Value: []byte("mine")}, {Key: "b", Value: []byte("new")}}, res.Writes)
	v, _, _ := l.GetCommitted("medledger", "a")
	require.Equal(t, "committed", string(v), "simulation alone must not change committed state")
}

func TestVersionsAreBlockNumberAndIndexInBlock(t *testing.T) {
	l := ledgersim.New()
	require.Equal(t, uint64(1), l.Height(), "block 0 is the genesis block")
	a := simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.PutState("a", []byte("1"))) })
	b := simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.PutState("b", []byte("1"))) })
	commit(t, l, a, b)
	require.Equal(t, uint64(2), l.Height())
	put(t, l, "a", "2")

	tests := []struct {
		key     string
		want    string
		wantVer ledgersim.Version
	}{
		{"a", "2", ledgersim.Version{BlockNum: 2, TxNum: 0}},
		{"b", "1", ledgersim.Version{BlockNum: 1, TxNum: 1}},
	}
	for _, tt := range tests {
		v, ver, ok := l.GetCommitted("medledger", tt.key)
		require.True(t, ok)
		require.Equal(t, tt.want, string(v))
		require.Equal(t, tt.wantVer, ver)
	}
	res := simulate(t, l, func(s *ledgersim.Stub) {
		_, _ = s.GetState("b")
		_, _ = s.GetState("missing")
		_, _ = s.GetState("a")
		_, _ = s.GetState("a")
	})
	require.Equal(t, []ledgersim.KeyRead{
		{Key: "a", Version: &ledgersim.Version{BlockNum: 2}},
		{Key: "b", Version: &ledgersim.Version{BlockNum: 1, TxNum: 1}},
		{Key: "missing"},
	}, res.Reads)
	require.Equal(t, 4, res.StateReads)
}

func TestEmptyValueIsADeleteAndEmptyKeyIsRefused(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "a", "1", "b", "1")
	res := simulate(t, l, func(s *ledgersim.Stub) {
		require.NoError(t, s.PutState("a", []byte{}))
		require.NoError(t, s.DelState("b"))
		require.EqualError(t, s.PutState("", []byte("x")), "key must not be an empty string")
		require.ErrorContains(t, s.PutState("\xff", []byte("x")), "invalid UTF-8")
	})
	require.Equal(t, []ledgersim.KeyWrite{{Key: "a", IsDelete: true}, {Key: "b", IsDelete: true}}, res.Writes)
	commit(t, l, res)
	for _, k := range []string{"a", "b"} {
		_, _, ok := l.GetCommitted("medledger", k)
		require.False(t, ok, k)
	}
}

func TestMVCCReadConflicts(t *testing.T) {
	readWrite := func(t *testing.T, l *ledgersim.Ledger, key string) *ledgersim.TxResults {
		return simulate(t, l, func(s *ledgersim.Stub) {
			v, err := s.GetState(key)
			require.NoError(t, err)
			require.NoError(t, s.PutState(key, append(v, '+')))
		})
	}
	tests := []struct {
		name  string
		setup []string
		run   func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode
		want  []peer.TxValidationCode
	}{
		{
			name:  "two transactions of one block update the same key",
			setup: []string{"k", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				return l.CommitBlock([]*ledgersim.TxResults{readWrite(t, l, "k"), readWrite(t, l, "k")}, nil, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		},
		{
			name:  "same key across blocks",
			setup: []string{"k", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				a, b := readWrite(t, l, "k"), readWrite(t, l, "k")
				first := l.CommitBlock([]*ledgersim.TxResults{a}, nil, nil)
				return append(first, l.CommitBlock([]*ledgersim.TxResults{b}, nil, nil)...)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		},
		{
			name: "key read as missing is created by an earlier transaction",
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				return l.CommitBlock([]*ledgersim.TxResults{readWrite(t, l, "new"), readWrite(t, l, "new")}, nil, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		},
		{
			name:  "different keys do not conflict",
			setup: []string{"k", "v", "j", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				return l.CommitBlock([]*ledgersim.TxResults{readWrite(t, l, "k"), readWrite(t, l, "j")}, nil, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		},
		{
			name:  "blind writes never conflict",
			setup: []string{"k", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				w := func() *ledgersim.TxResults {
					return simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.PutState("k", []byte("x"))) })
				}
				return l.CommitBlock([]*ledgersim.TxResults{w(), w()}, nil, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		},
		{
			name:  "a write by an invalid transaction does not invalidate later readers",
			setup: []string{"k", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				return l.CommitBlock([]*ledgersim.TxResults{readWrite(t, l, "k"), readWrite(t, l, "k")},
					[]peer.TxValidationCode{peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, peer.TxValidationCode_VALID}, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, peer.TxValidationCode_VALID},
		},
		{
			name:  "a key deleted and read as missing stays valid",
			setup: []string{"k", "v"},
			run: func(t *testing.T, l *ledgersim.Ledger) []peer.TxValidationCode {
				commit(t, l, simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.DelState("k")) }))
				r := simulate(t, l, func(s *ledgersim.Stub) { _, _ = s.GetState("k") })
				return l.CommitBlock([]*ledgersim.TxResults{r}, nil, nil)
			},
			want: []peer.TxValidationCode{peer.TxValidationCode_VALID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgersim.New()
			if len(tt.setup) > 0 {
				put(t, l, tt.setup...)
			}
			require.Equal(t, tt.want, tt.run(t, l))
		})
	}
}

func TestInvalidTransactionsWriteNothing(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "k", "v")
	a := simulate(t, l, func(s *ledgersim.Stub) { _, _ = s.GetState("k"); require.NoError(t, s.PutState("k", []byte("a"))) })
	b := simulate(t, l, func(s *ledgersim.Stub) {
		_, _ = s.GetState("k")
		require.NoError(t, s.PutState("k", []byte("b")))
		require.NoError(t, s.PutState("other", []byte("b")))
	})
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT},
		l.CommitBlock([]*ledgersim.TxResults{a, b}, nil, nil))
	v, _, _ := l.GetCommitted("medledger", "k")
	require.Equal(t, "a", string(v))
	_, _, ok := l.GetCommitted("medledger", "other")
	require.False(t, ok, "an invalid transaction's writes must not be applied")
}

func TestDuplicateAndNilTransactions(t *testing.T) {
	l := ledgersim.New()
	w := func(id string) *ledgersim.TxResults {
		s := l.NewStub(ledgersim.TxParams{TxID: id, Timestamp: t0})
		require.NoError(t, s.PutState("k", []byte(id)))
		return s.Results()
	}
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_DUPLICATE_TXID, peer.TxValidationCode_NIL_ENVELOPE},
		l.CommitBlock([]*ledgersim.TxResults{w("same"), w("same"), nil}, nil, nil))
	require.True(t, l.HasTxID("same"))
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_DUPLICATE_TXID},
		l.CommitBlock([]*ledgersim.TxResults{w("same")}, nil, nil))
	// An invalid transaction's id is taken too, as a peer's block store has it.
	l.CommitBlock([]*ledgersim.TxResults{w("bad")}, []peer.TxValidationCode{peer.TxValidationCode_BAD_PROPOSAL_TXID}, nil)
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_DUPLICATE_TXID},
		l.CommitBlock([]*ledgersim.TxResults{w("bad")}, nil, nil))
}

func TestPhantomReads(t *testing.T) {
	rangeReader := func(t *testing.T, l *ledgersim.Ledger) *ledgersim.TxResults {
		return simulate(t, l, func(s *ledgersim.Stub) {
			it, err := s.GetStateByRange("b", "d")
			require.NoError(t, err)
			defer it.Close()
			for it.HasNext() {
				_, err := it.Next()
				require.NoError(t, err)
			}
			require.NoError(t, s.PutState("result", []byte("x")))
		})
	}
	writer := func(t *testing.T, l *ledgersim.Ledger, key string, del bool) *ledgersim.TxResults {
		return simulate(t, l, func(s *ledgersim.Stub) {
			if del {
				require.NoError(t, s.DelState(key))
				return
			}
			require.NoError(t, s.PutState(key, []byte("new")))
		})
	}
	tests := []struct {
		name      string
		key       string
		del       bool
		sameBlock bool
		want      peer.TxValidationCode
	}{
		{"insert inside the range, later block", "bb", false, false, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert inside the range, same block", "bb", false, true, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"update of a key in the range", "b", false, false, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"delete of a key in the range", "c", true, true, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert before the range", "a0", false, true, peer.TxValidationCode_VALID},
		{"insert at the exclusive end key", "d", false, false, peer.TxValidationCode_VALID},
		{"insert after the range", "e", false, true, peer.TxValidationCode_VALID},
		{"delete of a missing key in the range", "bc", true, false, peer.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgersim.New()
			put(t, l, "a", "1", "b", "1", "c", "1", "e", "1")
			r := rangeReader(t, l)
			require.True(t, r.RangeQueries[0].ItrExhausted)
			w := writer(t, l, tt.key, tt.del)
			var codes []peer.TxValidationCode
			if tt.sameBlock {
				codes = l.CommitBlock([]*ledgersim.TxResults{w, r}, nil, nil)
			} else {
				codes = append(l.CommitBlock([]*ledgersim.TxResults{w}, nil, nil), l.CommitBlock([]*ledgersim.TxResults{r}, nil, nil)...)
			}
			require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, tt.want}, codes)
		})
	}
}

func TestPartialCompositeKeyQueryDetectsNewKeyWithPrefix(t *testing.T) {
	l := ledgersim.New()
	key := func(attrs ...string) string {
		k, err := shim.CreateCompositeKey("grant", attrs)
		require.NoError(t, err)
		return k
	}
	put(t, l, key("p1", "g1"), "x", key("p2", "g1"), "x")
	r := simulate(t, l, func(s *ledgersim.Stub) {
		it, err := s.GetStateByPartialCompositeKey("grant", []string{"p1"})
		require.NoError(t, err)
		defer it.Close()
		n := 0
		for it.HasNext() {
			kv, err := it.Next()
			require.NoError(t, err)
			_, attrs, err := s.SplitCompositeKey(kv.Key)
			require.NoError(t, err)
			require.Equal(t, "p1", attrs[0])
			n++
		}
		require.Equal(t, 1, n)
		require.NoError(t, s.PutState("out", []byte("1")))
	})
	require.Equal(t, []ledgersim.RangeQuery{{
		StartKey: key("p1"), EndKey: key("p1") + "\U0010FFFF", ItrExhausted: true,
		Reads: []ledgersim.KeyRead{{Key: key("p1", "g1"), Version: &ledgersim.Version{BlockNum: 1}}},
	}}, r.RangeQueries)
	other := simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.PutState(key("p2", "g2"), []byte("x"))) })
	same := simulate(t, l, func(s *ledgersim.Stub) { require.NoError(t, s.PutState(key("p1", "g2"), []byte("x"))) })
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		l.CommitBlock([]*ledgersim.TxResults{other, r}, nil, nil), "a key with another prefix is no phantom")
	r2 := simulate(t, l, func(s *ledgersim.Stub) {
		it, err := s.GetStateByPartialCompositeKey("grant", []string{"p1"})
		require.NoError(t, err)
		require.NoError(t, it.Close())
		require.NoError(t, s.PutState("out", []byte("2")))
	})
	require.Equal(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		l.CommitBlock([]*ledgersim.TxResults{same, r2}, nil, nil))
}

func TestRangeQueryRecordsWhatThePeerFetched(t *testing.T) {
	// A peer hands results to the shim in batches of 100 and reads one more
	// to know there are more, so it records more than the chaincode used.
	tests := []struct {
		name          string
		keys          int
		consume       int
		wantReads     int
		wantExhausted bool
		wantEnd       string
	}{
		{"small range read once is exhausted", 5, 1, 5, true, "z"},
		{"large range read once stops after 101", 150, 1, 101, false, "k100"},
		{"large range read past the first batch", 150, 101, 150, true, "z"},
		{"empty range", 0, 0, 0, true, "z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgersim.New()
			var kv []string
			for i := 0; i < tt.keys; i++ {
				kv = append(kv, fmt.Sprintf("k%03d", i), "v")
			}
			if len(kv) > 0 {
				put(t, l, kv...)
			}
			r := simulate(t, l, func(s *ledgersim.Stub) {
				it, err := s.GetStateByRange("k", "z")
				require.NoError(t, err)
				defer it.Close()
				for i := 0; i < tt.consume; i++ {
					require.True(t, it.HasNext())
					got, err := it.Next()
					require.NoError(t, err)
					require.Equal(t, fmt.Sprintf("k%03d", i), got.Key)
				}
			})
			require.Len(t, r.RangeQueries, 1)
			rq := r.RangeQueries[0]
			require.Len(t, rq.Reads, tt.wantReads)
			require.Equal(t, tt.wantExhausted, rq.ItrExhausted)
			require.Equal(t, tt.wantEnd, rq.EndKey)
			require.Equal(t, tt.consume, r.StateReads)
		})
	}
}

func TestPaginatedQueriesOnlyInReadOnlyTransactions(t *testing.T) {
	refusedQuery := "txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction"
	refusedWrite := "txid [%s]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed"
	tests := []struct {
		name    string
		body    func(s *ledgersim.Stub) error
		wantErr string
	}{
		{"write then paginated range", func(s *ledgersim.Stub) error {
			if err := s.PutState("x", []byte("1")); err != nil {
				return err
			}
			_, _, err := s.GetStateByRangeWithPagination("a", "z", 10, "")
			return err
		}, refusedQuery},
		{"delete then paginated partial composite key", func(s *ledgersim.Stub) error {
			if err := s.DelState("x"); err != nil {
				return err
			}
			_, _, err := s.GetStateByPartialCompositeKeyWithPagination("t", nil, 10, "")
			return err
		}, refusedQuery},
		{"paginated then write", func(s *ledgersim.Stub) error {
			if _, _, err := s.GetStateByRangeWithPagination("a", "z", 10, ""); err != nil {
				return err
			}
			return s.PutState("x", []byte("1"))
		}, refusedWrite},
		{"bookmark alone makes a query paginated", func(s *ledgersim.Stub) error {
			if _, _, err := s.GetAllStatesCompositeKeyWithPagination(0, "\x00t"); err != nil {
				return err
			}
			return s.DelState("x")
		}, refusedWrite},
		{"paginated rich query then write", func(s *ledgersim.Stub) error {
			_, _, _ = s.GetQueryResultWithPagination(`{}`, 5, "")
			return s.PutState("x", []byte("1"))
		}, refusedWrite},
		{"page size 0 and no bookmark is a plain range query", func(s *ledgersim.Stub) error {
			if err := s.PutState("x", []byte("1")); err != nil {
				return err
			}
			_, _, err := s.GetStateByRangeWithPagination("a", "z", 0, "")
			return err
		}, ""},
		{"plain range query in a writing transaction", func(s *ledgersim.Stub) error {
			if err := s.PutState("x", []byte("1")); err != nil {
				return err
			}
			_, err := s.GetStateByRange("a", "z")
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ledgersim.New()
			s := l.NewStub(ledgersim.TxParams{TxID: "tx-" + tt.name, Timestamp: t0})
			err := tt.body(s)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, fmt.Sprintf(tt.wantErr, "tx-"+tt.name))
		})
	}
}

func TestBookmarkPagingVisitsEveryKeyOnce(t *testing.T) {
	l := ledgersim.New()
	var kv, all []string
	for i := 0; i < 25; i++ {
		k, err := shim.CreateCompositeKey("doc", []string{"p1", fmt.Sprintf("d%02d", i)})
		require.NoError(t, err)
		kv = append(kv, k, "v")
		all = append(all, k)
	}
	other, err := shim.CreateCompositeKey("doc", []string{"p2", "d00"})
	require.NoError(t, err)
	put(t, l, append(kv, other, "v", "simple", "v")...)

	type page struct {
		keys     []string
		bookmark string
		fetched  int32
	}
	var pages []page
	bookmark := ""
	for i := 0; i < 10; i++ { // bounded: 25 keys need 3 pages
		s := l.NewStub(ledgersim.TxParams{TxID: fmt.Sprintf("page%d", i), Timestamp: t0})
		it, md, err := s.GetStateByPartialCompositeKeyWithPagination("doc", []string{"p1"}, 10, bookmark)
		require.NoError(t, err)
		var p page
		for it.HasNext() {
			kv, err := it.Next()
			require.NoError(t, err)
			p.keys = append(p.keys, kv.Key)
		}
		p.bookmark, p.fetched = md.Bookmark, md.FetchedRecordsCount
		pages = append(pages, p)
		res := s.Results()
		require.Len(t, res.RangeQueries, 1)
		if bookmark != "" {
			require.Equal(t, bookmark, res.RangeQueries[0].StartKey, "the bookmark replaces the start key")
		}
		bookmark = md.Bookmark
		if bookmark == "" {
			break
		}
	}
	require.Equal(t, []page{
		{all[0:10], all[10], 10},
		{all[10:20], all[20], 10},
		{all[20:25], "", 5},
	}, pages)
}

func TestCompositeKeys(t *testing.T) {
	l := ledgersim.New()
	s := l.NewStub(ledgersim.TxParams{TxID: "ck", Timestamp: t0})
	tests := []struct {
		name    string
		objType string
		attrs   []string
		wantErr string
	}{
		{"valid", "doc", []string{"p1", "d1"}, ""},
		{"no attributes", "doc", nil, ""},
		{"null in attribute", "doc", []string{"a\x00b"}, "input contains unicode U+0000 starting at position [1]. U+0000 and U+10FFFF are not allowed in the input attribute of a composite key"},
		{"max rune in object type", "d\U0010FFFF", nil, "input contains unicode U+10FFFF"},
		{"invalid UTF-8", "doc", []string{"\xff"}, "not a valid utf8 string: [ff]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := s.CreateCompositeKey(tt.objType, tt.attrs)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				_, qerr := s.GetStateByPartialCompositeKey(tt.objType, tt.attrs)
				require.ErrorContains(t, qerr, tt.wantErr)
				return
			}
			require.NoError(t, err)
			obj, attrs, err := s.SplitCompositeKey(k)
			require.NoError(t, err)
			require.Equal(t, tt.objType, obj)
			require.Equal(t, len(tt.attrs), len(attrs))
		})
	}
	_, _, err := s.SplitCompositeKey("simple")
	require.ErrorContains(t, err, "not a composite key")
	_, _, err = s.SplitCompositeKey("")
	require.ErrorContains(t, err, "not a composite key")

	ck, err := s.CreateCompositeKey("doc", []string{"p1"})
	require.NoError(t, err)
	_, err = s.GetStateByRange(ck, "")
	require.EqualError(t, err, fmt.Sprintf("first character of the key [%s] contains a null character which is not allowed", ck))
	_, err = s.GetStateByRange("a", ck)
	require.ErrorContains(t, err, "null character")
	_, _, err = s.GetStateByRangeWithPagination(ck, "", 5, "")
	require.ErrorContains(t, err, "null character")
}

func TestGetStateByRangeSkipsCompositeKeys(t *testing.T) {
	l := ledgersim.New()
	ck, err := shim.CreateCompositeKey("doc", []string{"p1"})
	require.NoError(t, err)
	put(t, l, ck, "composite", "a", "simple")
	s := l.NewStub(ledgersim.TxParams{TxID: "r", Timestamp: t0})
	it, err := s.GetStateByRange("", "")
	require.NoError(t, err)
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		require.NoError(t, err)
		keys = append(keys, kv.Key)
	}
	require.Equal(t, []string{"a"}, keys, `"" start means "\x01", after every composite key`)
	_, err = it.Next()
	require.EqualError(t, err, "no such key")
}

func TestHistoryIsNewestFirstWithTxIDTimestampAndDeletes(t *testing.T) {
	l := ledgersim.New()
	w := func(id string, ts time.Time, val string) *ledgersim.TxResults {
		s := l.NewStub(ledgersim.TxParams{TxID: id, Timestamp: ts})
		if val == "" {
			require.NoError(t, s.DelState("k"))
		} else {
			require.NoError(t, s.PutState("k", []byte(val)))
		}
		return s.Results()
	}
	commit(t, l, w("t1", t0, "v1"))
	commit(t, l, w("t2", t0.Add(time.Hour), "v2"))
	// An invalid transaction leaves no history.
	l.CommitBlock([]*ledgersim.TxResults{w("bad", t0.Add(90*time.Minute), "bad")}, []peer.TxValidationCode{peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, nil)
	// The block timestamp given to CommitBlock wins over the proposal's.
	l.CommitBlock([]*ledgersim.TxResults{w("t3", t0, "")}, nil, []time.Time{t0.Add(2 * time.Hour)})

	s := l.NewStub(ledgersim.TxParams{TxID: "h", Timestamp: t0})
	it, err := s.GetHistoryForKey("k")
	require.NoError(t, err)
	type mod struct {
		tx    string
		value string
		ts    time.Time
		del   bool
	}
	var got []mod
	for it.HasNext() {
		m, err := it.Next()
		require.NoError(t, err)
		got = append(got, mod{m.TxId, string(m.Value), m.Timestamp.AsTime(), m.IsDelete})
	}
	require.Equal(t, []mod{
		{"t3", "", t0.Add(2 * time.Hour), true},
		{"t2", "v2", t0.Add(time.Hour), false},
		{"t1", "v1", t0, false},
	}, got)
	require.Empty(t, s.Results().Reads, "history reads are not part of the read set")

	it, err = s.GetHistoryForKey("never")
	require.ErrorContains(t, err, "Done()", "a finished simulation refuses new queries")
	require.Nil(t, it)
}

func TestEvents(t *testing.T) {
	l := ledgersim.New()
	tests := []struct {
		name string
		set  [][2]string
		want *peer.ChaincodeEvent
	}{
		{"none", nil, nil},
		{"one", [][2]string{{"A", "1"}}, &peer.ChaincodeEvent{ChaincodeId: "medledger", TxId: "ev", EventName: "A", Payload: []byte("1")}},
		{"last wins", [][2]string{{"A", "1"}, {"B", "2"}}, &peer.ChaincodeEvent{ChaincodeId: "medledger", TxId: "ev", EventName: "B", Payload: []byte("2")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := l.NewStub(ledgersim.TxParams{TxID: "ev", Timestamp: t0})
			for _, e := range tt.set {
				require.NoError(t, s.SetEvent(e[0], []byte(e[1])))
			}
			require.EqualError(t, s.SetEvent("", nil), "event name can not be empty string")
			got := s.Results().Event
			if tt.want == nil {
				require.Nil(t, got)
				return
			}
			require.Equal(t, tt.want.EventName, got.EventName)
			require.Equal(t, tt.want.Payload, got.Payload)
			require.Equal(t, tt.want.ChaincodeId, got.ChaincodeId)
			require.Equal(t, tt.want.TxId, got.TxId)
		})
	}
}

func TestGetMultipleStatesAndWriteBatch(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "a", "1", "c", "3")
	res := simulate(t, l, func(s *ledgersim.Stub) {
		vals, err := s.GetMultipleStates("a", "b", "c")
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte("1"), nil, []byte("3")}, vals)
		s.StartWriteBatch()
		require.NoError(t, s.PutState("b", []byte("2")))
		require.NoError(t, s.DelState("c"))
		require.NoError(t, s.FinishWriteBatch())
	})
	require.Len(t, res.Reads, 3)
	require.Equal(t, 3, res.StateReads)
	require.Equal(t, []ledgersim.KeyWrite{{Key: "b", Value: []byte("2")}, {Key: "c", IsDelete: true}}, res.Writes)
}

func TestUnsupportedFeaturesSayNotSupported(t *testing.T) {
	l := ledgersim.New()
	s := l.NewStub(ledgersim.TxParams{TxID: "u", Timestamp: t0})
	errs := map[string]error{}
	_, errs["GetQueryResult"] = s.GetQueryResult(`{"selector":{}}`)
	_, _, errs["GetQueryResultWithPagination"] = s.GetQueryResultWithPagination(`{}`, 0, "")
	_, errs["GetPrivateData"] = s.GetPrivateData("c", "k")
	_, errs["GetMultiplePrivateData"] = s.GetMultiplePrivateData("c", "k")
	_, errs["GetPrivateDataHash"] = s.GetPrivateDataHash("c", "k")
	errs["PutPrivateData"] = s.PutPrivateData("c", "k", []byte("v"))
	errs["DelPrivateData"] = s.DelPrivateData("c", "k")
	errs["PurgePrivateData"] = s.PurgePrivateData("c", "k")
	errs["SetPrivateDataValidationParameter"] = s.SetPrivateDataValidationParameter("c", "k", nil)
	_, errs["GetPrivateDataValidationParameter"] = s.GetPrivateDataValidationParameter("c", "k")
	_, errs["GetPrivateDataByRange"] = s.GetPrivateDataByRange("c", "a", "b")
	_, errs["GetPrivateDataByPartialCompositeKey"] = s.GetPrivateDataByPartialCompositeKey("c", "t", nil)
	_, errs["GetPrivateDataQueryResult"] = s.GetPrivateDataQueryResult("c", "{}")
	errs["SetStateValidationParameter"] = s.SetStateValidationParameter("k", nil)
	_, errs["GetStateValidationParameter"] = s.GetStateValidationParameter("k")
	for name, err := range errs {
		require.ErrorContains(t, err, "not supported", name)
	}
	resp := s.InvokeChaincode("other", nil, "")
	require.Equal(t, int32(shim.ERROR), resp.Status)
	require.Contains(t, resp.Message, "not supported")
	res := s.Results()
	require.Empty(t, res.Writes)
	require.Empty(t, res.Reads)
}

func TestSimulationSeesTheSnapshotItStartedOn(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "a", "1", "b", "1")
	s := l.NewStub(ledgersim.TxParams{TxID: "snap", Timestamp: t0})
	put(t, l, "a", "2", "c", "2")
	got, err := s.GetState("a")
	require.NoError(t, err)
	require.Equal(t, "1", string(got), "a block committed during the simulation must not show")
	it, err := s.GetStateByRange("", "")
	require.NoError(t, err)
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		require.NoError(t, err)
		keys = append(keys, kv.Key+"="+string(kv.Value))
	}
	require.Equal(t, []string{"a=1", "b=1"}, keys)
	res := s.Results()
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, l.Validate(res), "the stale read is caught at commit")
}

func TestConcurrentSimulationsWhileCommitting(t *testing.T) {
	l := ledgersim.New()
	put(t, l, "counter", "0")
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	results := make(chan *ledgersim.TxResults, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				s := l.NewStub(ledgersim.TxParams{TxID: fmt.Sprintf("w%d-r%d", w, r), Timestamp: t0})
				v, err := s.GetState("counter")
				if err != nil {
					t.Error(err)
					return
				}
				if it, err := s.GetStateByRange("", ""); err == nil {
					for it.HasNext() {
						_, _ = it.Next()
					}
				}
				_ = s.PutState("counter", append(v, '.'))
				_ = s.PutState(fmt.Sprintf("w%d", w), []byte{byte(r)})
				results <- s.Results()
			}
		}(w)
	}
	done := make(chan struct{})
	var valid int
	go func() {
		defer close(done)
		for i := 0; i < workers*rounds; i += 4 {
			var block []*ledgersim.TxResults
			for j := 0; j < 4; j++ {
				block = append(block, <-results)
			}
			for _, c := range l.CommitBlock(block, nil, nil) {
				if c == peer.TxValidationCode_VALID {
					valid++
				}
			}
		}
	}()
	wg.Wait()
	<-done
	v, _, ok := l.GetCommitted("medledger", "counter")
	require.True(t, ok)
	// Every valid transaction read the latest counter and added one dot, so
	// the counter's length is exactly the number of valid transactions.
	require.Equal(t, valid+1, len(v))
	require.GreaterOrEqual(t, valid, 1)
}

func TestRangeScanStaysOnItsSnapshotWhileKeysAreInserted(t *testing.T) {
	l := ledgersim.New()
	var kv []string
	for i := 0; i < 250; i += 2 {
		kv = append(kv, fmt.Sprintf("k%03d", i), "old")
	}
	put(t, l, kv...) // 125 keys: more than one batch of 100
	s := l.NewStub(ledgersim.TxParams{TxID: "scan", Timestamp: t0})
	it, err := s.GetStateByRange("k", "l")
	require.NoError(t, err)
	var got []string
	for i := 0; it.HasNext(); i++ {
		if i == 50 || i == 100 {
			// Commits between batches insert keys before and after the cursor
			// and delete one ahead of it.
			commit(t, l, simulate(t, l, func(w *ledgersim.Stub) {
				for j := 1; j < 250; j += 20 {
					require.NoError(t, w.PutState(fmt.Sprintf("k%03d", j), []byte("new")))
				}
				require.NoError(t, w.DelState("k240"))
			}))
		}
		kv, err := it.Next()
		require.NoError(t, err)
		require.Equal(t, "old", string(kv.Value))
		got = append(got, kv.Key)
	}
	require.Len(t, got, 125)
	for i, k := range got {
		require.Equal(t, fmt.Sprintf("k%03d", 2*i), k)
	}
	rq := s.Results().RangeQueries[0]
	require.True(t, rq.ItrExhausted)
	require.Len(t, rq.Reads, 125)
}
