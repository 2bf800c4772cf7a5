package contract

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

// The submit transactions: each validates its input, resolves the caller,
// decides, writes and emits exactly one event. Every check runs before the
// first write, so a refused transaction writes nothing.

// Bootstrap makes the caller, whose certificate must carry the NodeOU role
// admin, the first solution admin. It succeeds once per ledger.
func (c *Contract) Bootstrap(ctx contractapi.TransactionContextInterface, in model.BootstrapInput) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("adminId", in.AdminID); err != nil {
		return nil, err
	}
	cfg, err := readConfig(stub)
	if err != nil {
		return nil, err
	}
	if cfg.Bootstrapped {
		return nil, model.Errorf(model.CodeFailedPrecondition, "MedLedger is already bootstrapped")
	}
	id, cert, err := creatorIdentity(ctx)
	if err != nil {
		return nil, err
	}
	isAdmin := false
	for _, ou := range cert.Subject.OrganizationalUnit {
		isAdmin = isAdmin || ou == nodeOUAdmin
	}
	if !isAdmin {
		return nil, model.Errorf(model.CodeForbidden, "Bootstrap needs a certificate with NodeOU role %q", nodeOUAdmin)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	u := model.User{ID: in.AdminID, Role: model.RoleSolutionAdmin, Identity: id, Status: model.UserActive, RegisteredAt: now}
	if err := bindUser(stub, u); err != nil {
		return nil, err
	}
	if err := putRecord(stub, configRecord{Bootstrapped: true, ActiveSolutionAdmins: 1}, objConfig); err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, model.EventBootstrapped, userEvent(u, u.ID)))
}

// AddSolutionAdmin binds another solution admin to the identity of the given
// enrollment certificate. Caller: a solution admin.
func (c *Contract) AddSolutionAdmin(ctx contractapi.TransactionContextInterface, in model.SolutionAdminInput) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", in.UserID); err != nil {
		return nil, err
	}
	if in.MSPID != "" {
		if err := checkMSPID(in.MSPID); err != nil {
			return nil, err
		}
	}
	who, err := resolveCallerAs(ctx, model.TxAddSolutionAdmin, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	mspID := in.MSPID
	if mspID == "" {
		mspID = who.identity.MSPID
	}
	id, err := identityFromPEM(mspID, in.CertificatePEM)
	if err != nil {
		return nil, err
	}
	cfg, err := readConfig(stub)
	if err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	u := model.User{ID: in.UserID, Role: model.RoleSolutionAdmin, Identity: id, Status: model.UserActive, RegisteredBy: who.UserID, RegisteredAt: now}
	if err := bindUser(stub, u); err != nil {
		return nil, err
	}
	cfg.ActiveSolutionAdmins++
	if err := putRecord(stub, cfg, objConfig); err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, model.EventSolutionAdminAdded, userEvent(u, who.UserID)))
}

// RemoveSolutionAdmin removes a solution admin's binding; the last active
// solution admin cannot be removed. Caller: a solution admin.
func (c *Contract) RemoveSolutionAdmin(ctx contractapi.TransactionContextInterface, userID string) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", userID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxRemoveSolutionAdmin, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	u, err := activeUserWithRole(stub, userID, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	cfg, err := readConfig(stub)
	if err != nil {
		return nil, err
	}
	if cfg.ActiveSolutionAdmins <= 1 {
		return nil, model.Errorf(model.CodeFailedPrecondition, "%s is the last solution admin", userID)
	}
	u, err = removeUser(stub, u, who.UserID)
	if err != nil {
		return nil, err
	}
	cfg.ActiveSolutionAdmins--
	if err := putRecord(stub, cfg, objConfig); err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, model.EventSolutionAdminRemoved, userEvent(u, who.UserID)))
}

