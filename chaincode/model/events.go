package model

import "time"

// Chaincode event names. Every transaction that changes state emits exactly
// one event, named for what happened, with the payload type noted beside it.
const (
	EventBootstrapped            = "Bootstrapped"            // UserEvent
	EventSolutionAdminAdded      = "SolutionAdminAdded"      // UserEvent
	EventSolutionAdminRemoved    = "SolutionAdminRemoved"    // UserEvent
	EventOrganizationCreated     = "OrganizationCreated"     // OrganizationEvent
	EventOrganizationSuspended   = "OrganizationSuspended"   // OrganizationEvent
	EventOrganizationReactivated = "OrganizationReactivated" // OrganizationEvent
	EventOrgAdminAssigned        = "OrgAdminAssigned"        // UserEvent
	EventOrgAdminRemoved         = "OrgAdminRemoved"         // UserEvent
	EventUserRegistered          = "UserRegistered"          // UserEvent
	EventUserRemoved             = "UserRemoved"             // UserEvent
	EventDocumentRegistered      = "DocumentRegistered"      // DocumentEvent
	EventDocumentVersionAdded    = "DocumentVersionAdded"    // DocumentEvent
	EventDocumentErased          = "DocumentErased"          // DocumentEvent
	EventConsentGranted          = "ConsentGranted"          // ConsentEvent
	EventConsentRevoked          = "ConsentRevoked"          // ConsentEvent
	EventEmergencyAccessOpened   = "EmergencyAccessOpened"   // EmergencyAccessEvent
	EventDocumentAccessed        = "DocumentAccessed"        // DocumentAccessedEvent
)

// OrganizationEvent is the payload of the organisation events.
type OrganizationEvent struct {
	OrgID  string    `json:"orgId"`
	MSPID  string    `json:"mspId"`
	Status OrgStatus `json:"status"`
	By     string    `json:"by"`
}

// UserEvent is the payload of the user and admin events.
type UserEvent struct {
	UserID string `json:"userId"`
	OrgID  string `json:"orgId,omitempty"`
	Role   Role   `json:"role"`
	By     string `json:"by"`
}

// DocumentEvent is the payload of the document events.
type DocumentEvent struct {
	DocumentID string   `json:"documentId"`
	PatientID  string   `json:"patientId"`
	OrgID      string   `json:"orgId"`
	Category   Category `json:"category"`
	Version    int      `json:"version"`
	By         string   `json:"by"`
}

// ConsentEvent is the payload of ConsentGranted and ConsentRevoked.
type ConsentEvent struct {
	GrantID   string  `json:"grantId"`
	PatientID string  `json:"patientId"`
	Grantee   Grantee `json:"grantee"`
}

// EmergencyAccessEvent is the payload of EmergencyAccessOpened.
type EmergencyAccessEvent struct {
	GrantID   string          `json:"grantId"`
	PatientID string          `json:"patientId"`
	DoctorID  string          `json:"doctorId"`
	OrgID     string          `json:"orgId"`
	Reason    EmergencyReason `json:"reason"`
	ExpiresAt time.Time       `json:"expiresAt"`
}

// DocumentAccessedEvent is the payload of DocumentAccessed.
type DocumentAccessedEvent struct {
	TxID       string `json:"txId"`
	DocumentID string `json:"documentId"`
	Version    int    `json:"version"`
	PatientID  string `json:"patientId"`
	AccessorID string `json:"accessorId"`
	Basis      Basis  `json:"basis"`
	GrantID    string `json:"grantId,omitempty"`
}
