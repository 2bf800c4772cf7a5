package contract_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
)

// The caller kinds of the access-control matrix, relative to patient p1 of
// hospital h1 and their document doc1.
const (
	cSolutionAdmin   = "solution admin"
	cAdminSame       = "admin of the same hospital"
	cAdminOther      = "admin of another hospital"
	cDoctorSame      = "doctor of the same hospital"
	cDoctorConsent   = "doctor of another hospital with consent"
	cDoctorNoConsent = "doctor of another hospital without consent"
	cPatient         = "the patient"
	cOtherPatient    = "another patient"
	cRemoved         = "a removed user"
	cSuspended       = "a user of a suspended hospital"
	cUnregistered    = "an unregistered identity"
)

var callerKinds = []string{
	cSolutionAdmin, cAdminSame, cAdminOther, cDoctorSame, cDoctorConsent, cDoctorNoConsent,
	cPatient, cOtherPatient, cRemoved, cSuspended, cUnregistered,
}

func (c *cast) callerOf(kind string) *pki.Identity {
	return map[string]*pki.Identity{
		cSolutionAdmin: c.sa, cAdminSame: c.admin1, cAdminOther: c.admin2, cDoctorSame: c.d1,
		cDoctorConsent: c.d2, cDoctorNoConsent: c.d2n, cPatient: c.p1, cOtherPatient: c.p2,
		cRemoved: c.rm, cSuspended: c.d3, cUnregistered: c.unregistered,
	}[kind]
}

// matrixRow is one transaction of the matrix: its arguments, the caller kinds
// that succeed, and the code every other caller kind gets.
type matrixRow struct {
	tx      string
	args    func(c *cast) []any
	allowed []string
	denied  model.Code // for every caller kind not in allowed; FORBIDDEN if empty
	event   string     // the one event a successful submit emits
	check   func(t *testing.T, kind string, payload []byte)
}

func one(v any) func(*cast) []any { return func(*cast) []any { return []any{v} } }

func freshCert(c *cast, msp, name string) string {
	return string(c.identity(msp, name, pki.OUClient).CertPEM)
}

var everyActiveUser = []string{cSolutionAdmin, cAdminSame, cAdminOther, cDoctorSame, cDoctorConsent, cDoctorNoConsent, cPatient, cOtherPatient}
var doctorsAndPatients = []string{cDoctorSame, cDoctorConsent, cDoctorNoConsent, cPatient, cOtherPatient}

func matrix() []matrixRow {
	return []matrixRow{
		{tx: model.TxBootstrap, args: one(model.BootstrapInput{AdminID: "again"}), denied: model.CodeFailedPrecondition},
		{tx: model.TxAddSolutionAdmin, args: func(c *cast) []any {
			return []any{model.SolutionAdminInput{UserID: "sa3", CertificatePEM: freshCert(c, msp1, "sa3")}}
		}, allowed: []string{cSolutionAdmin}, event: model.EventSolutionAdminAdded},
		{tx: model.TxRemoveSolutionAdmin, args: one("sa2"), allowed: []string{cSolutionAdmin}, event: model.EventSolutionAdminRemoved},
		{tx: model.TxCreateOrganization, args: one(model.CreateOrganizationInput{ID: "h9", Name: "Hospital 9", MSPID: "Org9MSP"}), allowed: []string{cSolutionAdmin}, event: model.EventOrganizationCreated},
		{tx: model.TxSuspendOrganization, args: one("h2"), allowed: []string{cSolutionAdmin}, event: model.EventOrganizationSuspended},
		{tx: model.TxReactivateOrganization, args: one("h3"), allowed: []string{cSolutionAdmin}, event: model.EventOrganizationReactivated},
		{tx: model.TxAssignOrgAdmin, args: func(c *cast) []any {
			return []any{model.OrgAdminInput{UserID: "admin1b", OrgID: "h1", CertificatePEM: freshCert(c, msp1, "admin1b")}}
		}, allowed: []string{cSolutionAdmin}, event: model.EventOrgAdminAssigned},
		{tx: model.TxRemoveOrgAdmin, args: one("admin2"), allowed: []string{cSolutionAdmin}, event: model.EventOrgAdminRemoved},
		// A hospital admin registers users into their own hospital, so both admins may.
		{tx: model.TxRegisterUser, args: func(c *cast) []any {
			return []any{model.RegisterUserInput{UserID: "newp", Role: model.RolePatient, CertificatePEM: freshCert(c, msp1, "newp")}}
		}, allowed: []string{cAdminSame, cAdminOther}, event: model.EventUserRegistered},
		{tx: model.TxRemoveUser, args: one("p2"), allowed: []string{cAdminSame}, event: model.EventUserRemoved},
		{tx: model.TxRegisterDocument, args: one(doc("docN", "p1", model.CategoryImaging)), allowed: []string{cDoctorSame, cDoctorConsent, cPatient}, event: model.EventDocumentRegistered},
		{tx: model.TxAddDocumentVersion, args: one(model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: sha("v2"), Size: 5, MediaType: "application/pdf", StorageRef: "sha256:" + sha("v2")}), allowed: []string{cPatient}, event: model.EventDocumentVersionAdded},
		{tx: model.TxEraseDocument, args: one("doc1"), allowed: []string{cPatient}, event: model.EventDocumentErased},
		// Any patient grants consent on their own records.
		{tx: model.TxGrantConsent, args: one(model.GrantConsentInput{Grantee: model.Grantee{Type: model.GranteeUser, ID: "d2n"}, Scope: model.Scope{Type: model.ScopeAll}, Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment}), allowed: []string{cPatient, cOtherPatient}, event: model.EventConsentGranted},
		{tx: model.TxRevokeConsent, args: one("g-d2"), allowed: []string{cPatient}, event: model.EventConsentRevoked},
		// Any active doctor may break the glass; it is recorded and visible to the patient.
		{tx: model.TxOpenEmergencyAccess, args: one(model.EmergencyAccessInput{PatientID: "p1", Reason: model.EmergencyUnconsciousPatient, DurationSeconds: 3600}), allowed: []string{cDoctorSame, cDoctorConsent, cDoctorNoConsent}, event: model.EventEmergencyAccessOpened},
		{tx: model.TxAccessDocument, args: one(model.AccessDocumentInput{DocumentID: "doc1"}), allowed: []string{cDoctorConsent, cPatient}, event: model.EventDocumentAccessed},

		{tx: model.TxWhoAmI, args: func(*cast) []any { return nil }, allowed: everyActiveUser},
		{tx: model.TxGetOrganization, args: one("h1"), allowed: everyActiveUser},
		{tx: model.TxListOrganizations, args: one(model.PageRequest{}), allowed: everyActiveUser},
		{tx: model.TxGetUser, args: one("p1"), allowed: []string{cSolutionAdmin, cAdminSame, cPatient}},
		{tx: model.TxListUsers, args: one(model.ListUsersInput{OrgID: "h1"}), allowed: []string{cSolutionAdmin, cAdminSame}},
		{tx: model.TxListDocuments, args: one(model.ListDocumentsInput{PatientID: "p1"}), allowed: doctorsAndPatients,
			check: func(t *testing.T, kind string, payload []byte) {
				page := decodePayload[model.DocumentPage](t, payload)
				want := 0
				if kind == cPatient || kind == cDoctorConsent {
					want = 1
				}
				require.Len(t, page.Items, want, "documents of p1 visible to %s", kind)
				for _, d := range page.Items {
					for _, v := range d.Versions {
						require.Empty(t, v.StorageRef, "ListDocuments must not hand out storage references")
					}
				}
			}},
		{tx: model.TxCheckAccess, args: one(model.AccessDocumentInput{DocumentID: "doc1"}), allowed: everyActiveUser,
			check: func(t *testing.T, kind string, payload []byte) {
				d := decodePayload[model.AccessDecision](t, payload)
				require.Equal(t, kind == cPatient || kind == cDoctorConsent, d.Allowed, "CheckAccess for %s: %+v", kind, d)
			}},
		{tx: model.TxListGrants, args: one(model.PageRequest{}), allowed: []string{cPatient, cOtherPatient}},
		{tx: model.TxListReceivedGrants, args: one(model.ListReceivedGrantsInput{GranteeType: model.GranteeUser}), allowed: doctorsAndPatients},
		{tx: model.TxListAccessLog, args: one(model.PageRequest{}), allowed: []string{cPatient, cOtherPatient}},
		{tx: model.TxListMyAccesses, args: one(model.PageRequest{}), allowed: everyActiveUser},
		{tx: model.TxListStorageRefs, args: one(model.PageRequest{}), allowed: []string{cAdminSame, cAdminOther},
			check: func(t *testing.T, kind string, payload []byte) {
				page := decodePayload[model.StorageRefPage](t, payload)
				want := 0
				if kind == cAdminSame {
					want = 1
				}
				require.Len(t, page.Items, want, "storage refs visible to %s", kind)
			}},
	}
}

