package sdk

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/medledger/medledger/chaincode/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// Client calls the MedLedger chaincode as one Fabric identity through one
// gateway peer. It is safe for concurrent use. Close it when done.
type Client struct {
	cfg      Config
	conn     *grpc.ClientConn
	gw       *client.Gateway
	network  *client.Network
	contract *client.Contract
	mspID    string
	cert     *x509.Certificate
	// seen is the highest block known committed on the gateway peer.
	seen atomic.Uint64
}

// Connect opens a gRPC connection to cfg.Endpoint over TLS and returns a
// Client acting as cfg's identity. Like grpc.NewClient it does not wait for
// the peer: the first call does, within its deadline. ctx bounds only the
// set-up work.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.Endpoint == "" {
		return nil, errors.New("sdk: config: Endpoint is empty")
	}
	creds, err := cfg.transportCredentials()
	if err != nil {
		return nil, err
	}
	id, cert, sign, err := cfg.credentials()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(cfg.Endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("sdk: gRPC client for %s: %w", cfg.Endpoint, err)
	}
	gw, err := client.Connect(id,
		client.WithSign(sign),
		client.WithClientConnection(conn),
		// The gateway applies these to its context-free calls; the SDK
		// applies the same deadlines to the context calls it makes.
		client.WithEvaluateTimeout(cfg.EvaluateTimeout),
		client.WithEndorseTimeout(cfg.EndorseTimeout),
		client.WithSubmitTimeout(cfg.SubmitTimeout),
		client.WithCommitStatusTimeout(cfg.CommitStatusTimeout),
	)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("sdk: gateway: %w", err)
	}
	network := gw.GetNetwork(cfg.Channel)
	return &Client{
		cfg:      cfg,
		conn:     conn,
		gw:       gw,
		network:  network,
		contract: network.GetContractWithName(cfg.Chaincode, model.ContractName),
		mspID:    cfg.MSPID,
		cert:     cert,
	}, nil
}

func (c Config) transportCredentials() (credentials.TransportCredentials, error) {
	if c.Insecure {
		return insecure.NewCredentials(), nil
	}
	caPEM, err := c.tlsCA()
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("sdk: config: TLS CA certificate holds no PEM certificate")
	}
	return credentials.NewClientTLSFromCert(pool, c.ServerNameOverride), nil
}

// Close ends the gateway session and closes the gRPC connection. Event
// streams opened by the Client end too.
func (c *Client) Close() error {
	gwErr := c.gw.Close()
	return errors.Join(gwErr, c.conn.Close())
}

// MSPID returns the MSP ID the Client signs as.
func (c *Client) MSPID() string { return c.mspID }

// Certificate returns the Client's enrollment certificate.
func (c *Client) Certificate() *x509.Certificate { return c.cert }

// Gateway returns the underlying fabric-gateway Gateway, for what the SDK
// does not wrap (block events, offline signing).
func (c *Client) Gateway() *client.Gateway { return c.gw }

// Channel returns the channel the Client calls.
func (c *Client) Channel() string { return c.cfg.Channel }

// Chaincode returns the chaincode the Client calls.
func (c *Client) Chaincode() string { return c.cfg.Chaincode }

