package contract_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

func readDoc(id string) model.AccessDocumentInput { return model.AccessDocumentInput{DocumentID: id} }

func toUser(id string) model.Grantee { return model.Grantee{Type: model.GranteeUser, ID: id} }
func toOrg(id string) model.Grantee  { return model.Grantee{Type: model.GranteeOrganization, ID: id} }

var scopeAll = model.Scope{Type: model.ScopeAll}

func readGrant(id string, grantee model.Grantee, scope model.Scope) model.GrantConsentInput {
	return model.GrantConsentInput{GrantID: id, Grantee: grantee, Scope: scope, Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment}
}

// at makes the next transaction carry timestamp ts exactly.
func (w *world) at(ts time.Time) { w.now = ts.Add(-time.Second) }

func TestConsentWindowIsInclusiveAtValidFromAndExclusiveAtValidUntil(t *testing.T) {
	c := newCast(t)
	from := t0.Add(24 * time.Hour)
	until := from.Add(2 * time.Hour)
	g := readGrant("g-window", toUser("d2n"), scopeAll)
	g.ValidFrom, g.ValidUntil = from, until
	c.must(c.p1, model.TxGrantConsent, g)

	c.at(from.Add(-time.Second))
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))

	c.at(from)
	r := decodeInto[model.AccessResult](t, c.must(c.d2n, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, model.BasisConsent, r.Audit.Basis)
	require.Equal(t, "g-window", r.Audit.GrantID)
	require.Equal(t, from, r.Audit.AccessedAt)

	c.at(until.Add(-time.Second))
	c.must(c.d2n, model.TxAccessDocument, readDoc("doc1"))

	c.at(until)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
}

func TestConsentNotYetValidIsRefusedAndCheckAccessSaysWhy(t *testing.T) {
	c := newCast(t)
	g := readGrant("g-future", toUser("d2n"), scopeAll)
	g.ValidFrom = t0.Add(48 * time.Hour)
	c.must(c.p1, model.TxGrantConsent, g)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	d := decodeInto[model.AccessDecision](t, c.evaluate(c.d2n, model.TxCheckAccess, readDoc("doc1")))
	require.False(t, d.Allowed)
	require.NotEmpty(t, d.Reason)
}

func TestExpiredConsentIsRefused(t *testing.T) {
	c := newCast(t)
	g := readGrant("g-short", toUser("d2n"), scopeAll)
	g.ValidUntil = c.now.Add(time.Hour)
	c.must(c.p1, model.TxGrantConsent, g)
	c.must(c.d2n, model.TxAccessDocument, readDoc("doc1"))
	c.at(g.ValidUntil.Add(time.Minute))
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
}

func TestRevocationTakesEffectFromTheRevokingTransaction(t *testing.T) {
	c := newCast(t)
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	o := c.must(c.p1, model.TxRevokeConsent, "g-d2")
	g := decodeInto[model.Grant](t, o)
	require.True(t, g.Revoked)
	require.Equal(t, o.res.TxID, g.RevokedTxID)
	ev := eventOf[model.ConsentEvent](t, o, model.EventConsentRevoked)
	require.Equal(t, model.ConsentEvent{GrantID: "g-d2", PatientID: "p1", Grantee: toUser("d2")}, ev)
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	// Write consent went with it.
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxRegisterDocument, doc("docW", "p1", model.CategoryOther))
	c.requireDeniedWithoutWrite(c.p1, model.CodeFailedPrecondition, model.TxRevokeConsent, "g-d2")
}

func TestCategoryScopeCoversOnlyItsCategories(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxRegisterDocument, doc("img1", "p1", model.CategoryImaging))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-img", toUser("d2n"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}))
	r := decodeInto[model.AccessResult](t, c.must(c.d2n, model.TxAccessDocument, readDoc("img1")))
	require.Equal(t, "g-img", r.Audit.GrantID)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	page := decodeInto[model.DocumentPage](t, c.evaluate(c.d2n, model.TxListDocuments, model.ListDocumentsInput{PatientID: "p1"}))
	require.Len(t, page.Items, 1)
	require.Equal(t, "img1", page.Items[0].ID)
}

func TestDocumentScopeCoversOnlyListedDocuments(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxRegisterDocument, doc("doc2", "p1", model.CategoryLabResult))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-doc2", toUser("d2n"), model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc2"}}))
	c.must(c.d2n, model.TxAccessDocument, readDoc("doc2"))
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
}

