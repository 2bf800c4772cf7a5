// Package pki is MedLedger's test and development PKI. It issues real X.509
// identities the way cryptogen and Fabric CA do: ECDSA P-256 keys, the NodeOU
// role (client, admin, peer, orderer) in the subject's OU, Fabric CA
// attributes in the certificate extension that cid.GetAttributeValue reads,
// and MSP folders with a NodeOUs config.yaml.
//
// It owns certificates and keys only. It must not import the chaincode shim,
// the gateway or the development network: those import it.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// NodeOU is the role Fabric's NodeOUs read from the certificate subject's OU.
type NodeOU string

// The NodeOU roles cryptogen and Fabric CA write.
const (
	OUClient  NodeOU = "client"
	OUAdmin   NodeOU = "admin"
	OUPeer    NodeOU = "peer"
	OUOrderer NodeOU = "orderer"
)

// AttrOID is the certificate extension Fabric CA writes enrollment attributes
// into (JSON {"attrs":{...}}); the chaincode library's attrmgr reads it.
var AttrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// The subject fields cryptogen puts on every certificate it issues.
const (
	subjectCountry  = "US"
	subjectProvince = "California"
	subjectLocality = "San Francisco"
)

// CA is an ECDSA P-256 certificate authority with a self-signed root.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// NewCA creates a self-signed P-256 root the way cryptogen does: valid ten
// years, CertSign/CRLSign, client and server auth, subject key id = SHA-256 of
// the public key.
func NewCA(commonName, organization string) (*CA, error) {
	if commonName == "" {
		return nil, errors.New("pki: CA common name is empty")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:      []string{subjectCountry},
			Province:     []string{subjectProvince},
			Locality:     []string{subjectLocality},
			Organization: nonEmpty(organization),
			CommonName:   commonName,
		},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: self-sign CA %q: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse CA certificate: %w", err)
	}
	return &CA{cert: cert, certPEM: pemCert(der), key: key}, nil
}

// LoadCA restores a CA from its certificate and PKCS#8 (or SEC 1) key PEM, as
// written by CertificatePEM and KeyPEM. The key must match the certificate.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: certificate %q is not a CA certificate", cert.Subject.CommonName)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("pki: CA key does not match certificate %q", cert.Subject.CommonName)
	}
	return &CA{cert: cert, certPEM: pemCert(cert.Raw), key: key}, nil
}

// Certificate returns the CA's root certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertificatePEM returns the root certificate as PEM.
func (ca *CA) CertificatePEM() []byte { return append([]byte(nil), ca.certPEM...) }

// KeyPEM returns the CA key as PKCS#8 PEM, for persisting a development network.
func (ca *CA) KeyPEM() []byte {
	b, err := keyPEM(ca.key)
	if err != nil {
		// A P-256 key always marshals; an error here means the key was corrupted.
		return nil
	}
	return b
}

// IssueRequest describes one certificate to issue.
type IssueRequest struct {
	CommonName string
	// OU goes in Subject.OrganizationalUnit, where Fabric's NodeOUs look for the role.
	OU NodeOU
	// Attributes are written the way Fabric CA does (OID 1.2.3.4.5.6.7.8.1,
	// JSON {"attrs":{...}}), so cid.GetAttributeValue finds them.
	Attributes  map[string]string
	DNSNames    []string // for TLS server certificates
	IPAddresses []net.IP
	// Key reuses an existing key (certificate renewal); nil means a fresh P-256 key.
	Key *ecdsa.PrivateKey
	// NotBefore and NotAfter default to now-1h and now+1y.
	NotBefore, NotAfter time.Time
	// TLS issues a TLS certificate (server and client auth) instead of a signing certificate.
	TLS bool
}

// Issue signs a certificate for req. The identity's MSPID is empty: Org.NewIdentity
// or WithMSP sets it.
func (ca *CA) Issue(req IssueRequest) (*Identity, error) {
	if req.CommonName == "" {
		return nil, errors.New("pki: issue request has an empty common name")
	}
	switch req.OU {
	case "", OUClient, OUAdmin, OUPeer, OUOrderer:
	default:
		return nil, fmt.Errorf("pki: unknown NodeOU %q (want client, admin, peer or orderer)", req.OU)
	}
	key := req.Key
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, fmt.Errorf("pki: generate key: %w", err)
		}
	} else if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("pki: key for %q is on %s, want P-256", req.CommonName, key.Curve.Params().Name)
	}
	notBefore, notAfter := req.NotBefore, req.NotAfter
	now := time.Now()
	if notBefore.IsZero() {
		notBefore = now.Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = now.Add(365 * 24 * time.Hour)
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("pki: certificate for %q would end (%s) before it starts (%s)", req.CommonName, notAfter, notBefore)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{
		Country:    []string{subjectCountry},
		Province:   []string{subjectProvince},
		Locality:   []string{subjectLocality},
		CommonName: req.CommonName,
	}
	if req.OU != "" {
		subject.OrganizationalUnit = []string{string(req.OU)}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
	}
	if req.TLS {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	if len(req.Attributes) > 0 {
		// encoding/json sorts map keys, so the extension is deterministic.
		value, err := json.Marshal(struct {
			Attrs map[string]string `json:"attrs"`
		}{req.Attributes})
		if err != nil {
			return nil, fmt.Errorf("pki: encode attributes: %w", err)
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: AttrOID, Value: value})
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate for %q: %w", req.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse issued certificate: %w", err)
	}
	kp, err := keyPEM(key)
	if err != nil {
		return nil, err
	}
	return &Identity{Cert: cert, CertPEM: pemCert(der), Key: key, KeyPEM: kp}, nil
}

