package devnet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/devnet"
	"github.com/medledger/medledger/network/pki"
)

// medledger is a MedLedger set-up on a devnet: a solution admin, one hospital with its admin and
// patients, each patient connected through the real gateway client.
type medledger struct {
	n        *devnet.Network
	admin    *client.Contract
	patients []*client.Contract
}

func submitJSON(tb testing.TB, c *client.Contract, name string, in any) []byte {
	tb.Helper()
	arg, err := json.Marshal(in)
	require.NoError(tb, err)
	out, err := c.Submit(name, client.WithArguments(string(arg)))
	require.NoError(tb, err, "%s", name)
	return out
}

func gatewayContract(tb testing.TB, n *devnet.Network, id *pki.Identity) *client.Contract {
	tb.Helper()
	gw, err := n.Gateway(id, client.WithCommitStatusTimeout(time.Minute))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = gw.Close() })
	return gw.GetNetwork(n.Channel()).GetContract(devnet.DefaultChaincode)
}

// setUpMedLedger bootstraps MedLedger with the Org1 admin and registers patients patients.
func setUpMedLedger(tb testing.TB, n *devnet.Network, patients int) *medledger {
	tb.Helper()
	m := &medledger{n: n}
	adminID, err := n.Identity("Org1MSP", devnet.AdminName)
	require.NoError(tb, err)
	m.admin = gatewayContract(tb, n, adminID)
	submitJSON(tb, m.admin, "Bootstrap", model.BootstrapInput{AdminID: "sa"})
	submitJSON(tb, m.admin, "CreateOrganization", model.CreateOrganizationInput{ID: "hosp1", Name: "Hospital One", MSPID: "Org1MSP"})

	orgAdminID, err := n.NewIdentity("Org1MSP", "hospadmin", pki.OUClient, nil)
	require.NoError(tb, err)
	submitJSON(tb, m.admin, "AssignOrgAdmin", model.OrgAdminInput{UserID: "oa1", OrgID: "hosp1", CertificatePEM: string(orgAdminID.CertPEM)})
	orgAdmin := gatewayContract(tb, n, orgAdminID)

	for i := 0; i < patients; i++ {
		id, err := n.NewIdentity("Org1MSP", fmt.Sprintf("patient%d", i), pki.OUClient, nil)
		require.NoError(tb, err)
		submitJSON(tb, orgAdmin, "RegisterUser", model.RegisterUserInput{UserID: fmt.Sprintf("pat%d", i), Role: model.RolePatient, CertificatePEM: string(id.CertPEM)})
		m.patients = append(m.patients, gatewayContract(tb, n, id))
	}
	return m
}

func documentInput(patient, doc int) model.RegisterDocumentInput {
	return model.RegisterDocumentInput{
		DocumentID: fmt.Sprintf("doc-%d-%d", patient, doc),
		PatientID:  fmt.Sprintf("pat%d", patient),
		Category:   model.CategoryLabResult,
		SHA256:     strings.Repeat("ab", 32),
		Size:       1024,
		MediaType:  "application/pdf",
		StorageRef: fmt.Sprintf("blob:doc-%d-%d", patient, doc),
	}
}

func TestMedLedgerChaincodeRunsOnDevnet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{}) // MedLedger is the default chaincode
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	m := setUpMedLedger(t, n, 1)

	who, err := m.patients[0].EvaluateTransaction("WhoAmI")
	require.NoError(t, err)
	var u model.User
	require.NoError(t, json.Unmarshal(who, &u))
	require.Equal(t, "pat0", u.ID)
	require.Equal(t, model.RolePatient, u.Role)

	submitJSON(t, m.patients[0], "RegisterDocument", documentInput(0, 1))
	out := submitJSON(t, m.patients[0], "AccessDocument", model.AccessDocumentInput{DocumentID: "doc-0-1"})
	var res model.AccessResult
	require.NoError(t, json.Unmarshal(out, &res))
	require.Equal(t, "blob:doc-0-1", res.Version.StorageRef)

	// A chaincode error keeps its MedLedger code through the gateway status.
	_, err = m.admin.SubmitTransaction("Bootstrap", `{"adminId":"again"}`)
	require.Error(t, err)
	require.Contains(t, err.Error(), "chaincode response 500, FAILED_PRECONDITION")
}
