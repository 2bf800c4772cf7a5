package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/network/pki"
)

// harness runs the baseline chaincode on the ledger simulator as one client.
type harness struct {
	t       *testing.T
	ledger  *ledgersim.Ledger
	creator []byte
	n       int
}

func newHarness(t *testing.T) *harness {
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	id, err := org.NewIdentity("User1@org1.example.com", pki.OUClient, nil)
	require.NoError(t, err)
	creator, err := id.Serialize()
	require.NoError(t, err)
	return &harness{t: t, ledger: ledgersim.New(), creator: creator}
}

func (h *harness) params(args ...string) ledgersim.TxParams {
	h.n++
	p := ledgersim.TxParams{Namespace: "baseline", TxID: fmt.Sprintf("tx%d", h.n), Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Creator: h.creator}
	for _, a := range args {
		p.Args = append(p.Args, []byte(a))
	}
	return p
}

func TestPutWritesExactlyOneKeyAndGetReadsIt(t *testing.T) {
	h := newHarness(t)
	cc, err := newChaincode()
	require.NoError(t, err)

	resp, res, code := h.ledger.Execute(cc, h.params("Put", "k1", "v1"))
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, peer.TxValidationCode_VALID, code)
	require.Len(t, res.Writes, 1, "the baseline writes one key per transaction")
	value, _, ok := h.ledger.GetCommitted("baseline", "k1")
	require.True(t, ok)
	require.Equal(t, "v1", string(value))

	resp, _ = h.ledger.Evaluate(cc, h.params("Get", "k1"))
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, "v1", string(resp.Payload))
}

// TestReadWriteHasTheFootprintItIsGiven: the keys read (with the versions
// that MVCC validation checks), one new key per value size, the event and
// the result, of the sizes asked for.
func TestReadWriteHasTheFootprintItIsGiven(t *testing.T) {
	h := newHarness(t)
	cc, err := newChaincode()
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c"} {
		resp, _, code := h.ledger.Execute(cc, h.params("Put", k, "value of "+k))
		require.Equal(t, int32(200), resp.Status, resp.Message)
		require.Equal(t, peer.TxValidationCode_VALID, code)
	}

	p := h.params("ReadWrite", `["a","b","c"]`, `["d"]`, "[420,1]", "256", "1100", "0")
	resp, res, code := h.ledger.Execute(cc, p)
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, peer.TxValidationCode_VALID, code)
	require.Len(t, res.Reads, 4)
	for _, r := range res.Reads {
		if r.Key == "d" {
			require.Nil(t, r.Version, "key d was read as present")
		} else {
			require.NotNil(t, r.Version, "key %s was read as missing", r.Key)
		}
	}
	require.Len(t, res.Writes, 2)
	sizes := map[string]int{}
	for _, w := range res.Writes {
		sizes[w.Key] = len(w.Value)
	}
	for i, n := range []int{420, 1} {
		key, err := shim.CreateCompositeKey(objReadWrite, []string{p.TxID, fmt.Sprint(i)})
		require.NoError(t, err)
		require.Equal(t, n, sizes[key], "value %d", i)
	}
	require.NotNil(t, res.Event)
	require.Len(t, res.Event.Payload, 256)
	require.Len(t, resp.Payload, 1100)

	// A key that must be absent and is not refuses the call, which writes
	// nothing.
	height := h.ledger.Height()
	resp, _, _ = h.ledger.Execute(cc, h.params("ReadWrite", `["a"]`, `["b"]`, "[1]", "0", "0", "1"))
	require.Equal(t, int32(500), resp.Status)
	require.Contains(t, resp.Message, `ALREADY_EXISTS: a value is under "b"`)
	require.Equal(t, height, h.ledger.Height())
}

// roundCountingStub records the keys of each GetMultipleStates: on a peer,
// each is one round trip between chaincode and peer.
type roundCountingStub struct {
	*ledgersim.Stub
	rounds [][]string
}

