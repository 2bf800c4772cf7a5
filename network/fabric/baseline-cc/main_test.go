package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