func decodePayload[T any](t *testing.T, payload []byte) T {
	t.Helper()
	return decodeInto[T](t, outcome{payload: payload})
}

// TestAccessControlMatrix runs every transaction as every caller kind on the
// same committed ledger. Allowed calls are simulated (not committed) and must
// succeed, a submit emitting exactly its event; refused calls must fail with
// the expected code, write nothing and leave the committed state unchanged.
func TestAccessControlMatrix(t *testing.T) {
	c := newCast(t)
	rows := matrix()
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row.tx] = true
	}
	for _, tx := range append(slices.Clone(model.EvaluateTransactions), submitTransactions...) {
		require.True(t, seen[tx], "matrix misses transaction %s", tx)
	}
	for _, row := range rows {
		evaluate := slices.Contains(model.EvaluateTransactions, row.tx)
		for _, kind := range callerKinds {
			allowed := slices.Contains(row.allowed, kind)
			verdict := "is refused"
			if allowed {
				verdict = "succeeds"
			}
			t.Run(row.tx+"/"+kind+" "+verdict, func(t *testing.T) {
				c.tb = t
				who := c.callerOf(kind)
				args := row.args(c)
				if !allowed {
					code := row.denied
					if code == "" {
						code = model.CodeForbidden
					}
					c.requireDeniedWithoutWrite(who, code, row.tx, args...)
					return
				}
				o := c.evaluate(who, row.tx, args...)
				require.NoError(t, o.err)
				if evaluate {
					require.Empty(t, o.res.Writes, "an evaluate transaction writes nothing")
					require.Nil(t, o.res.Event)
				} else {
					require.NotEmpty(t, o.res.Writes)
					require.NotNil(t, o.res.Event, "a submit transaction emits exactly one event")
					require.Equal(t, row.event, o.res.Event.GetEventName())
				}
				if row.check != nil {
					row.check(t, kind, o.payload)
				}
			})
		}
	}
}

var submitTransactions = []string{
	model.TxBootstrap, model.TxAddSolutionAdmin, model.TxRemoveSolutionAdmin, model.TxCreateOrganization,
	model.TxSuspendOrganization, model.TxReactivateOrganization, model.TxAssignOrgAdmin, model.TxRemoveOrgAdmin,
	model.TxRegisterUser, model.TxRemoveUser, model.TxRegisterDocument, model.TxAddDocumentVersion,
	model.TxEraseDocument, model.TxGrantConsent, model.TxRevokeConsent, model.TxOpenEmergencyAccess,
	model.TxAccessDocument,
}
