package blob

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// RefPrefix starts every reference the stores in this module hand out. A
// reference is "sha256:" followed by the 64 lowercase hex digits of the
// SHA-256 of the stored bytes, so it says how it was derived and a store can
// check a reference before it touches storage.
const RefPrefix = "sha256:"

// ErrInvalidRef is returned (wrapped) when a reference is not of the form
// "sha256:<64 lowercase hex digits>".
var ErrInvalidRef = errors.New("blob: invalid reference")

// RefOf returns the reference of an object whose bytes hash to sum.
func RefOf(sum []byte) string { return RefPrefix + hex.EncodeToString(sum) }

// ParseRef checks ref and returns the lowercase hex SHA-256 it names.
func ParseRef(ref string) (string, error) {
	h, ok := strings.CutPrefix(ref, RefPrefix)
	if !ok || len(h) != 64 || !isLowerHex(h) {
		return "", fmt.Errorf("%w %q: want %s followed by 64 lowercase hex digits", ErrInvalidRef, ref, RefPrefix)
	}
	return h, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
