package devnet

import (
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/medledger/medledger/chaincode/contract"
)

// Defaults a Fabric test network uses too, so that code written against devnet runs unchanged
// against network/fabric.
const (
	DefaultChannel          = "mychannel"
	DefaultChaincode        = "medledger"
	DefaultChaincodeVersion = "1.0"
	DefaultAddress          = "127.0.0.1:0"
	DefaultBatchTimeout     = 2 * time.Millisecond
	DefaultMaxMessageCount  = 500
)

// Options configure a network. The zero value starts two organisations (Org1MSP, Org2MSP) with
// TLS on a free 127.0.0.1 port, in memory, running the MedLedger chaincode.
type Options struct {
	// Orgs are the MSP IDs of the organisations. Empty: OrgCount organisations Org1MSP..OrgNMSP.
	Orgs []string
	// OrgCount is used when Orgs is empty; 0 means 2.
	OrgCount int

	// Channel is the one channel the network serves; default "mychannel".
	Channel string
	// Chaincodes are the chaincodes installed on every peer, by name. Empty: MedLedger's
	// chaincode (chaincode/contract) as "medledger".
	Chaincodes map[string]shim.Chaincode
	// ChaincodeVersion is the definition version peers put in ChaincodeAction; default "1.0".
	ChaincodeVersion string

	// RequiredEndorsements is how many distinct organisations must endorse a transaction for it
	// to be valid at commit. 0 means a majority (Fabric's default MAJORITY Endorsement policy).
	RequiredEndorsements int

	// Address is the gRPC listen address; default "127.0.0.1:0" (a free port). Only loopback
	// addresses are accepted: devnet is for one machine.
	Address string
	// Insecure serves plain gRPC instead of TLS (TLS is the default, as on a real peer).
	Insecure bool

	// DataDir keeps the organisations' CAs, the identities issued and the blocks, so that a
	// restart keeps state. Empty: everything lives in memory and dies with the network.
	DataDir string

	// BatchTimeout and MaxMessageCount cut blocks like the orderer's BatchTimeout and
	// BatchSize.MaxMessageCount. Defaults 2ms and 500.
	BatchTimeout    time.Duration
	MaxMessageCount int

	// Users are extra client identities issued in every organisation at start (besides "admin"
	// and "user1"), by name.
	Users []string

	// Logf, if set, receives one line per notable event (start, block commit failures).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Orgs) == 0 {
		n := o.OrgCount
		if n == 0 {
			n = 2
		}
		if n < 0 || n > 50 {
			return o, fmt.Errorf("devnet: OrgCount %d out of range 1..50", n)
		}
		for i := 1; i <= n; i++ {
			o.Orgs = append(o.Orgs, fmt.Sprintf("Org%dMSP", i))
		}
	}
	seen := map[string]bool{}
	for _, id := range o.Orgs {
		if id == "" || strings.ContainsAny(id, "/\\ \t\n") {
			return o, fmt.Errorf("devnet: invalid MSP ID %q", id)
		}
		if seen[id] {
			return o, fmt.Errorf("devnet: MSP ID %q given twice", id)
		}
		seen[id] = true
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if len(o.Chaincodes) == 0 {
		cc, err := contract.New()
		if err != nil {
			return o, fmt.Errorf("devnet: building the MedLedger chaincode: %w", err)
		}
		o.Chaincodes = map[string]shim.Chaincode{DefaultChaincode: cc}
	}
	for name, cc := range o.Chaincodes {
		if name == "" || cc == nil {
			return o, fmt.Errorf("devnet: chaincode %q has no name or is nil", name)
		}
	}
	if o.ChaincodeVersion == "" {
		o.ChaincodeVersion = DefaultChaincodeVersion
	}
	if o.RequiredEndorsements == 0 {
		o.RequiredEndorsements = len(o.Orgs)/2 + 1
	}
	if o.RequiredEndorsements < 0 || o.RequiredEndorsements > len(o.Orgs) {
		return o, fmt.Errorf("devnet: RequiredEndorsements %d out of range 1..%d", o.RequiredEndorsements, len(o.Orgs))
	}
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.MaxMessageCount <= 0 {
		o.MaxMessageCount = DefaultMaxMessageCount
	}
	for _, u := range o.Users {
		if !validName(u) {
			return o, fmt.Errorf("devnet: invalid user name %q (letters, digits, '.', '_', '-')", u)
		}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '@':
		default:
			return false
		}
	}
	return true
}

// domainOf derives the organisation's DNS domain the way the Fabric test network names them:
// Org1MSP -> org1.example.com.
func domainOf(mspID string) string {
	name := strings.TrimSuffix(mspID, "MSP")
	if name == "" {
		name = mspID
	}
	return strings.ToLower(name) + ".example.com"
}
