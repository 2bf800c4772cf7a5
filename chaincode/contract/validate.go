package contract

import (
	"slices"
	"time"
	"unicode"

	"github.com/medledger/medledger/chaincode/model"
)

// Input validation. Each function returns an INVALID_ARGUMENT error naming the
// field and what was wrong, and runs before anything is read or written.

func invalid(format string, args ...any) error {
	return model.Errorf(model.CodeInvalidArgument, format, args...)
}

func checkID(field, v string) error {
	if !model.ValidID(v) {
		return invalid("%s %q is not a valid id (1 to 64 of [A-Za-z0-9._-], starting with a letter or digit)", field, v)
	}
	return nil
}

func checkOrgName(v string) error {
	if v == "" || len(v) > model.MaxOrgNameLen {
		return invalid("name must be 1 to %d bytes", model.MaxOrgNameLen)
	}
	// JSON decoding already turned invalid UTF-8 into U+FFFD.
	for _, r := range v {
		if unicode.IsControl(r) {
			return invalid("name contains a control character")
		}
	}
	return nil
}

func checkMSPID(v string) error {
	if !model.ValidMSPID(v) {
		return invalid("mspId %q is not a valid MSP ID", v)
	}
	return nil
}

// checkBlob validates the description of one stored version.
func checkBlob(sha, mediaType, storageRef string, size int64) error {
	if !model.ValidSHA256(sha) {
		return invalid("sha256 must be 64 lowercase hex characters")
	}
	if !model.ValidSize(size) {
		return invalid("size %d is outside 1..%d", size, model.MaxDocumentSize)
	}
	if !model.ValidMediaType(mediaType) {
		return invalid("mediaType %q is not a lowercase type/subtype of at most %d bytes", mediaType, model.MaxMediaTypeLen)
	}
	if !model.ValidStorageRef(storageRef) {
		return invalid("storageRef must be 1 to %d printable ASCII characters without spaces", model.MaxStorageRefLen)
	}
	return nil
}

func checkRegisterDocument(in model.RegisterDocumentInput) error {
	if err := checkID("documentId", in.DocumentID); err != nil {
		return err
	}
	if err := checkID("patientId", in.PatientID); err != nil {
		return err
	}
	if !in.Category.Valid() {
		return invalid("category %q is not one of %v", in.Category, model.Categories)
	}
	return checkBlob(in.SHA256, in.MediaType, in.StorageRef, in.Size)
}

func checkAddVersion(in model.AddDocumentVersionInput) error {
	if err := checkID("documentId", in.DocumentID); err != nil {
		return err
	}
	return checkBlob(in.SHA256, in.MediaType, in.StorageRef, in.Size)
}

// checkGrantConsent validates a grant and fills its defaults: the grant id is
// the transaction id and validFrom the transaction time when not given.
func checkGrantConsent(in model.GrantConsentInput, txID string, now time.Time) (model.GrantConsentInput, error) {
	if in.GrantID == "" {
		in.GrantID = txID
	}
	if err := checkID("grantId", in.GrantID); err != nil {
		return in, err
	}
	if !in.Grantee.Type.Valid() {
		return in, invalid("grantee.type %q is not one of %v", in.Grantee.Type, model.GranteeTypes)
	}
	if err := checkID("grantee.id", in.Grantee.ID); err != nil {
		return in, err
	}
	if err := checkScope(in.Scope); err != nil {
		return in, err
	}
	if len(in.Actions) == 0 || len(in.Actions) > len(model.Actions) {
		return in, invalid("actions must list 1 to %d of %v", len(model.Actions), model.Actions)
	}
	for i, a := range in.Actions {
		if !a.Valid() {
			return in, invalid("actions[%d] %q is not one of %v", i, a, model.Actions)
		}
		if slices.Contains(in.Actions[:i], a) {
			return in, invalid("actions lists %q twice", a)
		}
	}
	if slices.Contains(in.Actions, model.ActionWrite) && in.Scope.Type == model.ScopeDocuments {
		return in, invalid("a write grant must cover all documents or categories: a documents scope names existing documents, and writing registers new ones")
	}
	if !in.Purpose.Valid() {
		return in, invalid("purpose %q is not one of %v", in.Purpose, model.Purposes)
	}
	if in.ValidFrom.IsZero() {
		in.ValidFrom = now
	}
	in.ValidFrom = in.ValidFrom.UTC()
	if !in.ValidUntil.IsZero() {
		in.ValidUntil = in.ValidUntil.UTC()
		if !in.ValidUntil.After(in.ValidFrom) {
			return in, invalid("validUntil %s must be after validFrom %s", in.ValidUntil.Format(time.RFC3339), in.ValidFrom.Format(time.RFC3339))
		}
		if !in.ValidUntil.After(now) {
			return in, invalid("validUntil %s is not in the future", in.ValidUntil.Format(time.RFC3339))
		}
	}
	return in, nil
}

