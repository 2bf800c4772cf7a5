package ledgersim_test

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/network/pki"
	"github.com/stretchr/testify/require"
)

type smokeContract struct{ contractapi.Contract }

func (c *smokeContract) Put(ctx contractapi.TransactionContextInterface, k, v string) error {
	return ctx.GetStub().PutState(k, []byte(v))
}
func (c *smokeContract) Get(ctx contractapi.TransactionContextInterface, k string) (string, error) {
	b, err := ctx.GetStub().GetState(k)
	return string(b), err
}
func (c *smokeContract) Who(ctx contractapi.TransactionContextInterface) (string, error) {
	return ctx.GetClientIdentity().GetMSPID()
}

func TestSmoke(t *testing.T) {
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	id, err := org.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)
	creator, err := id.Serialize()
	require.NoError(t, err)
	cc, err := contractapi.NewChaincode(&smokeContract{})
	require.NoError(t, err)
	l := ledgersim.New()
	resp, _, code := l.Execute(cc, ledgersim.TxParams{TxID: "t1", Timestamp: time.Now(), Creator: creator, Args: [][]byte{[]byte("Put"), []byte("a"), []byte("1")}})
	require.Equal(t, int32(200), resp.Status, resp.Message)
	require.Equal(t, "VALID", code.String())
	resp, _ = l.Evaluate(cc, ledgersim.TxParams{TxID: "t2", Timestamp: time.Now(), Creator: creator, Args: [][]byte{[]byte("Get"), []byte("a")}})
	require.Equal(t, "1", string(resp.Payload), resp.Message)
	resp, _ = l.Evaluate(cc, ledgersim.TxParams{TxID: "t3", Timestamp: time.Now(), Creator: creator, Args: [][]byte{[]byte("Who")}})
	require.Equal(t, "Org1MSP", string(resp.Payload), resp.Message)
}
