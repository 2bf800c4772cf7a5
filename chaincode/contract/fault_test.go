package contract_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/chaincode/model"
)

// faultyStub is the simulator's stub with one ledger operation failing, the
// way a peer reports a lost connection or a state database error: the
// failAt-th operation (counting state reads, writes, queries, iterator steps,
// the timestamp, the event and the end of the write batch) returns an error.
type faultyStub struct {
	*ledgersim.Stub
	failAt, ops int
	// events counts SetEvent calls: the simulator, like Fabric, keeps only
	// the last one, so "exactly one event" needs counting here.
	events int
}

var errInjected = errors.New("injected ledger fault")

func (s *faultyStub) fault() error {
	s.ops++
	if s.ops == s.failAt {
		return errInjected
	}
	return nil
}

func (s *faultyStub) GetState(key string) ([]byte, error) {
	if err := s.fault(); err != nil {
		return nil, err
	}
	return s.Stub.GetState(key)
}

func (s *faultyStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if err := s.fault(); err != nil {
		return nil, err
	}
	return s.Stub.GetMultipleStates(keys...)
}

// FinishWriteBatch fails the way a peer that refuses a batch of writes does.
func (s *faultyStub) FinishWriteBatch() error {
	if err := s.fault(); err != nil {
		return err
	}
	return s.Stub.FinishWriteBatch()
}

func (s *faultyStub) PutState(key string, value []byte) error {
	if err := s.fault(); err != nil {
		return err
	}
	return s.Stub.PutState(key, value)
}

func (s *faultyStub) SetEvent(name string, payload []byte) error {
	if err := s.fault(); err != nil {
		return err
	}
	s.events++
	return s.Stub.SetEvent(name, payload)
}

func (s *faultyStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if err := s.fault(); err != nil {
		return nil, err
	}
	return s.Stub.GetTxTimestamp()
}

func (s *faultyStub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	if err := s.fault(); err != nil {
		return nil, err
	}
	it, err := s.Stub.GetStateByPartialCompositeKey(objectType, keys)
	return &faultyIter{StateQueryIteratorInterface: it, s: s}, err
}

func (s *faultyStub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if err := s.fault(); err != nil {
		return nil, nil, err
	}
	it, md, err := s.Stub.GetStateByPartialCompositeKeyWithPagination(objectType, keys, pageSize, bookmark)
	return &faultyIter{StateQueryIteratorInterface: it, s: s}, md, err
}

type faultyIter struct {
	shim.StateQueryIteratorInterface
	s *faultyStub
}

func (it *faultyIter) Next() (*queryresult.KV, error) {
	if err := it.s.fault(); err != nil {
		return nil, err
	}
	return it.StateQueryIteratorInterface.Next()
}

// TestLedgerFaultsAreReportedAsInternalAndNeverPanic runs one successful call
// of every transaction again and again, failing its first, second, ...
// ledger operation, until it runs through without reaching the fault. Each
// failure must come back as INTERNAL (the input was fine), without a panic.
func TestLedgerFaultsAreReportedAsInternalAndNeverPanic(t *testing.T) {
	c := newCast(t)
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-h2", toOrg("h2"), scopeAll))
	for _, row := range matrix() {
		if len(row.allowed) == 0 {
			continue
		}
		kind := row.allowed[0]
		if row.tx == model.TxListReceivedGrants || row.tx == model.TxListMyAccesses || row.tx == model.TxAccessDocument {
			kind = cDoctorConsent // has grants and accesses to iterate over
		}
		t.Run(row.tx, func(t *testing.T) {
			c.tb = t
			args := row.args(c)
			if row.tx == model.TxListReceivedGrants {
				args = []any{model.ListReceivedGrantsInput{GranteeType: model.GranteeOrganization}}
			}
			p := c.params(c.callerOf(kind), row.tx, args...)
			for failAt := 1; ; failAt++ {
				require.Less(t, failAt, 200, "transaction never finished")
				stub := &faultyStub{Stub: c.l.NewStub(p), failAt: failAt}
				resp := invokeNoPanic(t, c, stub)
				if stub.ops < failAt {
					require.Equal(t, int32(200), resp.GetStatus(), "without a fault the call succeeds: %s", resp.GetMessage())
					require.Greater(t, failAt, 1, "the transaction touched the ledger")
					wantEvents := 1
					if slices.Contains(model.EvaluateTransactions, row.tx) {
						wantEvents = 0
					}
					require.Equal(t, wantEvents, stub.events, "SetEvent calls")
					return
				}
				require.Equal(t, model.CodeInternal, model.ParseCode(resp.GetMessage()), "fault at operation %d: %s", failAt, resp.GetMessage())
			}
		})
	}
}

func invokeNoPanic(t *testing.T, c *cast, stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("chaincode panicked: %v", v)
			resp = shim.Error(fmt.Sprint(v))
		}
	}()
	return c.cc.Invoke(stub)
}

func TestBootstrapLedgerFaultsAreReportedAsInternal(t *testing.T) {
	w := newWorld(t)
	admin := w.identity(msp1, "admin", "admin")
	p := w.params(admin, model.TxBootstrap, model.BootstrapInput{AdminID: "root"})
	for failAt := 1; ; failAt++ {
		require.Less(t, failAt, 50)
		stub := &faultyStub{Stub: w.l.NewStub(p), failAt: failAt}
		resp := invokeNoPanic(t, &cast{world: w}, stub)
		if stub.ops < failAt {
			require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
			return
		}
		require.Equal(t, model.CodeInternal, model.ParseCode(resp.GetMessage()), resp.GetMessage())
	}
}