func checkScope(s model.Scope) error {
	switch s.Type {
	case model.ScopeAll:
		if len(s.Categories) != 0 || len(s.DocumentIDs) != 0 {
			return invalid("scope all takes no categories or documentIds")
		}
	case model.ScopeCategories:
		if len(s.DocumentIDs) != 0 {
			return invalid("scope categories takes no documentIds")
		}
		if len(s.Categories) == 0 || len(s.Categories) > len(model.Categories) {
			return invalid("scope.categories must list 1 to %d categories", len(model.Categories))
		}
		for i, c := range s.Categories {
			if !c.Valid() {
				return invalid("scope.categories[%d] %q is not one of %v", i, c, model.Categories)
			}
			if slices.Contains(s.Categories[:i], c) {
				return invalid("scope.categories lists %q twice", c)
			}
		}
	case model.ScopeDocuments:
		if len(s.Categories) != 0 {
			return invalid("scope documents takes no categories")
		}
		if len(s.DocumentIDs) == 0 || len(s.DocumentIDs) > model.MaxScopeDocuments {
			return invalid("scope.documentIds must list 1 to %d document ids", model.MaxScopeDocuments)
		}
		for i, id := range s.DocumentIDs {
			if err := checkID("scope.documentIds[]", id); err != nil {
				return err
			}
			if slices.Contains(s.DocumentIDs[:i], id) {
				return invalid("scope.documentIds lists %q twice", id)
			}
		}
	default:
		return invalid("scope.type %q is not one of %v", s.Type, model.ScopeTypes)
	}
	return nil
}

func checkEmergency(in model.EmergencyAccessInput) error {
	if err := checkID("patientId", in.PatientID); err != nil {
		return err
	}
	if !in.Reason.Valid() {
		return invalid("reason %q is not one of %v", in.Reason, model.EmergencyReasons)
	}
	maxSeconds := int64(model.MaxEmergencyDuration / time.Second)
	if in.DurationSeconds < 1 || in.DurationSeconds > maxSeconds {
		return invalid("durationSeconds %d is outside 1..%d", in.DurationSeconds, maxSeconds)
	}
	return nil
}

func checkAccessInput(in model.AccessDocumentInput) error {
	if err := checkID("documentId", in.DocumentID); err != nil {
		return err
	}
	if in.Version < 0 || in.Version > model.MaxVersions {
		return invalid("version %d is outside 0..%d (0 means the latest)", in.Version, model.MaxVersions)
	}
	return nil
}

// checkPage validates a page request and returns the page size to use.
func checkPage(pageSize int32, bookmark string) (int32, error) {
	if pageSize < 0 || pageSize > model.MaxPageSize {
		return 0, invalid("pageSize %d is outside 0..%d (0 means %d)", pageSize, model.MaxPageSize, model.DefaultPageSize)
	}
	if len(bookmark) > model.MaxBookmarkLen {
		return 0, invalid("bookmark is longer than %d bytes", model.MaxBookmarkLen)
	}
	if pageSize == 0 {
		pageSize = model.DefaultPageSize
	}
	return pageSize, nil
}
