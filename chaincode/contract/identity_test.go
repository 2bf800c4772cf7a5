package contract_test

import (
	"encoding/json"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
)

func TestBootstrapNeedsAnAdminCertificateAndRunsOnce(t *testing.T) {
	w := newWorld(t)
	client := w.identity(msp1, "client", pki.OUClient)
	w.requireDeniedWithoutWrite(client, model.CodeForbidden, model.TxBootstrap, model.BootstrapInput{AdminID: "root"})
	admin := w.identity(msp1, "admin", pki.OUAdmin)
	w.requireDeniedWithoutWrite(admin, model.CodeInvalidArgument, model.TxBootstrap, model.BootstrapInput{AdminID: "bad id"})
	// Before Bootstrap nobody is bound.
	w.requireDeniedWithoutWrite(admin, model.CodeForbidden, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h1", Name: "H", MSPID: msp1})

	o := w.must(admin, model.TxBootstrap, model.BootstrapInput{AdminID: "root"})
	u := decodeInto[model.User](t, o)
	require.Equal(t, model.RoleSolutionAdmin, u.Role)
	require.Equal(t, model.UserActive, u.Status)
	require.Empty(t, u.OrgID)
	require.Equal(t, msp1, u.Identity.MSPID)
	require.Equal(t, admin.Cert.Subject.String(), u.Identity.Subject)
	require.Equal(t, admin.Cert.Issuer.String(), u.Identity.Issuer)
	require.Equal(t, model.UserEvent{UserID: "root", Role: model.RoleSolutionAdmin, By: "root"}, eventOf[model.UserEvent](t, o, model.EventBootstrapped))

	me := decodeInto[model.User](t, w.evaluate(admin, model.TxWhoAmI))
	require.Equal(t, u, me)

	other := w.identity(msp2, "admin", pki.OUAdmin)
	w.requireDeniedWithoutWrite(other, model.CodeFailedPrecondition, model.TxBootstrap, model.BootstrapInput{AdminID: "root2"})
}

func TestTheLastSolutionAdminCannotBeRemoved(t *testing.T) {
	c := newCast(t)
	o := c.must(c.sa2, model.TxRemoveSolutionAdmin, "sa")
	require.Equal(t, model.UserRemoved, decodeInto[model.User](t, o).Status)
	c.requireDeniedWithoutWrite(c.sa, model.CodeForbidden, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h7", Name: "H7", MSPID: msp1})
	c.requireDeniedWithoutWrite(c.sa2, model.CodeFailedPrecondition, model.TxRemoveSolutionAdmin, "sa2")
	c.requireDeniedWithoutWrite(c.sa2, model.CodeFailedPrecondition, model.TxRemoveSolutionAdmin, "sa")
	c.requireDeniedWithoutWrite(c.sa2, model.CodeFailedPrecondition, model.TxRemoveSolutionAdmin, "admin1")
	c.requireDeniedWithoutWrite(c.sa2, model.CodeNotFound, model.TxRemoveSolutionAdmin, "ghost")
	// A new one can be added, and then sa2 can go.
	sa3 := c.identity(msp1, "sa3", pki.OUClient)
	added := decodeInto[model.User](t, c.must(c.sa2, model.TxAddSolutionAdmin, model.SolutionAdminInput{UserID: "sa3", CertificatePEM: string(sa3.CertPEM)}))
	require.Equal(t, msp2, added.Identity.MSPID, "an empty mspId means the caller's MSP")
	admins := decodeInto[model.UserPage](t, c.evaluate(c.sa2, model.TxListUsers, model.ListUsersInput{}))
	require.Len(t, admins.Items, 3, "removed solution admins stay listed")
	c.must(c.sa2, model.TxRemoveSolutionAdmin, "sa2")
}

func TestAnIdentityIsBoundToAtMostOneUser(t *testing.T) {
	c := newCast(t)
	// p2's certificate again, under another user id.
	c.requireDeniedWithoutWrite(c.admin1, model.CodeAlreadyExists, model.TxRegisterUser, model.RegisterUserInput{UserID: "p2bis", Role: model.RolePatient, CertificatePEM: string(c.p2.CertPEM)})
	// An admin's identity cannot also be a solution admin.
	c.requireDeniedWithoutWrite(c.sa, model.CodeAlreadyExists, model.TxAddSolutionAdmin, model.SolutionAdminInput{UserID: "x", CertificatePEM: string(c.admin1.CertPEM), MSPID: msp1})
	// The user id is taken too.
	fresh := c.identity(msp1, "fresh", pki.OUClient)
	c.requireDeniedWithoutWrite(c.admin1, model.CodeAlreadyExists, model.TxRegisterUser, model.RegisterUserInput{UserID: "p2", Role: model.RolePatient, CertificatePEM: string(fresh.CertPEM)})
	// A removed user's identity stays reserved and has no rights.
	c.requireDeniedWithoutWrite(c.admin1, model.CodeAlreadyExists, model.TxRegisterUser, model.RegisterUserInput{UserID: "rm2", Role: model.RoleDoctor, CertificatePEM: string(c.rm.CertPEM)})
	c.requireDeniedWithoutWrite(c.rm, model.CodeForbidden, model.TxWhoAmI)
	// The same certificate under another MSP is another identity.
	c.must(c.admin2, model.TxRegisterUser, model.RegisterUserInput{UserID: "p2-at-h2", Role: model.RolePatient, CertificatePEM: string(c.p2.CertPEM)})
}

func TestCertificateRenewalWithSameSubjectAndIssuerKeepsTheBinding(t *testing.T) {
	c := newCast(t)
	renewed, err := c.org(msp1).CA.Issue(pki.IssueRequest{CommonName: "p1", OU: pki.OUClient})
	require.NoError(t, err)
	renewed.MSPID = msp1
	require.NotEqual(t, c.p1.Cert.SerialNumber, renewed.Cert.SerialNumber)
	me := decodeInto[model.User](t, c.evaluate(renewed, model.TxWhoAmI))
	require.Equal(t, "p1", me.ID)
	c.must(renewed, model.TxAccessDocument, readDoc("doc1"))

	// Same subject from another CA is another identity.
	otherCA, err := pki.NewOrg(msp1, "impostor.example.com")
	require.NoError(t, err)
	impostor, err := otherCA.NewIdentity("p1", pki.OUClient, nil)
	require.NoError(t, err)
	c.requireDeniedWithoutWrite(impostor, model.CodeForbidden, model.TxWhoAmI)
	// Same certificate presented under another MSP is another identity.
	c.requireDeniedWithoutWrite(c.p1.WithMSP(msp2), model.CodeForbidden, model.TxWhoAmI)
}

func TestRemovedUserLosesEveryRightAtOnce(t *testing.T) {
	c := newCast(t)
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	o := c.must(c.admin2, model.TxRemoveUser, "d2")
	u := decodeInto[model.User](t, o)
	require.Equal(t, model.UserRemoved, u.Status)
	require.Equal(t, "admin2", u.RemovedBy)
	require.Equal(t, model.UserEvent{UserID: "d2", OrgID: "h2", Role: model.RoleDoctor, By: "admin2"}, eventOf[model.UserEvent](t, o, model.EventUserRemoved))
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxListMyAccesses, model.PageRequest{})
	c.requireDeniedWithoutWrite(c.admin2, model.CodeFailedPrecondition, model.TxRemoveUser, "d2")
	c.requireDeniedWithoutWrite(c.admin2, model.CodeFailedPrecondition, model.TxRemoveUser, "admin2")
	c.requireDeniedWithoutWrite(c.admin2, model.CodeNotFound, model.TxRemoveUser, "ghost")
	// The audit trail keeps the removed user's entries.
	log := decodeInto[model.AuditPage](t, c.evaluate(c.p1, model.TxListAccessLog, model.PageRequest{}))
	require.Len(t, log.Items, 1)
	require.Equal(t, "d2", log.Items[0].AccessorID)
}

func TestSuspendedHospitalCanDoNothingUntilReactivated(t *testing.T) {
	c := newCast(t)
	o := c.must(c.sa, model.TxSuspendOrganization, "h1")
	org := decodeInto[model.Organization](t, o)
	require.Equal(t, model.OrgSuspended, org.Status)
	require.Equal(t, model.OrganizationEvent{OrgID: "h1", MSPID: msp1, Status: model.OrgSuspended, By: "sa"}, eventOf[model.OrganizationEvent](t, o, model.EventOrganizationSuspended))
	for _, who := range []*pki.Identity{c.p1, c.admin1, c.d1, c.dA} {
		c.requireDeniedWithoutWrite(who, model.CodeForbidden, model.TxWhoAmI)
	}
	c.requireDeniedWithoutWrite(c.p1, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.sa, model.CodeFailedPrecondition, model.TxSuspendOrganization, "h1")
	// Users of other hospitals keep the rights patients of h1 gave them.
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))

	o = c.must(c.sa, model.TxReactivateOrganization, "h1")
	require.Equal(t, model.OrgActive, eventOf[model.OrganizationEvent](t, o, model.EventOrganizationReactivated).Status)
	c.must(c.p1, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.sa, model.CodeFailedPrecondition, model.TxReactivateOrganization, "h1")
	c.requireDeniedWithoutWrite(c.sa, model.CodeNotFound, model.TxReactivateOrganization, "h404")
}

