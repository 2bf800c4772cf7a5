package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/network/pki"
)

// freeAddress returns a loopback address nobody listens on.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// serve runs the process's run function with env in the background; the
// server lives until the test binary exits (the shim has no Stop).
func serve(t *testing.T, env map[string]string) {
	t.Helper()
	go func() {
		err := run(func(k string) string { return env[k] }, os.ReadFile)
		t.Logf("server ended: %v", err)
	}()
}

// register connects to the chaincode server as a peer does and returns the
// first message the chaincode sends: its REGISTER with the package id.
func register(t *testing.T, addr string, creds credentials.TransportCredentials) (*peer.ChaincodeMessage, error) {
	t.Helper()
	waitListening(t, addr)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := peer.NewChaincodeClient(conn).Connect(ctx)
	if err != nil {
		return nil, err
	}
	return stream.Recv()
}

// waitListening polls until the server accepts TCP connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for range 1000 {
		if c, err := net.Dial("tcp", addr); err == nil {
			require.NoError(t, c.Close())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

func requireRegister(t *testing.T, msg *peer.ChaincodeMessage, ccid string) {
	t.Helper()
	require.Equal(t, peer.ChaincodeMessage_REGISTER, msg.GetType())
	var id peer.ChaincodeID
	require.NoError(t, proto.Unmarshal(msg.GetPayload(), &id))
	require.Equal(t, ccid, id.GetName())
}

func TestChaincodeAsAServiceWithoutTLSRegistersItsPackageID(t *testing.T) {
	addr := freeAddress(t)
	serve(t, map[string]string{"CHAINCODE_SERVER_ADDRESS": addr, "CHAINCODE_ID": "medledger_1.0:plain", "CORE_PEER_TLS_ENABLED": "true"})
	msg, err := register(t, addr, insecure.NewCredentials())
	require.NoError(t, err)
	requireRegister(t, msg, "medledger_1.0:plain")
}

func TestChaincodeAsAServiceWithTLSVerifiesThePeersClientCertificate(t *testing.T) {
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	server, err := org.NewTLSIdentity("medledger-cc", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	require.NoError(t, err)
	client, err := org.NewTLSIdentity("peer0", nil, nil)
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	addr := freeAddress(t)
	serve(t, map[string]string{
		"CHAINCODE_SERVER_ADDRESS":     addr,
		"CORE_CHAINCODE_ID_NAME":       "medledger_1.0:tls",
		"CHAINCODE_TLS_KEY_FILE":       write("key.pem", server.KeyPEM),
		"CHAINCODE_TLS_CERT_FILE":      write("cert.pem", server.CertPEM),
		"CHAINCODE_TLS_CLIENT_CA_FILE": write("ca.pem", org.TLSCA.CertificatePEM()),
	})
	roots := x509.NewCertPool()
	roots.AddCert(org.TLSCA.Certificate())
	pair, err := tls.X509KeyPair(client.CertPEM, client.KeyPEM)
	require.NoError(t, err)

	msg, err := register(t, addr, credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}))
	require.NoError(t, err)
	requireRegister(t, msg, "medledger_1.0:tls")

	_, err = register(t, addr, credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	require.Error(t, err, "a client without a certificate from the client CA is refused")

	_, err = register(t, addr, insecure.NewCredentials())
	require.Error(t, err, "plaintext is refused when TLS is on")
}
