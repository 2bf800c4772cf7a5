package sdk

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/medledger/medledger/chaincode/model"
)

// Default names and deadlines. The deadlines apply to each stage of a call
// on top of the caller's context, whichever ends first.
const (
	DefaultChannel              = "mychannel"
	DefaultChaincode            = model.ChaincodeName
	DefaultEvaluateTimeout      = 5 * time.Second
	DefaultEndorseTimeout       = 15 * time.Second
	DefaultSubmitTimeout        = 5 * time.Second
	DefaultCommitStatusTimeout  = time.Minute
	DefaultRetryAttempts        = 5
	DefaultRetryBaseDelay       = 50 * time.Millisecond
	DefaultRetryMaxDelay        = 2 * time.Second
	defaultMaxCertificateLength = model.MaxCertificatePEMLen
)

// Config says how to reach a Fabric Gateway peer and who is calling.
// The zero value of every optional field means its default.
type Config struct {
	// Endpoint is the gateway peer's gRPC address, "host:port".
	Endpoint string
	// TLSCACertPEM (or TLSCACertPath) is the CA that signed the peer's TLS
	// certificate. TLS is always on: Fabric peers serve the gateway over TLS.
	TLSCACertPEM  []byte
	TLSCACertPath string
	// Insecure dials without TLS, for a development network started with
	// TLS off. Never use it with a real peer.
	Insecure bool
	// ServerNameOverride is the name expected in the peer's TLS certificate
	// when Endpoint's host differs from it (for example "peer0.org1.example.com"
	// reached as 127.0.0.1).
	ServerNameOverride string

	// MSPID is the caller's Membership Service Provider ID.
	MSPID string
	// The caller's enrollment certificate and private key, as PEM or as file
	// paths; or MSPDir, an MSP folder with signcerts/ and keystore/ as
	// cryptogen and fabric-ca-client write them.
	CertPEM  []byte
	KeyPEM   []byte
	CertPath string
	KeyPath  string
	MSPDir   string

	// Channel and Chaincode default to "mychannel" and "medledger".
	Channel   string
	Chaincode string

	// Deadlines per stage; zero means the default.
	EvaluateTimeout     time.Duration
	EndorseTimeout      time.Duration
	SubmitTimeout       time.Duration
	CommitStatusTimeout time.Duration

	// Retry governs resubmission after MVCC read conflicts and after
	// endorsements that failed only because another organisation's peer had
	// not committed the latest blocks yet.
	Retry RetryPolicy

	// GatewayPeer is the gateway peer's address as the gateway names it in
	// error details ("peer" in a connection file). With it, an endorsement
	// that the gateway's own peer made but another organisation's peer
	// refused is recognised as that peer lagging behind, and retried.
	GatewayPeer string

	// Watermark, when several Clients share one, makes each see what any of
	// them wrote: before a call, a Client whose gateway peer may not have
	// committed the group's latest transaction yet waits until it has. Real
	// Fabric peers commit each block on their own, so without it a read
	// through one organisation's peer right after a write through another's
	// may miss the write.
	Watermark *Watermark
}

// Watermark is the highest block in which any of a group of Clients saw
// its transaction committed. The zero value is ready to use.
type Watermark struct {
	block atomic.Uint64
}

// Block returns the highest block recorded.
func (w *Watermark) Block() uint64 { return w.block.Load() }

// Observe records that block n is committed somewhere.
func (w *Watermark) Observe(n uint64) {
	for {
		cur := w.block.Load()
		if n <= cur || w.block.CompareAndSwap(cur, n) {
			return
		}
	}
}

// RetryPolicy governs how a submit transaction is endorsed and submitted
// again after it failed validation with MVCC_READ_CONFLICT or
// PHANTOM_READ_CONFLICT, or failed endorsement only on a lagging peer (the
// gateway's "ProposalResponsePayloads do not match", or a refusal from
// another organisation's peer only, see Config.GatewayPeer). Such a
// transaction changed nothing, so running it afresh is safe for every
// MedLedger transaction; each attempt gets a new transaction ID.
type RetryPolicy struct {
	// Disabled turns retries off: the first conflict is returned.
	Disabled bool
	// MaxAttempts counts the first attempt; zero means DefaultRetryAttempts.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the jittered exponential backoff between
	// attempts; zero means the defaults.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// OnRetry, when set, is called before each new attempt with the
	// transaction name, the attempt about to start (2 for the first retry)
	// and the conflict that caused it. It must not block.
	OnRetry func(transaction string, attempt int, conflict error)
}