// evaluate runs a read-only transaction on one peer and decodes its JSON
// result into out (when out is not nil).
func (c *Client) evaluate(ctx context.Context, tx string, out any, args ...any) error {
	argBytes, err := encodeArgs(args)
	if err != nil {
		return &Error{Transaction: tx, Code: model.CodeInvalidArgument, Err: fmt.Errorf("%w: %w", ErrInvalidArgument, err)}
	}
	if err := c.catchUp(ctx); err != nil {
		return wrapError(tx, "", err)
	}
	proposal, err := c.contract.NewProposal(tx, client.WithBytesArguments(argBytes...))
	if err != nil {
		return wrapError(tx, "", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EvaluateTimeout)
	defer cancel()
	result, err := proposal.EvaluateWithContext(ctx)
	if err != nil {
		return wrapError(tx, proposal.TransactionID(), withContextErr(ctx, err))
	}
	return decodeResult(tx, proposal.TransactionID(), result, out)
}

// submit endorses, orders and waits for the commit of a transaction,
// running it afresh after an MVCC conflict or an endorsement a lagging peer
// refused, as c's RetryPolicy allows. A failure's *Error names the
// transaction ID of the last attempt.
func (c *Client) submit(ctx context.Context, tx string, out any, args ...any) error {
	argBytes, err := encodeArgs(args)
	if err != nil {
		return &Error{Transaction: tx, Code: model.CodeInvalidArgument, Err: fmt.Errorf("%w: %w", ErrInvalidArgument, err)}
	}
	if err := c.catchUp(ctx); err != nil {
		return wrapError(tx, "", err)
	}
	policy := c.cfg.Retry
	for attempt := 1; ; attempt++ {
		txID, result, err := c.submitOnce(ctx, tx, argBytes)
		if err == nil {
			return decodeResult(tx, txID, result, out)
		}
		if !c.retryable(err) {
			return wrapError(tx, txID, err)
		}
		if attempt >= policy.MaxAttempts {
			return wrapError(tx, txID, fmt.Errorf("gave up after %d attempts: %w", attempt, err))
		}
		if policy.OnRetry != nil {
			policy.OnRetry(tx, attempt+1, err)
		}
		if serr := sleep(ctx, backoff(policy, attempt)); serr != nil {
			return wrapError(tx, txID, fmt.Errorf("%w while waiting to retry after: %w", serr, err))
		}
	}
}

// submitAs submits tx and decodes its result into a T: the shape of every
// submitting call of the Client.
func submitAs[T any](ctx context.Context, c *Client, tx string, args ...any) (T, error) {
	var out T
	err := c.submit(ctx, tx, &out, args...)
	return out, err
}

// evaluateAs evaluates tx and decodes its result into a T: the shape of
// every reading call of the Client.
func evaluateAs[T any](ctx context.Context, c *Client, tx string, args ...any) (T, error) {
	var out T
	err := c.evaluate(ctx, tx, &out, args...)
	return out, err
}

func (c *Client) submitOnce(ctx context.Context, tx string, args [][]byte) (string, []byte, error) {
	proposal, err := c.contract.NewProposal(tx, client.WithBytesArguments(args...))
	if err != nil {
		return "", nil, err
	}
	txID := proposal.TransactionID()

	endorseCtx, cancel := context.WithTimeout(ctx, c.cfg.EndorseTimeout)
	transaction, err := proposal.EndorseWithContext(endorseCtx)
	err = withContextErr(endorseCtx, err)
	cancel()
	if err != nil {
		return txID, nil, err
	}

	submitCtx, cancel := context.WithTimeout(ctx, c.cfg.SubmitTimeout)
	commit, err := transaction.SubmitWithContext(submitCtx)
	err = withContextErr(submitCtx, err)
	cancel()
	if err != nil {
		return txID, nil, err
	}

	statusCtx, cancel := context.WithTimeout(ctx, c.cfg.CommitStatusTimeout)
	status, err := commit.StatusWithContext(statusCtx)
	err = withContextErr(statusCtx, err)
	cancel()
	if err != nil {
		return txID, nil, err
	}
	if !status.Successful {
		return txID, nil, newCommitError(txID, status.Code)
	}
	c.observe(status.BlockNumber)
	return txID, transaction.Result(), nil
}

// withContextErr adds the context's error to a failed call's, so that
// errors.Is(err, context.DeadlineExceeded) holds when a deadline (the
// caller's or a stage default) ended the call; gRPC alone reports only a
// status code.
func withContextErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// newCommitError builds the gateway's own *client.CommitError (its fields
// are exported, its message is not), so that errors.As finds the familiar
// type with the validation code.
func newCommitError(txID string, code peer.TxValidationCode) error {
	return &commitError{CommitError: client.CommitError{TransactionID: txID, Code: code}}
}

type commitError struct {
	client.CommitError
}

func (e *commitError) Error() string {
	return fmt.Sprintf("transaction %s failed to commit with status code %d (%s)", e.TransactionID, int32(e.Code), e.Code)
}

func (e *commitError) Unwrap() error { return &e.CommitError }

// isConflict reports whether err is a validation failure that a fresh
// endorsement may cure.
func isConflict(err error) bool {
	code, ok := ValidationCode(err)
	return ok && (code == peer.TxValidationCode_MVCC_READ_CONFLICT || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT)
}

// retryable reports whether a fresh attempt may cure err: a read conflict at
// commit, or an endorsement on which the peers disagreed because one had not
// committed the latest blocks yet. The chaincode is deterministic, so peers
// that disagree on the same proposal differ in state, not in judgement.
func (c *Client) retryable(err error) bool {
	if isConflict(err) {
		return true
	}
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) {
		return false
	}
	st, _ := status.FromError(endorseErr.TransactionError)
	return lagged(st, endorseErr.Details(), c.cfg.GatewayPeer)
}

