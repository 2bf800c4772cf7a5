package sdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
	"github.com/stretchr/testify/require"
)

func newTestOrg(t *testing.T) *pki.Org {
	t.Helper()
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	return org
}

func TestConnectionProfileGivesAConfigPerIdentity(t *testing.T) {
	org := newTestOrg(t)
	admin, err := org.NewIdentity("Admin@org1.example.com", pki.OUAdmin, nil)
	require.NoError(t, err)
	user, err := org.NewIdentity("User1@org1.example.com", pki.OUClient, nil)
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, org.WriteMSP(filepath.Join(dir, "admin", "msp"), admin))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tlsca.pem"), org.TLSCA.CertificatePEM(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "user1.pem"), user.CertPEM, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "user1.key"), user.KeyPEM, 0o600))
	profile := `{
  "network": "fabric",
  "endpoint": "127.0.0.1:7051",
  "tlsCACert": "tlsca.pem",
  "serverNameOverride": "peer0.org1.example.com",
  "channel": "mychannel",
  "chaincode": "medledger",
  "orgs": [{
    "mspId": "Org1MSP", "peer": "peer0.org1.example.com:7051",
    "identities": {"admin": "admin/msp", "user1": {"cert": "user1.pem", "key": "user1.key"}}
  }, {
    "mspId": "Org2MSP", "peer": "127.0.0.1:9051", "endpoint": "127.0.0.1:9051", "tlsCACert": "tlsca.pem",
    "identities": {"user1": {"cert": "user1.pem", "key": "user1.key"}}
  }]
}`
	path := filepath.Join(dir, "connection.json")
	require.NoError(t, os.WriteFile(path, []byte(profile), 0o600))

	p, err := LoadConnectionProfile(path)
	require.NoError(t, err)
	require.Equal(t, []string{"Org1MSP", "Org2MSP"}, p.MSPIDs())
	require.Equal(t, []string{"admin", "user1"}, p.IdentityNames("Org1MSP"))

	cfg, err := p.Config("Org1MSP", "admin")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7051", cfg.Endpoint)
	require.Equal(t, "peer0.org1.example.com", cfg.ServerNameOverride)
	require.Equal(t, "peer0.org1.example.com:7051", cfg.GatewayPeer, "served by the profile's gateway, on the first org's peer")
	require.Equal(t, org.TLSCA.CertificatePEM(), cfg.TLSCACertPEM)
	require.Equal(t, filepath.Join(dir, "admin", "msp"), cfg.MSPDir)
	id, cert, _, err := cfg.credentials()
	require.NoError(t, err)
	require.Equal(t, "Org1MSP", id.MspID())
	require.Equal(t, admin.Cert.Raw, cert.Raw)

	cfg, err = p.Config("Org1MSP", "user1")
	require.NoError(t, err)
	require.Equal(t, user.CertPEM, cfg.CertPEM)
	_, cert, _, err = cfg.credentials()
	require.NoError(t, err)
	require.Equal(t, user.Cert.Raw, cert.Raw)

	cfg, err = p.Config("Org2MSP", "user1")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9051", cfg.Endpoint)
	require.Equal(t, "127.0.0.1:9051", cfg.GatewayPeer, "an org with its own endpoint is served by its own peer")

	e, err := p.Enrollment("Org1MSP", "admin")
	require.NoError(t, err)
	require.Equal(t, admin.Cert.Raw, e.Certificate.Raw)

	_, err = p.Config("Org1MSP", "nobody")
	require.ErrorContains(t, err, `no identity "nobody"`)
	_, err = p.Config("Org3MSP", "admin")
	require.ErrorContains(t, err, `no org "Org3MSP"`)
}

func TestConnectionProfileRejectsIncompleteFiles(t *testing.T) {
	cases := map[string]string{
		"not json":    `{`,
		"no orgs":     `{"endpoint":"127.0.0.1:1"}`,
		"no msp id":   `{"endpoint":"127.0.0.1:1","orgs":[{"identities":{}}]}`,
		"no endpoint": `{"orgs":[{"mspId":"Org1MSP"}]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConnectionProfile([]byte(body))
			require.Error(t, err)
		})
	}
}

func TestEnrollmentAcceptsOneUserCertificateOnly(t *testing.T) {
	org := newTestOrg(t)
	user, err := org.NewIdentity("User1@org1.example.com", pki.OUClient, nil)
	require.NoError(t, err)

	e, err := ParseEnrollment(user.CertPEM)
	require.NoError(t, err)
	require.Equal(t, user.Cert.Raw, e.Certificate.Raw)
	in := e.User("d1", model.RoleDoctor)
	require.Equal(t, model.RegisterUserInput{UserID: "d1", Role: model.RoleDoctor, CertificatePEM: e.CertificatePEM}, in)

	path := filepath.Join(t.TempDir(), "cert.pem")
	require.NoError(t, os.WriteFile(path, user.CertPEM, 0o600))
	fromFile, err := ReadEnrollment(path)
	require.NoError(t, err)
	require.Equal(t, e.CertificatePEM, fromFile.CertificatePEM)

	cases := map[string][]byte{
		"empty":       nil,
		"key":         user.KeyPEM,
		"ca":          org.CA.CertificatePEM(),
		"two blocks":  append(append([]byte{}, user.CertPEM...), user.CertPEM...),
		"garbage":     []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"over bounds": []byte(strings.Repeat("x", model.MaxCertificatePEMLen+1)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEnrollment(b)
			require.Error(t, err)
		})
	}
}
