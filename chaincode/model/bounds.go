package model

import (
	"regexp"
	"time"
)

// Input bounds. The chaincode refuses input outside them with
// CodeInvalidArgument, and the SDK checks them before anything is written.
const (
	// MaxOrgNameLen bounds an organisation's display name, in bytes.
	MaxOrgNameLen = 128
	// MaxMSPIDLen bounds a Fabric MSP ID, in bytes.
	MaxMSPIDLen = 64
	// MaxCertificatePEMLen bounds an enrollment certificate in PEM, in bytes.
	MaxCertificatePEMLen = 16 * 1024
	// MaxMediaTypeLen bounds a media type such as "application/pdf", in bytes.
	MaxMediaTypeLen = 127
	// MaxStorageRefLen bounds an opaque storage reference, in bytes.
	MaxStorageRefLen = 512
	// MaxDocumentSize bounds a document's stored size: 1 TiB.
	MaxDocumentSize int64 = 1 << 40
	// MaxVersions bounds the versions one document may have.
	MaxVersions = 100
	// MaxScopeDocuments bounds the document ids one grant may list.
	MaxScopeDocuments = 100
	// MaxPageSize bounds the page size of every list query.
	MaxPageSize = 100
	// DefaultPageSize applies when a list query asks for page size 0.
	DefaultPageSize = 25
	// MaxBookmarkLen bounds a pagination bookmark, in bytes.
	MaxBookmarkLen = 1024
	// MaxEmergencyDuration bounds one emergency access window.
	MaxEmergencyDuration = 24 * time.Hour
)

var (
	idPattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	mspIDPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256Pattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaTypePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$`)
	storageRefRunes  = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

// ValidID reports whether s is a well-formed id for an organisation, user,
// document or grant: 1 to 64 characters from [A-Za-z0-9._-], starting with a
// letter or digit.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidMSPID reports whether s is a well-formed Fabric MSP ID.
func ValidMSPID(s string) bool { return len(s) <= MaxMSPIDLen && mspIDPattern.MatchString(s) }

// ValidSHA256 reports whether s is a SHA-256 digest in 64 lowercase hex characters.
func ValidSHA256(s string) bool { return sha256Pattern.MatchString(s) }

// ValidMediaType reports whether s is a lowercase "type/subtype" media type
// without parameters, at most MaxMediaTypeLen bytes.
func ValidMediaType(s string) bool {
	return len(s) <= MaxMediaTypeLen && mediaTypePattern.MatchString(s)
}

// ValidStorageRef reports whether s is a storage reference: 1 to
// MaxStorageRefLen printable ASCII characters without spaces.
func ValidStorageRef(s string) bool {
	return len(s) <= MaxStorageRefLen && storageRefRunes.MatchString(s)
}

// ValidSize reports whether n is a storable document size.
func ValidSize(n int64) bool { return n > 0 && n <= MaxDocumentSize }
