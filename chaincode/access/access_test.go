package access_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

var (
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later = t0.Add(48 * time.Hour)
)

// The cast: patient p1 of hospital h1, author doctor d1 of h1, doctor d2 of h2,
// another patient p2, and the admins.
var (
	patient      = access.Caller{UserID: "p1", Role: model.RolePatient, OrgID: "h1", Active: true}
	otherPatient = access.Caller{UserID: "p2", Role: model.RolePatient, OrgID: "h1", Active: true}
	author       = access.Caller{UserID: "d1", Role: model.RoleDoctor, OrgID: "h1", Active: true}
	sameOrgDoc   = access.Caller{UserID: "d3", Role: model.RoleDoctor, OrgID: "h1", Active: true}
	otherDoctor  = access.Caller{UserID: "d2", Role: model.RoleDoctor, OrgID: "h2", Active: true}
	orgAdmin     = access.Caller{UserID: "a1", Role: model.RoleOrgAdmin, OrgID: "h1", Active: true}
	solAdmin     = access.Caller{UserID: "s1", Role: model.RoleSolutionAdmin, Active: true}
)

var labDoc = model.Document{ID: "doc1", PatientID: "p1", OrgID: "h1", AuthorID: "d1", Category: model.CategoryLabResult}

func consent(id string, grantee model.Grantee, scope model.Scope, actions ...model.Action) model.Grant {
	return model.Grant{
		ID: id, Kind: model.GrantConsent, PatientID: "p1", Grantee: grantee, Scope: scope,
		Actions: actions, Purpose: model.PurposeTreatment, ValidFrom: t0,
	}
}

func toUser(id string) model.Grantee { return model.Grantee{Type: model.GranteeUser, ID: id} }
func toOrg(id string) model.Grantee  { return model.Grantee{Type: model.GranteeOrganization, ID: id} }

var all = model.Scope{Type: model.ScopeAll}

func TestNewCallerIsInactiveWhenRemovedOrOrganisationSuspended(t *testing.T) {
	tests := []struct {
		name   string
		user   model.User
		status model.OrgStatus
		active bool
	}{
		{"active user of active org", model.User{ID: "u", OrgID: "h1", Role: model.RoleDoctor, Status: model.UserActive}, model.OrgActive, true},
		{"removed user", model.User{ID: "u", OrgID: "h1", Role: model.RoleDoctor, Status: model.UserRemoved}, model.OrgActive, false},
		{"user of suspended org", model.User{ID: "u", OrgID: "h1", Role: model.RolePatient, Status: model.UserActive}, model.OrgSuspended, false},
		{"user of unknown org status", model.User{ID: "u", OrgID: "h1", Role: model.RolePatient, Status: model.UserActive}, "", false},
		{"solution admin has no org", model.User{ID: "s", Role: model.RoleSolutionAdmin, Status: model.UserActive}, "", true},
		{"removed solution admin", model.User{ID: "s", Role: model.RoleSolutionAdmin, Status: model.UserRemoved}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := access.NewCaller(tc.user, tc.status)
			require.Equal(t, tc.active, c.Active)
			require.Equal(t, tc.user.ID, c.UserID)
			require.Equal(t, tc.user.Role, c.Role)
			require.Equal(t, tc.user.OrgID, c.OrgID)
		})
	}
}

func TestGrantActiveWindowIncludesValidFromAndExcludesValidUntil(t *testing.T) {
	until := t0.Add(time.Hour)
	windowed := model.Grant{ValidFrom: t0, ValidUntil: until}
	open := model.Grant{ValidFrom: t0}
	revoked := model.Grant{ValidFrom: t0, Revoked: true}
	tests := []struct {
		name string
		g    model.Grant
		now  time.Time
		want bool
	}{
		{"one nanosecond before validFrom", windowed, t0.Add(-time.Nanosecond), false},
		{"exactly at validFrom", windowed, t0, true},
		{"inside the window", windowed, t0.Add(30 * time.Minute), true},
		{"one nanosecond before validUntil", windowed, until.Add(-time.Nanosecond), true},
		{"exactly at validUntil", windowed, until, false},
		{"after validUntil", windowed, until.Add(time.Second), false},
		{"open-ended long after", open, t0.Add(10 * 365 * 24 * time.Hour), true},
		{"open-ended before validFrom", open, t0.Add(-time.Second), false},
		{"revoked inside the window", revoked, t0.Add(time.Minute), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, access.GrantActive(tc.g, tc.now))
		})
	}
}

