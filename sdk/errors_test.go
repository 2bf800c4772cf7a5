package sdk

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gatewayStatus builds the error a Fabric gateway returns when a peer's
// chaincode fails: a gRPC status whose details carry each peer's message.
func gatewayStatus(t *testing.T, msg string, peerMessages ...string) error {
	t.Helper()
	st := status.New(codes.Aborted, msg)
	for _, m := range peerMessages {
		var err error
		st, err = st.WithDetails(&gateway.ErrorDetail{Address: "peer0.org1.example.com:7051", MspId: "Org1MSP", Message: m})
		require.NoError(t, err)
	}
	return st.Err()
}

func TestChaincodeCodesBecomeSentinels(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
		code model.Code
	}{
		{"endorse details", gatewayStatus(t, "failed to endorse transaction, see attached details for more info",
			"chaincode response 500, FORBIDDEN: user d1 may not read document x"), ErrForbidden, model.CodeForbidden},
		{"evaluate message", gatewayStatus(t, "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: document x"),
			ErrNotFound, model.CodeNotFound},
		{"already exists", gatewayStatus(t, "failed", "chaincode response 500, ALREADY_EXISTS: document x"), ErrAlreadyExists, model.CodeAlreadyExists},
		{"precondition", gatewayStatus(t, "failed", "chaincode response 500, FAILED_PRECONDITION: erased"), ErrFailedPrecondition, model.CodeFailedPrecondition},
		{"invalid", gatewayStatus(t, "failed", "chaincode response 500, INVALID_ARGUMENT: bad id"), ErrInvalidArgument, model.CodeInvalidArgument},
		{"wrapped plain", fmt.Errorf("outer: %w", errors.New("INTERNAL: decode state")), ErrInternal, model.CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := wrapError("AccessDocument", "tx1", tc.err)
			require.ErrorIs(t, err, tc.want)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.code, e.Code)
			require.Equal(t, "tx1", e.TransactionID)
			// The gateway's error stays in the chain.
			require.ErrorIs(t, err, tc.err)
			for _, other := range []error{ErrForbidden, ErrNotFound, ErrAlreadyExists, ErrFailedPrecondition, ErrInvalidArgument, ErrInternal} {
				if other != tc.want {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestErrorMessageShowsTheChaincodeMessageNotTheFraming(t *testing.T) {
	err := wrapError("GrantConsent", "abc", gatewayStatus(t, "failed to endorse transaction, see attached details for more info",
		"chaincode response 500, FORBIDDEN: only a patient may grant consent"))
	require.Equal(t, "medledger GrantConsent (tx abc): FORBIDDEN: only a patient may grant consent", err.Error())
}

func TestErrorWithoutCodeMatchesNoSentinel(t *testing.T) {
	err := wrapError("WhoAmI", "", status.Error(codes.Unavailable, "connection refused"))
	for _, s := range []error{ErrForbidden, ErrNotFound, ErrAlreadyExists, ErrFailedPrecondition, ErrInvalidArgument, ErrInternal} {
		require.NotErrorIs(t, err, s)
	}
	st, ok := status.FromError(err)
	require.True(t, ok, "the gRPC status stays reachable")
	require.Equal(t, codes.Unavailable, st.Code())
}

func TestCommitFailureCarriesValidationCode(t *testing.T) {
	err := wrapError("GrantConsent", "", newCommitError("tx9", peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE))
	code, ok := ValidationCode(err)
	require.True(t, ok)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, code)
	var ce *client.CommitError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "tx9", ce.TransactionID)
	require.Contains(t, err.Error(), "ENDORSEMENT_POLICY_FAILURE")
	require.False(t, isConflict(err))
	require.True(t, isConflict(newCommitError("tx9", peer.TxValidationCode_MVCC_READ_CONFLICT)))
	require.True(t, isConflict(newCommitError("tx9", peer.TxValidationCode_PHANTOM_READ_CONFLICT)))
	_, ok = ValidationCode(errors.New("other"))
	require.False(t, ok)
}

func TestInvalidArgumentBeforeSending(t *testing.T) {
	err := checkID("GetUser", "user id", "bad id with spaces")
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.Contains(t, err.Error(), `user id "bad id with spaces"`)
}

func TestBackoffStaysWithinBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 80 * time.Millisecond}
	for attempt := 1; attempt <= 30; attempt++ {
		ceiling := min(p.BaseDelay<<(attempt-1), p.MaxDelay)
		if attempt > 20 {
			ceiling = p.MaxDelay
		}
		for range 50 {
			d := backoff(p, attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	require.Equal(t, "mychannel", c.Channel)
	require.Equal(t, "medledger", c.Chaincode)
	require.Equal(t, DefaultRetryAttempts, c.Retry.MaxAttempts)
	require.Equal(t, DefaultCommitStatusTimeout, c.CommitStatusTimeout)
	require.Equal(t, 1, Config{Retry: RetryPolicy{Disabled: true}}.withDefaults().Retry.MaxAttempts)
}

func TestEndorsementsRefusedOnlyByALaggingPeerAreRetried(t *testing.T) {
	const local, remote = "peer0.org1.example.com:7051", "peer0.org2.example.com:9051"
	detail := func(addr, msg string) *gateway.ErrorDetail {
		return &gateway.ErrorDetail{Address: addr, MspId: "X", Message: msg}
	}
	aborted := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info")
	cases := []struct {
		name    string
		st      *status.Status
		details []*gateway.ErrorDetail
		peer    string
		want    bool
	}{
		{"payloads differ", status.New(codes.Aborted, "failed to assemble transaction: ProposalResponsePayloads do not match"), nil, local, true},
		{"only the other org's peer refused", aborted, []*gateway.ErrorDetail{detail(remote, "chaincode response 500, NOT_FOUND: user x")}, local, true},
		{"the gateway's own peer refused", aborted, []*gateway.ErrorDetail{detail(local, "chaincode response 500, FORBIDDEN: no")}, local, false},
		{"both refused", aborted, []*gateway.ErrorDetail{detail(remote, "x"), detail(local, "x")}, local, false},
		{"gateway peer unknown", aborted, []*gateway.ErrorDetail{detail(remote, "x")}, "", false},
		{"no details", aborted, nil, local, false},
		{"not aborted", status.New(codes.Unavailable, "ProposalResponsePayloads do not match"), nil, local, false},
		{"no status", nil, nil, local, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, lagged(tc.st, tc.details, tc.peer))
		})
	}
}

func TestWatermarkOnlyRises(t *testing.T) {
	var w Watermark
	w.Observe(5)
	w.Observe(3)
	require.Equal(t, uint64(5), w.Block())
	w.Observe(9)
	require.Equal(t, uint64(9), w.Block())
}

func TestOnlyARegistrationThatSurelyFailedCleansUp(t *testing.T) {
	require.True(t, definitelyNotRegistered(invalidArgument("RegisterDocument", "bad")))
	require.True(t, definitelyNotRegistered(wrapError("RegisterDocument", "tx", newCommitError("tx", peer.TxValidationCode_MVCC_READ_CONFLICT))))
	require.False(t, definitelyNotRegistered(wrapError("RegisterDocument", "tx", status.Error(codes.DeadlineExceeded, "waiting for commit status"))))
	require.False(t, definitelyNotRegistered(errors.New("anything else")))
}
