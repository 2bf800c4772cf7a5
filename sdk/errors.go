package sdk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/medledger/medledger/chaincode/model"
	"google.golang.org/grpc/status"
)

// Sentinel errors for the chaincode's error codes. Test for them with
// errors.Is; the gateway's error (*client.EndorseError, *client.SubmitError,
// *client.CommitStatusError, *client.CommitError or a gRPC status) stays in
// the chain for errors.As.
var (
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrForbidden          = errors.New("forbidden")
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrInternal marks a fault the chaincode reported as its own, never the input's.
	ErrInternal = errors.New("internal chaincode error")
)

// ErrIntegrity is returned when downloaded bytes differ from the SHA-256 or
// size registered on the ledger. Nothing read before it may be trusted.
var ErrIntegrity = errors.New("integrity check failed: stored bytes differ from the ledger")

var codeSentinels = map[model.Code]error{
	model.CodeInvalidArgument:    ErrInvalidArgument,
	model.CodeNotFound:           ErrNotFound,
	model.CodeAlreadyExists:      ErrAlreadyExists,
	model.CodeForbidden:          ErrForbidden,
	model.CodeFailedPrecondition: ErrFailedPrecondition,
	model.CodeInternal:           ErrInternal,
}

// Error is a failed MedLedger transaction: its name, the transaction ID when
// one was assigned, the chaincode's error code when it gave one, and the
// underlying gateway error.
//
// errors.Is(err, ErrForbidden) matches on Code; errors.As reaches the
// gateway's own error types through Unwrap.
type Error struct {
	// Transaction is the chaincode transaction name, for example "GrantConsent".
	Transaction string
	// TransactionID is empty when the failure came before a proposal existed.
	TransactionID string
	// Code is the chaincode's error code, or "" when the failure did not come
	// from the chaincode (network, deadline, commit validation).
	Code model.Code
	// Err is the underlying error.
	Err error
}

// Error gives the transaction, its ID and the chaincode's own message
// without the gateway's framing (the whole text stays in Err).
func (e *Error) Error() string {
	var msg string
	switch {
	case e.Code != "" && e.chaincodeMessage() != "":
		msg = e.chaincodeMessage()
	default:
		msg = e.Err.Error()
	}
	if e.TransactionID != "" {
		return fmt.Sprintf("medledger %s (tx %s): %s", e.Transaction, e.TransactionID, msg)
	}
	return fmt.Sprintf("medledger %s: %s", e.Transaction, msg)
}

// chaincodeMessage is the chaincode's "CODE: message" text without the
// gateway's framing, so that printed errors stay readable.
func (e *Error) chaincodeMessage() string {
	for _, m := range errorMessages(e.Err) {
		if at := indexCode(m, e.Code); at >= 0 {
			return m[at:]
		}
	}
	return ""
}

// Unwrap returns the underlying gateway error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's chaincode code, or
// ErrInvalidArgument for input the SDK refused before sending it.
func (e *Error) Is(target error) bool {
	if e.Code == "" {
		return false
	}
	return codeSentinels[e.Code] == target
}

// ValidationCode returns the commit validation code of a transaction that
// was ordered but failed validation (for example MVCC_READ_CONFLICT), and
// whether err carries one.
func ValidationCode(err error) (peer.TxValidationCode, bool) {
	var ce *client.CommitError
	if errors.As(err, &ce) {
		return ce.Code, true
	}
	return 0, false
}

// wrapError turns a gateway error of transaction tx into an *Error with the
// chaincode's code, when the peer's message carries one.
func wrapError(tx string, txID string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	var txErr *client.TransactionError
	if txID == "" && errors.As(err, &txErr) {
		txID = txErr.TransactionID
	}
	var ce *client.CommitError
	if txID == "" && errors.As(err, &ce) {
		txID = ce.TransactionID
	}
	return &Error{Transaction: tx, TransactionID: txID, Code: codeOf(err), Err: err}
}

// codeOf finds the chaincode's error code in a gateway error: first in the
// per-peer error details (where the gateway puts the chaincode's message),
// then in the status message, then anywhere in the text.
func codeOf(err error) model.Code {
	for _, m := range errorMessages(err) {
		if c := model.ParseCode(m); c != "" {
			return c
		}
	}
	return ""
}

// errorMessages lists the texts that may hold the chaincode's message, most
// specific first.
func errorMessages(err error) []string {
	var out []string
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(interface{ GetMessage() string }); ok {
				out = append(out, ed.GetMessage())
			}
		}
		out = append(out, st.Message())
	}
	return append(out, err.Error())
}

func indexCode(message string, code model.Code) int {
	if model.ParseCode(message) != code {
		return -1
	}
	return strings.Index(message, string(code)+": ")
}

// invalidArgument reports input the SDK refuses before sending anything.
func invalidArgument(tx string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Transaction: tx,
		Code:        model.CodeInvalidArgument,
		Err:         fmt.Errorf("%w: %s", ErrInvalidArgument, msg),
	}
}
