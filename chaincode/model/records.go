package model

import "time"

// Identity is a Fabric client identity as the chaincode sees it: the MSP ID
// of the creator and the subject and issuer distinguished names of its X.509
// certificate, as cid reports them. A renewed certificate with the same
// subject and issuer is the same identity.
type Identity struct {
	MSPID   string `json:"mspId"`
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
}

// Organization is a hospital of the consortium.
type Organization struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	MSPID     string    `json:"mspId"`
	Status    OrgStatus `json:"status"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// User binds a user id to one role, one organisation and one Fabric identity.
// Solution admins belong to no organisation (OrgID is empty).
type User struct {
	ID           string     `json:"id"`
	OrgID        string     `json:"orgId,omitempty" metadata:",optional"`
	Role         Role       `json:"role"`
	Identity     Identity   `json:"identity"`
	Status       UserStatus `json:"status"`
	RegisteredBy string     `json:"registeredBy,omitempty" metadata:",optional"`
	RegisteredAt time.Time  `json:"registeredAt"`
	RemovedBy    string     `json:"removedBy,omitempty" metadata:",optional"`
	RemovedAt    time.Time  `json:"removedAt,omitzero" metadata:",optional"`
}

// DocumentVersion is one stored version of a document: where its bytes are
// and what they hash to. The bytes themselves never reach the ledger.
type DocumentVersion struct {
	Version      int       `json:"version"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	MediaType    string    `json:"mediaType"`
	StorageRef   string    `json:"storageRef"`
	RegisteredBy string    `json:"registeredBy"`
	RegisteredAt time.Time `json:"registeredAt"`
	TxID         string    `json:"txId"`
}

// Document is the ledger record of one patient document and all its versions.
// Version numbers start at 1; Versions is ordered by version number.
type Document struct {
	ID           string            `json:"id"`
	PatientID    string            `json:"patientId"`
	OrgID        string            `json:"orgId"`
	AuthorID     string            `json:"authorId"`
	Category     Category          `json:"category"`
	RegisteredAt time.Time         `json:"registeredAt"`
	Versions     []DocumentVersion `json:"versions"`
	Erased       bool              `json:"erased,omitempty" metadata:",optional"`
	ErasedAt     time.Time         `json:"erasedAt,omitzero" metadata:",optional"`
	ErasedTxID   string            `json:"erasedTxId,omitempty" metadata:",optional"`
}

// Latest returns the newest version of d, or the zero value if it has none.
func (d *Document) Latest() DocumentVersion {
	if len(d.Versions) == 0 {
		return DocumentVersion{}
	}
	return d.Versions[len(d.Versions)-1]
}

// VersionAt returns version n of d (1-based); n == 0 means the latest.
func (d *Document) VersionAt(n int) (DocumentVersion, bool) {
	if n == 0 {
		n = len(d.Versions)
	}
	if n < 1 || n > len(d.Versions) {
		return DocumentVersion{}, false
	}
	return d.Versions[n-1], true
}

// Grantee is who a grant is made to: one user, or every doctor of an organisation.
type Grantee struct {
	Type GranteeType `json:"type"`
	ID   string      `json:"id"`
}

// Scope is which of the patient's documents a grant covers.
type Scope struct {
	Type        ScopeType  `json:"type"`
	Categories  []Category `json:"categories,omitempty" metadata:",optional"`
	DocumentIDs []string   `json:"documentIds,omitempty" metadata:",optional"`
}

// Grant is a patient's consent, or a doctor's emergency access, to the
// patient's documents. It is active from ValidFrom (inclusive) until
// ValidUntil (exclusive; zero means open-ended) unless revoked.
type Grant struct {
	ID              string          `json:"id"`
	Kind            GrantKind       `json:"kind"`
	PatientID       string          `json:"patientId"`
	Grantee         Grantee         `json:"grantee"`
	Scope           Scope           `json:"scope"`
	Actions         []Action        `json:"actions"`
	Purpose         Purpose         `json:"purpose"`
	EmergencyReason EmergencyReason `json:"emergencyReason,omitempty" metadata:",optional"`
	ValidFrom       time.Time       `json:"validFrom"`
	ValidUntil      time.Time       `json:"validUntil,omitzero" metadata:",optional"`
	GrantedBy       string          `json:"grantedBy"`
	CreatedAt       time.Time       `json:"createdAt"`
	TxID            string          `json:"txId"`
	Revoked         bool            `json:"revoked,omitempty" metadata:",optional"`
	RevokedAt       time.Time       `json:"revokedAt,omitzero" metadata:",optional"`
	RevokedTxID     string          `json:"revokedTxId,omitempty" metadata:",optional"`
}

// AuditEntry records one granted read of one document version.
type AuditEntry struct {
	TxID          string    `json:"txId"`
	DocumentID    string    `json:"documentId"`
	Version       int       `json:"version"`
	PatientID     string    `json:"patientId"`
	AccessorID    string    `json:"accessorId"`
	AccessorOrgID string    `json:"accessorOrgId,omitempty" metadata:",optional"`
	AccessorRole  Role      `json:"accessorRole"`
	Basis         Basis     `json:"basis"`
	GrantID       string    `json:"grantId,omitempty" metadata:",optional"`
	AccessedAt    time.Time `json:"accessedAt"`
}

// AccessDecision answers whether the caller may read a document, and why.
type AccessDecision struct {
	Allowed bool   `json:"allowed"`
	Basis   Basis  `json:"basis,omitempty" metadata:",optional"`
	GrantID string `json:"grantId,omitempty" metadata:",optional"`
	// Reason says why access was denied; empty when allowed.
	Reason string `json:"reason,omitempty" metadata:",optional"`
}

// AccessResult is what AccessDocument returns: the record, the version read
// (with its storage reference and hash) and the audit entry written. The
// record's Versions holds only the version read: an audited read is a
// transaction, kept in every copy of the ledger, and should not carry the
// document's whole history (ListDocuments gives it).
type AccessResult struct {
	Document Document        `json:"document"`
	Version  DocumentVersion `json:"version"`
	Audit    AuditEntry      `json:"audit"`
}

// StorageRef names one stored blob of a hospital's documents, for garbage
// collection: ids and references only, never contents.
type StorageRef struct {
	DocumentID string `json:"documentId"`
	Version    int    `json:"version"`
	StorageRef string `json:"storageRef"`
	SHA256     string `json:"sha256"`
	Erased     bool   `json:"erased,omitempty" metadata:",optional"`
}