// Identity is a certificate with its private key, enrolled under an MSP.
type Identity struct {
	MSPID   string
	Cert    *x509.Certificate
	CertPEM []byte
	Key     *ecdsa.PrivateKey
	KeyPEM  []byte // PKCS#8 "PRIVATE KEY", as Fabric's keystore holds it
}

// Serialize returns the proto-marshalled msp.SerializedIdentity a proposal
// carries as its creator (and that cid reads from GetCreator).
func (id *Identity) Serialize() ([]byte, error) {
	if id.MSPID == "" {
		return nil, errors.New("pki: identity has no MSP ID")
	}
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: id.CertPEM})
	if err != nil {
		return nil, fmt.Errorf("pki: serialize identity: %w", err)
	}
	return b, nil
}

// Sign signs msg the way a Fabric MSP signing identity does: ECDSA over
// SHA-256(msg), S normalised to the lower half of the curve order (Fabric
// rejects high-S signatures), ASN.1 DER encoded.
func (id *Identity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return id.SignDigest(digest[:])
}

// SignDigest signs an already computed digest. It has the shape of
// fabric-gateway's identity.Sign, so it can be passed to client.WithSign
// (the gateway client hashes with SHA-256 before calling it).
func (id *Identity) SignDigest(digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, id.Key, digest)
	if err != nil {
		return nil, fmt.Errorf("pki: sign: %w", err)
	}
	n := id.Key.Params().N
	if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s = new(big.Int).Sub(n, s)
	}
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		return nil, fmt.Errorf("pki: encode signature: %w", err)
	}
	return sig, nil
}

// WithMSP returns a copy of id enrolled under mspID (the copy shares the key).
func (id *Identity) WithMSP(mspID string) *Identity {
	c := *id
	c.MSPID = mspID
	return &c
}

// Org is one Fabric organisation: an MSP ID with its CA and TLS CA.
type Org struct {
	MSPID  string
	Domain string
	CA     *CA
	TLSCA  *CA
}

// NewOrg creates an organisation with fresh CAs named ca.<domain> and
// tlsca.<domain>, as cryptogen does.
func NewOrg(mspID, domain string) (*Org, error) {
	if mspID == "" || domain == "" {
		return nil, fmt.Errorf("pki: organisation needs an MSP ID and a domain (got %q, %q)", mspID, domain)
	}
	ca, err := NewCA("ca."+domain, domain)
	if err != nil {
		return nil, err
	}
	tlsca, err := NewCA("tlsca."+domain, domain)
	if err != nil {
		return nil, err
	}
	return &Org{MSPID: mspID, Domain: domain, CA: ca, TLSCA: tlsca}, nil
}

// NewIdentity issues a signing identity named name (the certificate CN) with
// NodeOU role ou and Fabric CA attributes attrs, enrolled under o.MSPID.
func (o *Org) NewIdentity(name string, ou NodeOU, attrs map[string]string) (*Identity, error) {
	id, err := o.CA.Issue(IssueRequest{CommonName: name, OU: ou, Attributes: attrs})
	if err != nil {
		return nil, err
	}
	id.MSPID = o.MSPID
	return id, nil
}

// NewTLSIdentity issues a TLS certificate from the organisation's TLS CA.
func (o *Org) NewTLSIdentity(name string, dnsNames []string, ips []net.IP) (*Identity, error) {
	id, err := o.TLSCA.Issue(IssueRequest{CommonName: name, DNSNames: dnsNames, IPAddresses: ips, TLS: true})
	if err != nil {
		return nil, err
	}
	id.MSPID = o.MSPID
	return id, nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return serial, nil
}

// subjectKeyID is what cryptogen uses: SHA-256 of the uncompressed public point.
func subjectKeyID(pub *ecdsa.PublicKey) ([]byte, error) {
	raw, err := pub.Bytes()
	if err != nil {
		return nil, fmt.Errorf("pki: encode public key: %w", err)
	}
	sum := sha256.Sum256(raw)
	return sum[:], nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// parseKeyPEM accepts PKCS#8 (cryptogen, Fabric CA) and SEC 1 "EC PRIVATE KEY".
func parseKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#8 key: %w", err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, want ECDSA", k)
		}
		return ek, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse EC key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}
