package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/contract"
)

func TestServerFromEnv(t *testing.T) {
	files := map[string][]byte{"/tls/key.pem": []byte("KEY"), "/tls/cert.pem": []byte("CERT"), "/tls/ca.pem": []byte("CA")}
	readFile := func(name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return b, nil
		}
		return nil, errors.New("no such file " + name)
	}
	cc, err := contract.New()
	require.NoError(t, err)

	tests := []struct {
		name    string
		env     map[string]string
		wantNil bool
		ccid    string
		tls     bool
		ca      bool
		errText string
	}{
		{name: "no address runs peer-launched", env: map[string]string{"CORE_CHAINCODE_ID_NAME": "medledger:1"}, wantNil: true},
		{name: "nothing set runs peer-launched", env: map[string]string{}, wantNil: true},
		{name: "address and CHAINCODE_ID serve without TLS", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999", "CHAINCODE_ID": "medledger:abc"}, ccid: "medledger:abc"},
		{name: "CORE_CHAINCODE_ID_NAME is accepted as the package id", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999", "CORE_CHAINCODE_ID_NAME": "medledger:core"}, ccid: "medledger:core"},
		{name: "CHAINCODE_ID wins over CORE_CHAINCODE_ID_NAME", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "one", "CORE_CHAINCODE_ID_NAME": "two"}, ccid: "one"},
		{name: "inherited CORE_PEER_TLS_ENABLED does not turn TLS on", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CORE_PEER_TLS_ENABLED": "true", "CORE_PEER_TLS_ROOTCERT_FILE": "/tls/ca.pem"}, ccid: "x"},
		{name: "key and cert turn TLS on", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/tls/key.pem", "CHAINCODE_TLS_CERT_FILE": "/tls/cert.pem"}, ccid: "x", tls: true},
		{name: "client CA adds client verification", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/tls/key.pem", "CHAINCODE_TLS_CERT_FILE": "/tls/cert.pem", "CHAINCODE_TLS_CLIENT_CA_FILE": "/tls/ca.pem"}, ccid: "x", tls: true, ca: true},
		{name: "address without package id is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1"}, errText: "package id"},
		{name: "key without cert is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/tls/key.pem"}, errText: "needs both"},
		{name: "client CA without key and cert is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_CLIENT_CA_FILE": "/tls/ca.pem"}, errText: "without"},
		{name: "unreadable key is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/missing", "CHAINCODE_TLS_CERT_FILE": "/tls/cert.pem"}, errText: "CHAINCODE_TLS_KEY_FILE"},
		{name: "unreadable cert is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/tls/key.pem", "CHAINCODE_TLS_CERT_FILE": "/missing"}, errText: "CHAINCODE_TLS_CERT_FILE"},
		{name: "unreadable client CA is an error", env: map[string]string{"CHAINCODE_SERVER_ADDRESS": "a:1", "CHAINCODE_ID": "x", "CHAINCODE_TLS_KEY_FILE": "/tls/key.pem", "CHAINCODE_TLS_CERT_FILE": "/tls/cert.pem", "CHAINCODE_TLS_CLIENT_CA_FILE": "/missing"}, errText: "CHAINCODE_TLS_CLIENT_CA_FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := serverFromEnv(func(k string) string { return tc.env[k] }, readFile, cc)
			if tc.errText != "" {
				require.ErrorContains(t, err, tc.errText)
				return
			}
			require.NoError(t, err)
			if tc.wantNil {
				require.Nil(t, s)
				return
			}
			require.NotNil(t, s)
			require.Equal(t, tc.ccid, s.CCID)
			require.Equal(t, tc.env["CHAINCODE_SERVER_ADDRESS"], s.Address)
			require.Same(t, cc, s.CC)
			require.Equal(t, !tc.tls, s.TLSProps.Disabled)
			if tc.tls {
				require.Equal(t, []byte("KEY"), s.TLSProps.Key)
				require.Equal(t, []byte("CERT"), s.TLSProps.Cert)
			}
			if tc.ca {
				require.Equal(t, []byte("CA"), s.TLSProps.ClientCACerts)
			} else {
				require.Nil(t, s.TLSProps.ClientCACerts)
			}
		})
	}
}