func TestDocumentScopeMustNameThePatientsOwnDocuments(t *testing.T) {
	c := newCast(t)
	c.must(c.p2, model.TxRegisterDocument, doc("p2doc", "p2", model.CategoryOther))
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxGrantConsent, readGrant("g-x", toUser("d2n"), model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"p2doc"}}))
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxGrantConsent, readGrant("g-y", toUser("d2n"), model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"missing"}}))
}

func TestOrganisationGrantCoversItsDoctorsOnly(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxGrantConsent, readGrant("g-h2", toOrg("h2"), scopeAll))
	r := decodeInto[model.AccessResult](t, c.must(c.d2n, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, "g-h2", r.Audit.GrantID)
	require.Equal(t, "h2", r.Audit.AccessorOrgID)
	// A doctor registered later in h2 is covered too.
	late := c.register(c.admin2, msp2, "d2late", model.RoleDoctor)
	c.must(late, model.TxAccessDocument, readDoc("doc1"))
	// Doctors of other hospitals and h2's admin are not.
	c.requireDeniedWithoutWrite(c.d1, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.admin2, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	// The doctor sees it among the organisation's received grants.
	page := decodeInto[model.GrantPage](t, c.evaluate(c.d2n, model.TxListReceivedGrants, model.ListReceivedGrantsInput{GranteeType: model.GranteeOrganization}))
	require.Len(t, page.Items, 1)
	require.Equal(t, "g-h2", page.Items[0].ID)
	// A patient does not list organisation grants.
	c.requireDeniedWithoutWrite(c.p2, model.CodeForbidden, model.TxListReceivedGrants, model.ListReceivedGrantsInput{GranteeType: model.GranteeOrganization})
}

func TestReadConsentDoesNotAllowWritingAndWriteConsentAllowsRegistering(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxGrantConsent, readGrant("g-read", toUser("d2n"), scopeAll))
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxRegisterDocument, doc("byd2n", "p1", model.CategoryImaging))

	w := model.GrantConsentInput{GrantID: "g-write", Grantee: toUser("d2n"), Scope: model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}, Actions: []model.Action{model.ActionWrite}, Purpose: model.PurposeTreatment}
	c.must(c.p1, model.TxGrantConsent, w)
	d := decodeInto[model.Document](t, c.must(c.d2n, model.TxRegisterDocument, doc("byd2n", "p1", model.CategoryImaging)))
	require.Equal(t, "h2", d.OrgID, "the document belongs to the registering hospital")
	require.Equal(t, "d2n", d.AuthorID)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxRegisterDocument, doc("byd2n-lab", "p1", model.CategoryLabResult))

	// Write-only consent to another doctor does not let them read.
	c.must(c.p1, model.TxGrantConsent, model.GrantConsentInput{GrantID: "g-wo", Grantee: toUser("d1"), Scope: scopeAll, Actions: []model.Action{model.ActionWrite}, Purpose: model.PurposeTreatment})
	c.requireDeniedWithoutWrite(c.d1, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	// A write grant cannot name documents: writing registers new ones.
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxGrantConsent, model.GrantConsentInput{Grantee: toUser("d1"), Scope: model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc1"}}, Actions: []model.Action{model.ActionWrite}, Purpose: model.PurposeTreatment})
}

func TestEmergencyAccessExpiresAtTheEndOfItsWindow(t *testing.T) {
	c := newCast(t)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	o := c.must(c.d2n, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "p1", Reason: model.EmergencyLifeThreatening, DurationSeconds: 600})
	g := decodeInto[model.Grant](t, o)
	require.Equal(t, o.res.TxID, g.ID, "the emergency grant's id is the transaction id")
	require.Equal(t, model.GrantEmergency, g.Kind)
	require.Equal(t, []model.Action{model.ActionRead}, g.Actions)
	require.Equal(t, g.ValidFrom.Add(10*time.Minute), g.ValidUntil)
	ev := eventOf[model.EmergencyAccessEvent](t, o, model.EventEmergencyAccessOpened)
	require.Equal(t, model.EmergencyAccessEvent{GrantID: g.ID, PatientID: "p1", DoctorID: "d2n", OrgID: "h2", Reason: model.EmergencyLifeThreatening, ExpiresAt: g.ValidUntil}, ev)

	r := decodeInto[model.AccessResult](t, c.must(c.d2n, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, model.BasisEmergency, r.Audit.Basis)
	require.Equal(t, g.ID, r.Audit.GrantID)
	// Emergency access never writes.
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxRegisterDocument, doc("em", "p1", model.CategoryOther))

	c.at(g.ValidUntil.Add(-time.Nanosecond))
	c.must(c.d2n, model.TxAccessDocument, readDoc("doc1"))
	c.at(g.ValidUntil)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))

	// The patient sees it among their grants, and may revoke it.
	grants := decodeInto[model.GrantPage](t, c.evaluate(c.p1, model.TxListGrants, model.PageRequest{}))
	require.Contains(t, grantIDs(grants.Items), g.ID)
	c.must(c.p1, model.TxRevokeConsent, g.ID)
}

