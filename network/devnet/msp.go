package devnet

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// member is a creator identity that deserialized and validated against the channel's MSPs.
type member struct {
	mspID string
	cert  *x509.Certificate
	key   *ecdsa.PublicKey
	ou    string // NodeOU: client, admin, peer or orderer
}

// nodeOUs are the OU values a Fabric MSP with NodeOUs enabled (as cryptogen and Fabric CA configure it)
// accepts; an identity carrying none of them is not valid in that MSP.
var nodeOUs = map[string]bool{"client": true, "admin": true, "peer": true, "orderer": true}

// membership plays the channel MSP manager: it knows each organisation's root CA and
// validates serialized identities against them. Validation results are cached by the serialized
// identity bytes, which is what Fabric's MSP cache does too: the answer for the same bytes never
// changes while the CAs do not.
type membership struct {
	roots map[string]*x509.CertPool // MSP ID -> root CAs

	mu    sync.Mutex
	cache map[string]memberResult
}

type memberResult struct {
	m   *member
	err error
}

func newMembership() *membership {
	return &membership{roots: map[string]*x509.CertPool{}, cache: map[string]memberResult{}}
}

func (ms *membership) addOrg(mspID string, ca *x509.Certificate) {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	ms.roots[mspID] = pool
}

// deserialize returns the member for a serialized identity, with the MSP ID it names (also when
// it is not valid, for messages).
func (ms *membership) deserialize(creator []byte) (*member, string, error) {
	ms.mu.Lock()
	r, ok := ms.cache[string(creator)]
	ms.mu.Unlock()
	if ok {
		return r.m, mspIDOf(r.m, creator), r.err
	}
	m, err := ms.validate(creator)
	ms.mu.Lock()
	if len(ms.cache) < 100000 { // bound the cache; identities are few in development
		ms.cache[string(creator)] = memberResult{m: m, err: err}
	}
	ms.mu.Unlock()
	return m, mspIDOf(m, creator), err
}

func mspIDOf(m *member, creator []byte) string {
	if m != nil {
		return m.mspID
	}
	sid := &msp.SerializedIdentity{}
	if proto.Unmarshal(creator, sid) != nil {
		return ""
	}
	return sid.GetMspid()
}

func (ms *membership) validate(creator []byte) (*member, error) {
	sid := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(creator, sid); err != nil {
		return nil, fmt.Errorf("could not deserialize a SerializedIdentity: %w", err)
	}
	roots, ok := ms.roots[sid.GetMspid()]
	if !ok {
		return nil, fmt.Errorf("MSP %s is not defined on channel", sid.GetMspid())
	}
	block, _ := pem.Decode(sid.GetIdBytes())
	if block == nil {
		return nil, fmt.Errorf("could not decode pem bytes [%x]", sid.GetIdBytes())
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("certificate public key is not ECDSA")
	}
	m := &member{mspID: sid.GetMspid(), cert: cert, key: key}
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: time.Now(),
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("the supplied identity is not valid: %w", err)
	}
	for _, ou := range cert.Subject.OrganizationalUnit {
		if nodeOUs[ou] {
			m.ou = ou
			break
		}
	}
	if m.ou == "" {
		return nil, errors.New("the supplied identity is not valid: the identity does not contain a NodeOU (client, admin, peer or orderer)")
	}
	return m, nil
}

// verify checks a Fabric signature: ECDSA over SHA-256(msg), ASN.1 DER, with S in the lower half
// of the curve order (Fabric's BCCSP refuses high-S signatures to stop malleability).
func (m *member) verify(msg, sig []byte) error {
	return verifySignature(m.key, msg, sig)
}

type ecdsaSignature struct{ R, S *big.Int }

func verifySignature(key *ecdsa.PublicKey, msg, sig []byte) error {
	var es ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &es)
	if err != nil || len(rest) != 0 || es.R == nil || es.S == nil {
		return errors.New("failed unmashalling signature")
	}
	if es.R.Sign() <= 0 || es.S.Sign() <= 0 {
		return errors.New("invalid signature, R and S must be larger than zero")
	}
	halfOrder := new(big.Int).Rsh(key.Curve.Params().N, 1)
	if es.S.Cmp(halfOrder) > 0 {
		return errors.New("invalid S. Must be smaller than half the order")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.Verify(key, digest[:], es.R, es.S) {
		return errors.New("the signature is invalid")
	}
	return nil
}

// signMessage signs like a Fabric peer's BCCSP: ECDSA over SHA-256(msg), low-S, ASN.1 DER.
func signMessage(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	halfOrder := new(big.Int).Rsh(key.Curve.Params().N, 1)
	if s.Cmp(halfOrder) > 0 {
		s.Sub(key.Curve.Params().N, s)
	}
	return asn1.Marshal(ecdsaSignature{R: r, S: s})
}

// signatureMemo remembers endorsement signatures this network made itself, so that the commit-time
// policy check does not verify them a second time: verifying a signature one made over the same
// bytes with the same key always succeeds, and anything a client changed (payload, endorser or
// signature) is not in the memo and is verified in full. Two generations bound its size when
// endorsed transactions are never submitted.
type signatureMemo struct {
	mu       sync.Mutex
	current  map[[32]byte]struct{}
	previous map[[32]byte]struct{}
}

const signatureMemoGeneration = 50000

// memoKey identifies an endorsement: the endorser, the signed message (payload || endorser, given
// in parts to save a copy) and the signature, each length-prefixed so parts cannot shift.
func memoKey(endorser, payload, payloadSuffix, sig []byte) [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{endorser, payload, payloadSuffix, sig} {
		var n [8]byte
		for i := range n {
			n[i] = byte(uint64(len(part)) >> (8 * i))
		}
		h.Write(n[:])
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (m *signatureMemo) add(k [32]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current == nil || len(m.current) >= signatureMemoGeneration {
		m.previous, m.current = m.current, map[[32]byte]struct{}{}
	}
	m.current[k] = struct{}{}
}

// take reports whether k was memoised, and forgets it (a transaction commits once).
func (m *signatureMemo) take(k [32]byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.current[k]; ok {
		delete(m.current, k)
		return true
	}
	if _, ok := m.previous[k]; ok {
		delete(m.previous, k)
		return true
	}
	return false
}
