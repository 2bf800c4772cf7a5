package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// The file names WriteMSP uses inside an MSP folder.
const (
	mspSignCert  = "signcerts/cert.pem"
	mspKey       = "keystore/priv_sk"
	mspCACert    = "cacerts/ca.pem"
	mspTLSCACert = "tlscacerts/tlsca.pem"
	mspConfig    = "config.yaml"
)

// nodeOUConfig is the config.yaml cryptogen writes: NodeOUs enabled, each role
// identified by its OU under the organisation's CA.
const nodeOUConfig = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
`

// WriteMSP writes id as an MSP folder under dir: signcerts/cert.pem,
// keystore/priv_sk (mode 0600), cacerts/ca.pem, tlscacerts/tlsca.pem and a
// config.yaml with NodeOUs enabled, the layout cryptogen produces. id must
// have been issued by o.CA.
func (o *Org) WriteMSP(dir string, id *Identity) error {
	if id == nil || id.Cert == nil {
		return errors.New("pki: WriteMSP: identity has no certificate")
	}
	if err := id.Cert.CheckSignatureFrom(o.CA.Certificate()); err != nil {
		return fmt.Errorf("pki: WriteMSP: certificate %q was not issued by %s's CA: %w", id.Cert.Subject.CommonName, o.MSPID, err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{mspSignCert, id.CertPEM, 0o644},
		{mspKey, id.KeyPEM, 0o600},
		{mspCACert, o.CA.CertificatePEM(), 0o644},
		{mspTLSCACert, o.TLSCA.CertificatePEM(), 0o644},
		{mspConfig, []byte(nodeOUConfig), 0o644},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("pki: WriteMSP %s: %w", dir, err)
		}
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a reader
// never sees half a certificate or key.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadIdentity reads a signing identity from an MSP folder written by
// WriteMSP, cryptogen or the Fabric CA client: the first certificate in
// signcerts/ and the keystore/ key that matches it (cryptogen names it
// priv_sk, Fabric CA <ski>_sk).
func LoadIdentity(mspDir, mspID string) (*Identity, error) {
	if mspID == "" {
		return nil, errors.New("pki: LoadIdentity: empty MSP ID")
	}
	certFiles, err := listFiles(filepath.Join(mspDir, "signcerts"))
	if err != nil {
		return nil, fmt.Errorf("pki: LoadIdentity: %w", err)
	}
	if len(certFiles) == 0 {
		return nil, fmt.Errorf("pki: LoadIdentity: no certificate in %s", filepath.Join(mspDir, "signcerts"))
	}
	certPEM, err := os.ReadFile(certFiles[0])
	if err != nil {
		return nil, fmt.Errorf("pki: LoadIdentity: %w", err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: LoadIdentity %s: %w", certFiles[0], err)
	}
	keyFiles, err := listFiles(filepath.Join(mspDir, "keystore"))
	if err != nil {
		return nil, fmt.Errorf("pki: LoadIdentity: %w", err)
	}
	for _, kf := range keyFiles {
		b, err := os.ReadFile(kf)
		if err != nil {
			return nil, fmt.Errorf("pki: LoadIdentity: %w", err)
		}
		key, err := parseKeyPEM(b)
		if err != nil || !key.PublicKey.Equal(cert.PublicKey) {
			continue // another identity's key, or not a key at all
		}
		kp, err := keyPEM(key)
		if err != nil {
			return nil, err
		}
		return &Identity{MSPID: mspID, Cert: cert, CertPEM: certPEM, Key: key, KeyPEM: kp}, nil
	}
	return nil, fmt.Errorf("pki: LoadIdentity: no key in %s matches certificate %q", filepath.Join(mspDir, "keystore"), cert.Subject.CommonName)
}

// LoadCertificatePEM parses a PEM certificate (for example a TLS CA from an MSP folder).
func LoadCertificatePEM(b []byte) (*x509.Certificate, error) {
	cert, err := parseCertPEM(b)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return cert, nil
}

func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}
