package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/medledger/medledger/chaincode/model"
)

// The key scheme. Every record lives under a composite key whose object type
// is one of these constants; each index names the query it serves. Keys only
// ever hold ids, codes, hashes and fixed-width times, never free text.
//
// Every access decision reads a fixed set of keys (the identity binding, the
// statuses of the organisations of the caller's MSP and the document, all
// three known from the creator certificate and the input, so read together)
// and, when neither the patient nor the author reads, the grants between the
// document's patient and the caller: the grant sets of the caller as a user
// and of the caller's organisation, read together with the patient's
// grant-set marker. Nothing it reads grows with the number of documents,
// patients, users or other grants on the ledger. Keys known together are
// read together (GetMultipleStates), because on a peer every read is a
// round trip to the chaincode process.
const (
	// objConfig [] -> configRecord: whether Bootstrap ran and how many solution
	// admins are active. Serves Bootstrap (once only) and RemoveSolutionAdmin
	// (never the last one) with a single read.
	objConfig = "config"

	// objOrg [orgID] -> model.Organization. Serves GetOrganization and
	// ListOrganizations (partial key with no attributes, paginated).
	objOrg = "org"

	// objUser [userID] -> model.User, the record of truth for a user. Serves
	// GetUser, WhoAmI and the patient checks of document and consent
	// transactions.
	objUser = "user"

	// objIdentity [sha256(mspID, subject, issuer)] -> identityBinding
	// {userId, orgId, role, status}. Serves caller resolution (creator
	// certificate -> binding) with one read, and keeps an identity bound to at
	// most one user. Role and status are copies of the user record's, written
	// with it (bindUser, removeUser; a user's role and organisation never
	// change), so that resolving a caller needs no read of objUser. The hash
	// keeps arbitrary DN text out of the key; a renewed certificate with the
	// same subject and issuer hashes to the same key and so keeps its binding.
	objIdentity = "identity"

	// objMSPOrgs [mspID] -> mspOrgs {orgId: status}: the status of every
	// organisation whose users enrol under that MSP, copied from objOrg and
	// written with it (CreateOrganization, Suspend/ReactivateOrganization).
	// Serves caller resolution: the creator certificate names the MSP, so
	// this key is read together with the identity binding, and a suspended
	// organisation's users are refused without a second read.
	objMSPOrgs = "mspOrgs"

	// objUserByOrg [orgID, userID] -> "". Serves ListUsers for an organisation
	// (partial key [orgID], paginated; each hit reads objUser).
	objUserByOrg = "userByOrg"

	// objSolutionAdmin [userID] -> "". Serves ListUsers without an
	// organisation (the solution admins).
	objSolutionAdmin = "solutionAdmin"

	// objDocument [documentID] -> model.Document with all its versions.
	// Serves AccessDocument, CheckAccess, AddDocumentVersion, EraseDocument
	// and the existence check of RegisterDocument.
	objDocument = "document"

	// objDocumentByPatient [patientID, documentID] -> "". Serves
	// ListDocuments (partial key [patientID], paginated; each hit reads
	// objDocument).
	objDocumentByPatient = "documentByPatient"

	// objStorageRef [orgID, documentID, version(6 digits)] -> marker. Serves
	// ListStorageRefs, the garbage collector's view of one hospital's blobs
	// (partial key [orgID], paginated; a page's documents are then read
	// together for the references, hashes and erasure). Entries written
	// before this hold a model.StorageRef copy, which is not read.
	objStorageRef = "storageRef"

	// objGrant [patientID, granteeType, granteeID, grantID] -> model.Grant,
	// consent and emergency alike. Serves the access decisions (partial key
	// [patientID, granteeType, granteeID]: only the grants between this
	// patient and this grantee) and ListGrants (partial key [patientID],
	// paginated).
	objGrant = "grant"

	// objGrantsBetween [patientID, granteeType, granteeID] -> grantSet: the
	// grants between a patient and one grantee that are not revoked, in
	// grant id order (the order of their objGrant keys), copied from objGrant
	// and written with it (putGrant, the only writer of grants); no key when
	// there are none. Serves the access decisions with point reads, the
	// caller's two sets (as a user, and its organisation's) in one
	// GetMultipleStates: a partial-key query is a round trip each, and the
	// peer runs it again at commit to look for phantoms. Revoked grants never
	// allow anything, so leaving them out decides nothing differently.
	objGrantsBetween = "grantsBetween"

	// objGrantSets [patientID] -> marker: every grant of the patient is in
	// objGrantsBetween, so a missing set means no grant. Written when a
	// patient is registered; on a ledger written before grant sets, with the
	// patient's first grant written since, which copies all the patient's
	// grants into their sets. Until then the decisions query objGrant.
	objGrantSets = "grantSets"

	// objGrantID [grantID] -> the objGrant key of that grant. Serves
	// RevokeConsent (grant id -> record with two reads) and keeps grant ids
	// unique.
	objGrantID = "grantId"

	// objGrantByGrantee [granteeType, granteeID, patientID, grantID] -> "".
	// Serves ListReceivedGrants (partial key [granteeType, granteeID],
	// paginated; each hit reads objGrant).
	objGrantByGrantee = "grantByGrantee"

	// objAuditByPatient [patientID, accessTime, txID] -> model.AuditEntry.
	// Serves ListAccessLog (partial key [patientID], paginated, oldest first
	// because accessTime is fixed width).
	objAuditByPatient = "auditByPatient"

	// objAuditByAccessor [accessorID, accessTime, txID, patientID] -> marker.
	// Serves ListMyAccesses (partial key [accessorID], paginated, oldest
	// first; each hit reads its objAuditByPatient record, found from the key).
	// The entry is stored once, under objAuditByPatient: every read is
	// audited, so the audit trail is what grows fastest. Entries written
	// before this have three attributes and hold the AuditEntry itself.
	objAuditByAccessor = "auditByAccessor"
)

// auditTimeLayout is fixed width and UTC, so that the lexical order of audit
// keys is their time order.
const auditTimeLayout = "20060102T150405.000000000Z"

func auditTime(t time.Time) string { return t.UTC().Format(auditTimeLayout) }

// versionKey pads a version number so that keys sort by version.
func versionKey(v int) string { return fmt.Sprintf("%06d", v) }

// identityKeyAttr hashes an identity into one key attribute. The fields are
// length-prefixed so that no two identities share an encoding.
func identityKeyAttr(mspID, subject, issuer string) string {
	h := sha256.New()
	for _, f := range []string{mspID, subject, issuer} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// identityKey is the objIdentity key of an identity.
func identityKey(stub shim.ChaincodeStubInterface, id model.Identity) (string, error) {
	return compositeKey(stub, objIdentity, identityKeyAttr(id.MSPID, id.Subject, id.Issuer))
}
