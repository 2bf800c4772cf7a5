package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ConnectionProfile is a network's connection file, as network/devnet and
// network/fabric write it (connection.json): where the gateway peers are,
// how to trust their TLS certificates, and the client identities of each
// organisation by name ("admin", "user1", ...).
//
//	{
//	  "network": "fabric",
//	  "endpoint": "127.0.0.1:7051", "tlsCACert": "/path/ca.pem", "serverNameOverride": "peer0.org1.example.com",
//	  "channel": "mychannel", "chaincode": "medledger",
//	  "orgs": [{
//	    "mspId": "Org1MSP", "peer": "peer0.org1.example.com:7051",
//	    "endpoint": "...", "tlsCACert": "...", "serverNameOverride": "...",
//	    "identities": {"admin": "/path/Admin@org1/msp", "user1": {"cert": "...", "key": "..."}}
//	  }]
//	}
//
// Without a "tlsCACert" the Config dials without TLS (a development network
// started with TLS off). A certificate value is a file path (relative paths are relative to the
// connection file) or inline PEM. An identity is an MSP folder path, or an
// object with "mspDir", or with "cert" and "key".
type ConnectionProfile struct {
	Network            string       `json:"network,omitempty"`
	Endpoint           string       `json:"endpoint,omitempty"`
	TLSCACert          string       `json:"tlsCACert,omitempty"`
	ServerNameOverride string       `json:"serverNameOverride,omitempty"`
	Channel            string       `json:"channel,omitempty"`
	Chaincode          string       `json:"chaincode,omitempty"`
	Orgs               []ProfileOrg `json:"orgs"`

	// dir resolves relative paths; empty for a profile parsed from bytes.
	dir string
}

// ProfileOrg is one organisation of a ConnectionProfile. Empty endpoint
// fields fall back to the profile's.
type ProfileOrg struct {
	MSPID string `json:"mspId"`
	// Peer is the organisation's gateway peer as error details name it.
	Peer               string                     `json:"peer,omitempty"`
	Endpoint           string                     `json:"endpoint,omitempty"`
	TLSCACert          string                     `json:"tlsCACert,omitempty"`
	ServerNameOverride string                     `json:"serverNameOverride,omitempty"`
	Identities         map[string]ProfileIdentity `json:"identities"`
}

// ProfileIdentity locates one client identity's certificate and key.
type ProfileIdentity struct {
	MSPDir string `json:"mspDir,omitempty"`
	Cert   string `json:"cert,omitempty"`
	Key    string `json:"key,omitempty"`
}

// UnmarshalJSON accepts an MSP folder path as a bare string.
func (p *ProfileIdentity) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		return json.Unmarshal(b, &p.MSPDir)
	}
	type plain ProfileIdentity
	return json.Unmarshal(b, (*plain)(p))
}

// LoadConnectionProfile reads a connection file.
func LoadConnectionProfile(path string) (*ConnectionProfile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sdk: connection file: %w", err)
	}
	p, err := ParseConnectionProfile(b)
	if err != nil {
		return nil, fmt.Errorf("sdk: connection file %s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("sdk: connection file: %w", err)
	}
	p.dir = abs
	return p, nil
}

// ParseConnectionProfile parses a connection file's contents. Relative
// paths in it are taken relative to the working directory.
func ParseConnectionProfile(b []byte) (*ConnectionProfile, error) {
	var p ConnectionProfile
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("parse connection profile: %w", err)
	}
	if len(p.Orgs) == 0 {
		return nil, errors.New("connection profile lists no orgs")
	}
	for i, o := range p.Orgs {
		if o.MSPID == "" {
			return nil, fmt.Errorf("connection profile: org %d has no mspId", i)
		}
		if o.Endpoint == "" && p.Endpoint == "" {
			return nil, fmt.Errorf("connection profile: org %s has no endpoint", o.MSPID)
		}
	}
	return &p, nil
}

