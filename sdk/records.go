package sdk

import (
	"context"
	"time"

	"github.com/medledger/medledger/chaincode/model"
)

// This file holds the calls on patients' records: document registration,
// consent, emergency access, access decisions and the audit trail. Document
// contents go through Documents, which calls these.

// RegisterDocument registers a document whose bytes are already stored.
// Most applications call Documents.Upload, which stores and registers.
func (c *Client) RegisterDocument(ctx context.Context, in model.RegisterDocumentInput) (model.Document, error) {
	tx := model.TxRegisterDocument
	if err := checkID(tx, "document id", in.DocumentID); err != nil {
		return model.Document{}, err
	}
	if err := checkID(tx, "patient id", in.PatientID); err != nil {
		return model.Document{}, err
	}
	if !in.Category.Valid() {
		return model.Document{}, invalidArgument(tx, "category %q: want one of %v", in.Category, model.Categories)
	}
	if err := checkContent(tx, in.SHA256, in.Size, in.MediaType, in.StorageRef); err != nil {
		return model.Document{}, err
	}
	return submitAs[model.Document](ctx, c, tx, in)
}

// AddDocumentVersion registers a new version of a document whose bytes are
// already stored. Most applications call Documents.AddVersion.
func (c *Client) AddDocumentVersion(ctx context.Context, in model.AddDocumentVersionInput) (model.Document, error) {
	tx := model.TxAddDocumentVersion
	if err := checkID(tx, "document id", in.DocumentID); err != nil {
		return model.Document{}, err
	}
	if err := checkContent(tx, in.SHA256, in.Size, in.MediaType, in.StorageRef); err != nil {
		return model.Document{}, err
	}
	return submitAs[model.Document](ctx, c, tx, in)
}

// EraseDocument marks a document erased on the ledger (the patient's right
// to be forgotten). It does not touch stored bytes: Documents.Erase does
// both.
func (c *Client) EraseDocument(ctx context.Context, documentID string) (model.Document, error) {
	return submitByID[model.Document](ctx, c, model.TxEraseDocument, "document id", documentID)
}

// ListDocuments returns one page of a patient's documents that the caller
// may read, with storage references emptied (AccessDocument hands them out,
// audited). An empty in.PatientID means the calling patient.
func (c *Client) ListDocuments(ctx context.Context, in model.ListDocumentsInput) (model.DocumentPage, error) {
	tx := model.TxListDocuments
	if in.PatientID != "" {
		if err := checkID(tx, "patient id", in.PatientID); err != nil {
			return model.DocumentPage{}, err
		}
	}
	if err := checkPage(tx, in.PageSize, in.Bookmark); err != nil {
		return model.DocumentPage{}, err
	}
	return evaluateAs[model.DocumentPage](ctx, c, tx, in)
}

// GrantConsent records the calling patient's consent. The returned grant's
// ID is in.GrantID, or the transaction ID when that is empty.
func (c *Client) GrantConsent(ctx context.Context, in model.GrantConsentInput) (model.Grant, error) {
	tx := model.TxGrantConsent
	if err := checkGrant(in); err != nil {
		return model.Grant{}, err
	}
	return submitAs[model.Grant](ctx, c, tx, in)
}

// RevokeConsent ends one of the calling patient's grants, emergency ones included.
func (c *Client) RevokeConsent(ctx context.Context, grantID string) (model.Grant, error) {
	return submitByID[model.Grant](ctx, c, model.TxRevokeConsent, "grant id", grantID)
}

// OpenEmergencyAccess opens the calling doctor's break-glass read access to
// a patient's documents for d (at most 24 hours). The grant's ID is the
// transaction ID. The patient sees it in ListGrants.
func (c *Client) OpenEmergencyAccess(ctx context.Context, patientID string, reason model.EmergencyReason, d time.Duration) (model.Grant, error) {
	tx := model.TxOpenEmergencyAccess
	if err := checkID(tx, "patient id", patientID); err != nil {
		return model.Grant{}, err
	}
	if !reason.Valid() {
		return model.Grant{}, invalidArgument(tx, "emergency reason %q: want one of %v", reason, model.EmergencyReasons)
	}
	if d < time.Second || d > model.MaxEmergencyDuration {
		return model.Grant{}, invalidArgument(tx, "emergency duration %v: want 1s to %v", d, model.MaxEmergencyDuration)
	}
	return submitAs[model.Grant](ctx, c, tx, model.EmergencyAccessInput{
		PatientID: patientID, Reason: reason, DurationSeconds: int64(d / time.Second),
	})
}

// AccessDocument decides whether the caller may read a version of a
// document (0 means the latest) and, if so, writes the audit entry and
// returns the version with its storage reference. A denial writes nothing
// and returns ErrForbidden. Documents.Open and Documents.Download call it
// before they read a byte.
func (c *Client) AccessDocument(ctx context.Context, documentID string, version int) (model.AccessResult, error) {
	tx := model.TxAccessDocument
	in, err := accessInput(tx, documentID, version)
	if err != nil {
		return model.AccessResult{}, err
	}
	return submitAs[model.AccessResult](ctx, c, tx, in)
}

// CheckAccess answers whether the caller may read a document version,
// without auditing anything.
func (c *Client) CheckAccess(ctx context.Context, documentID string, version int) (model.AccessDecision, error) {
	tx := model.TxCheckAccess
	in, err := accessInput(tx, documentID, version)
	if err != nil {
		return model.AccessDecision{}, err
	}
	return evaluateAs[model.AccessDecision](ctx, c, tx, in)
}