func (s *roundCountingStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	s.rounds = append(s.rounds, keys)
	return s.Stub.GetMultipleStates(keys...)
}

// TestReadWriteReadsInTheRoundsItIsGiven: the keys to read, present ones
// first, go to the peer in readRounds requests of as many keys each as they
// divide into; 0 and 1 read them all at once.
func TestReadWriteReadsInTheRoundsItIsGiven(t *testing.T) {
	h := newHarness(t)
	cc, err := newChaincode()
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c", "d"} {
		resp, _, _ := h.ledger.Execute(cc, h.params("Put", k, "value of "+k))
		require.Equal(t, int32(200), resp.Status, resp.Message)
	}
	tests := []struct {
		rounds string
		want   [][]string
	}{
		{"0", [][]string{{"a", "b", "c", "d", "e"}}},
		{"1", [][]string{{"a", "b", "c", "d", "e"}}},
		{"2", [][]string{{"a", "b"}, {"c", "d", "e"}}},
		{"5", [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}},
	}
	for _, tt := range tests {
		t.Run(tt.rounds+" rounds", func(t *testing.T) {
			stub := &roundCountingStub{Stub: h.ledger.NewStub(h.params("ReadWrite", `["a","b","c","d"]`, `["e"]`, "[1]", "0", "0", tt.rounds))}
			resp := cc.Invoke(stub)
			require.Equal(t, int32(200), resp.Status, resp.Message)
			require.Equal(t, tt.want, stub.rounds)
		})
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"put with empty key", []string{"Put", "", "v"}, "INVALID_ARGUMENT: key is empty"},
		{"put with oversized value", []string{"Put", "k", strings.Repeat("x", maxValueBytes+1)}, "INVALID_ARGUMENT: value is 65537 bytes"},
		{"get with empty key", []string{"Get", ""}, "INVALID_ARGUMENT: key is empty"},
		{"get of a missing key", []string{"Get", "nope"}, `NOT_FOUND: no value under "nope"`},
		{"read-write of a missing key", []string{"ReadWrite", `["nope"]`, `[]`, "[1]", "0", "0", "0"}, `NOT_FOUND: no value under "nope"`},
		{"read-write of an empty key", []string{"ReadWrite", `[]`, `[""]`, "[1]", "0", "0", "0"}, "INVALID_ARGUMENT: key 0 to read is empty"},
		{"read-write of a negative value", []string{"ReadWrite", `[]`, `[]`, "[1,-1]", "0", "0", "0"}, "INVALID_ARGUMENT: value 1 of -1 bytes"},
		{"read-write of an oversized result", []string{"ReadWrite", `[]`, `[]`, "[1]", "0", "65537", "0"}, "INVALID_ARGUMENT: result of 65537 bytes"},
		{"read-write of too many keys", []string{"ReadWrite", `[]`, `[]`, "[" + strings.Repeat("1,", maxKeys) + "1]", "0", "0", "0"}, "INVALID_ARGUMENT: 0 keys to read and 101 to write"},
		{"read-write in fewer than no rounds", []string{"ReadWrite", `[]`, `["a"]`, "[1]", "0", "0", "-1"}, "INVALID_ARGUMENT: -1 read rounds for 1 keys"},
		{"read-write in more rounds than keys", []string{"ReadWrite", `[]`, `["a","b"]`, "[1]", "0", "0", "3"}, "INVALID_ARGUMENT: 3 read rounds for 2 keys: want 0 to 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cc, err := newChaincode()
			require.NoError(t, err)
			height := h.ledger.Height()
			resp, _, _ := h.ledger.Execute(cc, h.params(tt.args...))
			require.Equal(t, int32(500), resp.Status)
			require.Contains(t, resp.Message, tt.want)
			require.Equal(t, height, h.ledger.Height(), "a refused transaction must not be committed")
		})
	}
}
