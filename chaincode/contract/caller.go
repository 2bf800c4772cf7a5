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

// caller is the resolved caller of a transaction: the binding found for the
// creator identity, its organisation, and the decision-ready view of both.
type caller struct {
	user model.User
	// org is the zero value for solution admins.
	org model.Organization
	access.Caller
}

// identityBinding is the value of an objIdentity key: the user bound to the
// identity and that user's organisation (empty for solution admins), so that
// the caller's user and organisation records can be read together.
type identityBinding struct {
	UserID string `json:"userId"`
	OrgID  string `json:"orgId,omitempty"`
}

// resolveCaller finds the user bound to the creator identity and refuses a
// caller who may do nothing: unknown identity, removed binding, suspended
// organisation. Every transaction except Bootstrap starts here.
func resolveCaller(ctx contractapi.TransactionContextInterface) (caller, error) {
	who, _, err := resolveCallerWith(ctx)
	return who, err
}

// resolveCallerWith is resolveCaller that also reads the keys in also, which
// the transaction needs whoever the caller is, and returns their values.
// Caller resolution is two reads of several keys each: the identity binding
// with also, then the caller's user and organisation, which the binding
// names. On a Fabric 3 peer that is two round trips to the peer however many
// keys; a key of also that is the caller's user or organisation is read once.
// Refusals are decided in the same order as before the keys were read
// together, so they are the same.
func resolveCallerWith(ctx contractapi.TransactionContextInterface, also ...string) (caller, states, error) {
	stub := ctx.GetStub()
	id, _, err := creatorIdentity(ctx)
	if err != nil {
		return caller{}, nil, err
	}
	idKey, err := compositeKey(stub, objIdentity, identityKeyAttr(id.MSPID, id.Subject, id.Issuer))
	if err != nil {
		return caller{}, nil, err
	}
	vals, err := readStates(stub, nil, append([]string{idKey}, also...)...)
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
	userKey, err := compositeKey(stub, objUser, b.UserID)
	if err != nil {
		return caller{}, nil, err
	}
	keys := []string{userKey}
	orgKey := ""
	if b.OrgID != "" {
		if orgKey, err = compositeKey(stub, objOrg, b.OrgID); err != nil {
			return caller{}, nil, err
		}
		keys = append(keys, orgKey)
	}
	if vals, err = readStates(stub, vals, keys...); err != nil {
		return caller{}, nil, err
	}
	var u model.User
	found, err = decodeIfFound(vals[userKey], &u)
	if err != nil {
		return caller{}, nil, err
	}
	if !found {
		return caller{}, nil, model.Errorf(model.CodeInternal, "identity bound to missing user %s", b.UserID)
	}
	if u.OrgID != b.OrgID {
		return caller{}, nil, model.Errorf(model.CodeInternal, "identity binding names organisation %q for user %s of organisation %q", b.OrgID, u.ID, u.OrgID)
	}
	c := caller{user: u}
	if u.OrgID != "" {
		found, err = decodeIfFound(vals[orgKey], &c.org)
		if err != nil {
			return caller{}, nil, err
		}
		if !found {
			return caller{}, nil, model.Errorf(model.CodeInternal, "user %s belongs to missing organisation %s", u.ID, u.OrgID)
		}
	}
	c.Caller = access.NewCaller(u, c.org.Status)
	if u.Status != model.UserActive {
		return caller{}, nil, model.Errorf(model.CodeForbidden, "user %s has been removed", u.ID)
	}
	if !c.Active {
		return caller{}, nil, model.Errorf(model.CodeForbidden, "organisation %s of user %s is suspended", u.OrgID, u.ID)
	}
	return c, vals, nil
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