// CreateOrganization creates an active hospital whose users are enrolled
// under the given MSP. Caller: a solution admin.
func (c *Contract) CreateOrganization(ctx contractapi.TransactionContextInterface, in model.CreateOrganizationInput) (*model.Organization, error) {
	stub := ctx.GetStub()
	if err := checkID("id", in.ID); err != nil {
		return nil, err
	}
	if err := checkOrgName(in.Name); err != nil {
		return nil, err
	}
	if err := checkMSPID(in.MSPID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxCreateOrganization, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	var existing model.Organization
	found, err := getRecord(stub, &existing, objOrg, in.ID)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, model.Errorf(model.CodeAlreadyExists, "organisation %s already exists", in.ID)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	org := model.Organization{ID: in.ID, Name: in.Name, MSPID: in.MSPID, Status: model.OrgActive, CreatedBy: who.UserID, CreatedAt: now, UpdatedAt: now}
	if err := putOrganization(stub, org); err != nil {
		return nil, err
	}
	return ptr(org, emit(stub, model.EventOrganizationCreated, orgEvent(org, who.UserID)))
}

// SuspendOrganization suspends an active hospital: its users can do nothing
// until it is reactivated. Caller: a solution admin.
func (c *Contract) SuspendOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*model.Organization, error) {
	return setOrgStatus(ctx, model.TxSuspendOrganization, orgID, model.OrgActive, model.OrgSuspended, model.EventOrganizationSuspended)
}

// ReactivateOrganization reactivates a suspended hospital. Caller: a solution
// admin.
func (c *Contract) ReactivateOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*model.Organization, error) {
	return setOrgStatus(ctx, model.TxReactivateOrganization, orgID, model.OrgSuspended, model.OrgActive, model.EventOrganizationReactivated)
}

func setOrgStatus(ctx contractapi.TransactionContextInterface, tx, orgID string, from, to model.OrgStatus, event string) (*model.Organization, error) {
	stub := ctx.GetStub()
	if err := checkID("orgId", orgID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, tx, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	org, err := getOrganization(stub, orgID)
	if err != nil {
		return nil, err
	}
	if org.Status != from {
		return nil, model.Errorf(model.CodeFailedPrecondition, "organisation %s is %s, not %s", orgID, org.Status, from)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	org.Status, org.UpdatedAt = to, now
	if err := putOrganization(stub, org); err != nil {
		return nil, err
	}
	return ptr(org, emit(stub, event, orgEvent(org, who.UserID)))
}

// AssignOrgAdmin binds a hospital admin of the given organisation to the
// identity of the given enrollment certificate, under the organisation's MSP.
// Caller: a solution admin.
func (c *Contract) AssignOrgAdmin(ctx contractapi.TransactionContextInterface, in model.OrgAdminInput) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", in.UserID); err != nil {
		return nil, err
	}
	if err := checkID("orgId", in.OrgID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxAssignOrgAdmin, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	org, err := getOrganization(stub, in.OrgID)
	if err != nil {
		return nil, err
	}
	return registerOrgUser(stub, who, org, in.UserID, model.RoleOrgAdmin, in.CertificatePEM, model.EventOrgAdminAssigned)
}

// RemoveOrgAdmin removes a hospital admin's binding. Caller: a solution admin.
func (c *Contract) RemoveOrgAdmin(ctx contractapi.TransactionContextInterface, userID string) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", userID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxRemoveOrgAdmin, model.RoleSolutionAdmin)
	if err != nil {
		return nil, err
	}
	u, err := activeUserWithRole(stub, userID, model.RoleOrgAdmin)
	if err != nil {
		return nil, err
	}
	u, err = removeUser(stub, u, who.UserID)
	if err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, model.EventOrgAdminRemoved, userEvent(u, who.UserID)))
}

// RegisterUser binds a doctor or patient of the caller's organisation to the
// identity of the given enrollment certificate, under the organisation's MSP.
// Caller: a hospital admin.
func (c *Contract) RegisterUser(ctx contractapi.TransactionContextInterface, in model.RegisterUserInput) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", in.UserID); err != nil {
		return nil, err
	}
	if in.Role != model.RoleDoctor && in.Role != model.RolePatient {
		return nil, invalid("role %q: a hospital admin registers %s or %s", in.Role, model.RoleDoctor, model.RolePatient)
	}
	who, err := resolveCallerAs(ctx, model.TxRegisterUser, model.RoleOrgAdmin)
	if err != nil {
		return nil, err
	}
	org, err := getOrganization(stub, who.OrgID)
	if err != nil {
		return nil, err
	}
	return registerOrgUser(stub, who, org, in.UserID, in.Role, in.CertificatePEM, model.EventUserRegistered)
}

