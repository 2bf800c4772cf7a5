package ledgersim_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/network/pki"
)

// noteContract is a tiny contract-api chaincode proving that contractapi,
// its client identity (cid) and its routing run unchanged on the simulator.
type noteContract struct{ contractapi.Contract }

func (c *noteContract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent("NotePut", []byte(key))
}

// PutThenFail writes and then fails: nothing may reach the ledger.
func (c *noteContract) PutThenFail(ctx contractapi.TransactionContextInterface, key string) error {
	if err := ctx.GetStub().PutState(key, []byte("should not commit")); err != nil {
		return err
	}
	return errors.New("FORBIDDEN: refused after writing")
}

func (c *noteContract) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	b, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", err
	}
	if b == nil {
		return "", fmt.Errorf("NOT_FOUND: %s", key)
	}
	return string(b), nil
}

type caller struct {
	MSPID string `json:"mspId"`
	Admin bool   `json:"admin"`
	Role  string `json:"role"`
	Time  string `json:"time"`
}

func (c *noteContract) Who(ctx contractapi.TransactionContextInterface) (*caller, error) {
	id := ctx.GetClientIdentity()
	msp, err := id.GetMSPID()
	if err != nil {
		return nil, err
	}
	cert, err := id.GetX509Certificate()
	if err != nil {
		return nil, err
	}
	admin := slices.Contains(cert.Subject.OrganizationalUnit, "admin")
	role, _, err := id.GetAttributeValue("medledger.role")
	if err != nil {
		return nil, err
	}
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return nil, err
	}
	return &caller{MSPID: msp, Admin: admin, Role: role, Time: ts.AsTime().Format(time.RFC3339)}, nil
}

func (c *noteContract) Panic(contractapi.TransactionContextInterface) error {
	var m map[string]int
	m["boom"]++ // a nil-map write: a chaincode bug the simulator must survive
	return nil
}

func TestContractAPIChaincodeRunsOnTheSimulator(t *testing.T) {
	cc, err := contractapi.NewChaincode(&noteContract{})
	require.NoError(t, err)
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	doctor, err := org.NewIdentity("doctor1", pki.OUClient, map[string]string{"medledger.role": "doctor"})
	require.NoError(t, err)
	admin, err := org.NewIdentity("Admin@org1.example.com", pki.OUAdmin, nil)
	require.NoError(t, err)
	creator := func(id *pki.Identity) []byte {
		b, err := id.Serialize()
		require.NoError(t, err)
		return b
	}
	l := ledgersim.New()
	n := 0
	params := func(id *pki.Identity, args ...string) ledgersim.TxParams {
		n++
		p := ledgersim.TxParams{TxID: fmt.Sprintf("tx%d", n), Timestamp: t0, Creator: creator(id)}
		for _, a := range args {
			p.Args = append(p.Args, []byte(a))
		}
		return p
	}

	resp, res, code := l.Execute(cc, params(doctor, "Put", "note1", "hello"))
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, peer.TxValidationCode_VALID, code)
	require.Equal(t, "NotePut", res.Event.EventName)

	resp, _ = l.Evaluate(cc, params(doctor, "Get", "note1"))
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, "hello", string(resp.Payload))

	tests := []struct {
		name string
		id   *pki.Identity
		want string
	}{
		{"doctor", doctor, `{"mspId":"Org1MSP","admin":false,"role":"doctor","time":"2026-01-02T03:04:05Z"}`},
		{"admin", admin, `{"mspId":"Org1MSP","admin":true,"role":"","time":"2026-01-02T03:04:05Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := l.Evaluate(cc, params(tt.id, "Who"))
			require.Equal(t, int32(200), resp.Status, resp.Message)
			require.JSONEq(t, tt.want, string(resp.Payload))
		})
	}

	height := l.Height()
	resp, res, code = l.Execute(cc, params(doctor, "PutThenFail", "note2"))
	require.Equal(t, int32(500), resp.Status)
	require.Equal(t, "FORBIDDEN: refused after writing", resp.Message)
	require.Equal(t, peer.TxValidationCode_NOT_VALIDATED, code)
	require.Len(t, res.Writes, 1, "the simulation wrote")
	require.Equal(t, height, l.Height(), "a failed transaction must not be committed")
	_, _, ok := l.GetCommitted("medledger", "note2")
	require.False(t, ok)

	resp, _, code = l.Execute(cc, params(doctor, "Panic"))
	require.Equal(t, int32(500), resp.Status)
	require.Contains(t, resp.Message, "panic")
	require.Equal(t, peer.TxValidationCode_NOT_VALIDATED, code)

	resp, _, code = l.Execute(cc, ledgersim.TxParams{Timestamp: t0, Args: [][]byte{[]byte("Get")}})
	require.Equal(t, int32(500), resp.Status)
	require.Contains(t, resp.Message, "TxID is required")
	require.Equal(t, peer.TxValidationCode_NOT_VALIDATED, code)
	resp, _ = l.Evaluate(cc, ledgersim.TxParams{TxID: "x", Args: [][]byte{[]byte("Get")}})
	require.Contains(t, resp.Message, "Timestamp is required")
}