func (c Config) withDefaults() Config {
	if c.Channel == "" {
		c.Channel = DefaultChannel
	}
	if c.Chaincode == "" {
		c.Chaincode = DefaultChaincode
	}
	if c.EvaluateTimeout <= 0 {
		c.EvaluateTimeout = DefaultEvaluateTimeout
	}
	if c.EndorseTimeout <= 0 {
		c.EndorseTimeout = DefaultEndorseTimeout
	}
	if c.SubmitTimeout <= 0 {
		c.SubmitTimeout = DefaultSubmitTimeout
	}
	if c.CommitStatusTimeout <= 0 {
		c.CommitStatusTimeout = DefaultCommitStatusTimeout
	}
	if c.Retry.MaxAttempts <= 0 {
		c.Retry.MaxAttempts = DefaultRetryAttempts
	}
	if c.Retry.Disabled {
		c.Retry.MaxAttempts = 1
	}
	if c.Retry.BaseDelay <= 0 {
		c.Retry.BaseDelay = DefaultRetryBaseDelay
	}
	if c.Retry.MaxDelay <= 0 {
		c.Retry.MaxDelay = DefaultRetryMaxDelay
	}
	return c
}

// tlsCA returns the peer's TLS CA certificates as PEM.
func (c Config) tlsCA() ([]byte, error) {
	switch {
	case len(c.TLSCACertPEM) > 0:
		return c.TLSCACertPEM, nil
	case c.TLSCACertPath != "":
		b, err := os.ReadFile(c.TLSCACertPath)
		if err != nil {
			return nil, fmt.Errorf("sdk: read TLS CA certificate: %w", err)
		}
		return b, nil
	default:
		return nil, errors.New("sdk: config: no TLS CA certificate (TLSCACertPEM or TLSCACertPath; Insecure for a plain-text development network)")
	}
}

// credentials returns the caller's identity and signing function from
// whichever of CertPEM/KeyPEM, CertPath/KeyPath or MSPDir is set.
func (c Config) credentials() (*identity.X509Identity, *x509.Certificate, identity.Sign, error) {
	if c.MSPID == "" {
		return nil, nil, nil, errors.New("sdk: config: MSPID is empty")
	}
	certPEM, keyPEM := c.CertPEM, c.KeyPEM
	var err error
	if len(certPEM) == 0 && c.CertPath != "" {
		if certPEM, err = os.ReadFile(c.CertPath); err != nil {
			return nil, nil, nil, fmt.Errorf("sdk: read certificate: %w", err)
		}
	}
	if len(keyPEM) == 0 && c.KeyPath != "" {
		if keyPEM, err = os.ReadFile(c.KeyPath); err != nil {
			return nil, nil, nil, fmt.Errorf("sdk: read private key: %w", err)
		}
	}
	if (len(certPEM) == 0 || len(keyPEM) == 0) && c.MSPDir != "" {
		if certPEM, keyPEM, err = readMSPDir(c.MSPDir); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(certPEM) == 0 {
		return nil, nil, nil, errors.New("sdk: config: no certificate (CertPEM, CertPath or MSPDir)")
	}
	if len(keyPEM) == 0 {
		return nil, nil, nil, errors.New("sdk: config: no private key (KeyPEM, KeyPath or MSPDir)")
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sdk: parse certificate: %w", err)
	}
	id, err := identity.NewX509Identity(c.MSPID, cert)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sdk: identity: %w", err)
	}
	key, err := privateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sdk: private key: %w", err)
	}
	return id, cert, sign, nil
}

// privateKeyFromPEM accepts PKCS#8 (what cryptogen and fabric-ca write) and
// SEC 1 "EC PRIVATE KEY" (what openssl ecparam writes).
func privateKeyFromPEM(keyPEM []byte) (crypto.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("sdk: private key: no PEM block")
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	if key, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	return nil, fmt.Errorf("sdk: private key: PEM block %q is neither PKCS#8 nor SEC 1", block.Type)
}

// readMSPDir reads the first certificate in signcerts/ and the first key in
// keystore/ of an MSP folder.
func readMSPDir(dir string) (certPEM, keyPEM []byte, err error) {
	first := func(sub string) ([]byte, error) {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("sdk: MSP folder: %w", err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("sdk: MSP folder: %s is empty", filepath.Join(dir, sub))
		}
		sort.Strings(names)
		return os.ReadFile(filepath.Join(dir, sub, names[0]))
	}
	if certPEM, err = first("signcerts"); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = first("keystore"); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}