// RemoveUser removes a doctor's or patient's binding; their identity loses
// every right at once. Caller: a hospital admin of the user's organisation.
func (c *Contract) RemoveUser(ctx contractapi.TransactionContextInterface, userID string) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", userID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxRemoveUser, model.RoleOrgAdmin)
	if err != nil {
		return nil, err
	}
	u, err := getUser(stub, userID)
	if err != nil {
		return nil, err
	}
	if u.OrgID != who.OrgID {
		return nil, model.Errorf(model.CodeForbidden, "user %s belongs to another organisation", userID)
	}
	if u.Role != model.RoleDoctor && u.Role != model.RolePatient {
		return nil, model.Errorf(model.CodeFailedPrecondition, "user %s is a %s; RemoveUser removes doctors and patients", userID, u.Role)
	}
	if u.Status != model.UserActive {
		return nil, model.Errorf(model.CodeFailedPrecondition, "user %s is already removed", userID)
	}
	u, err = removeUser(stub, u, who.UserID)
	if err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, model.EventUserRemoved, userEvent(u, who.UserID)))
}

// RegisterDocument records a new document of a patient with its first
// version. Caller: the patient; a doctor of the patient's organisation; a
// doctor holding the patient's write consent (to them or their organisation).
func (c *Contract) RegisterDocument(ctx contractapi.TransactionContextInterface, in model.RegisterDocumentInput) (*model.Document, error) {
	stub := ctx.GetStub()
	if err := checkRegisterDocument(in); err != nil {
		return nil, err
	}
	patientKey, err := compositeKey(stub, objUser, in.PatientID)
	if err != nil {
		return nil, err
	}
	docKey, err := compositeKey(stub, objDocument, in.DocumentID)
	if err != nil {
		return nil, err
	}
	// The patient's record and the document key (which must not exist) are
	// read with the caller's binding; a patient registering their own
	// document reads their user record once.
	who, vals, err := resolveCallerWith(ctx, patientKey, docKey)
	if err != nil {
		return nil, err
	}
	if err := who.requireRole(model.TxRegisterDocument, model.RoleDoctor, model.RolePatient); err != nil {
		return nil, err
	}
	patient, err := patientFrom(vals[patientKey], in.PatientID)
	if err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	doc := model.Document{ID: in.DocumentID, PatientID: in.PatientID, OrgID: who.OrgID, AuthorID: who.UserID, Category: in.Category, RegisteredAt: now}
	var grants []model.Grant
	if who.Role == model.RoleDoctor && who.OrgID != patient.OrgID {
		if grants, err = grantsBetween(stub, patient.ID, who.Caller); err != nil {
			return nil, err
		}
	}
	if d := access.DecideRegister(doc, patient, who.Caller, grants, now); !d.Allowed {
		return nil, model.Errorf(model.CodeForbidden, "%s may not register documents for patient %s: %s", who.UserID, patient.ID, d.Reason)
	}
	if len(vals[docKey]) != 0 {
		return nil, model.Errorf(model.CodeAlreadyExists, "document %s already exists", in.DocumentID)
	}
	v := model.DocumentVersion{Version: 1, SHA256: in.SHA256, Size: in.Size, MediaType: in.MediaType, StorageRef: in.StorageRef, RegisteredBy: who.UserID, RegisteredAt: now, TxID: stub.GetTxID()}
	doc.Versions = []model.DocumentVersion{v}
	if err := putJSON(stub, docKey, doc); err != nil {
		return nil, err
	}
	if err := putMarker(stub, objDocumentByPatient, doc.PatientID, doc.ID); err != nil {
		return nil, err
	}
	if err := putStorageRef(stub, doc, v); err != nil {
		return nil, err
	}
	return ptr(doc, emit(stub, model.EventDocumentRegistered, documentEvent(doc, v.Version, who.UserID)))
}