// ListGrants returns one page of the calling patient's grants, emergency
// ones included.
func (c *Client) ListGrants(ctx context.Context, req model.PageRequest) (model.GrantPage, error) {
	return evaluatePage[model.GrantPage](ctx, c, model.TxListGrants, req)
}

// ListReceivedGrants returns one page of the grants made to the calling
// doctor (model.GranteeUser) or to the doctor's hospital
// (model.GranteeOrganization).
func (c *Client) ListReceivedGrants(ctx context.Context, in model.ListReceivedGrantsInput) (model.GrantPage, error) {
	tx := model.TxListReceivedGrants
	if !in.GranteeType.Valid() {
		return model.GrantPage{}, invalidArgument(tx, "grantee type %q: want one of %v", in.GranteeType, model.GranteeTypes)
	}
	if err := checkPage(tx, in.PageSize, in.Bookmark); err != nil {
		return model.GrantPage{}, err
	}
	return evaluateAs[model.GrantPage](ctx, c, tx, in)
}

// ListAccessLog returns one page of the reads of the calling patient's
// documents, oldest first.
func (c *Client) ListAccessLog(ctx context.Context, req model.PageRequest) (model.AuditPage, error) {
	return evaluatePage[model.AuditPage](ctx, c, model.TxListAccessLog, req)
}

// ListMyAccesses returns one page of the caller's own reads, oldest first.
func (c *Client) ListMyAccesses(ctx context.Context, req model.PageRequest) (model.AuditPage, error) {
	return evaluatePage[model.AuditPage](ctx, c, model.TxListMyAccesses, req)
}

// ListStorageRefs returns one page of the storage references of the calling
// hospital admin's documents, for garbage collection.
func (c *Client) ListStorageRefs(ctx context.Context, req model.PageRequest) (model.StorageRefPage, error) {
	return evaluatePage[model.StorageRefPage](ctx, c, model.TxListStorageRefs, req)
}

// evaluatePage evaluates a list transaction whose only argument is a page
// request, checked first.
func evaluatePage[T any](ctx context.Context, c *Client, tx string, req model.PageRequest) (T, error) {
	if err := checkPage(tx, req.PageSize, req.Bookmark); err != nil {
		var zero T
		return zero, err
	}
	return evaluateAs[T](ctx, c, tx, req)
}

func accessInput(tx, documentID string, version int) (model.AccessDocumentInput, error) {
	if err := checkID(tx, "document id", documentID); err != nil {
		return model.AccessDocumentInput{}, err
	}
	if version < 0 || version > model.MaxVersions {
		return model.AccessDocumentInput{}, invalidArgument(tx, "version %d: want 0 (latest) to %d", version, model.MaxVersions)
	}
	return model.AccessDocumentInput{DocumentID: documentID, Version: version}, nil
}

func checkContent(tx, sha string, size int64, mediaType, ref string) error {
	if !model.ValidSHA256(sha) {
		return invalidArgument(tx, "sha256 %q: want 64 lowercase hex characters", sha)
	}
	if !model.ValidSize(size) {
		return invalidArgument(tx, "size %d: want 1 to %d bytes", size, model.MaxDocumentSize)
	}
	if !model.ValidMediaType(mediaType) {
		return invalidArgument(tx, "media type %q: want a lowercase type/subtype such as application/pdf", mediaType)
	}
	if !model.ValidStorageRef(ref) {
		return invalidArgument(tx, "storage reference %q: want 1 to %d printable ASCII characters without spaces", ref, model.MaxStorageRefLen)
	}
	return nil
}

func checkGrant(in model.GrantConsentInput) error {
	tx := model.TxGrantConsent
	if in.GrantID != "" {
		if err := checkID(tx, "grant id", in.GrantID); err != nil {
			return err
		}
	}
	if !in.Grantee.Type.Valid() {
		return invalidArgument(tx, "grantee type %q: want one of %v", in.Grantee.Type, model.GranteeTypes)
	}
	if err := checkID(tx, "grantee id", in.Grantee.ID); err != nil {
		return err
	}
	if !in.Scope.Type.Valid() {
		return invalidArgument(tx, "scope type %q: want one of %v", in.Scope.Type, model.ScopeTypes)
	}
	for _, cat := range in.Scope.Categories {
		if !cat.Valid() {
			return invalidArgument(tx, "scope category %q: want one of %v", cat, model.Categories)
		}
	}
	if len(in.Scope.DocumentIDs) > model.MaxScopeDocuments {
		return invalidArgument(tx, "scope lists %d documents: at most %d", len(in.Scope.DocumentIDs), model.MaxScopeDocuments)
	}
	for _, id := range in.Scope.DocumentIDs {
		if err := checkID(tx, "scope document id", id); err != nil {
			return err
		}
	}
	if len(in.Actions) == 0 {
		return invalidArgument(tx, "no actions: want some of %v", model.Actions)
	}
	for _, a := range in.Actions {
		if !a.Valid() {
			return invalidArgument(tx, "action %q: want one of %v", a, model.Actions)
		}
	}
	if !in.Purpose.Valid() {
		return invalidArgument(tx, "purpose %q: want one of %v", in.Purpose, model.Purposes)
	}
	if !in.ValidUntil.IsZero() && !in.ValidFrom.IsZero() && !in.ValidUntil.After(in.ValidFrom) {
		return invalidArgument(tx, "validUntil %v is not after validFrom %v", in.ValidUntil, in.ValidFrom)
	}
	return nil
}