func TestCoversMatchesScopeTypeCategoriesAndDocumentIDs(t *testing.T) {
	tests := []struct {
		name  string
		scope model.Scope
		want  bool
	}{
		{"all", model.Scope{Type: model.ScopeAll}, true},
		{"category listed", model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging, model.CategoryLabResult}}, true},
		{"category not listed", model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}, false},
		{"categories empty", model.Scope{Type: model.ScopeCategories}, false},
		{"document listed", model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"x", "doc1"}}, true},
		{"document not listed", model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc2"}}, false},
		{"documents scope ignores categories", model.Scope{Type: model.ScopeDocuments, Categories: []model.Category{model.CategoryLabResult}}, false},
		{"unknown scope type", model.Scope{Type: "everything"}, false},
		{"empty scope type", model.Scope{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, access.Covers(tc.scope, labDoc))
		})
	}
}

func TestDecideReadAccess(t *testing.T) {
	readAll := consent("g-read", toUser("d2"), all, model.ActionRead)
	tests := []struct {
		name    string
		caller  access.Caller
		grants  []model.Grant
		now     time.Time
		allowed bool
		basis   model.Basis
		grantID string
		reason  string
	}{
		{name: "patient reads own document", caller: patient, allowed: true, basis: model.BasisOwner},
		{name: "author reads the document", caller: author, allowed: true, basis: model.BasisAuthor},
		{name: "inactive patient is refused", caller: access.Caller{UserID: "p1", Role: model.RolePatient, OrgID: "h1"}, reason: access.ReasonInactive},
		{name: "inactive author is refused", caller: access.Caller{UserID: "d1", Role: model.RoleDoctor, OrgID: "h1"}, reason: access.ReasonInactive},
		{name: "caller without id is refused", caller: access.Caller{Role: model.RolePatient, Active: true}, reason: access.ReasonInactive},
		{name: "doctor of same hospital without consent is refused", caller: sameOrgDoc, reason: access.ReasonNoGrant},
		{name: "doctor of other hospital without consent is refused", caller: otherDoctor, reason: access.ReasonNoGrant},
		{name: "other patient is refused", caller: otherPatient, reason: access.ReasonNoGrant},
		{name: "hospital admin is refused even with a grant", caller: orgAdmin, grants: []model.Grant{consent("g", toUser("a1"), all, model.ActionRead)}, reason: access.ReasonAdmin},
		{name: "solution admin is refused", caller: solAdmin, reason: access.ReasonAdmin},
		{name: "admin whose id is the author is still refused", caller: access.Caller{UserID: "d1", Role: model.RoleOrgAdmin, OrgID: "h1", Active: true}, reason: access.ReasonAdmin},
		{name: "doctor with read consent reads", caller: otherDoctor, grants: []model.Grant{readAll}, allowed: true, basis: model.BasisConsent, grantID: "g-read"},
		{name: "doctor with write-only consent is refused", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), all, model.ActionWrite)}, reason: access.ReasonNoGrant},
		{name: "doctor with read+write consent reads", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), all, model.ActionWrite, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g"},
		{name: "consent to another doctor does not count", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d9"), all, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "consent of another patient does not count", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.PatientID = "p2"; return g }()}, reason: access.ReasonNoGrant},
		{name: "organisation consent covers its doctor", caller: otherDoctor, grants: []model.Grant{consent("g-org", toOrg("h2"), all, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g-org"},
		{name: "organisation consent does not cover another organisation's doctor", caller: sameOrgDoc, grants: []model.Grant{consent("g-org", toOrg("h2"), all, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "organisation consent does not cover a patient of that organisation", caller: otherPatient, grants: []model.Grant{consent("g-org", toOrg("h1"), all, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "patient grantee with user consent reads", caller: otherPatient, grants: []model.Grant{consent("g-p", toUser("p2"), all, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g-p"},
		{name: "category consent covering lab results reads", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}}, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g"},
		{name: "category consent for imaging does not cover lab results", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "document consent listing the document reads", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc1"}}, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g"},
		{name: "document consent for another document does not cover it", caller: otherDoctor, grants: []model.Grant{consent("g", toUser("d2"), model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{"doc2"}}, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "consent not yet valid is refused", caller: otherDoctor, grants: []model.Grant{readAll}, now: t0.Add(-time.Second), reason: access.ReasonNoGrant},
		{name: "consent exactly at validFrom reads", caller: otherDoctor, grants: []model.Grant{readAll}, now: t0, allowed: true, basis: model.BasisConsent, grantID: "g-read"},
		{name: "consent exactly at validUntil is refused", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.ValidUntil = t0.Add(time.Hour); return g }()}, now: t0.Add(time.Hour), reason: access.ReasonNoGrant},
		{name: "expired consent is refused", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.ValidUntil = t0.Add(time.Hour); return g }()}, now: later, reason: access.ReasonNoGrant},
		{name: "revoked consent is refused", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.Revoked = true; return g }()}, reason: access.ReasonNoGrant},
		{name: "revoked consent falls back to another active one", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.Revoked = true; return g }(), consent("g2", toOrg("h2"), all, model.ActionRead)}, allowed: true, basis: model.BasisConsent, grantID: "g2"},
		{name: "open emergency window reads", caller: otherDoctor, grants: []model.Grant{emergency("e1", "d2", t0, time.Hour)}, now: t0.Add(time.Minute), allowed: true, basis: model.BasisEmergency, grantID: "e1"},
		{name: "expired emergency window is refused", caller: otherDoctor, grants: []model.Grant{emergency("e1", "d2", t0, time.Hour)}, now: t0.Add(time.Hour), reason: access.ReasonNoGrant},
		{name: "emergency window of another doctor does not count", caller: otherDoctor, grants: []model.Grant{emergency("e1", "d9", t0, time.Hour)}, now: t0.Add(time.Minute), reason: access.ReasonNoGrant},
		{name: "consent wins over emergency as the recorded basis", caller: otherDoctor, grants: []model.Grant{emergency("e1", "d2", t0, time.Hour), readAll}, now: t0.Add(time.Minute), allowed: true, basis: model.BasisConsent, grantID: "g-read"},
		{name: "unknown grant kind is ignored", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := readAll; g.Kind = "other"; return g }()}, reason: access.ReasonNoGrant},
		{name: "unknown grantee type is ignored", caller: otherDoctor, grants: []model.Grant{consent("g", model.Grantee{Type: "group", ID: "d2"}, all, model.ActionRead)}, reason: access.ReasonNoGrant},
		{name: "grant with empty grantee id does not match a caller", caller: otherDoctor, grants: []model.Grant{consent("g", toUser(""), all, model.ActionRead)}, reason: access.ReasonNoGrant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			d := access.Decide(labDoc, tc.caller, tc.grants, now)
			require.Equal(t, tc.allowed, d.Allowed)
			require.Equal(t, tc.basis, d.Basis)
			require.Equal(t, tc.grantID, d.GrantID)
			require.Equal(t, tc.reason, d.Reason)
		})
	}
}

