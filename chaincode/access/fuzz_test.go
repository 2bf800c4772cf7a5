package access_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func toActions(s string) []model.Action {
	var out []model.Action
	for _, a := range split(s) {
		out = append(out, model.Action(a))
	}
	return out
}

// FuzzDecide throws arbitrary documents, callers, grants and times at the
// decision functions. They must never panic, and every decision must be
// explainable: an allowance names a basis that really holds, a denial names a
// reason, administrators and inactive callers are always refused, and grants
// of another patient never change the answer.
func FuzzDecide(f *testing.F) {
	f.Add("doc1", "p1", "d1", "lab-result", "d2", "doctor", "h2", true,
		"g1", "consent", "p1", "user", "d2", "all", "", "read", int64(0), int64(0), false, int64(60))
	f.Add("doc1", "p1", "d1", "imaging", "d2", "doctor", "h2", true,
		"g1", "consent", "p1", "organization", "h2", "categories", "imaging,lab-result", "read,write", int64(0), int64(3600), false, int64(3600))
	f.Add("doc1", "p1", "d1", "imaging", "d2", "doctor", "h2", true,
		"e1", "emergency", "p1", "user", "d2", "all", "", "read", int64(-10), int64(10), false, int64(0))
	f.Add("doc1", "p1", "d1", "other", "p1", "patient", "h1", true,
		"g1", "consent", "p1", "user", "d2", "documents", "doc1,doc2", "read", int64(0), int64(0), true, int64(5))
	f.Add("doc1", "p1", "d1", "other", "a1", "org_admin", "h1", true,
		"g1", "consent", "p1", "user", "a1", "all", "", "read", int64(0), int64(0), false, int64(5))
	f.Add("", "", "", "", "", "", "", false, "", "", "", "", "", "", "", "", int64(0), int64(0), false, int64(0))

	f.Fuzz(func(t *testing.T, docID, patientID, authorID, category, callerID, role, callerOrg string, active bool,
		grantID, kind, grantPatient, granteeType, granteeID, scopeType, scopeList, actions string,
		from, until int64, revoked bool, nowOffset int64) {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		doc := model.Document{ID: docID, PatientID: patientID, AuthorID: authorID, Category: model.Category(category)}
		caller := access.Caller{UserID: callerID, Role: model.Role(role), OrgID: callerOrg, Active: active}
		g := model.Grant{
			ID: grantID, Kind: model.GrantKind(kind), PatientID: grantPatient,
			Grantee: model.Grantee{Type: model.GranteeType(granteeType), ID: granteeID},
			Scope:   model.Scope{Type: model.ScopeType(scopeType), DocumentIDs: split(scopeList)},
			Actions: toActions(actions), ValidFrom: base.Add(time.Duration(from) * time.Second), Revoked: revoked,
		}
		for _, c := range split(scopeList) {
			g.Scope.Categories = append(g.Scope.Categories, model.Category(c))
		}
		if until != 0 {
			g.ValidUntil = base.Add(time.Duration(until) * time.Second)
		}
		now := base.Add(time.Duration(nowOffset) * time.Second)
		grants := []model.Grant{g}

		d := access.Decide(doc, caller, grants, now)
		checkDecision(t, "Decide", d, doc, caller, grants, now, model.ActionRead)
		if d.Allowed && d.Basis == model.BasisOwner && (caller.Role != model.RolePatient || caller.UserID != doc.PatientID) {
			t.Fatalf("owner basis for a caller who is not the patient: %+v", caller)
		}
		if d.Allowed && d.Basis == model.BasisAuthor && caller.UserID != doc.AuthorID {
			t.Fatalf("author basis for a caller who is not the author: %+v", caller)
		}

		// Grants of another patient never change a decision.
		stranger := g
		stranger.PatientID = patientID + "-other"
		if d2 := access.Decide(doc, caller, append(slices.Clone(grants), stranger), now); d2 != d {
			t.Fatalf("a grant of another patient changed the decision: %+v -> %+v", d, d2)
		}

		patient := model.User{ID: patientID, OrgID: callerOrg, Role: model.RolePatient, Status: model.UserActive}
		w := access.DecideRegister(doc, patient, caller, grants, now)
		checkDecision(t, "DecideRegister", w, doc, caller, grants, now, model.ActionWrite)
		if w.Allowed && w.Basis == model.BasisConsent {
			for _, gr := range grants {
				if gr.ID == w.GrantID && gr.Kind != model.GrantConsent {
					t.Fatalf("write allowed by a %s grant", gr.Kind)
				}
			}
		}

		v := access.DecideAddVersion(doc, caller)
		checkDecision(t, "DecideAddVersion", v, doc, caller, nil, now, "")
		if v.Allowed && caller.UserID != doc.AuthorID && caller.UserID != doc.PatientID {
			t.Fatalf("version allowed for a caller who is neither patient nor author: %+v", caller)
		}
	})
}

func checkDecision(t *testing.T, fn string, d model.AccessDecision, doc model.Document, caller access.Caller, grants []model.Grant, now time.Time, action model.Action) {
	t.Helper()
	if !d.Allowed {
		if d.Reason == "" || d.Basis != "" || d.GrantID != "" {
			t.Fatalf("%s: a denial must carry only a reason: %+v", fn, d)
		}
		return
	}
	if d.Reason != "" || d.Basis == "" {
		t.Fatalf("%s: an allowance must carry a basis and no reason: %+v", fn, d)
	}
	if !caller.Active || caller.UserID == "" {
		t.Fatalf("%s: inactive caller allowed: %+v", fn, caller)
	}
	if caller.Role != model.RoleDoctor && caller.Role != model.RolePatient {
		t.Fatalf("%s: role %q allowed", fn, caller.Role)
	}
	if d.Basis != model.BasisConsent && d.Basis != model.BasisEmergency {
		if d.GrantID != "" {
			t.Fatalf("%s: basis %s with a grant id", fn, d.Basis)
		}
		return
	}
	for _, g := range grants {
		if g.ID != d.GrantID {
			continue
		}
		if g.PatientID == doc.PatientID && access.Names(g, caller) && access.GrantActive(g, now) &&
			access.Covers(g.Scope, doc) && slices.Contains(g.Actions, action) {
			return
		}
	}
	t.Fatalf("%s: allowed by grant %q that does not hold: %+v", fn, d.GrantID, grants)
}