// lagged reports whether a failed endorsement shows the peers disagreeing:
// the gateway's "ProposalResponsePayloads do not match", or refusals only
// from peers other than the gateway's own. The gateway endorses on its own
// peer first and stops there if that one refuses, so details only from
// other peers mean its own peer agreed.
func lagged(st *status.Status, details []*gateway.ErrorDetail, gatewayPeer string) bool {
	if st == nil || st.Code() != codes.Aborted {
		return false
	}
	if strings.Contains(st.Message(), "ProposalResponsePayloads do not match") {
		return true
	}
	if gatewayPeer == "" || len(details) == 0 {
		return false
	}
	for _, d := range details {
		if d.GetAddress() == gatewayPeer {
			return false
		}
	}
	return true
}

// observe records that the gateway peer committed block n.
func (c *Client) observe(n uint64) {
	for {
		cur := c.seen.Load()
		if n <= cur || c.seen.CompareAndSwap(cur, n) {
			break
		}
	}
	if c.cfg.Watermark != nil {
		c.cfg.Watermark.Observe(n)
	}
}

// catchUp waits, when the Client shares a Watermark, until its gateway peer
// has committed the group's latest transaction.
func (c *Client) catchUp(ctx context.Context) error {
	if c.cfg.Watermark == nil {
		return nil
	}
	target := c.cfg.Watermark.Block()
	if target <= c.seen.Load() {
		return nil
	}
	return c.WaitForBlock(ctx, target)
}

// CommittedBlock returns the highest block in which a transaction submitted
// through c was committed, or that c waited for; 0 before any.
func (c *Client) CommittedBlock() uint64 { return c.seen.Load() }

// WaitForBlock returns once c's gateway peer has committed block n, which
// must hold a MedLedger transaction (every MedLedger transaction that
// commits emits an event, and the wait reads the events from block n on).
// Use it to read through one organisation's peer what was just written
// through another's; Config.Watermark does it for a group of Clients.
func (c *Client) WaitForBlock(ctx context.Context, n uint64) error {
	if n <= c.seen.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CommitStatusTimeout)
	defer cancel()
	events, err := c.network.ChaincodeEvents(ctx, c.cfg.Chaincode, client.WithStartBlock(n))
	if err != nil {
		return fmt.Errorf("sdk: wait for block %d: %w", n, withContextErr(ctx, err))
	}
	for ev := range events {
		if ev.BlockNumber >= n {
			cancel()
			for range events {
				// Let the gateway's sender see the cancellation.
			}
			c.observe(ev.BlockNumber)
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sdk: wait for block %d on the gateway peer: %w", n, err)
	}
	return fmt.Errorf("sdk: wait for block %d: %w", n, ErrEventStreamClosed)
}

// backoff returns a "full jitter" delay for the given failed attempt:
// uniform in [0, min(MaxDelay, BaseDelay*2^(attempt-1))].
func backoff(p RetryPolicy, attempt int) time.Duration {
	ceiling := p.BaseDelay << min(attempt-1, 20)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// encodeArgs renders arguments the way the contract API expects them:
// strings as they are, everything else as JSON.
func encodeArgs(args []any) ([][]byte, error) {
	out := make([][]byte, 0, len(args))
	for _, a := range args {
		if s, ok := a.(string); ok {
			out = append(out, []byte(s))
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encode argument %T: %w", a, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeResult(tx, txID string, result []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(result, out); err != nil {
		return &Error{Transaction: tx, TransactionID: txID, Err: fmt.Errorf("decode result as %T: %w", out, err)}
	}
	return nil
}