// AddDocumentVersion appends a version (new hash, size, reference) to a
// document; earlier versions stay readable. Caller: the patient or the
// document's original author.
func (c *Contract) AddDocumentVersion(ctx contractapi.TransactionContextInterface, in model.AddDocumentVersionInput) (*model.Document, error) {
	stub := ctx.GetStub()
	if err := checkAddVersion(in); err != nil {
		return nil, err
	}
	docKey, err := compositeKey(stub, objDocument, in.DocumentID)
	if err != nil {
		return nil, err
	}
	who, vals, err := resolveCallerWith(ctx, docKey)
	if err != nil {
		return nil, err
	}
	doc, err := documentFrom(vals[docKey], in.DocumentID)
	if err != nil {
		return nil, err
	}
	if d := access.DecideAddVersion(doc, who.Caller); !d.Allowed {
		return nil, model.Errorf(model.CodeForbidden, "%s may not add a version to document %s: %s", who.UserID, doc.ID, d.Reason)
	}
	if doc.Erased {
		return nil, model.Errorf(model.CodeFailedPrecondition, "document %s was erased", doc.ID)
	}
	if len(doc.Versions) >= model.MaxVersions {
		return nil, model.Errorf(model.CodeFailedPrecondition, "document %s already has %d versions, the most allowed", doc.ID, model.MaxVersions)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	v := model.DocumentVersion{Version: len(doc.Versions) + 1, SHA256: in.SHA256, Size: in.Size, MediaType: in.MediaType, StorageRef: in.StorageRef, RegisteredBy: who.UserID, RegisteredAt: now, TxID: stub.GetTxID()}
	doc.Versions = append(doc.Versions, v)
	if err := putRecord(stub, doc, objDocument, doc.ID); err != nil {
		return nil, err
	}
	if err := putStorageRef(stub, doc, v); err != nil {
		return nil, err
	}
	return ptr(doc, emit(stub, model.EventDocumentVersionAdded, documentEvent(doc, v.Version, who.UserID)))
}

// EraseDocument marks a document erased (right to be forgotten): every later
// AccessDocument refuses it, the garbage collector sees its blobs as erased,
// and the audit trail stays. Caller: the document's patient.
func (c *Contract) EraseDocument(ctx contractapi.TransactionContextInterface, documentID string) (*model.Document, error) {
	stub := ctx.GetStub()
	if err := checkID("documentId", documentID); err != nil {
		return nil, err
	}
	docKey, err := compositeKey(stub, objDocument, documentID)
	if err != nil {
		return nil, err
	}
	who, vals, err := resolveCallerWith(ctx, docKey)
	if err != nil {
		return nil, err
	}
	if err := who.requireRole(model.TxEraseDocument, model.RolePatient); err != nil {
		return nil, err
	}
	doc, err := documentFrom(vals[docKey], documentID)
	if err != nil {
		return nil, err
	}
	if doc.PatientID != who.UserID {
		return nil, model.Errorf(model.CodeForbidden, "document %s belongs to another patient", documentID)
	}
	if doc.Erased {
		return nil, model.Errorf(model.CodeFailedPrecondition, "document %s is already erased", documentID)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	doc.Erased, doc.ErasedAt, doc.ErasedTxID = true, now, stub.GetTxID()
	if err := putRecord(stub, doc, objDocument, doc.ID); err != nil {
		return nil, err
	}
	return ptr(doc, emit(stub, model.EventDocumentErased, documentEvent(doc, doc.Latest().Version, who.UserID)))
}

// GrantConsent records the calling patient's consent for a user or an
// organisation to read and/or write some of the patient's documents within a
// validity window. Caller: a patient.
func (c *Contract) GrantConsent(ctx contractapi.TransactionContextInterface, in model.GrantConsentInput) (*model.Grant, error) {
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	in, err = checkGrantConsent(in, stub.GetTxID(), now)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxGrantConsent, model.RolePatient)
	if err != nil {
		return nil, err
	}
	if err := checkGrantee(stub, in.Grantee, who.UserID); err != nil {
		return nil, err
	}
	for _, docID := range in.Scope.DocumentIDs {
		var doc model.Document
		found, err := getRecord(stub, &doc, objDocument, docID)
		if err != nil {
			return nil, err
		}
		if !found || doc.PatientID != who.UserID {
			return nil, model.Errorf(model.CodeNotFound, "scope names document %s, which is not one of your documents", docID)
		}
	}
	var ref string
	found, err := getRecord(stub, &ref, objGrantID, in.GrantID)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, model.Errorf(model.CodeAlreadyExists, "grant %s already exists", in.GrantID)
	}
	g := model.Grant{
		ID: in.GrantID, Kind: model.GrantConsent, PatientID: who.UserID, Grantee: in.Grantee,
		Scope: in.Scope, Actions: in.Actions, Purpose: in.Purpose, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil,
		GrantedBy: who.UserID, CreatedAt: now, TxID: stub.GetTxID(),
	}
	if err := putGrant(stub, g, true); err != nil {
		return nil, err
	}
	return ptr(g, emit(stub, model.EventConsentGranted, model.ConsentEvent{GrantID: g.ID, PatientID: g.PatientID, Grantee: g.Grantee}))
}