func TestEmergencyAccessBoundsAndReasons(t *testing.T) {
	c := newCast(t)
	for _, in := range []model.EmergencyAccessInput{
		{PatientID: "p1", Reason: model.EmergencyUrgentOther, DurationSeconds: 0},
		{PatientID: "p1", Reason: model.EmergencyUrgentOther, DurationSeconds: 24*3600 + 1},
		{PatientID: "p1", Reason: "curiosity", DurationSeconds: 60},
		{PatientID: "p1", Reason: "", DurationSeconds: 60},
		{PatientID: "bad id", Reason: model.EmergencyUrgentOther, DurationSeconds: 60},
	} {
		c.requireDeniedWithoutWrite(c.d1, model.CodeInvalidArgument, model.TxOpenEmergencyAccess, in)
	}
	c.must(c.d1, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "p1", Reason: model.EmergencyUrgentOther, DurationSeconds: 24 * 3600})
	c.requireDeniedWithoutWrite(c.d1, model.CodeNotFound, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "d2", Reason: model.EmergencyUrgentOther, DurationSeconds: 60})
	c.requireDeniedWithoutWrite(c.d1, model.CodeNotFound, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "ghost", Reason: model.EmergencyUrgentOther, DurationSeconds: 60})
	c.must(c.admin1, model.TxRemoveUser, "p2")
	c.requireDeniedWithoutWrite(c.d1, model.CodeFailedPrecondition, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "p2", Reason: model.EmergencyUrgentOther, DurationSeconds: 60})
}

