package contract

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

// The evaluate transactions: read-only, listed in model.EvaluateTransactions
// and so marked evaluate in the metadata. Only these use paginated queries.

// WhoAmI returns the caller's own binding.
func (c *Contract) WhoAmI(ctx contractapi.TransactionContextInterface) (*model.User, error) {
	who, err := resolveCaller(ctx)
	if err != nil {
		return nil, err
	}
	return ptr(getUser(ctx.GetStub(), who.UserID))
}

// GetOrganization returns one organisation. Caller: any active user.
func (c *Contract) GetOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*model.Organization, error) {
	stub := ctx.GetStub()
	if err := checkID("orgId", orgID); err != nil {
		return nil, err
	}
	if _, err := resolveCaller(ctx); err != nil {
		return nil, err
	}
	return ptr(getOrganization(stub, orgID))
}

// ListOrganizations returns a page of organisations in id order. Caller: any
// active user (patients need them to grant consent to an organisation).
func (c *Contract) ListOrganizations(ctx contractapi.TransactionContextInterface, in model.PageRequest) (*model.OrganizationPage, error) {
	stub := ctx.GetStub()
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	if _, err := resolveCaller(ctx); err != nil {
		return nil, err
	}
	items, bookmark, err := pageRecords[model.Organization](stub, objOrg, nil, size, in.Bookmark)
	return ptr(model.OrganizationPage{Items: items, Bookmark: bookmark}, err)
}

// GetUser returns one user binding. Caller: a solution admin; a hospital admin
// for users of their organisation; the user themselves.
func (c *Contract) GetUser(ctx contractapi.TransactionContextInterface, userID string) (*model.User, error) {
	stub := ctx.GetStub()
	if err := checkID("userId", userID); err != nil {
		return nil, err
	}
	who, err := resolveCaller(ctx)
	if err != nil {
		return nil, err
	}
	if who.UserID != userID {
		if err := who.requireRole(model.TxGetUser, model.RoleSolutionAdmin, model.RoleOrgAdmin); err != nil {
			return nil, err
		}
	}
	u, err := getUser(stub, userID)
	if err != nil {
		return nil, err
	}
	if who.Role == model.RoleOrgAdmin && u.OrgID != who.OrgID {
		return nil, model.Errorf(model.CodeForbidden, "user %s belongs to another organisation", userID)
	}
	return &u, nil
}

// ListUsers returns a page of the users of an organisation (all roles,
// removed ones included), or of the solution admins when OrgID is empty.
// Caller: a solution admin; a hospital admin for their own organisation.
func (c *Contract) ListUsers(ctx contractapi.TransactionContextInterface, in model.ListUsersInput) (*model.UserPage, error) {
	stub := ctx.GetStub()
	if in.OrgID != "" {
		if err := checkID("orgId", in.OrgID); err != nil {
			return nil, err
		}
	}
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListUsers, model.RoleSolutionAdmin, model.RoleOrgAdmin)
	if err != nil {
		return nil, err
	}
	if who.Role == model.RoleOrgAdmin && in.OrgID != who.OrgID {
		return nil, model.Errorf(model.CodeForbidden, "a hospital admin lists only the users of organisation %s", who.OrgID)
	}
	objectType, attrs := objSolutionAdmin, []string(nil)
	if in.OrgID != "" {
		if _, err := getOrganization(stub, in.OrgID); err != nil {
			return nil, err
		}
		objectType, attrs = objUserByOrg, []string{in.OrgID}
	}
	out := model.UserPage{Items: []model.User{}}
	out.Bookmark, err = page(stub, objectType, attrs, size, in.Bookmark, func(keyAttrs []string, _ []byte) error {
		u, err := getUser(stub, keyAttrs[len(keyAttrs)-1])
		if err != nil {
			return model.Errorf(model.CodeInternal, "user index: %v", err)
		}
		out.Items = append(out.Items, u)
		return nil
	})
	return ptr(out, err)
}

