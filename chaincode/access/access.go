// Package access holds MedLedger's access decisions as pure functions on
// plain values: who may read a document, who may register one for a patient,
// who may add a version. The contract loads the values from the ledger and
// calls these functions; nothing here touches the shim, the clock or the
// ledger, so every rule can be table-tested and fuzzed without a stub.
package access

import (
	"slices"
	"time"

	"github.com/medledger/medledger/chaincode/model"
)

// Caller is the resolved caller of a transaction: the user bound to the
// creator identity and whether that binding may act at all.
type Caller struct {
	UserID string
	Role   model.Role
	// OrgID is empty for solution admins.
	OrgID string
	// Active is false when the binding is removed or its organisation is
	// suspended; an inactive caller is refused everything.
	Active bool
}

// NewCaller derives the Caller of user u; orgStatus is the status of u's
// organisation (ignored for solution admins, who belong to none).
func NewCaller(u model.User, orgStatus model.OrgStatus) Caller {
	active := u.Status == model.UserActive
	if u.OrgID != "" && orgStatus != model.OrgActive {
		active = false
	}
	return Caller{UserID: u.ID, Role: u.Role, OrgID: u.OrgID, Active: active}
}

// Denial reasons, stable so that tests and logs can match them.
const (
	ReasonInactive     = "caller's binding is removed or organisation suspended"
	ReasonAdmin        = "administrators do not read or write documents"
	ReasonNoGrant      = "no active grant covers the document"
	ReasonNotAuthor    = "only the patient or the original author may add a version"
	ReasonNoWriteGrant = "no active write grant covers the document and the doctor is of another organisation"
	ReasonNotPatient   = "the patient of the record is not an active patient"
)

// GrantActive reports whether g is in force at now: not revoked, now at or
// after ValidFrom, and before ValidUntil when it has one.
func GrantActive(g model.Grant, now time.Time) bool {
	if g.Revoked || now.Before(g.ValidFrom) {
		return false
	}
	return g.ValidUntil.IsZero() || now.Before(g.ValidUntil)
}

// Covers reports whether scope s includes document d. An unknown scope type
// covers nothing.
func Covers(s model.Scope, d model.Document) bool {
	switch s.Type {
	case model.ScopeAll:
		return true
	case model.ScopeCategories:
		return slices.Contains(s.Categories, d.Category)
	case model.ScopeDocuments:
		return slices.Contains(s.DocumentIDs, d.ID)
	default:
		return false
	}
}

// Names reports whether g is made to the caller: to the caller as a user, or
// to the caller's organisation when the caller is a doctor (an organisation
// grant is for its doctors, not its patients or admins).
func Names(g model.Grant, c Caller) bool {
	switch g.Grantee.Type {
	case model.GranteeUser:
		return g.Grantee.ID != "" && g.Grantee.ID == c.UserID
	case model.GranteeOrganization:
		return c.Role == model.RoleDoctor && c.OrgID != "" && g.Grantee.ID == c.OrgID
	default:
		return false
	}
}

// Decide answers whether caller may read doc at time now, given the grants
// between the document's patient and the caller (grants that name another
// patient or another grantee are ignored, so passing extra grants is safe).
// The patient and the document's author always may; otherwise the first
// active consent grant in grants that covers the document with action read
// decides, then an active emergency grant. Administrators never read
// documents. Decide does not look at erasure: the contract refuses erased
// documents with its own error before it asks.
func Decide(doc model.Document, caller Caller, grants []model.Grant, now time.Time) model.AccessDecision {
	if d, settled := ownerOrAuthor(doc, caller); settled {
		return d
	}
	if g, ok := firstGrant(doc, caller, grants, now, model.ActionRead, model.GrantConsent); ok {
		return model.AccessDecision{Allowed: true, Basis: model.BasisConsent, GrantID: g.ID}
	}
	if g, ok := firstGrant(doc, caller, grants, now, model.ActionRead, model.GrantEmergency); ok {
		return model.AccessDecision{Allowed: true, Basis: model.BasisEmergency, GrantID: g.ID}
	}
	return deny(ReasonNoGrant)
}

// DecideRegister answers whether caller may register doc (its ID, PatientID
// and Category set) for patient at time now. The patient may register their
// own documents; a doctor may register documents for a patient of the same
// organisation, or for a patient who granted the doctor (or the doctor's
// organisation) an active write consent that covers the document. Emergency
// access never allows writing.
func DecideRegister(doc model.Document, patient model.User, caller Caller, grants []model.Grant, now time.Time) model.AccessDecision {
	if !caller.Active || caller.UserID == "" {
		return deny(ReasonInactive)
	}
	if patient.Role != model.RolePatient || patient.Status != model.UserActive || patient.ID != doc.PatientID {
		return deny(ReasonNotPatient)
	}
	switch caller.Role {
	case model.RolePatient:
		if caller.UserID == patient.ID {
			return model.AccessDecision{Allowed: true, Basis: model.BasisOwner}
		}
		return deny("a patient registers only their own documents")
	case model.RoleDoctor:
	default:
		return deny(ReasonAdmin)
	}
	if caller.OrgID != "" && caller.OrgID == patient.OrgID {
		return model.AccessDecision{Allowed: true, Basis: model.BasisAuthor}
	}
	if g, ok := firstGrant(doc, caller, grants, now, model.ActionWrite, model.GrantConsent); ok {
		return model.AccessDecision{Allowed: true, Basis: model.BasisConsent, GrantID: g.ID}
	}
	return deny(ReasonNoWriteGrant)
}

// DecideAddVersion answers whether caller may add a version to doc: the
// patient or the document's original author, while active.
func DecideAddVersion(doc model.Document, caller Caller) model.AccessDecision {
	if d, settled := ownerOrAuthor(doc, caller); settled {
		return d
	}
	return deny(ReasonNotAuthor)
}

// ownerOrAuthor is the rule reading and adding a version share: an inactive
// caller or an administrator is refused, the document's patient and its
// original author are allowed. settled is false when the caller is neither,
// and the decision is left to the caller's own further rules.
func ownerOrAuthor(doc model.Document, caller Caller) (d model.AccessDecision, settled bool) {
	if !caller.Active || caller.UserID == "" {
		return deny(ReasonInactive), true
	}
	switch caller.Role {
	case model.RoleDoctor, model.RolePatient:
	default:
		return deny(ReasonAdmin), true
	}
	if caller.Role == model.RolePatient && caller.UserID == doc.PatientID {
		return model.AccessDecision{Allowed: true, Basis: model.BasisOwner}, true
	}
	if caller.UserID == doc.AuthorID {
		return model.AccessDecision{Allowed: true, Basis: model.BasisAuthor}, true
	}
	return model.AccessDecision{}, false
}

func firstGrant(doc model.Document, caller Caller, grants []model.Grant, now time.Time, action model.Action, kind model.GrantKind) (model.Grant, bool) {
	for _, g := range grants {
		if g.Kind != kind || g.PatientID != doc.PatientID || !Names(g, caller) {
			continue
		}
		if !slices.Contains(g.Actions, action) || !GrantActive(g, now) || !Covers(g.Scope, doc) {
			continue
		}
		return g, true
	}
	return model.Grant{}, false
}

func deny(reason string) model.AccessDecision {
	return model.AccessDecision{Allowed: false, Reason: reason}
}