// RevokeConsent revokes one of the calling patient's grants (consent or
// emergency) with effect from this transaction. Caller: the grant's patient.
func (c *Contract) RevokeConsent(ctx contractapi.TransactionContextInterface, grantID string) (*model.Grant, error) {
	stub := ctx.GetStub()
	if err := checkID("grantId", grantID); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxRevokeConsent, model.RolePatient)
	if err != nil {
		return nil, err
	}
	var ref string
	found, err := getRecord(stub, &ref, objGrantID, grantID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, model.Errorf(model.CodeNotFound, "grant %s not found", grantID)
	}
	var g model.Grant
	found, err = getJSON(stub, ref, &g)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, model.Errorf(model.CodeInternal, "grant %s has an index entry but no record", grantID)
	}
	if g.PatientID != who.UserID {
		return nil, model.Errorf(model.CodeForbidden, "grant %s is another patient's", grantID)
	}
	if g.Revoked {
		return nil, model.Errorf(model.CodeFailedPrecondition, "grant %s is already revoked", grantID)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	g.Revoked, g.RevokedAt, g.RevokedTxID = true, now, stub.GetTxID()
	if err := putGrant(stub, g, false); err != nil {
		return nil, err
	}
	return ptr(g, emit(stub, model.EventConsentRevoked, model.ConsentEvent{GrantID: g.ID, PatientID: g.PatientID, Grantee: g.Grantee}))
}

// OpenEmergencyAccess opens the calling doctor's break-glass read access to
// all of one patient's documents for at most 24 hours. The grant's id is the
// transaction id; the patient sees it among their grants. Caller: a doctor.
func (c *Contract) OpenEmergencyAccess(ctx contractapi.TransactionContextInterface, in model.EmergencyAccessInput) (*model.Grant, error) {
	stub := ctx.GetStub()
	if err := checkEmergency(in); err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxOpenEmergencyAccess, model.RoleDoctor)
	if err != nil {
		return nil, err
	}
	patient, err := getPatient(stub, in.PatientID)
	if err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	g := model.Grant{
		ID: stub.GetTxID(), Kind: model.GrantEmergency, PatientID: patient.ID,
		Grantee: model.Grantee{Type: model.GranteeUser, ID: who.UserID},
		Scope:   model.Scope{Type: model.ScopeAll}, Actions: []model.Action{model.ActionRead},
		Purpose: model.PurposeTreatment, EmergencyReason: in.Reason,
		ValidFrom: now, ValidUntil: now.Add(time.Duration(in.DurationSeconds) * time.Second),
		GrantedBy: who.UserID, CreatedAt: now, TxID: stub.GetTxID(),
	}
	if err := putGrant(stub, g, true); err != nil {
		return nil, err
	}
	return ptr(g, emit(stub, model.EventEmergencyAccessOpened, model.EmergencyAccessEvent{
		GrantID: g.ID, PatientID: g.PatientID, DoctorID: who.UserID, OrgID: who.OrgID, Reason: in.Reason, ExpiresAt: g.ValidUntil,
	}))
}