func TestOrganisationAndAdminLifecycle(t *testing.T) {
	c := newCast(t)
	o := c.must(c.sa, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h4", Name: "Hôpital Saint-Louis", MSPID: "Org4MSP"})
	org := decodeInto[model.Organization](t, o)
	require.Equal(t, model.Organization{ID: "h4", Name: "Hôpital Saint-Louis", MSPID: "Org4MSP", Status: model.OrgActive, CreatedBy: "sa", CreatedAt: c.now, UpdatedAt: c.now}, org)
	require.Equal(t, model.OrganizationEvent{OrgID: "h4", MSPID: "Org4MSP", Status: model.OrgActive, By: "sa"}, eventOf[model.OrganizationEvent](t, o, model.EventOrganizationCreated))
	c.requireDeniedWithoutWrite(c.sa, model.CodeAlreadyExists, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h4", Name: "Again", MSPID: "Org4MSP"})
	for _, bad := range []model.CreateOrganizationInput{
		{ID: "", Name: "x", MSPID: "M"},
		{ID: "h5", Name: "", MSPID: "M"},
		{ID: "h5", Name: string(make([]byte, model.MaxOrgNameLen+1)), MSPID: "M"},
		{ID: "h5", Name: "tab\there", MSPID: "M"},
		{ID: "h5", Name: "ok", MSPID: "bad msp"},
	} {
		c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxCreateOrganization, bad)
	}
	got := decodeInto[model.Organization](t, c.evaluate(c.p1, model.TxGetOrganization, "h4"))
	require.Equal(t, org, got)
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxGetOrganization, "h404")

	admin4 := c.identity("Org4MSP", "admin4", pki.OUAdmin)
	o = c.must(c.sa, model.TxAssignOrgAdmin, model.OrgAdminInput{UserID: "admin4", OrgID: "h4", CertificatePEM: string(admin4.CertPEM)})
	require.Equal(t, model.UserEvent{UserID: "admin4", OrgID: "h4", Role: model.RoleOrgAdmin, By: "sa"}, eventOf[model.UserEvent](t, o, model.EventOrgAdminAssigned))
	require.Equal(t, "Org4MSP", decodeInto[model.User](t, o).Identity.MSPID, "an org admin is bound under the organisation's MSP")
	c.requireDeniedWithoutWrite(c.sa, model.CodeNotFound, model.TxAssignOrgAdmin, model.OrgAdminInput{UserID: "adminX", OrgID: "h404", CertificatePEM: string(admin4.CertPEM)})

	doc4 := c.identity("Org4MSP", "doc4", pki.OUClient)
	o = c.must(admin4, model.TxRegisterUser, model.RegisterUserInput{UserID: "doc4", Role: model.RoleDoctor, CertificatePEM: string(doc4.CertPEM)})
	require.Equal(t, model.UserEvent{UserID: "doc4", OrgID: "h4", Role: model.RoleDoctor, By: "admin4"}, eventOf[model.UserEvent](t, o, model.EventUserRegistered))
	c.requireDeniedWithoutWrite(admin4, model.CodeInvalidArgument, model.TxRegisterUser, model.RegisterUserInput{UserID: "x", Role: model.RoleOrgAdmin, CertificatePEM: string(doc4.CertPEM)})
	c.requireDeniedWithoutWrite(admin4, model.CodeInvalidArgument, model.TxRegisterUser, model.RegisterUserInput{UserID: "x", Role: "nurse", CertificatePEM: string(doc4.CertPEM)})

	users := decodeInto[model.UserPage](t, c.evaluate(admin4, model.TxListUsers, model.ListUsersInput{OrgID: "h4"}))
	require.Equal(t, []string{"admin4", "doc4"}, userIDs(users.Items))
	c.requireDeniedWithoutWrite(admin4, model.CodeForbidden, model.TxListUsers, model.ListUsersInput{OrgID: "h1"})
	c.requireDeniedWithoutWrite(admin4, model.CodeForbidden, model.TxListUsers, model.ListUsersInput{})
	c.requireDeniedWithoutWrite(c.sa, model.CodeNotFound, model.TxListUsers, model.ListUsersInput{OrgID: "h404"})
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxListUsers, model.ListUsersInput{OrgID: "bad id"})

	require.Equal(t, "doc4", decodeInto[model.User](t, c.evaluate(admin4, model.TxGetUser, "doc4")).ID)
	require.Equal(t, "doc4", decodeInto[model.User](t, c.evaluate(doc4, model.TxGetUser, "doc4")).ID)
	c.requireDeniedWithoutWrite(admin4, model.CodeForbidden, model.TxGetUser, "p1")
	c.requireDeniedWithoutWrite(c.sa, model.CodeNotFound, model.TxGetUser, "ghost")

	o = c.must(c.sa, model.TxRemoveOrgAdmin, "admin4")
	require.Equal(t, model.EventOrgAdminRemoved, o.res.Event.GetEventName())
	c.requireDeniedWithoutWrite(admin4, model.CodeForbidden, model.TxRegisterUser, model.RegisterUserInput{UserID: "y", Role: model.RolePatient, CertificatePEM: string(c.identity("Org4MSP", "y", pki.OUClient).CertPEM)})
	c.requireDeniedWithoutWrite(c.sa, model.CodeFailedPrecondition, model.TxRemoveOrgAdmin, "admin4")
	c.requireDeniedWithoutWrite(c.sa, model.CodeFailedPrecondition, model.TxRemoveOrgAdmin, "doc4")
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxRemoveOrgAdmin, "")
}

