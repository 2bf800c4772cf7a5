package devnet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"

	"github.com/medledger/medledger/network/pki"
)

// ConnectionFile is what WriteConnection writes as connection.json: everything another process
// needs to reach the network with any Fabric Gateway client. Paths are absolute.
type ConnectionFile struct {
	// Network is "devnet", so tools can tell it from network/fabric's file.
	Network string `json:"network"`
	// Endpoint is the gateway peer's gRPC address, host:port.
	Endpoint string `json:"endpoint"`
	// TLSCACert is the PEM file of the TLS CA that issued the gateway peer's certificate; empty
	// when the network runs without TLS.
	TLSCACert string `json:"tlsCACert,omitempty"`
	// ServerNameOverride is the TLS server name of the gateway peer (its certificate also covers
	// localhost and 127.0.0.1).
	ServerNameOverride string `json:"serverNameOverride,omitempty"`
	Channel            string `json:"channel"`
	// Chaincode is the default chaincode ("medledger" when installed); Chaincodes lists all.
	Chaincode  string          `json:"chaincode"`
	Chaincodes []string        `json:"chaincodes"`
	Orgs       []ConnectionOrg `json:"orgs"`
}

// ConnectionOrg is one organisation of the connection file.
type ConnectionOrg struct {
	MSPID string `json:"mspId"`
	// Peer is the organisation's peer name as error details report it.
	Peer string `json:"peer"`
	// Identities maps identity name to its MSP folder (signcerts/, keystore/, cacerts/,
	// tlscacerts/, config.yaml).
	Identities map[string]string `json:"identities"`
}

// ConnectionFileName is the file WriteConnection writes in its directory.
const ConnectionFileName = "connection.json"

// WriteConnection writes every organisation's identities as MSP folders
// (dir/<MSP ID>/<name>/msp), the gateway's TLS CA certificate (dir/tlsca.pem) and
// dir/connection.json describing them, and returns the connection file's content.
func (n *Network) WriteConnection(dir string) (*ConnectionFile, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cf := &ConnectionFile{
		Network:    "devnet",
		Endpoint:   n.Endpoint(),
		Channel:    n.opts.Channel,
		Chaincodes: n.Chaincodes(),
	}
	cf.Chaincode = cf.Chaincodes[0]
	if _, ok := n.chaincodes[DefaultChaincode]; ok {
		cf.Chaincode = DefaultChaincode
	}
	if !n.opts.Insecure {
		cf.TLSCACert = filepath.Join(dir, "tlsca.pem")
		cf.ServerNameOverride = n.serverName
		if err := os.WriteFile(cf.TLSCACert, n.tlsCAPEM, 0o644); err != nil {
			return nil, err
		}
	}
	for _, o := range n.orgs {
		co := ConnectionOrg{MSPID: o.mspID, Peer: o.address, Identities: map[string]string{}}
		for _, name := range o.identityNames() {
			id, err := n.Identity(o.mspID, name)
			if err != nil {
				return nil, err
			}
			mspDir := filepath.Join(dir, o.mspID, name, "msp")
			if err := o.pki.WriteMSP(mspDir, id); err != nil {
				return nil, err
			}
			co.Identities[name] = mspDir
		}
		cf.Orgs = append(cf.Orgs, co)
	}
	b, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ConnectionFileName), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("devnet: writing connection file: %w", err)
	}
	return cf, nil
}

// Gateway connects the fabric-gateway client as id over the network's shared connection
// (ClientConn). Close the returned gateway when done; the connection stays open until Close.
func (n *Network) Gateway(id *pki.Identity, opts ...client.ConnectOption) (*client.Gateway, error) {
	conn, err := n.ClientConn()
	if err != nil {
		return nil, err
	}
	x509ID, err := identity.NewX509Identity(id.MSPID, id.Cert)
	if err != nil {
		return nil, fmt.Errorf("devnet: client identity: %w", err)
	}
	opts = append([]client.ConnectOption{client.WithSign(id.SignDigest), client.WithClientConnection(conn)}, opts...)
	return client.Connect(x509ID, opts...)
}
