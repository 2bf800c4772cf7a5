package devnet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/network/pki"
)

// Network is a running development network: organisations with their CAs and identities, one
// gateway peer (of the first organisation) serving gRPC, endorsing peers for every organisation,
// an orderer and a committing ledger.
type Network struct {
	opts       Options
	orgs       []*org
	orgByMSP   map[string]*org
	members    *membership
	endorsed   signatureMemo
	chaincodes map[string]shim.Chaincode
	ledger     *chain
	store      *blockStore // nil when in memory

	// lastHeaderHash is only touched by start-up replay and then by the committer goroutine.
	lastHeaderHash []byte

	listener   net.Listener
	server     *grpc.Server
	serverName string
	tlsCAPEM   []byte

	// simWork feeds long-lived simulation workers: their stacks stay grown to the depth a
	// chaincode needs, which fresh goroutines would pay for by copying stacks on every call.
	simWork       chan func()
	pending       chan *envelopeTx
	blocks        chan []*envelopeTx
	stopping      chan struct{}
	committerDone chan struct{}
	serveDone     chan struct{}

	connMu sync.Mutex
	conn   *grpc.ClientConn

	closeOnce sync.Once
	closeErr  error
}

// org is one organisation: its PKI, its (single) peer and the identities issued so far.
type org struct {
	mspID          string
	pki            *pki.Org
	peer           *pki.Identity
	peerSerialized []byte
	address        string // the peer's name in error details, as a real gateway reports it

	mu         sync.Mutex
	identities map[string]*pki.Identity
	dir        string // DataDir/orgs/<msp>, or "" in memory
}

// Goroutines kept for simulations and gRPC streams; more concurrent requests than this still
// work, on fresh goroutines.
const (
	simulationWorkers = 16
	streamWorkers     = 32
)

// The identities every organisation starts with.
const (
	AdminName = "admin" // NodeOU admin: MedLedger's Bootstrap caller
	UserName  = "user1" // NodeOU client
	peerName  = "peer0"
)

// Start brings a network up and returns once its gRPC endpoint accepts connections. ctx only
// bounds start-up; call Close to stop the network.
func Start(ctx context.Context, opts Options) (*Network, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkLoopback(opts.Address); err != nil {
		return nil, err
	}
	n := &Network{
		opts:          opts,
		orgByMSP:      map[string]*org{},
		members:       newMembership(),
		chaincodes:    map[string]shim.Chaincode{},
		ledger:        newChain(),
		simWork:       make(chan func()),
		pending:       make(chan *envelopeTx, 4*opts.MaxMessageCount),
		blocks:        make(chan []*envelopeTx, 2),
		stopping:      make(chan struct{}),
		committerDone: make(chan struct{}),
		serveDone:     make(chan struct{}),
	}
	for name, cc := range opts.Chaincodes {
		n.chaincodes[name] = cc
	}
	if opts.DataDir != "" {
		if err := n.checkDataDir(); err != nil {
			return nil, err
		}
	}
	for _, mspID := range opts.Orgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o, err := n.setUpOrg(mspID)
		if err != nil {
			return nil, err
		}
		n.orgs = append(n.orgs, o)
		n.orgByMSP[mspID] = o
		n.members.addOrg(mspID, o.pki.CA.Certificate())
	}
	if err := n.loadLedger(); err != nil {
		n.closeStore()
		return nil, err
	}
	if err := n.listen(); err != nil {
		n.closeStore()
		return nil, err
	}
	for i := 0; i < simulationWorkers; i++ {
		go func() {
			for job := range n.simWork {
				job()
			}
		}()
	}
	go n.runOrderer()
	go n.runCommitter()
	go func() {
		defer close(n.serveDone)
		_ = n.server.Serve(n.listener)
	}()
	opts.Logf("devnet: serving channel %s on %s (orgs %v, TLS %v)", opts.Channel, n.Endpoint(), opts.Orgs, !opts.Insecure)
	return n, nil
}

func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("devnet: bad Address %q: %w", address, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("devnet: Address %q is not a loopback address; devnet only serves this machine", address)
	}
	return nil
}

// networkFile records what a data directory was created with, so a restart with other
// organisations or another channel fails clearly instead of mixing ledgers.
type networkFile struct {
	Orgs    []string `json:"orgs"`
	Channel string   `json:"channel"`
}

