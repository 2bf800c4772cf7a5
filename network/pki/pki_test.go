package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/network/pki"
)

// creatorStub is the smallest ChaincodeStubInterface cid needs: only
// GetCreator is called; any other method would panic on the nil interface.
type creatorStub struct {
	shim.ChaincodeStubInterface
	creator []byte
}

func (s creatorStub) GetCreator() ([]byte, error) { return s.creator, nil }

func clientID(t *testing.T, id *pki.Identity) *cid.ClientID {
	t.Helper()
	creator, err := id.Serialize()
	require.NoError(t, err)
	c, err := cid.New(creatorStub{creator: creator})
	require.NoError(t, err)
	return c
}

func newOrg(t *testing.T, mspID, domain string) *pki.Org {
	t.Helper()
	org, err := pki.NewOrg(mspID, domain)
	require.NoError(t, err)
	return org
}

func TestCIDReadsMSPSubjectIssuerRoleAndAttributes(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	issuerDN := "CN=ca.org1.example.com,O=org1.example.com,L=San Francisco,ST=California,C=US"
	tests := []struct {
		name      string
		cn        string
		ou        pki.NodeOU
		attrs     map[string]string
		wantOUs   []string
		wantAttrs map[string]string
	}{
		{"client with attributes", "doctor1", pki.OUClient, map[string]string{"medledger.role": "doctor", "hf.EnrollmentID": "doctor1"},
			[]string{"client"}, map[string]string{"medledger.role": "doctor", "hf.EnrollmentID": "doctor1"}},
		{"admin without attributes", "Admin@org1.example.com", pki.OUAdmin, nil, []string{"admin"}, nil},
		{"peer", "peer0.org1.example.com", pki.OUPeer, nil, []string{"peer"}, nil},
		{"orderer", "orderer.example.com", pki.OUOrderer, nil, []string{"orderer"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := org.NewIdentity(tt.cn, tt.ou, tt.attrs)
			require.NoError(t, err)
			c := clientID(t, id)

			mspID, err := c.GetMSPID()
			require.NoError(t, err)
			require.Equal(t, "Org1MSP", mspID)

			enc, err := c.GetID()
			require.NoError(t, err)
			raw, err := base64.StdEncoding.DecodeString(enc)
			require.NoError(t, err)
			wantSubject := "CN=" + tt.cn + ",OU=" + string(tt.ou) + ",L=San Francisco,ST=California,C=US"
			require.Equal(t, "x509::"+wantSubject+"::"+issuerDN, string(raw))

			for _, ou := range []string{"client", "admin", "peer", "orderer"} {
				has, err := c.HasOUValue(ou)
				require.NoError(t, err)
				require.Equal(t, ou == string(tt.ou), has, "OU %s", ou)
			}
			for k, v := range tt.wantAttrs {
				got, found, err := c.GetAttributeValue(k)
				require.NoError(t, err)
				require.True(t, found, k)
				require.Equal(t, v, got)
				require.NoError(t, c.AssertAttributeValue(k, v))
			}
			_, found, err := c.GetAttributeValue("not-there")
			require.NoError(t, err)
			require.False(t, found)
		})
	}
}

func TestIssuedCertificatesChainToTheirCA(t *testing.T) {
	org1 := newOrg(t, "Org1MSP", "org1.example.com")
	org2 := newOrg(t, "Org2MSP", "org2.example.com")
	id, err := org1.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)

	verify := func(ca *pki.CA) error {
		roots := x509.NewCertPool()
		roots.AddCert(ca.Certificate())
		_, err := id.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err
	}
	require.NoError(t, verify(org1.CA))
	require.Error(t, verify(org2.CA), "a certificate must not chain to another organisation's CA")
	require.Error(t, verify(org1.TLSCA), "a signing certificate must not chain to the TLS CA")
	require.Equal(t, x509.KeyUsageDigitalSignature, id.Cert.KeyUsage)
	require.False(t, id.Cert.IsCA)
	require.Equal(t, elliptic.P256(), id.Key.Curve)
}