func emergency(id, doctor string, from time.Time, d time.Duration) model.Grant {
	return model.Grant{
		ID: id, Kind: model.GrantEmergency, PatientID: "p1", Grantee: toUser(doctor), Scope: all,
		Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment,
		EmergencyReason: model.EmergencyUnconsciousPatient, ValidFrom: from, ValidUntil: from.Add(d),
	}
}

func TestDecideRegisterWriteAccess(t *testing.T) {
	p1 := model.User{ID: "p1", OrgID: "h1", Role: model.RolePatient, Status: model.UserActive}
	newDoc := model.Document{ID: "new", PatientID: "p1", Category: model.CategoryImaging}
	writeAll := consent("w", toUser("d2"), all, model.ActionWrite)
	tests := []struct {
		name    string
		patient model.User
		caller  access.Caller
		grants  []model.Grant
		now     time.Time
		allowed bool
		basis   model.Basis
		grantID string
		reason  string
	}{
		{name: "patient registers own document", caller: patient, allowed: true, basis: model.BasisOwner},
		{name: "doctor of the patient's hospital registers", caller: sameOrgDoc, allowed: true, basis: model.BasisAuthor},
		{name: "doctor of another hospital without consent is refused", caller: otherDoctor, reason: access.ReasonNoWriteGrant},
		{name: "doctor of another hospital with write consent registers", caller: otherDoctor, grants: []model.Grant{writeAll}, allowed: true, basis: model.BasisConsent, grantID: "w"},
		{name: "organisation write consent covers its doctor", caller: otherDoctor, grants: []model.Grant{consent("w-org", toOrg("h2"), all, model.ActionWrite)}, allowed: true, basis: model.BasisConsent, grantID: "w-org"},
		{name: "read-only consent does not allow writing", caller: otherDoctor, grants: []model.Grant{consent("r", toUser("d2"), all, model.ActionRead)}, reason: access.ReasonNoWriteGrant},
		{name: "write consent for another category is refused", caller: otherDoctor, grants: []model.Grant{consent("w", toUser("d2"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}}, model.ActionWrite)}, reason: access.ReasonNoWriteGrant},
		{name: "write consent for the category registers", caller: otherDoctor, grants: []model.Grant{consent("w", toUser("d2"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}, model.ActionWrite)}, allowed: true, basis: model.BasisConsent, grantID: "w"},
		{name: "expired write consent is refused", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := writeAll; g.ValidUntil = t0.Add(time.Hour); return g }()}, now: t0.Add(time.Hour), reason: access.ReasonNoWriteGrant},
		{name: "revoked write consent is refused", caller: otherDoctor, grants: []model.Grant{func() model.Grant { g := writeAll; g.Revoked = true; return g }()}, reason: access.ReasonNoWriteGrant},
		{name: "emergency access does not allow writing", caller: otherDoctor, grants: []model.Grant{func() model.Grant {
			g := emergency("e", "d2", t0, time.Hour)
			g.Actions = []model.Action{model.ActionRead, model.ActionWrite}
			return g
		}()}, reason: access.ReasonNoWriteGrant},
		{name: "other patient is refused", caller: otherPatient, reason: "a patient registers only their own documents"},
		{name: "hospital admin is refused", caller: orgAdmin, reason: access.ReasonAdmin},
		{name: "solution admin is refused", caller: solAdmin, reason: access.ReasonAdmin},
		{name: "inactive doctor of the same hospital is refused", caller: access.Caller{UserID: "d3", Role: model.RoleDoctor, OrgID: "h1"}, reason: access.ReasonInactive},
		{name: "removed patient cannot receive documents", patient: model.User{ID: "p1", OrgID: "h1", Role: model.RolePatient, Status: model.UserRemoved}, caller: sameOrgDoc, reason: access.ReasonNotPatient},
		{name: "a doctor is not a patient", patient: model.User{ID: "p1", OrgID: "h1", Role: model.RoleDoctor, Status: model.UserActive}, caller: sameOrgDoc, reason: access.ReasonNotPatient},
		{name: "patient record must match the document", patient: model.User{ID: "p2", OrgID: "h1", Role: model.RolePatient, Status: model.UserActive}, caller: sameOrgDoc, reason: access.ReasonNotPatient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pat := tc.patient
			if pat.ID == "" {
				pat = p1
			}
			now := tc.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			d := access.DecideRegister(newDoc, pat, tc.caller, tc.grants, now)
			require.Equal(t, tc.allowed, d.Allowed)
			require.Equal(t, tc.basis, d.Basis)
			require.Equal(t, tc.grantID, d.GrantID)
			require.Equal(t, tc.reason, d.Reason)
		})
	}
}

func TestDecideAddVersionOnlyPatientOrAuthor(t *testing.T) {
	tests := []struct {
		name    string
		caller  access.Caller
		allowed bool
		basis   model.Basis
		reason  string
	}{
		{"patient adds a version", patient, true, model.BasisOwner, ""},
		{"author adds a version", author, true, model.BasisAuthor, ""},
		{"doctor of the same hospital who is not the author is refused", sameOrgDoc, false, "", access.ReasonNotAuthor},
		{"doctor of another hospital is refused", otherDoctor, false, "", access.ReasonNotAuthor},
		{"other patient is refused", otherPatient, false, "", access.ReasonNotAuthor},
		{"hospital admin is refused", orgAdmin, false, "", access.ReasonAdmin},
		{"solution admin is refused", solAdmin, false, "", access.ReasonAdmin},
		{"removed author is refused", access.Caller{UserID: "d1", Role: model.RoleDoctor, OrgID: "h1"}, false, "", access.ReasonInactive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := access.DecideAddVersion(labDoc, tc.caller)
			require.Equal(t, tc.allowed, d.Allowed)
			require.Equal(t, tc.basis, d.Basis)
			require.Equal(t, tc.reason, d.Reason)
		})
	}
}
