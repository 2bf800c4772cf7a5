package contract

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

// nodeOUAdmin is the NodeOU role Fabric writes into an admin certificate's
// subject OU; only such a certificate may Bootstrap.
const nodeOUAdmin = "admin"

// caller is the resolved caller of a transaction: the creator identity and
// the decision-ready view of its binding and organisation. The full user and
// organisation records are not read for it; the few transactions that need
// them read them.
type caller struct {
	identity model.Identity
	access.Caller
}

// identityBinding is the value of an objIdentity key: what every caller
// resolution needs to know about the user bound to the identity, copied from
// the user record (the record of truth, which bindUser and removeUser write
// together with it): the user, their organisation (empty for solution
// admins), role and status. Bindings written before role and status were
// copied have neither; resolveCallerWith then reads the user record.
type identityBinding struct {
	UserID string           `json:"userId"`
	OrgID  string           `json:"orgId,omitempty"`
	Role   model.Role       `json:"role,omitempty"`
	Status model.UserStatus `json:"status,omitempty"`
}

// bindingOf is the identity binding of u.
func bindingOf(u model.User) identityBinding {
	return identityBinding{UserID: u.ID, OrgID: u.OrgID, Role: u.Role, Status: u.Status}
}

// mspOrgs is the value of an objMSPOrgs key: the status of each organisation
// whose users enrol under that MSP, by organisation id, copied from the
// organisation records (written with them by CreateOrganization and
// setOrgStatus). An organisation missing from it (created before the copy
// existed) is read from its record.
type mspOrgs map[string]model.OrgStatus

// resolveCaller finds the user bound to the creator identity and refuses a
// caller who may do nothing: unknown identity, removed binding, suspended
// organisation. Every transaction except Bootstrap starts here.
func resolveCaller(ctx contractapi.TransactionContextInterface) (caller, error) {
	who, _, err := resolveCallerWith(ctx)
	return who, err
}

// resolveCallerWith is resolveCaller that also reads the keys in also, which
// the transaction needs whoever the caller is, and returns their values.
// Caller resolution is one read of several keys: the identity binding, the
// statuses of the organisations of the creator's MSP, and also. Both caller
// keys follow from the creator certificate alone, so on a Fabric 3 peer the
// whole resolution is one round trip to the peer however many keys. Only a
// ledger written before bindings and MSPs carried these copies needs a
// second read (the user and organisation records).
func resolveCallerWith(ctx contractapi.TransactionContextInterface, also ...string) (caller, states, error) {
	stub := ctx.GetStub()
	id, _, err := creatorIdentity(ctx)
	if err != nil {
		return caller{}, nil, err
	}
	idKey, err := identityKey(stub, id)
	if err != nil {
		return caller{}, nil, err
	}
	orgsKey, err := compositeKey(stub, objMSPOrgs, id.MSPID)
	if err != nil {
		return caller{}, nil, err
	}
	vals, err := readStates(stub, nil, append([]string{idKey, orgsKey}, also...)...)
	if err != nil {
		return caller{}, nil, err
	}
	var b identityBinding
	found, err := decodeIfFound(vals[idKey], &b)
	if err != nil {
		return caller{}, nil, err
	}
	if !found {
		return caller{}, nil, model.Errorf(model.CodeForbidden, "identity %q of MSP %s is not bound to a MedLedger user", id.Subject, id.MSPID)
	}
	var orgs mspOrgs
	if _, err := decodeIfFound(vals[orgsKey], &orgs); err != nil {
		return caller{}, nil, err
	}
	orgStatus, orgKnown := orgs[b.OrgID]
	if b.Role == "" || b.Status == "" || (b.OrgID != "" && !orgKnown) {
		if b, orgStatus, vals, err = readCallerRecords(stub, b, vals); err != nil {
			return caller{}, nil, err
		}
	}
	u := model.User{ID: b.UserID, OrgID: b.OrgID, Role: b.Role, Status: b.Status}
	c := caller{identity: id, Caller: access.NewCaller(u, orgStatus)}
	if u.Status != model.UserActive {
		return caller{}, nil, model.Errorf(model.CodeForbidden, "user %s has been removed", u.ID)
	}
	if !c.Active {
		return caller{}, nil, model.Errorf(model.CodeForbidden, "organisation %s of user %s is suspended", u.OrgID, u.ID)
	}
	return c, vals, nil
}

// readCallerRecords completes a binding from the user and organisation
// records, read together, for a ledger written before bindings and MSPs
// carried copies of them.
func readCallerRecords(stub shim.ChaincodeStubInterface, b identityBinding, vals states) (identityBinding, model.OrgStatus, states, error) {
	userKey, err := compositeKey(stub, objUser, b.UserID)
	if err != nil {
		return b, "", nil, err
	}
	keys := []string{userKey}
	orgKey := ""
	if b.OrgID != "" {
		if orgKey, err = compositeKey(stub, objOrg, b.OrgID); err != nil {
			return b, "", nil, err
		}
		keys = append(keys, orgKey)
	}
	if vals, err = readStates(stub, vals, keys...); err != nil {
		return b, "", nil, err
	}
	var u model.User
	found, err := decodeIfFound(vals[userKey], &u)
	if err != nil {
		return b, "", nil, err
	}
	if !found {
		return b, "", nil, model.Errorf(model.CodeInternal, "identity bound to missing user %s", b.UserID)
	}
	if u.OrgID != b.OrgID {
		return b, "", nil, model.Errorf(model.CodeInternal, "identity binding names organisation %q for user %s of organisation %q", b.OrgID, u.ID, u.OrgID)
	}
	var org model.Organization
	if u.OrgID != "" {
		found, err = decodeIfFound(vals[orgKey], &org)
		if err != nil {
			return b, "", nil, err
		}
		if !found {
			return b, "", nil, model.Errorf(model.CodeInternal, "user %s belongs to missing organisation %s", u.ID, u.OrgID)
		}
	}
	return bindingOf(u), org.Status, vals, nil
}