func TestEnrollmentCertificatesAreValidated(t *testing.T) {
	c := newCast(t)
	good := string(c.identity(msp1, "good", pki.OUClient).CertPEM)
	for name, pem := range map[string]string{
		"empty":              "",
		"not PEM":            "hello",
		"wrong block type":   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"garbage DER":        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"two certificates":   good + good,
		"trailing garbage":   good + "junk",
		"longer than 16 KiB": good + string(make([]byte, model.MaxCertificatePEMLen)),
	} {
		t.Run(name, func(t *testing.T) {
			c.tb = t
			c.requireDeniedWithoutWrite(c.admin1, model.CodeInvalidArgument, model.TxRegisterUser, model.RegisterUserInput{UserID: "newu", Role: model.RolePatient, CertificatePEM: pem})
		})
	}
	c.tb = t
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxAddSolutionAdmin, model.SolutionAdminInput{UserID: "sa9", CertificatePEM: good, MSPID: "bad msp"})
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxAddSolutionAdmin, model.SolutionAdminInput{UserID: "", CertificatePEM: good})
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxAssignOrgAdmin, model.OrgAdminInput{UserID: "", OrgID: "h1", CertificatePEM: good})
	c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxAssignOrgAdmin, model.OrgAdminInput{UserID: "x", OrgID: "", CertificatePEM: good})
}