// ListDocuments returns a page of a patient's documents, in id order, keeping
// only those the caller may read; a page can so hold fewer items than its
// size while its bookmark still points further. Storage references are
// emptied: only AccessDocument hands them out, with an audit entry. Caller:
// a doctor or patient (an empty PatientID means the calling patient).
func (c *Contract) ListDocuments(ctx contractapi.TransactionContextInterface, in model.ListDocumentsInput) (*model.DocumentPage, error) {
	stub := ctx.GetStub()
	if in.PatientID != "" {
		if err := checkID("patientId", in.PatientID); err != nil {
			return nil, err
		}
	}
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListDocuments, model.RoleDoctor, model.RolePatient)
	if err != nil {
		return nil, err
	}
	patientID := in.PatientID
	if patientID == "" {
		if who.Role != model.RolePatient {
			return nil, invalid("patientId is required unless the caller is a patient")
		}
		patientID = who.UserID
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	var grants []model.Grant
	if patientID != who.UserID {
		if grants, err = grantsBetween(stub, patientID, who.Caller); err != nil {
			return nil, err
		}
	}
	out := model.DocumentPage{Items: []model.Document{}}
	out.Bookmark, err = page(stub, objDocumentByPatient, []string{patientID}, size, in.Bookmark, func(keyAttrs []string, _ []byte) error {
		doc, err := getDocument(stub, keyAttrs[len(keyAttrs)-1])
		if err != nil {
			return model.Errorf(model.CodeInternal, "document index: %v", err)
		}
		if d := access.Decide(doc, who.Caller, grants, now); !d.Allowed {
			return nil
		}
		for i := range doc.Versions {
			doc.Versions[i].StorageRef = ""
		}
		out.Items = append(out.Items, doc)
		return nil
	})
	return ptr(out, err)
}

// CheckAccess answers whether the caller may read a document version now,
// exactly as AccessDocument would decide, without auditing. An erased
// document is answered "not allowed" with the reason.
func (c *Contract) CheckAccess(ctx contractapi.TransactionContextInterface, in model.AccessDocumentInput) (*model.AccessDecision, error) {
	a, err := attemptRead(ctx, in)
	if err != nil {
		return nil, err
	}
	doc, d := a.doc, a.decision
	if !d.Allowed {
		return &d, nil
	}
	if doc.Erased {
		return &model.AccessDecision{Allowed: false, Reason: "document " + doc.ID + " was erased"}, nil
	}
	if _, ok := doc.VersionAt(in.Version); !ok {
		return nil, model.Errorf(model.CodeNotFound, "document %s has no version %d", doc.ID, in.Version)
	}
	return &d, nil
}

// ListGrants returns a page of the calling patient's grants, consent and
// emergency alike, revoked and expired ones included. Caller: a patient.
func (c *Contract) ListGrants(ctx contractapi.TransactionContextInterface, in model.PageRequest) (*model.GrantPage, error) {
	stub := ctx.GetStub()
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListGrants, model.RolePatient)
	if err != nil {
		return nil, err
	}
	items, bookmark, err := pageRecords[model.Grant](stub, objGrant, []string{who.UserID}, size, in.Bookmark)
	return ptr(model.GrantPage{Items: items, Bookmark: bookmark}, err)
}

// ListReceivedGrants returns a page of the grants made to the caller
// (GranteeUser: a doctor or patient) or to the calling doctor's organisation
// (GranteeOrganization).
func (c *Contract) ListReceivedGrants(ctx contractapi.TransactionContextInterface, in model.ListReceivedGrantsInput) (*model.GrantPage, error) {
	stub := ctx.GetStub()
	if !in.GranteeType.Valid() {
		return nil, invalid("granteeType %q is not one of %v", in.GranteeType, model.GranteeTypes)
	}
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCaller(ctx)
	if err != nil {
		return nil, err
	}
	granteeID := who.UserID
	if in.GranteeType == model.GranteeOrganization {
		if err := who.requireRole(model.TxListReceivedGrants+" for an organisation", model.RoleDoctor); err != nil {
			return nil, err
		}
		granteeID = who.OrgID
	} else if err := who.requireRole(model.TxListReceivedGrants, model.RoleDoctor, model.RolePatient); err != nil {
		return nil, err
	}
	out := model.GrantPage{Items: []model.Grant{}}
	out.Bookmark, err = page(stub, objGrantByGrantee, []string{string(in.GranteeType), granteeID}, size, in.Bookmark, func(keyAttrs []string, _ []byte) error {
		if len(keyAttrs) != 4 {
			return model.Errorf(model.CodeInternal, "malformed grantee index key")
		}
		var g model.Grant
		found, err := getRecord(stub, &g, objGrant, keyAttrs[2], keyAttrs[0], keyAttrs[1], keyAttrs[3])
		if err != nil {
			return err
		}
		if !found {
			return model.Errorf(model.CodeInternal, "grantee index names missing grant %s", keyAttrs[3])
		}
		out.Items = append(out.Items, g)
		return nil
	})
	return ptr(out, err)
}

