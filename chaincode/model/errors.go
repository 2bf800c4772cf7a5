package model

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable, machine-readable class of a chaincode error. Every
// error the chaincode returns starts with its code followed by ": ", so that
// the SDK can map it to a sentinel error whatever the message says.
type Code string

// The error codes. They never change meaning; new ones may be added.
const (
	CodeInvalidArgument    Code = "INVALID_ARGUMENT"
	CodeNotFound           Code = "NOT_FOUND"
	CodeAlreadyExists      Code = "ALREADY_EXISTS"
	CodeForbidden          Code = "FORBIDDEN"
	CodeFailedPrecondition Code = "FAILED_PRECONDITION"
	// CodeInternal marks a fault of the chaincode or the ledger, never of the input.
	CodeInternal Code = "INTERNAL"
)

// Codes lists every error code, in a fixed order.
var Codes = []Code{CodeInvalidArgument, CodeNotFound, CodeAlreadyExists, CodeForbidden, CodeFailedPrecondition, CodeInternal}

// Error is a chaincode error: a code and a message saying what was wrong.
type Error struct {
	Code    Code
	Message string
}

// Error returns "CODE: message", the form the chaincode sends to the peer.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: the code of an *Error in its chain, or the
// code that starts its message (as the chaincode's errors arrive in a peer's
// response), or "" when it has none.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ParseCode(err.Error())
}

// ParseCode finds the error code in a message produced by Error.Error, also
// when a peer or gateway has prefixed it (for example "chaincode response
// 500, FORBIDDEN: ..."). It returns "" when the message holds no code.
func ParseCode(message string) Code {
	best, bestAt := Code(""), -1
	for _, c := range Codes {
		marker := string(c) + ": "
		at := strings.Index(message, marker)
		if at < 0 {
			continue
		}
		// The code must start the message or follow a separator, so that a
		// code quoted inside an identifier does not count.
		if at > 0 && !strings.ContainsRune(" ,:(\n", rune(message[at-1])) {
			continue
		}
		if bestAt < 0 || at < bestAt {
			best, bestAt = c, at
		}
	}
	return best
}