// AccessDocument decides whether the caller may read a document version and,
// when allowed, appends an audit entry and returns the record with the
// version's storage reference and hash. A denial returns FORBIDDEN and writes
// nothing; an erased document returns FAILED_PRECONDITION.
func (c *Contract) AccessDocument(ctx contractapi.TransactionContextInterface, in model.AccessDocumentInput) (*model.AccessResult, error) {
	stub := ctx.GetStub()
	a, err := attemptRead(ctx, in)
	if err != nil {
		return nil, err
	}
	who, doc, now, d := a.who, a.doc, a.now, a.decision
	if !d.Allowed {
		return nil, model.Errorf(model.CodeForbidden, "%s may not read document %s: %s", who.UserID, doc.ID, d.Reason)
	}
	if doc.Erased {
		return nil, model.Errorf(model.CodeFailedPrecondition, "document %s was erased at %s", doc.ID, doc.ErasedAt.Format(time.RFC3339))
	}
	v, ok := doc.VersionAt(in.Version)
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "document %s has no version %d", doc.ID, in.Version)
	}
	entry := model.AuditEntry{
		TxID: stub.GetTxID(), DocumentID: doc.ID, Version: v.Version, PatientID: doc.PatientID,
		AccessorID: who.UserID, AccessorOrgID: who.OrgID, AccessorRole: who.Role,
		Basis: d.Basis, GrantID: d.GrantID, AccessedAt: now,
	}
	if err := putRecord(stub, entry, objAuditByPatient, entry.PatientID, auditTime(now), entry.TxID); err != nil {
		return nil, err
	}
	if err := putMarker(stub, objAuditByAccessor, entry.AccessorID, auditTime(now), entry.TxID, entry.PatientID); err != nil {
		return nil, err
	}
	// The result goes into the transaction and so into every block copy:
	// it carries the version read, not the document's whole history (up to
	// MaxVersions versions).
	doc.Versions = []model.DocumentVersion{v}
	return ptr(model.AccessResult{Document: doc, Version: v, Audit: entry}, emit(stub, model.EventDocumentAccessed, model.DocumentAccessedEvent{
		TxID: entry.TxID, DocumentID: doc.ID, Version: v.Version, PatientID: doc.PatientID, AccessorID: who.UserID, Basis: d.Basis, GrantID: d.GrantID,
	}))
}

// bindUser writes a new user with its identity binding and list index,
// refusing a user id or an identity that is already taken. A removed user
// keeps both reserved, so the audit trail never names two people alike.
func bindUser(stub shim.ChaincodeStubInterface, u model.User) error {
	userKey, err := compositeKey(stub, objUser, u.ID)
	if err != nil {
		return err
	}
	idKey, err := identityKey(stub, u.Identity)
	if err != nil {
		return err
	}
	vals, err := readStates(stub, nil, userKey, idKey)
	if err != nil {
		return err
	}
	if len(vals[userKey]) != 0 {
		return model.Errorf(model.CodeAlreadyExists, "user %s already exists", u.ID)
	}
	var boundTo identityBinding
	found, err := decodeIfFound(vals[idKey], &boundTo)
	if err != nil {
		return err
	}
	if found {
		return model.Errorf(model.CodeAlreadyExists, "identity %q of MSP %s is already bound to user %s", u.Identity.Subject, u.Identity.MSPID, boundTo.UserID)
	}
	if err := putJSON(stub, userKey, u); err != nil {
		return err
	}
	if err := putJSON(stub, idKey, bindingOf(u)); err != nil {
		return err
	}
	if u.OrgID == "" {
		return putMarker(stub, objSolutionAdmin, u.ID)
	}
	if u.Role == model.RolePatient {
		// A new patient has no grants: every one will go into a grant set.
		if err := putMarker(stub, objGrantSets, u.ID); err != nil {
			return err
		}
	}
	return putMarker(stub, objUserByOrg, u.OrgID, u.ID)
}

