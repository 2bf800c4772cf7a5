package contract_test

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/chaincode/model"
)

// peerCountingStub is the simulator's stub counting the messages a
// fabric-chaincode-go v2.3 shim sends the peer and waits for, on a Fabric 3
// peer that advertises useWriteBatch and useGetMultipleKeys (the defaults of
// its core.yaml): each is a gRPC round trip between chaincode and peer.
// GetState, GetMultipleStates (up to 1000 keys), a range query, a
// QUERY_STATE_NEXT and QUERY_STATE_CLOSE are one each; PutState is one unless
// a write batch is open, whose writes go in one message when it is finished
// (or by the shim after Invoke); the timestamp, the creator and SetEvent are
// local.
type peerCountingStub struct {
	*ledgersim.Stub
	trips    int
	batching bool
	pending  int
}

func (s *peerCountingStub) GetState(key string) ([]byte, error) {
	s.trips++
	return s.Stub.GetState(key)
}

func (s *peerCountingStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) > 0 {
		s.trips++
	}
	return s.Stub.GetMultipleStates(keys...)
}

func (s *peerCountingStub) PutState(key string, value []byte) error {
	if s.batching {
		s.pending++
	} else {
		s.trips++
	}
	return s.Stub.PutState(key, value)
}

func (s *peerCountingStub) StartWriteBatch() { s.batching = true }

func (s *peerCountingStub) FinishWriteBatch() error {
	if s.pending > 0 {
		s.trips++
	}
	s.batching, s.pending = false, 0
	return s.Stub.FinishWriteBatch()
}

func (s *peerCountingStub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	s.trips++
	it, err := s.Stub.GetStateByPartialCompositeKey(objectType, keys)
	return &countingIter{StateQueryIteratorInterface: it, s: s}, err
}

// countingIter counts Close: the shim sends QUERY_STATE_CLOSE whether or not
// the results are exhausted. The results here fit in the first response (the
// peer sends up to 100), so Next is local.
type countingIter struct {
	shim.StateQueryIteratorInterface
	s *peerCountingStub
}

func (it *countingIter) Next() (*queryresult.KV, error) { return it.StateQueryIteratorInterface.Next() }

func (it *countingIter) Close() error {
	it.s.trips++
	return it.StateQueryIteratorInterface.Close()
}

// invokeCounting runs one call as the shim's handler does (Invoke, then
// FinishWriteBatch) and returns the response and its round trips.
func invokeCounting(t *testing.T, c *cast, p ledgersim.TxParams) (*peer.Response, int) {
	t.Helper()
	stub := &peerCountingStub{Stub: c.l.NewStub(p)}
	resp := invokeNoPanic(t, c, stub)
	require.NoError(t, stub.FinishWriteBatch())
	return resp, stub.trips
}

// TestHotTransactionsMakeFewPeerRoundTrips holds the number of round trips
// to the peer of the transactions a hospital runs all day. Before reads were
// batched they were one per key, one per query plus its close, one per
// write: AccessDocument by the patient 6, by a doctor on consent 10;
// CheckAccess 4 and 8; RegisterDocument by the patient 8. Before bindings
// carried role and status and MSPs their organisations' statuses, caller
// resolution took a second read (user and organisation): one more each.
// Before grant sets, a doctor's grants took a partial-key query per grantee:
// one more for a doctor on consent.
func TestHotTransactionsMakeFewPeerRoundTrips(t *testing.T) {
	c := newCast(t)
	cases := []struct {
		name  string
		p     func() ledgersim.TxParams
		trips int
	}{
		// identity+MSP organisations+document, the two audit records.
		{"AccessDocument by the patient", func() ledgersim.TxParams { return c.params(c.p1, model.TxAccessDocument, readDoc("doc1")) }, 2},
		// ... and, the document's patient known, the patient's grant-set
		// marker with the grant sets of the doctor and of the doctor's
		// hospital.
		{"AccessDocument by a doctor on consent", func() ledgersim.TxParams { return c.params(c.d2, model.TxAccessDocument, readDoc("doc1")) }, 3},
		{"CheckAccess by the patient", func() ledgersim.TxParams { return c.params(c.p1, model.TxCheckAccess, readDoc("doc1")) }, 1},
		{"CheckAccess by a doctor on consent", func() ledgersim.TxParams { return c.params(c.d2, model.TxCheckAccess, readDoc("doc1")) }, 2},
		// identity+MSP organisations+patient+document, the three records.
		{"RegisterDocument by the patient", func() ledgersim.TxParams {
			return c.params(c.p1, model.TxRegisterDocument, doc("rt-doc", "p1", model.CategoryOther))
		}, 2},
		{"RegisterDocument by a doctor of the patient's hospital", func() ledgersim.TxParams {
			return c.params(c.d1, model.TxRegisterDocument, doc("rt-doc2", "p1", model.CategoryOther))
		}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, trips := invokeCounting(t, c, tc.p())
			require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
			require.Equal(t, tc.trips, trips)
		})
	}
}

// TestRefusedSubmitSendsNoWrites: a refusal is decided before the first
// write, so the write batch the shim flushes after Invoke is empty.
func TestRefusedSubmitSendsNoWrites(t *testing.T) {
	c := newCast(t)
	stub := &peerCountingStub{Stub: c.l.NewStub(c.params(c.d3, model.TxAccessDocument, readDoc("doc1")))}
	resp := invokeNoPanic(t, c, stub)
	require.Equal(t, model.CodeForbidden, model.ParseCode(resp.GetMessage()), resp.GetMessage())
	require.Zero(t, stub.pending, "writes left in the batch")
	require.Empty(t, stub.Results().Writes)
}
