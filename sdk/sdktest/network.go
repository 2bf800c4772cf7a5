// Package sdktest gives end-to-end tests and examples a MedLedger network to
// drive the SDK against, the same way whatever runs underneath: the embedded
// development network (network/devnet) started in process, or any running
// network described by a connection file (network/fabric writes one).
//
// It owns reaching a network and naming its identities. It must not reach
// into the chaincode or the ledger: everything goes through the SDK over
// real gRPC.
package sdktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/medledger/medledger/chaincode/contract"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/devnet"
	"github.com/medledger/medledger/sdk"
)

// The identities a network must offer in each organisation: AdminIdentity
// with the NodeOU admin role (the first organisation's becomes the solution
// admin), and client identities user1 to user5, the names cryptogen gives
// (network/fabric) and the embedded network is started with.
const AdminIdentity = "admin"

// UserIdentities are the client identities expected in each organisation.
var UserIdentities = []string{"user1", "user2", "user3", "user4", "user5"}

// Network is a MedLedger network reachable over gRPC.
type Network struct {
	// Profile describes the network's gateway and identities.
	Profile *sdk.ConnectionProfile
	// ConnectionFile is the path of the connection file.
	ConnectionFile string
	// Embedded is set when the network runs in this process.
	Embedded bool

	dev *devnet.Network
	// watermark is shared by every Client Connect returns, so that each
	// reads what any other wrote, through whichever organisation's peer.
	watermark sdk.Watermark
}

// DevnetOptions tune the embedded network.
type DevnetOptions struct {
	// BatchTimeout cuts blocks (devnet default 2ms); a longer one lets
	// concurrent transactions share a block, and so conflict as they would
	// on a busy real network.
	BatchTimeout time.Duration
	// Logf receives the network's log lines.
	Logf func(format string, args ...any)
}

// StartDevnet starts the embedded network with two organisations and the
// MedLedger chaincode, and writes its connection file and MSP folders
// under dir.
func StartDevnet(ctx context.Context, dir string, opts DevnetOptions) (*Network, error) {
	cc, err := contract.New()
	if err != nil {
		return nil, fmt.Errorf("sdktest: chaincode: %w", err)
	}
	dev, err := devnet.Start(ctx, devnet.Options{
		Chaincodes:   map[string]shim.Chaincode{model.ChaincodeName: cc},
		Users:        UserIdentities[1:], // user1 comes with every organisation
		BatchTimeout: opts.BatchTimeout,
		Logf:         opts.Logf,
	})
	if err != nil {
		return nil, fmt.Errorf("sdktest: start devnet: %w", err)
	}
	if _, err := dev.WriteConnection(dir); err != nil {
		_ = dev.Close()
		return nil, fmt.Errorf("sdktest: write connection file: %w", err)
	}
	path := filepath.Join(dir, devnet.ConnectionFileName)
	p, err := sdk.LoadConnectionProfile(path)
	if err != nil {
		_ = dev.Close()
		return nil, err
	}
	return &Network{Profile: p, ConnectionFile: path, Embedded: true, dev: dev}, nil
}

// Open loads a running network's connection file.
func Open(path string) (*Network, error) {
	p, err := sdk.LoadConnectionProfile(path)
	if err != nil {
		return nil, err
	}
	if len(p.Orgs) < 2 {
		return nil, fmt.Errorf("sdktest: %s lists %d organisation(s); MedLedger's story needs two", path, len(p.Orgs))
	}
	return &Network{Profile: p, ConnectionFile: path}, nil
}

// Orgs returns the MSP IDs of the first two organisations: the two hospitals.
func (n *Network) Orgs() (string, string) {
	ids := n.Profile.MSPIDs()
	return ids[0], ids[1]
}

// Connect returns a Client acting as identity name of organisation mspID.
// All of a Network's Clients share one sdk.Watermark: a test plays several
// people against one ledger and expects each to see what the others did.
// adjust, when not nil, may change the Config first (retry policy, deadlines).
func (n *Network) Connect(ctx context.Context, mspID, name string, adjust func(*sdk.Config)) (*sdk.Client, error) {
	cfg, err := n.Profile.Config(mspID, name)
	if err != nil {
		return nil, err
	}
	cfg.Watermark = &n.watermark
	if adjust != nil {
		adjust(&cfg)
	}
	return sdk.Connect(ctx, cfg)
}

// Enrollment returns the enrollment certificate of an identity, for
// registering it.
func (n *Network) Enrollment(mspID, name string) (sdk.Enrollment, error) {
	return n.Profile.Enrollment(mspID, name)
}

// Devnet returns the embedded network, or nil when the network runs elsewhere.
func (n *Network) Devnet() *devnet.Network { return n.dev }

// Close stops the embedded network; it does nothing for another one.
func (n *Network) Close() error {
	if n.dev == nil {
		return nil
	}
	return n.dev.Close()
}

// FromEnv opens the network the connection file in $MEDLEDGER_CONNECTION
// describes or, when the variable is empty, starts the embedded network
// with its files under dir.
func FromEnv(ctx context.Context, dir string, opts DevnetOptions) (*Network, error) {
	if path := os.Getenv(EnvConnection); path != "" {
		return Open(path)
	}
	if dir == "" {
		return nil, errors.New("sdktest: no folder for the embedded network's files")
	}
	return StartDevnet(ctx, dir, opts)
}

// EnvConnection names the environment variable holding a connection file's
// path.
const EnvConnection = "MEDLEDGER_CONNECTION"