func TestSignaturesVerifyWithTheCertificateAndAreLowS(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	id, err := org.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)
	pub := id.Cert.PublicKey.(*ecdsa.PublicKey)
	halfN := new(big.Int).Rsh(elliptic.P256().Params().N, 1)

	// ECDSA picks a fresh nonce per signature, so about half of raw
	// signatures are high-S; 64 signatures make missing normalisation show.
	for i := 0; i < 64; i++ {
		msg := []byte{byte(i), 'm', 's', 'g'}
		sig, err := id.Sign(msg)
		require.NoError(t, err)
		digest := sha256.Sum256(msg)
		require.True(t, ecdsa.VerifyASN1(pub, digest[:], sig), "signature %d does not verify over SHA-256(msg)", i)

		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(sig, &rs)
		require.NoError(t, err)
		require.Empty(t, rest, "signature must be exactly one DER sequence")
		require.LessOrEqual(t, rs.S.Cmp(halfN), 0, "signature %d is high-S, Fabric rejects it", i)

		dsig, err := id.SignDigest(digest[:])
		require.NoError(t, err)
		require.True(t, ecdsa.VerifyASN1(pub, digest[:], dsig))
	}
	sig, err := id.Sign([]byte("one message"))
	require.NoError(t, err)
	other := sha256.Sum256([]byte("another message"))
	require.False(t, ecdsa.VerifyASN1(pub, other[:], sig))
}

func TestFabricGatewayIdentityAcceptsIssuedCredentials(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	id, err := org.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)

	cert, err := identity.CertificateFromPEM(id.CertPEM)
	require.NoError(t, err)
	gwID, err := identity.NewX509Identity(id.MSPID, cert)
	require.NoError(t, err)
	require.Equal(t, "Org1MSP", gwID.MspID())

	// The gateway serializes the creator the same way we do.
	sid := &msp.SerializedIdentity{}
	ours, err := id.Serialize()
	require.NoError(t, err)
	require.NoError(t, proto.Unmarshal(ours, sid))
	require.Equal(t, gwID.MspID(), sid.Mspid)
	require.Equal(t, gwID.Credentials(), sid.IdBytes)

	key, err := identity.PrivateKeyFromPEM(id.KeyPEM)
	require.NoError(t, err)
	gwSign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	digest := sha256.Sum256([]byte("proposal bytes"))
	gwSig, err := gwSign(digest[:])
	require.NoError(t, err)
	pub := id.Cert.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ecdsa.VerifyASN1(pub, digest[:], gwSig), "gateway signature with our key must verify with our certificate")
}