// resolveCallerAs is resolveCaller followed by requireRole: the opening of
// every transaction that only some roles may call.
func resolveCallerAs(ctx contractapi.TransactionContextInterface, tx string, roles ...model.Role) (caller, error) {
	who, err := resolveCaller(ctx)
	if err != nil {
		return caller{}, err
	}
	if err := who.requireRole(tx, roles...); err != nil {
		return caller{}, err
	}
	return who, nil
}

// requireRole refuses a caller whose role is not one of roles.
func (c caller) requireRole(tx string, roles ...model.Role) error {
	for _, r := range roles {
		if c.Role == r {
			return nil
		}
	}
	return model.Errorf(model.CodeForbidden, "%s: user %s with role %s may not call it", tx, c.UserID, c.Role)
}

// creatorIdentity is the transaction creator's identity as cid reports it,
// with its certificate. It uses the client identity the contract API has
// already parsed for this transaction (parsing the certificate again would
// cost about a tenth of a transaction's time in the chaincode), and parses
// the creator itself only where the contract API could not, to report why.
func creatorIdentity(ctx contractapi.TransactionContextInterface) (model.Identity, *x509.Certificate, error) {
	if ci, ok := ctx.GetClientIdentity().(*cid.ClientID); ok && ci != nil {
		return identityOf(ci)
	}
	ci, err := cid.New(ctx.GetStub())
	if err != nil {
		return model.Identity{}, nil, model.Errorf(model.CodeForbidden, "cannot read the creator identity: %v", err)
	}
	return identityOf(ci)
}

// identityFromPEM derives the identity an enrollment certificate will present
// under mspID, exactly as cid will report it when that certificate signs a
// proposal, so that the binding RegisterUser writes is the one the caller
// resolution later finds.
func identityFromPEM(mspID, certPEM string) (model.Identity, error) {
	if len(certPEM) > model.MaxCertificatePEMLen {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem is longer than %d bytes", model.MaxCertificatePEMLen)
	}
	block, rest := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem holds no PEM CERTIFICATE block")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem must hold exactly one certificate")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem is not an X.509 certificate: %v", err)
	}
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(block)})
	if err != nil {
		return model.Identity{}, model.Errorf(model.CodeInternal, "serialize identity: %v", err)
	}
	ci, err := cid.New(creatorOnlyStub{creator: creator})
	if err != nil {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem: %v", err)
	}
	id, _, err := identityOf(ci)
	if err != nil {
		return model.Identity{}, model.Errorf(model.CodeInvalidArgument, "certificatePem: %v", err)
	}
	return id, nil
}

// identityOf splits cid's id ("x509::<subject>::<issuer>", base64) into the
// subject and issuer DNs. An RFC 2253 DN escapes neither ':' nor '::', so a
// subject that itself contains "::" is split at its first occurrence; the
// binding still works because the key hashes both parts together.
func identityOf(ci *cid.ClientID) (model.Identity, *x509.Certificate, error) {
	mspID, err := ci.GetMSPID()
	if err != nil {
		return model.Identity{}, nil, model.Errorf(model.CodeForbidden, "creator MSP ID: %v", err)
	}
	cert, err := ci.GetX509Certificate()
	if err != nil || cert == nil {
		return model.Identity{}, nil, model.Errorf(model.CodeForbidden, "creator is not an X.509 identity")
	}
	encoded, err := ci.GetID()
	if err != nil {
		return model.Identity{}, nil, model.Errorf(model.CodeForbidden, "creator id: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return model.Identity{}, nil, model.Errorf(model.CodeInternal, "decode creator id: %v", err)
	}
	rest, ok := strings.CutPrefix(string(raw), "x509::")
	if !ok {
		return model.Identity{}, nil, model.Errorf(model.CodeForbidden, "creator id is not an X.509 id")
	}
	subject, issuer, _ := strings.Cut(rest, "::")
	if !model.ValidMSPID(mspID) {
		return model.Identity{}, nil, model.Errorf(model.CodeInvalidArgument, "MSP ID %q is not well formed", mspID)
	}
	return model.Identity{MSPID: mspID, Subject: subject, Issuer: issuer}, cert, nil
}

// creatorOnlyStub lets cid parse a certificate that is not the creator's:
// cid reads nothing but GetCreator. Any other method panics on the nil
// embedded interface, which cid never calls.
type creatorOnlyStub struct {
	shim.ChaincodeStubInterface
	creator []byte
}

func (s creatorOnlyStub) GetCreator() ([]byte, error) { return s.creator, nil }