// registerOrgUser binds a user of org with the identity of certPEM under the
// organisation's MSP and emits event.
func registerOrgUser(stub shim.ChaincodeStubInterface, who caller, org model.Organization, userID string, role model.Role, certPEM, event string) (*model.User, error) {
	id, err := identityFromPEM(org.MSPID, certPEM)
	if err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	u := model.User{ID: userID, OrgID: org.ID, Role: role, Identity: id, Status: model.UserActive, RegisteredBy: who.UserID, RegisteredAt: now}
	if err := bindUser(stub, u); err != nil {
		return nil, err
	}
	return ptr(u, emit(stub, event, userEvent(u, who.UserID)))
}

// removeUser marks u removed by the caller byID. The identity binding stays,
// pointing at the removed user with the removed status, so the identity can
// do nothing any more.
func removeUser(stub shim.ChaincodeStubInterface, u model.User, byID string) (model.User, error) {
	now, err := txTime(stub)
	if err != nil {
		return model.User{}, err
	}
	u.Status, u.RemovedBy, u.RemovedAt = model.UserRemoved, byID, now
	if err := putRecord(stub, u, objUser, u.ID); err != nil {
		return model.User{}, err
	}
	idKey, err := identityKey(stub, u.Identity)
	if err != nil {
		return model.User{}, err
	}
	return u, putJSON(stub, idKey, bindingOf(u))
}

// putOrganization writes org and its status in its MSP's mspOrgs, which
// caller resolution reads.
func putOrganization(stub shim.ChaincodeStubInterface, org model.Organization) error {
	if err := putRecord(stub, org, objOrg, org.ID); err != nil {
		return err
	}
	orgs := mspOrgs{}
	if _, err := getRecord(stub, &orgs, objMSPOrgs, org.MSPID); err != nil {
		return err
	}
	if orgs == nil { // the key held JSON null
		orgs = mspOrgs{}
	}
	orgs[org.ID] = org.Status
	return putRecord(stub, orgs, objMSPOrgs, org.MSPID)
}

// activeUserWithRole loads an active user that must have role.
func activeUserWithRole(stub shim.ChaincodeStubInterface, userID string, role model.Role) (model.User, error) {
	u, err := getUser(stub, userID)
	if err != nil {
		return model.User{}, err
	}
	if u.Role != role {
		return model.User{}, model.Errorf(model.CodeFailedPrecondition, "user %s is a %s, not a %s", userID, u.Role, role)
	}
	if u.Status != model.UserActive {
		return model.User{}, model.Errorf(model.CodeFailedPrecondition, "user %s is already removed", userID)
	}
	return u, nil
}

// checkGrantee refuses a grantee who cannot hold a grant: an unknown or
// removed user, an administrator (they never read documents), the patient
// themselves, an unknown organisation.
func checkGrantee(stub shim.ChaincodeStubInterface, g model.Grantee, patientID string) error {
	if g.Type == model.GranteeOrganization {
		_, err := getOrganization(stub, g.ID)
		return err
	}
	if g.ID == patientID {
		return invalid("a patient cannot grant consent to themselves")
	}
	u, err := getUser(stub, g.ID)
	if err != nil {
		return err
	}
	if u.Role != model.RoleDoctor && u.Role != model.RolePatient {
		return model.Errorf(model.CodeFailedPrecondition, "grantee %s is a %s; only doctors and patients receive grants", u.ID, u.Role)
	}
	if u.Status != model.UserActive {
		return model.Errorf(model.CodeFailedPrecondition, "grantee %s is removed", u.ID)
	}
	return nil
}

// putGrant writes a grant and its grant set; a new grant also gets its id
// index and its grantee index.
func putGrant(stub shim.ChaincodeStubInterface, g model.Grant, isNew bool) error {
	k, err := compositeKey(stub, objGrant, g.PatientID, string(g.Grantee.Type), g.Grantee.ID, g.ID)
	if err != nil {
		return err
	}
	if err := putJSON(stub, k, g); err != nil {
		return err
	}
	if err := putGrantSets(stub, g); err != nil {
		return err
	}
	if !isNew {
		return nil
	}
	if err := putRecord(stub, k, objGrantID, g.ID); err != nil {
		return err
	}
	return putMarker(stub, objGrantByGrantee, string(g.Grantee.Type), g.Grantee.ID, g.PatientID, g.ID)
}