func TestWriteMSPThenLoadIdentityRoundTrips(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	id, err := org.NewIdentity("Admin@org1.example.com", pki.OUAdmin, map[string]string{"a": "b"})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "msp")
	require.NoError(t, org.WriteMSP(dir, id))

	for _, f := range []string{"signcerts/cert.pem", "keystore/priv_sk", "cacerts/ca.pem", "tlscacerts/tlsca.pem", "config.yaml"} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	st, err := os.Stat(filepath.Join(dir, "keystore/priv_sk"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	ca, err := os.ReadFile(filepath.Join(dir, "cacerts/ca.pem"))
	require.NoError(t, err)
	require.Equal(t, org.CA.CertificatePEM(), ca)
	tlsca, err := os.ReadFile(filepath.Join(dir, "tlscacerts/tlsca.pem"))
	require.NoError(t, err)
	require.Equal(t, org.TLSCA.CertificatePEM(), tlsca)
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	require.NoError(t, err)
	for _, want := range []string{"Enable: true", "OrganizationalUnitIdentifier: client", "OrganizationalUnitIdentifier: admin",
		"OrganizationalUnitIdentifier: peer", "OrganizationalUnitIdentifier: orderer", "Certificate: cacerts/ca.pem"} {
		require.Contains(t, string(cfg), want)
	}

	got, err := pki.LoadIdentity(dir, "Org1MSP")
	require.NoError(t, err)
	require.Equal(t, "Org1MSP", got.MSPID)
	require.Equal(t, id.Cert.Raw, got.Cert.Raw)
	require.True(t, id.Key.Equal(got.Key))
	require.Equal(t, id.KeyPEM, got.KeyPEM)
	sig, err := got.Sign([]byte("x"))
	require.NoError(t, err)
	d := sha256.Sum256([]byte("x"))
	require.True(t, ecdsa.VerifyASN1(id.Cert.PublicKey.(*ecdsa.PublicKey), d[:], sig))
}

func TestLoadIdentityReadsFabricCAKeystoreLayout(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	id, err := org.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)
	other, err := org.NewIdentity("user2", pki.OUClient, nil)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "signcerts"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keystore"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "signcerts", "user1-cert.pem"), id.CertPEM, 0o644))
	// Fabric CA names keys <ski>_sk; a foreign key in the keystore must be skipped.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keystore", "0000_sk"), other.KeyPEM, 0o600))
	sec1, err := x509.MarshalECPrivateKey(id.Key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keystore", "abcd_sk"),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), 0o600))

	got, err := pki.LoadIdentity(dir, "Org1MSP")
	require.NoError(t, err)
	require.True(t, id.Key.Equal(got.Key))
	require.Equal(t, id.Cert.Raw, got.Cert.Raw)
}

func TestLoadIdentityErrorsNameWhatIsWrong(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	id, err := org.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)
	other, err := org.NewIdentity("user2", pki.OUClient, nil)
	require.NoError(t, err)

	tests := []struct {
		name    string
		files   map[string][]byte
		mspID   string
		wantErr string
	}{
		{"no MSP ID", nil, "", "empty MSP ID"},
		{"no signcerts", map[string][]byte{}, "Org1MSP", "signcerts"},
		{"key of another identity", map[string][]byte{"signcerts/cert.pem": id.CertPEM, "keystore/priv_sk": other.KeyPEM}, "Org1MSP", "no key"},
		{"not a certificate", map[string][]byte{"signcerts/cert.pem": []byte("junk"), "keystore/priv_sk": id.KeyPEM}, "Org1MSP", "CERTIFICATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
			}
			_, err := pki.LoadIdentity(dir, tt.mspID)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestWriteMSPRefusesIdentityOfAnotherCA(t *testing.T) {
	org1 := newOrg(t, "Org1MSP", "org1.example.com")
	org2 := newOrg(t, "Org2MSP", "org2.example.com")
	id, err := org2.NewIdentity("user1", pki.OUClient, nil)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "msp")
	require.ErrorContains(t, org1.WriteMSP(dir, id), "not issued by Org1MSP's CA")
	require.NoDirExists(t, dir, "a refused identity must not leave a partial MSP folder")
}

func TestRenewalWithSameKeyKeepsSubjectAndIssuer(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	first, err := org.NewIdentity("patient1", pki.OUClient, map[string]string{"x": "1"})
	require.NoError(t, err)
	renewed, err := org.CA.Issue(pki.IssueRequest{
		CommonName: "patient1", OU: pki.OUClient, Attributes: map[string]string{"x": "1"},
		Key: first.Key, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(48 * time.Hour),
	})
	require.NoError(t, err)
	renewed = renewed.WithMSP("Org1MSP")

	require.NotEqual(t, first.Cert.SerialNumber, renewed.Cert.SerialNumber)
	require.NotEqual(t, first.Cert.Raw, renewed.Cert.Raw)
	require.True(t, first.Key.PublicKey.Equal(renewed.Cert.PublicKey))
	require.Equal(t, first.Cert.Subject.String(), renewed.Cert.Subject.String())
	require.Equal(t, first.Cert.Issuer.String(), renewed.Cert.Issuer.String())
	idFirst, err := clientID(t, first).GetID()
	require.NoError(t, err)
	idRenewed, err := clientID(t, renewed).GetID()
	require.NoError(t, err)
	require.Equal(t, idFirst, idRenewed, "cid must see the renewed certificate as the same identity")
}

func TestLoadCARestoresAnIssuingCA(t *testing.T) {
	ca, err := pki.NewCA("ca.org1.example.com", "org1.example.com")
	require.NoError(t, err)
	restored, err := pki.LoadCA(ca.CertificatePEM(), ca.KeyPEM())
	require.NoError(t, err)
	require.Equal(t, ca.Certificate().Raw, restored.Certificate().Raw)
	id, err := restored.Issue(pki.IssueRequest{CommonName: "u", OU: pki.OUClient})
	require.NoError(t, err)
	require.NoError(t, id.Cert.CheckSignatureFrom(ca.Certificate()))

	other, err := pki.NewCA("ca.other", "other")
	require.NoError(t, err)
	_, err = pki.LoadCA(ca.CertificatePEM(), other.KeyPEM())
	require.ErrorContains(t, err, "does not match")
	_, err = pki.LoadCA(id.CertPEM, id.KeyPEM)
	require.ErrorContains(t, err, "not a CA")
	_, err = pki.LoadCA([]byte("junk"), ca.KeyPEM())
	require.ErrorContains(t, err, "CERTIFICATE")
}

func TestIssueRefusesBadRequests(t *testing.T) {
	ca, err := pki.NewCA("ca", "o")
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	tests := []struct {
		name    string
		req     pki.IssueRequest
		wantErr string
	}{
		{"empty common name", pki.IssueRequest{OU: pki.OUClient}, "empty common name"},
		{"unknown OU", pki.IssueRequest{CommonName: "u", OU: "member"}, `unknown NodeOU "member"`},
		{"ends before it starts", pki.IssueRequest{CommonName: "u", NotBefore: now, NotAfter: now.Add(-time.Hour)}, "would end"},
		{"not P-256", pki.IssueRequest{CommonName: "u", Key: p384}, "want P-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ca.Issue(tt.req)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	_, err = pki.NewOrg("", "d")
	require.ErrorContains(t, err, "MSP ID")
	_, err = (&pki.Identity{}).Serialize()
	require.ErrorContains(t, err, "no MSP ID")
}

func TestTLSIdentityServesAHandshakeTrustedByTheTLSCA(t *testing.T) {
	org := newOrg(t, "Org1MSP", "org1.example.com")
	srv, err := org.NewTLSIdentity("peer0.org1.example.com", []string{"peer0.org1.example.com", "localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	require.NoError(t, err)
	require.ElementsMatch(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, srv.Cert.ExtKeyUsage)

	pair, err := tls.X509KeyPair(srv.CertPEM, srv.KeyPEM)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(org.TLSCA.CertificatePEM()))

	tests := []struct {
		name       string
		serverName string
		roots      *x509.CertPool
		wantErr    string
	}{
		{"trusted by name", "peer0.org1.example.com", roots, ""},
		{"trusted by IP", "127.0.0.1", roots, ""},
		{"wrong name", "peer1.org1.example.com", roots, "peer1.org1.example.com"},
		{"signing CA is not the TLS CA", "localhost", poolOf(org.CA), "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := net.Pipe()
			defer c.Close()
			defer s.Close()
			go func() {
				_ = tls.Server(s, &tls.Config{Certificates: []tls.Certificate{pair}}).Handshake()
				s.Close()
			}()
			err := tls.Client(c, &tls.Config{ServerName: tt.serverName, RootCAs: tt.roots}).Handshake()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), tt.wantErr), err.Error())
		})
	}
}

func poolOf(ca *pki.CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Certificate())
	return p
}

func TestSmallAccessorsDoNotShareState(t *testing.T) {
	_, err := pki.NewCA("", "o")
	require.ErrorContains(t, err, "common name is empty")

	org := newOrg(t, "Org1MSP", "org1.example.com")
	p := org.CA.CertificatePEM()
	p[0] = 'X'
	require.NotEqual(t, p, org.CA.CertificatePEM(), "CertificatePEM must hand out a copy")

	cert, err := pki.LoadCertificatePEM(org.TLSCA.CertificatePEM())
	require.NoError(t, err)
	require.Equal(t, "tlsca.org1.example.com", cert.Subject.CommonName)
	_, err = pki.LoadCertificatePEM([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	require.ErrorContains(t, err, "parse certificate")

	id, err := org.NewIdentity("u", pki.OUClient, nil)
	require.NoError(t, err)
	other := id.WithMSP("Org9MSP")
	require.Equal(t, "Org1MSP", id.MSPID)
	require.Equal(t, "Org9MSP", other.MSPID)
	require.Same(t, id.Key, other.Key)
}