// ListAccessLog returns a page of the audit entries of accesses to the calling
// patient's documents, oldest first. Caller: a patient.
func (c *Contract) ListAccessLog(ctx contractapi.TransactionContextInterface, in model.PageRequest) (*model.AuditPage, error) {
	stub := ctx.GetStub()
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListAccessLog, model.RolePatient)
	if err != nil {
		return nil, err
	}
	items, bookmark, err := pageRecords[model.AuditEntry](stub, objAuditByPatient, []string{who.UserID}, size, in.Bookmark)
	return ptr(model.AuditPage{Items: items, Bookmark: bookmark}, err)
}

// ListMyAccesses returns a page of the audit entries of the caller's own
// accesses, oldest first. Caller: any active user.
func (c *Contract) ListMyAccesses(ctx contractapi.TransactionContextInterface, in model.PageRequest) (*model.AuditPage, error) {
	stub := ctx.GetStub()
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListMyAccesses, model.Roles...)
	if err != nil {
		return nil, err
	}
	// Each hit names its entry under objAuditByPatient; the page's entries
	// are read together afterwards, in one round trip. An entry written
	// before the index held markers is the hit's value itself.
	type hit struct {
		key   string // of the entry under objAuditByPatient
		entry []byte // the entry itself, in an index written before markers
	}
	var hits []hit
	var keys []string
	bookmark, err := page(stub, objAuditByAccessor, []string{who.UserID}, size, in.Bookmark, func(keyAttrs []string, value []byte) error {
		switch len(keyAttrs) {
		case 3:
			hits = append(hits, hit{entry: value})
			return nil
		case 4:
			k, err := compositeKey(stub, objAuditByPatient, keyAttrs[3], keyAttrs[1], keyAttrs[2])
			if err != nil {
				return err
			}
			hits, keys = append(hits, hit{key: k}), append(keys, k)
			return nil
		}
		return model.Errorf(model.CodeInternal, "malformed accessor audit index key")
	})
	if err != nil {
		return nil, err
	}
	vals, err := readStates(stub, nil, keys...)
	if err != nil {
		return nil, err
	}
	out := model.AuditPage{Items: make([]model.AuditEntry, 0, len(hits)), Bookmark: bookmark}
	for _, h := range hits {
		raw := h.entry
		if h.key != "" {
			if raw = vals[h.key]; len(raw) == 0 {
				return nil, model.Errorf(model.CodeInternal, "accessor audit index names a missing entry")
			}
		}
		var e model.AuditEntry
		if err := decode(raw, &e); err != nil {
			return nil, err
		}
		out.Items = append(out.Items, e)
	}
	return &out, nil
}

