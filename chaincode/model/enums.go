package model

import "slices"

// Role is what a user may do in MedLedger.
type Role string

// The roles.
const (
	RoleSolutionAdmin Role = "solution_admin"
	RoleOrgAdmin      Role = "org_admin"
	RoleDoctor        Role = "doctor"
	RolePatient       Role = "patient"
)

// Roles lists every role.
var Roles = []Role{RoleSolutionAdmin, RoleOrgAdmin, RoleDoctor, RolePatient}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// OrgStatus says whether an organisation's users may act.
type OrgStatus string

// The organisation statuses.
const (
	OrgActive    OrgStatus = "active"
	OrgSuspended OrgStatus = "suspended"
)

// UserStatus says whether a user binding is in force.
type UserStatus string

// The user statuses. A removed binding never becomes active again; the user
// id and the identity stay reserved so that the audit trail stays unambiguous.
const (
	UserActive  UserStatus = "active"
	UserRemoved UserStatus = "removed"
)

// Category classifies a document. The list is fixed; it is a code, never a
// description of the document.
type Category string

// The document categories.
const (
	CategoryLabResult        Category = "lab-result"
	CategoryImaging          Category = "imaging"
	CategoryPrescription     Category = "prescription"
	CategoryDischargeSummary Category = "discharge-summary"
	CategoryClinicalNote     Category = "clinical-note"
	CategoryReferral         Category = "referral"
	CategoryVaccination      Category = "vaccination"
	CategoryOther            Category = "other"
)

// Categories lists every document category.
var Categories = []Category{
	CategoryLabResult, CategoryImaging, CategoryPrescription, CategoryDischargeSummary,
	CategoryClinicalNote, CategoryReferral, CategoryVaccination, CategoryOther,
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Action is what a consent grant allows.
type Action string

// The actions.
const (
	ActionRead  Action = "read"
	ActionWrite Action = "write"
)

// Actions lists every action.
var Actions = []Action{ActionRead, ActionWrite}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// Purpose says why a grant was given.
type Purpose string

// The purposes.
const (
	PurposeTreatment Purpose = "treatment"
	PurposeResearch  Purpose = "research"
	PurposeInsurance Purpose = "insurance"
	PurposeOther     Purpose = "other"
)

// Purposes lists every purpose.
var Purposes = []Purpose{PurposeTreatment, PurposeResearch, PurposeInsurance, PurposeOther}

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool { return slices.Contains(Purposes, p) }

// GranteeType says whether a grant names one user or a whole organisation.
type GranteeType string

// The grantee types.
const (
	GranteeUser         GranteeType = "user"
	GranteeOrganization GranteeType = "organization"
)

// GranteeTypes lists every grantee type.
var GranteeTypes = []GranteeType{GranteeUser, GranteeOrganization}

// Valid reports whether g is a known grantee type.
func (g GranteeType) Valid() bool { return slices.Contains(GranteeTypes, g) }

// ScopeType says which of the patient's documents a grant covers.
type ScopeType string

// The scope types.
const (
	// ScopeAll covers every document of the patient, present and future.
	ScopeAll ScopeType = "all"
	// ScopeCategories covers the patient's documents of the listed categories.
	ScopeCategories ScopeType = "categories"
	// ScopeDocuments covers the listed documents of the patient.
	ScopeDocuments ScopeType = "documents"
)

// ScopeTypes lists every scope type.
var ScopeTypes = []ScopeType{ScopeAll, ScopeCategories, ScopeDocuments}

// Valid reports whether s is a known scope type.
func (s ScopeType) Valid() bool { return slices.Contains(ScopeTypes, s) }

// GrantKind separates a patient's consent from a doctor's emergency access.
type GrantKind string

// The grant kinds.
const (
	GrantConsent   GrantKind = "consent"
	GrantEmergency GrantKind = "emergency"
)

// EmergencyReason is the mandatory reason code for break-glass access.
type EmergencyReason string

// The emergency reasons.
const (
	EmergencyUnconsciousPatient EmergencyReason = "unconscious-patient"
	EmergencyLifeThreatening    EmergencyReason = "life-threatening"
	EmergencyUrgentOther        EmergencyReason = "urgent-other"
)

// EmergencyReasons lists every emergency reason.
var EmergencyReasons = []EmergencyReason{EmergencyUnconsciousPatient, EmergencyLifeThreatening, EmergencyUrgentOther}

// Valid reports whether r is a known emergency reason.
func (r EmergencyReason) Valid() bool { return slices.Contains(EmergencyReasons, r) }

// Basis says on what ground a read was allowed.
type Basis string

// The access bases.
const (
	BasisOwner     Basis = "owner"
	BasisAuthor    Basis = "author"
	BasisConsent   Basis = "consent"
	BasisEmergency Basis = "emergency"
)