func TestGrantValidation(t *testing.T) {
	c := newCast(t)
	base := readGrant("", toUser("d2n"), scopeAll)
	with := func(f func(*model.GrantConsentInput)) model.GrantConsentInput {
		g := base
		f(&g)
		return g
	}
	tests := []struct {
		name string
		in   model.GrantConsentInput
		code model.Code
	}{
		{"bad grant id", with(func(g *model.GrantConsentInput) { g.GrantID = "-x" }), model.CodeInvalidArgument},
		{"unknown grantee type", with(func(g *model.GrantConsentInput) { g.Grantee.Type = "group" }), model.CodeInvalidArgument},
		{"bad grantee id", with(func(g *model.GrantConsentInput) { g.Grantee.ID = "" }), model.CodeInvalidArgument},
		{"unknown scope type", with(func(g *model.GrantConsentInput) { g.Scope = model.Scope{Type: "some"} }), model.CodeInvalidArgument},
		{"scope all with categories", with(func(g *model.GrantConsentInput) { g.Scope.Categories = []model.Category{model.CategoryOther} }), model.CodeInvalidArgument},
		{"categories scope without categories", with(func(g *model.GrantConsentInput) { g.Scope = model.Scope{Type: model.ScopeCategories} }), model.CodeInvalidArgument},
		{"categories scope with document ids", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryOther}, DocumentIDs: []string{"doc1"}}
		}), model.CodeInvalidArgument},
		{"unknown category", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeCategories, Categories: []model.Category{"x-ray"}}
		}), model.CodeInvalidArgument},
		{"duplicate category", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryOther, model.CategoryOther}}
		}), model.CodeInvalidArgument},
		{"documents scope without ids", with(func(g *model.GrantConsentInput) { g.Scope = model.Scope{Type: model.ScopeDocuments} }), model.CodeInvalidArgument},
		{"documents scope with categories", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc1"}, Categories: []model.Category{model.CategoryOther}}
		}), model.CodeInvalidArgument},
		{"documents scope with a bad id", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"a b"}}
		}), model.CodeInvalidArgument},
		{"documents scope with a duplicate", with(func(g *model.GrantConsentInput) {
			g.Scope = model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc1", "doc1"}}
		}), model.CodeInvalidArgument},
		{"documents scope too long", with(func(g *model.GrantConsentInput) {
			ids := make([]string, model.MaxScopeDocuments+1)
			for i := range ids {
				ids[i] = "d" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			}
			g.Scope = model.Scope{Type: model.ScopeDocuments, DocumentIDs: ids}
		}), model.CodeInvalidArgument},
		{"no actions", with(func(g *model.GrantConsentInput) { g.Actions = nil }), model.CodeInvalidArgument},
		{"unknown action", with(func(g *model.GrantConsentInput) { g.Actions = []model.Action{"delete"} }), model.CodeInvalidArgument},
		{"duplicate action", with(func(g *model.GrantConsentInput) { g.Actions = []model.Action{model.ActionRead, model.ActionRead} }), model.CodeInvalidArgument},
		{"too many actions", with(func(g *model.GrantConsentInput) {
			g.Actions = []model.Action{model.ActionRead, model.ActionWrite, model.ActionRead}
		}), model.CodeInvalidArgument},
		{"unknown purpose", with(func(g *model.GrantConsentInput) { g.Purpose = "marketing" }), model.CodeInvalidArgument},
		{"validUntil before validFrom", with(func(g *model.GrantConsentInput) {
			g.ValidFrom = t0.Add(72 * time.Hour)
			g.ValidUntil = t0.Add(71 * time.Hour)
		}), model.CodeInvalidArgument},
		{"validUntil in the past", with(func(g *model.GrantConsentInput) {
			g.ValidFrom = t0.Add(-72 * time.Hour)
			g.ValidUntil = t0.Add(-time.Hour)
		}), model.CodeInvalidArgument},
		{"grant to oneself", with(func(g *model.GrantConsentInput) { g.Grantee = toUser("p1") }), model.CodeInvalidArgument},
		{"grant to an admin", with(func(g *model.GrantConsentInput) { g.Grantee = toUser("admin1") }), model.CodeFailedPrecondition},
		{"grant to a removed user", with(func(g *model.GrantConsentInput) { g.Grantee = toUser("rm") }), model.CodeFailedPrecondition},
		{"grant to an unknown user", with(func(g *model.GrantConsentInput) { g.Grantee = toUser("ghost") }), model.CodeNotFound},
		{"grant to an unknown organisation", with(func(g *model.GrantConsentInput) { g.Grantee = toOrg("h99") }), model.CodeNotFound},
		{"grant id already used", with(func(g *model.GrantConsentInput) { g.GrantID = "g-d2" }), model.CodeAlreadyExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.tb = t
			c.requireDeniedWithoutWrite(c.p1, tc.code, model.TxGrantConsent, tc.in)
		})
	}
	c.tb = t
	o := c.must(c.p1, model.TxGrantConsent, base)
	g := decodeInto[model.Grant](t, o)
	require.Equal(t, o.res.TxID, g.ID, "an empty grant id becomes the transaction id")
	require.Equal(t, c.now, g.ValidFrom, "a zero validFrom becomes the transaction time")
	require.True(t, g.ValidUntil.IsZero())
	ev := eventOf[model.ConsentEvent](t, o, model.EventConsentGranted)
	require.Equal(t, model.ConsentEvent{GrantID: g.ID, PatientID: "p1", Grantee: toUser("d2n")}, ev)
}

func TestPatientListsOwnGrantsAndGranteeListsReceivedOnes(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxGrantConsent, readGrant("g-p2", toUser("p2"), scopeAll))
	c.must(c.p2, model.TxGrantConsent, readGrant("g-from-p2", toUser("d2"), scopeAll))
	mine := decodeInto[model.GrantPage](t, c.evaluate(c.p1, model.TxListGrants, model.PageRequest{}))
	require.ElementsMatch(t, []string{"g-d2", "g-p2"}, grantIDs(mine.Items))
	received := decodeInto[model.GrantPage](t, c.evaluate(c.d2, model.TxListReceivedGrants, model.ListReceivedGrantsInput{GranteeType: model.GranteeUser}))
	require.ElementsMatch(t, []string{"g-d2", "g-from-p2"}, grantIDs(received.Items))
	// A patient who received a grant reads with it.
	c.must(c.p2, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.p2, model.CodeInvalidArgument, model.TxListReceivedGrants, model.ListReceivedGrantsInput{GranteeType: "everyone"})
}

func TestRevokeConsentChecksOwnershipAndExistence(t *testing.T) {
	c := newCast(t)
	c.requireDeniedWithoutWrite(c.p2, model.CodeForbidden, model.TxRevokeConsent, "g-d2")
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxRevokeConsent, "g-none")
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxRevokeConsent, "")
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxRevokeConsent, "g-d2")
}

func grantIDs(gs []model.Grant) []string {
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids
}