// ListStorageRefs returns a page of the storage references of the caller's
// hospital's documents (ids, references and hashes, erased ones flagged), for
// garbage collection. Caller: a hospital admin.
func (c *Contract) ListStorageRefs(ctx contractapi.TransactionContextInterface, in model.PageRequest) (*model.StorageRefPage, error) {
	stub := ctx.GetStub()
	size, err := checkPage(in.PageSize, in.Bookmark)
	if err != nil {
		return nil, err
	}
	who, err := resolveCallerAs(ctx, model.TxListStorageRefs, model.RoleOrgAdmin)
	if err != nil {
		return nil, err
	}
	// Each hit names a document version; the page's documents are read
	// together afterwards, in one round trip, and say where each version's
	// bytes are and whether the document was erased. (Entries written
	// before the index held markers carry a copy of that; it is not used,
	// because an erasure no longer updates them.)
	type hit struct {
		docID, docKey string
		version       int
	}
	var hits []hit
	var docKeys []string
	bookmark, err := page(stub, objStorageRef, []string{who.OrgID}, size, in.Bookmark, func(keyAttrs []string, _ []byte) error {
		if len(keyAttrs) != 3 {
			return model.Errorf(model.CodeInternal, "malformed storage reference key")
		}
		version, err := strconv.Atoi(keyAttrs[2])
		if err != nil {
			return model.Errorf(model.CodeInternal, "malformed storage reference key: version %q", keyAttrs[2])
		}
		k, err := compositeKey(stub, objDocument, keyAttrs[1])
		if err != nil {
			return err
		}
		hits, docKeys = append(hits, hit{docID: keyAttrs[1], docKey: k, version: version}), append(docKeys, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	docs, err := readStates(stub, nil, docKeys...)
	if err != nil {
		return nil, err
	}
	out := model.StorageRefPage{Items: make([]model.StorageRef, 0, len(hits)), Bookmark: bookmark}
	for _, h := range hits {
		if len(docs[h.docKey]) == 0 {
			return nil, model.Errorf(model.CodeInternal, "storage reference names missing document %s", h.docID)
		}
		var doc model.Document
		if err := decode(docs[h.docKey], &doc); err != nil {
			return nil, err
		}
		v, ok := doc.VersionAt(h.version)
		if !ok || h.version == 0 {
			return nil, model.Errorf(model.CodeInternal, "storage reference names missing version %d of document %s", h.version, doc.ID)
		}
		out.Items = append(out.Items, model.StorageRef{DocumentID: doc.ID, Version: v.Version, StorageRef: v.StorageRef, SHA256: v.SHA256, Erased: doc.Erased})
	}
	return &out, nil
}

// page runs one paginated partial-key query and calls each for every hit,
// with the key's attributes. A bookmark must lie inside the queried prefix:
// otherwise it would start the scan in another patient's or hospital's keys.
func page(stub shim.ChaincodeStubInterface, objectType string, attrs []string, size int32, bookmark string, each func(keyAttrs []string, value []byte) error) (string, error) {
	prefix, err := compositeKey(stub, objectType, attrs...)
	if err != nil {
		return "", err
	}
	if bookmark != "" && !strings.HasPrefix(bookmark, prefix) {
		return "", invalid("bookmark does not belong to this query")
	}
	it, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(objectType, attrs, size, bookmark)
	if err != nil {
		return "", model.Errorf(model.CodeInternal, "query %s: %v", objectType, err)
	}
	defer closeUnlessExhausted(it)
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", model.Errorf(model.CodeInternal, "query %s: %v", objectType, err)
		}
		_, keyAttrs, err := stub.SplitCompositeKey(kv.GetKey())
		if err != nil {
			return "", model.Errorf(model.CodeInternal, "split key: %v", err)
		}
		if err := each(keyAttrs, kv.GetValue()); err != nil {
			return "", err
		}
	}
	return meta.GetBookmark(), nil
}

// pageRecords is page for queries whose values are the records themselves:
// it decodes each into a T. Items is never nil, so an empty page encodes as [].
func pageRecords[T any](stub shim.ChaincodeStubInterface, objectType string, attrs []string, size int32, bookmark string) ([]T, string, error) {
	items := []T{}
	next, err := page(stub, objectType, attrs, size, bookmark, func(_ []string, value []byte) error {
		var v T
		if err := decode(value, &v); err != nil {
			return err
		}
		items = append(items, v)
		return nil
	})
	return items, next, err
}

func decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return model.Errorf(model.CodeInternal, "decode state record: %v", err)
	}
	return nil
}