// putGrantSets puts g, new or changed, into the set between its patient and
// its grantee (or takes it out, once revoked). When the patient has no
// grant-set marker yet (a ledger written before grant sets), it first copies
// every grant of the patient into their sets and writes the marker, so
// that from this transaction on the sets are the whole truth.
func putGrantSets(stub shim.ChaincodeStubInterface, g model.Grant) error {
	markerKey, err := compositeKey(stub, objGrantSets, g.PatientID)
	if err != nil {
		return err
	}
	setKey, err := grantSetKey(stub, g.PatientID, g.Grantee)
	if err != nil {
		return err
	}
	vals, err := readStates(stub, nil, markerKey, setKey)
	if err != nil {
		return err
	}
	sets := map[string]*grantSet{}
	if len(vals[markerKey]) == 0 {
		if sets, err = patientGrantSets(stub, g.PatientID); err != nil {
			return err
		}
		if err := putMarker(stub, objGrantSets, g.PatientID); err != nil {
			return err
		}
	} else {
		var set grantSet
		if _, err := decodeIfFound(vals[setKey], &set); err != nil {
			return err
		}
		sets[setKey] = &set
	}
	if sets[setKey] == nil {
		sets[setKey] = &grantSet{}
	}
	set := sets[setKey]
	set.Grants = slices.DeleteFunc(set.Grants, func(x model.Grant) bool { return x.ID == g.ID })
	if !g.Revoked {
		at, _ := slices.BinarySearchFunc(set.Grants, g.ID, func(x model.Grant, id string) int { return strings.Compare(x.ID, id) })
		set.Grants = slices.Insert(set.Grants, at, g)
	}
	// Sorted, so that no map order reaches the ledger. An emptied set is
	// deleted; a set that was never written (a copy holding only revoked
	// grants) is not.
	for _, key := range slices.Sorted(maps.Keys(sets)) {
		if len(sets[key].Grants) == 0 {
			if len(vals[key]) != 0 {
				if err := stub.DelState(key); err != nil {
					return model.Errorf(model.CodeInternal, "write state: %v", err)
				}
			}
			continue
		}
		if err := putJSON(stub, key, sets[key]); err != nil {
			return err
		}
	}
	return nil
}

// patientGrantSets reads every grant of patientID (a partial-key query: it
// runs in submit transactions only, once per patient) into grant sets by
// set key, revoked grants left out. The query returns them in key order,
// which is grant id order within each set.
func patientGrantSets(stub shim.ChaincodeStubInterface, patientID string) (map[string]*grantSet, error) {
	grants, err := queryGrants(stub, patientID)
	if err != nil {
		return nil, err
	}
	sets := map[string]*grantSet{}
	for _, g := range grants {
		key, err := grantSetKey(stub, patientID, g.Grantee)
		if err != nil {
			return nil, err
		}
		if sets[key] == nil {
			sets[key] = &grantSet{}
		}
		if !g.Revoked {
			sets[key].Grants = append(sets[key].Grants, g)
		}
	}
	return sets, nil
}

// putStorageRef writes the garbage collector's index entry for version v of
// doc: a marker; ListStorageRefs reads the reference and the erasure from
// the document itself.
func putStorageRef(stub shim.ChaincodeStubInterface, doc model.Document, v model.DocumentVersion) error {
	return putMarker(stub, objStorageRef, doc.OrgID, doc.ID, versionKey(v.Version))
}

func userEvent(u model.User, by string) model.UserEvent {
	return model.UserEvent{UserID: u.ID, OrgID: u.OrgID, Role: u.Role, By: by}
}

func orgEvent(o model.Organization, by string) model.OrganizationEvent {
	return model.OrganizationEvent{OrgID: o.ID, MSPID: o.MSPID, Status: o.Status, By: by}
}

func documentEvent(d model.Document, version int, by string) model.DocumentEvent {
	return model.DocumentEvent{DocumentID: d.ID, PatientID: d.PatientID, OrgID: d.OrgID, Category: d.Category, Version: version, By: by}
}