func (n *Network) checkDataDir() error {
	if err := os.MkdirAll(n.opts.DataDir, 0o755); err != nil {
		return fmt.Errorf("devnet: data dir: %w", err)
	}
	path := filepath.Join(n.opts.DataDir, "network.json")
	want := networkFile{Orgs: n.opts.Orgs, Channel: n.opts.Channel}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, _ := json.MarshalIndent(want, "", "  ")
		return os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		return fmt.Errorf("devnet: data dir: %w", err)
	}
	var got networkFile
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("devnet: data dir %s: bad network.json: %w", n.opts.DataDir, err)
	}
	if fmt.Sprint(got.Orgs) != fmt.Sprint(want.Orgs) || got.Channel != want.Channel {
		return fmt.Errorf("devnet: data dir %s was created for orgs %v channel %q, not orgs %v channel %q",
			n.opts.DataDir, got.Orgs, got.Channel, want.Orgs, want.Channel)
	}
	return nil
}

// setUpOrg creates (or, from the data directory, reloads) an organisation with its CAs, its peer
// and its starting identities.
func (n *Network) setUpOrg(mspID string) (*org, error) {
	o := &org{mspID: mspID, identities: map[string]*pki.Identity{}}
	if n.opts.DataDir != "" {
		o.dir = filepath.Join(n.opts.DataDir, "orgs", mspID)
	}
	var err error
	o.pki, err = loadOrNewOrg(mspID, o.dir)
	if err != nil {
		return nil, err
	}
	o.address = fmt.Sprintf("%s.%s:7051", peerName, o.pki.Domain)
	if o.dir != "" {
		if err := o.loadIdentities(); err != nil {
			return nil, err
		}
	}
	starting := []struct {
		name string
		ou   pki.NodeOU
	}{{peerName, pki.OUPeer}, {AdminName, pki.OUAdmin}, {UserName, pki.OUClient}}
	for _, u := range n.opts.Users {
		starting = append(starting, struct {
			name string
			ou   pki.NodeOU
		}{u, pki.OUClient})
	}
	for _, s := range starting {
		if _, ok := o.identities[s.name]; ok {
			continue
		}
		if _, err := o.issue(s.name, s.ou, nil); err != nil {
			return nil, err
		}
	}
	o.peer = o.identities[peerName]
	if o.peerSerialized, err = o.peer.Serialize(); err != nil {
		return nil, err
	}
	return o, nil
}

func loadOrNewOrg(mspID, dir string) (*pki.Org, error) {
	domain := domainOf(mspID)
	if dir != "" {
		ca, errCA := loadCA(filepath.Join(dir, "ca"))
		tlsca, errTLS := loadCA(filepath.Join(dir, "tlsca"))
		if errCA == nil && errTLS == nil {
			return &pki.Org{MSPID: mspID, Domain: domain, CA: ca, TLSCA: tlsca}, nil
		}
		if !errors.Is(errCA, os.ErrNotExist) || !errors.Is(errTLS, os.ErrNotExist) {
			return nil, fmt.Errorf("devnet: reloading %s CAs from %s: %v, %v", mspID, dir, errCA, errTLS)
		}
	}
	o, err := pki.NewOrg(mspID, domain)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		for sub, ca := range map[string]*pki.CA{"ca": o.CA, "tlsca": o.TLSCA} {
			if err := saveCA(filepath.Join(dir, sub), ca); err != nil {
				return nil, fmt.Errorf("devnet: saving %s CA: %w", mspID, err)
			}
		}
	}
	return o, nil
}

func loadCA(dir string) (*pki.CA, error) {
	cert, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, err
	}
	return pki.LoadCA(cert, key)
}

func saveCA(dir string, ca *pki.CA) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), ca.CertificatePEM(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), ca.KeyPEM(), 0o600)
}

