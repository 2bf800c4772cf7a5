package model

import "time"

// BootstrapInput names the first solution admin. The identity bound to it is
// the caller's own.
type BootstrapInput struct {
	AdminID string `json:"adminId"`
}

// SolutionAdminInput adds a solution admin. The identity bound is the
// certificate's subject and issuer under MSPID; an empty MSPID means the
// calling solution admin's own MSP.
type SolutionAdminInput struct {
	UserID         string `json:"userId"`
	CertificatePEM string `json:"certificatePem"`
	MSPID          string `json:"mspId,omitempty" metadata:",optional"`
}

// CreateOrganizationInput creates a hospital.
type CreateOrganizationInput struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	MSPID string `json:"mspId"`
}

// OrgAdminInput assigns a hospital admin to an organisation.
type OrgAdminInput struct {
	UserID         string `json:"userId"`
	OrgID          string `json:"orgId"`
	CertificatePEM string `json:"certificatePem"`
}

// RegisterUserInput registers a doctor or patient in the calling hospital
// admin's organisation.
type RegisterUserInput struct {
	UserID         string `json:"userId"`
	Role           Role   `json:"role"`
	CertificatePEM string `json:"certificatePem"`
}

// RegisterDocumentInput registers a new document for a patient.
type RegisterDocumentInput struct {
	DocumentID string   `json:"documentId"`
	PatientID  string   `json:"patientId"`
	Category   Category `json:"category"`
	SHA256     string   `json:"sha256"`
	Size       int64    `json:"size"`
	MediaType  string   `json:"mediaType"`
	StorageRef string   `json:"storageRef"`
}

// AddDocumentVersionInput adds a version to an existing document.
type AddDocumentVersionInput struct {
	DocumentID string `json:"documentId"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	MediaType  string `json:"mediaType"`
	StorageRef string `json:"storageRef"`
}

// GrantConsentInput is a patient's grant. An empty GrantID means the
// transaction id; a zero ValidFrom means the transaction time; a zero
// ValidUntil means no end.
type GrantConsentInput struct {
	GrantID    string    `json:"grantId,omitempty" metadata:",optional"`
	Grantee    Grantee   `json:"grantee"`
	Scope      Scope     `json:"scope"`
	Actions    []Action  `json:"actions"`
	Purpose    Purpose   `json:"purpose"`
	ValidFrom  time.Time `json:"validFrom,omitzero" metadata:",optional"`
	ValidUntil time.Time `json:"validUntil,omitzero" metadata:",optional"`
}

// EmergencyAccessInput opens a doctor's break-glass read access to one
// patient's documents for DurationSeconds (at most 24 hours).
type EmergencyAccessInput struct {
	PatientID       string          `json:"patientId"`
	Reason          EmergencyReason `json:"reason"`
	DurationSeconds int64           `json:"durationSeconds"`
}

// AccessDocumentInput names a document and a version (0 means the latest).
type AccessDocumentInput struct {
	DocumentID string `json:"documentId"`
	Version    int    `json:"version,omitempty" metadata:",optional"`
}

// PageRequest asks for one page of a list. PageSize 0 means DefaultPageSize;
// Bookmark is empty for the first page and the previous page's bookmark after.
type PageRequest struct {
	PageSize int32  `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// ListUsersInput lists the users of an organisation (for its admins and
// solution admins). An empty OrgID lists the solution admins.
type ListUsersInput struct {
	OrgID    string `json:"orgId,omitempty" metadata:",optional"`
	PageSize int32  `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// ListDocumentsInput lists a patient's documents that the caller may read.
// An empty PatientID means the calling patient.
type ListDocumentsInput struct {
	PatientID string `json:"patientId,omitempty" metadata:",optional"`
	PageSize  int32  `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark  string `json:"bookmark,omitempty" metadata:",optional"`
}

// ListReceivedGrantsInput lists the grants made to the calling doctor
// (GranteeUser) or to the doctor's organisation (GranteeOrganization).
type ListReceivedGrantsInput struct {
	GranteeType GranteeType `json:"granteeType"`
	PageSize    int32       `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark    string      `json:"bookmark,omitempty" metadata:",optional"`
}

// OrganizationPage is one page of organisations.
type OrganizationPage struct {
	Items    []Organization `json:"items"`
	Bookmark string         `json:"bookmark"`
}

// UserPage is one page of users.
type UserPage struct {
	Items    []User `json:"items"`
	Bookmark string `json:"bookmark"`
}

// DocumentPage is one page of documents.
type DocumentPage struct {
	Items    []Document `json:"items"`
	Bookmark string     `json:"bookmark"`
}

// GrantPage is one page of grants.
type GrantPage struct {
	Items    []Grant `json:"items"`
	Bookmark string  `json:"bookmark"`
}

// AuditPage is one page of audit entries, oldest first.
type AuditPage struct {
	Items    []AuditEntry `json:"items"`
	Bookmark string       `json:"bookmark"`
}

// StorageRefPage is one page of storage references.
type StorageRefPage struct {
	Items    []StorageRef `json:"items"`
	Bookmark string       `json:"bookmark"`
}