// MSPIDs lists the organisations' MSP IDs in file order.
func (p *ConnectionProfile) MSPIDs() []string {
	out := make([]string, 0, len(p.Orgs))
	for _, o := range p.Orgs {
		out = append(out, o.MSPID)
	}
	return out
}

// Org returns the organisation with the given MSP ID.
func (p *ConnectionProfile) Org(mspID string) (ProfileOrg, bool) {
	i := slices.IndexFunc(p.Orgs, func(o ProfileOrg) bool { return o.MSPID == mspID })
	if i < 0 {
		return ProfileOrg{}, false
	}
	return p.Orgs[i], true
}

// IdentityNames lists the identity names of an organisation, sorted.
func (p *ConnectionProfile) IdentityNames(mspID string) []string {
	o, _ := p.Org(mspID)
	names := make([]string, 0, len(o.Identities))
	for n := range o.Identities {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Config returns the Config for calling as identity name of organisation
// mspID, through that organisation's gateway peer.
func (p *ConnectionProfile) Config(mspID, name string) (Config, error) {
	o, ok := p.Org(mspID)
	if !ok {
		return Config{}, fmt.Errorf("sdk: connection profile has no org %q (has %v)", mspID, p.MSPIDs())
	}
	id, ok := o.Identities[name]
	if !ok {
		return Config{}, fmt.Errorf("sdk: connection profile: org %s has no identity %q (has %v)", mspID, name, p.IdentityNames(mspID))
	}
	// An organisation without an endpoint of its own is served by the
	// profile's gateway, which the first organisation hosts.
	gatewayPeer := o.Peer
	if o.Endpoint == "" {
		gatewayPeer = p.Orgs[0].Peer
	}
	cfg := Config{
		GatewayPeer:        gatewayPeer,
		Endpoint:           firstNonEmpty(o.Endpoint, p.Endpoint),
		ServerNameOverride: firstNonEmpty(o.ServerNameOverride, p.ServerNameOverride),
		MSPID:              mspID,
		Channel:            p.Channel,
		Chaincode:          p.Chaincode,
	}
	var err error
	if ca := firstNonEmpty(o.TLSCACert, p.TLSCACert); ca == "" {
		// A development network started without TLS writes no CA.
		cfg.Insecure = true
	} else if cfg.TLSCACertPEM, err = p.pemOrFile(ca); err != nil {
		return Config{}, fmt.Errorf("sdk: connection profile: org %s TLS CA: %w", mspID, err)
	}
	switch {
	case id.Cert != "" || id.Key != "":
		if cfg.CertPEM, err = p.pemOrFile(id.Cert); err != nil {
			return Config{}, fmt.Errorf("sdk: connection profile: %s/%s certificate: %w", mspID, name, err)
		}
		if cfg.KeyPEM, err = p.pemOrFile(id.Key); err != nil {
			return Config{}, fmt.Errorf("sdk: connection profile: %s/%s key: %w", mspID, name, err)
		}
	case id.MSPDir != "":
		cfg.MSPDir = p.path(id.MSPDir)
	default:
		return Config{}, fmt.Errorf("sdk: connection profile: %s/%s names no MSP folder nor certificate and key", mspID, name)
	}
	return cfg, nil
}

// Enrollment returns the enrollment certificate of identity name of mspID,
// for registering it.
func (p *ConnectionProfile) Enrollment(mspID, name string) (Enrollment, error) {
	cfg, err := p.Config(mspID, name)
	if err != nil {
		return Enrollment{}, err
	}
	certPEM := cfg.CertPEM
	if len(certPEM) == 0 {
		if certPEM, _, err = readMSPDir(cfg.MSPDir); err != nil {
			return Enrollment{}, err
		}
	}
	return ParseEnrollment(certPEM)
}

func (p *ConnectionProfile) pemOrFile(v string) ([]byte, error) {
	if v == "" {
		return nil, errors.New("missing")
	}
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), nil
	}
	return os.ReadFile(p.path(v))
}

func (p *ConnectionProfile) path(v string) string {
	if filepath.IsAbs(v) || p.dir == "" {
		return v
	}
	return filepath.Join(p.dir, v)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