// loadIdentities reloads every identity issued in an earlier run from DataDir/orgs/<msp>/users.
func (o *org) loadIdentities() error {
	entries, err := os.ReadDir(filepath.Join(o.dir, "users"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id, err := pki.LoadIdentity(filepath.Join(o.dir, "users", e.Name(), "msp"), o.mspID)
		if err != nil {
			return fmt.Errorf("devnet: reloading identity %s of %s: %w", e.Name(), o.mspID, err)
		}
		o.identities[e.Name()] = id
	}
	return nil
}

// issue creates a named identity; with a data directory it is written there as an MSP folder
// first, so that an identity handed out always survives a restart.
func (o *org) issue(name string, ou pki.NodeOU, attrs map[string]string) (*pki.Identity, error) {
	if !validName(name) {
		return nil, fmt.Errorf("devnet: invalid identity name %q (letters, digits, '.', '_', '-', '@')", name)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.identities[name]; ok {
		return nil, fmt.Errorf("devnet: identity %q already exists in %s", name, o.mspID)
	}
	id, err := o.pki.NewIdentity(commonName(name, o.pki.Domain, ou), ou, attrs)
	if err != nil {
		return nil, err
	}
	if o.dir != "" {
		if err := o.pki.WriteMSP(filepath.Join(o.dir, "users", name, "msp"), id); err != nil {
			return nil, err
		}
	}
	o.identities[name] = id
	return id, nil
}

// commonName names certificates as cryptogen does: peer0.org1.example.com for a peer,
// user1@org1.example.com for a user (cryptogen capitalises its own User1/Admin; devnet keeps the
// name it was asked for).
func commonName(name, domain string, ou pki.NodeOU) string {
	if ou == pki.OUPeer {
		return name + "." + domain
	}
	return name + "@" + domain
}

// loadLedger replays the block file of the data directory, or starts a new chain with its
// genesis block.
func (n *Network) loadLedger() error {
	var stored [][]byte
	if n.opts.DataDir != "" {
		var err error
		n.store, stored, err = openBlockStore(filepath.Join(n.opts.DataDir, "blocks.bin"))
		if err != nil {
			return fmt.Errorf("devnet: opening block file: %w", err)
		}
	}
	if len(stored) == 0 {
		genesis, err := n.genesisBlock()
		if err != nil {
			return fmt.Errorf("devnet: genesis block: %w", err)
		}
		if n.store != nil {
			raw, err := proto.Marshal(genesis)
			if err != nil {
				return err
			}
			if err := n.store.append(raw); err != nil {
				return fmt.Errorf("devnet: writing genesis block: %w", err)
			}
		}
		return n.replayBlock(genesis)
	}
	for _, raw := range stored {
		b := &common.Block{}
		if err := proto.Unmarshal(raw, b); err != nil {
			return fmt.Errorf("devnet: block file: %w", err)
		}
		if err := n.replayBlock(b); err != nil {
			return fmt.Errorf("devnet: replaying block file: %w", err)
		}
	}
	return nil
}

func (n *Network) closeStore() {
	if n.store != nil {
		if err := n.store.close(); err != nil && n.closeErr == nil {
			n.closeErr = err
		}
	}
}

// listen opens the gRPC endpoint with a TLS certificate for the first organisation's peer, issued
// by that organisation's TLS CA, valid for its peer name, localhost and 127.0.0.1.
func (n *Network) listen() error {
	first := n.orgs[0]
	n.serverName = fmt.Sprintf("%s.%s", peerName, first.pki.Domain)
	var serverOpts []grpc.ServerOption
	if !n.opts.Insecure {
		tlsID, err := first.pki.NewTLSIdentity(n.serverName, []string{n.serverName, "localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback})
		if err != nil {
			return err
		}
		cert, err := tls.X509KeyPair(tlsID.CertPEM, tlsID.KeyPEM)
		if err != nil {
			return fmt.Errorf("devnet: TLS key pair: %w", err)
		}
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		})))
		n.tlsCAPEM = first.pki.TLSCA.CertificatePEM()
	}
	// Stream workers are reused goroutines, for the same stack reason as simWork.
	// WaitForHandlers: Close must not shut the simulation workers and the orderer while a handler
	// still runs; every handler returns promptly once its context is cancelled.
	serverOpts = append(serverOpts, grpc.MaxRecvMsgSize(100<<20), grpc.MaxSendMsgSize(100<<20),
		grpc.NumStreamWorkers(streamWorkers), grpc.WaitForHandlers(true))
	lis, err := net.Listen("tcp", n.opts.Address)
	if err != nil {
		return fmt.Errorf("devnet: listen on %s: %w", n.opts.Address, err)
	}
	n.listener = lis
	n.server = grpc.NewServer(serverOpts...)
	gp.RegisterGatewayServer(n.server, &gatewayServer{n: n})
	peer.RegisterDeliverServer(n.server, &deliverServer{n: n})
	return nil
}