func userIDs(us []model.User) []string {
	ids := make([]string, 0, len(us))
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

func TestSuspendingOneHospitalOfAnMSPRefusesOnlyItsUsers(t *testing.T) {
	c := newCast(t)
	c.must(c.sa, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h4", Name: "Hospital h4", MSPID: msp1})
	admin4 := c.assignAdmin("admin4", "h4", msp1)
	c.must(admin4, model.TxWhoAmI)
	c.must(c.sa, model.TxSuspendOrganization, "h4")
	c.requireDeniedWithoutWrite(admin4, model.CodeForbidden, model.TxWhoAmI)
	c.must(c.p1, model.TxAccessDocument, readDoc("doc1")) // h1, same MSP
	c.must(c.sa, model.TxReactivateOrganization, "h4")
	c.must(admin4, model.TxWhoAmI)
}

// toLedgerBeforeCallerInOneRead rewrites the ledger as a MedLedger version
// before caller resolution was one read left it: identity bindings without
// role and status, no per-MSP organisation statuses.
func toLedgerBeforeCallerInOneRead(c *cast) {
	c.rewriteRecords("identity", func(stub shim.ChaincodeStubInterface, key string, _ []string, value []byte) error {
		var b map[string]any
		if err := json.Unmarshal(value, &b); err != nil {
			return err
		}
		delete(b, "role")
		delete(b, "status")
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return stub.PutState(key, raw)
	})
	c.rewriteRecords("mspOrgs", func(stub shim.ChaincodeStubInterface, key string, _ []string, _ []byte) error {
		return stub.DelState(key)
	})
}

func TestCallersResolveOnALedgerWrittenBeforeBindingsCarriedRoleAndStatus(t *testing.T) {
	c := newCast(t)
	toLedgerBeforeCallerInOneRead(c)
	// The second read (user and organisation records) is back: one more
	// round trip than TestHotTransactionsMakeFewPeerRoundTrips holds.
	resp, trips := invokeCounting(t, c, c.params(c.p1, model.TxCheckAccess, readDoc("doc1")))
	require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
	require.Equal(t, 2, trips)

	c.must(c.p1, model.TxAccessDocument, readDoc("doc1"))
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	// A new hospital under Org1MSP starts that MSP's organisation statuses;
	// h1, created before, is not in them and is still read from its record.
	c.must(c.sa, model.TxCreateOrganization, model.CreateOrganizationInput{ID: "h4", Name: "Hospital h4", MSPID: msp1})
	c.must(c.p1, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.rm, model.CodeForbidden, model.TxWhoAmI)
	c.requireDeniedWithoutWrite(c.d3, model.CodeForbidden, model.TxWhoAmI) // h3 is suspended
	// Writes made from now on carry the copies again.
	c.must(c.admin2, model.TxRemoveUser, "d2n")
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxWhoAmI)
	c.must(c.sa, model.TxSuspendOrganization, "h2")
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	c.must(c.sa, model.TxReactivateOrganization, "h2")
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
}