// Close stops the gRPC server, cuts and commits what the orderer had accepted, and closes the
// block file. It is safe to call more than once.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.connMu.Lock()
		if n.conn != nil {
			_ = n.conn.Close()
			n.conn = nil
		}
		n.connMu.Unlock()
		n.server.Stop()
		<-n.serveDone
		close(n.stopping)
		<-n.committerDone
		close(n.simWork) // no handler is left to send: the server has stopped
		close(n.ledger.closed)
		n.closeStore()
	})
	return n.closeErr
}

// Endpoint is the gRPC address to dial, host:port.
func (n *Network) Endpoint() string { return n.listener.Addr().String() }

// ServerName is the TLS server name of the gateway peer (peer0.org1.example.com by default);
// the certificate is also valid for localhost and 127.0.0.1, so no override is needed.
func (n *Network) ServerName() string { return n.serverName }

// TLSCACertPEM is the PEM certificate of the TLS CA that issued the gateway peer's TLS
// certificate (the first organisation's TLS CA); nil when the network runs without TLS.
func (n *Network) TLSCACertPEM() []byte { return append([]byte(nil), n.tlsCAPEM...) }

// Channel is the name of the network's one channel.
func (n *Network) Channel() string { return n.opts.Channel }

// Chaincodes lists the installed chaincode names, sorted.
func (n *Network) Chaincodes() []string {
	names := make([]string, 0, len(n.chaincodes))
	for name := range n.chaincodes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Orgs lists the organisations' MSP IDs in order; the first hosts the gateway.
func (n *Network) Orgs() []string { return append([]string(nil), n.opts.Orgs...) }

// Height is the number of committed blocks, the genesis block included.
func (n *Network) Height() uint64 { return n.ledger.height() }

// TransportCredentials are the gRPC client credentials for this network: TLS trusting only the
// gateway peer's TLS CA, or insecure credentials when the network runs without TLS.
func (n *Network) TransportCredentials() credentials.TransportCredentials {
	if n.opts.Insecure {
		return insecure.NewCredentials()
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(n.tlsCAPEM)
	return credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: n.serverName, MinVersion: tls.VersionTLS12})
}

// Dial opens a new gRPC client connection to the gateway; the caller closes it.
func (n *Network) Dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(n.TransportCredentials())}, opts...)
	return grpc.NewClient(n.Endpoint(), opts...)
}

// ClientConn returns a gRPC connection shared by every caller and closed by Close; pass it to
// client.Connect with client.WithClientConnection.
func (n *Network) ClientConn() (*grpc.ClientConn, error) {
	n.connMu.Lock()
	defer n.connMu.Unlock()
	if n.conn != nil {
		return n.conn, nil
	}
	conn, err := n.Dial()
	if err != nil {
		return nil, err
	}
	n.conn = conn
	return conn, nil
}

func (n *Network) org(mspID string) (*org, error) {
	o := n.orgByMSP[mspID]
	if o == nil {
		return nil, fmt.Errorf("devnet: no organisation %q (have %v)", mspID, n.opts.Orgs)
	}
	return o, nil
}

// Identity returns an identity of an organisation by name: AdminName ("admin"), UserName
// ("user1"), Options.Users, or one issued by NewIdentity.
func (n *Network) Identity(mspID, name string) (*pki.Identity, error) {
	o, err := n.org(mspID)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	id, ok := o.identities[name]
	if !ok || name == peerName {
		return nil, fmt.Errorf("devnet: no identity %q in %s", name, mspID)
	}
	return id, nil
}

// NewIdentity issues a new named identity in an organisation with a NodeOU role (pki.OUClient for
// users, pki.OUAdmin for administrators) and Fabric CA attributes, valid at once. With a data
// directory it is kept across restarts.
func (n *Network) NewIdentity(mspID, name string, ou pki.NodeOU, attrs map[string]string) (*pki.Identity, error) {
	o, err := n.org(mspID)
	if err != nil {
		return nil, err
	}
	switch ou {
	case pki.OUClient, pki.OUAdmin:
	default:
		return nil, fmt.Errorf("devnet: NewIdentity role must be %q or %q, not %q", pki.OUClient, pki.OUAdmin, ou)
	}
	return o.issue(name, ou, attrs)
}

// Org returns an organisation's PKI (CA and TLS CA), for example to write MSP folders.
func (n *Network) Org(mspID string) (*pki.Org, error) {
	o, err := n.org(mspID)
	if err != nil {
		return nil, err
	}
	return o.pki, nil
}

// identityNames lists an organisation's client-visible identities, sorted.
func (o *org) identityNames() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var names []string
	for name := range o.identities {
		if name != peerName {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
