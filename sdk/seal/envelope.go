package seal

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
)

// A wrapped key is
//
//	"MLK1" | len(kekID) (1 byte) | kekID | CRC-32C(ct) (4 bytes) | ct
//	ct    = KEK.Encrypt(inner, wrapAD)
//	inner = version (1 byte) | SHA-256(associated data) | Tink binary keyset
//
// The KEK's name and a checksum travel in clear so that a failed unwrap can
// be told apart: damaged bytes (checksum), another KEK (name), or the right
// KEK failing (a key service that does not answer). The associated data's
// hash travels encrypted so that Open can say "wrong associated data"
// before it reads a byte of the object. None of this is trusted: the KEK's
// AEAD authenticates the wrapped key.
const (
	wrapMagic   = "MLK1"
	wrapVersion = 1
	// wrapAD binds every wrapped key to its purpose, so a KEK shared with
	// other software cannot be made to decrypt one of ours in another role.
	wrapAD = "medledger/seal/v1: data key"
)

func wrapKey(kek KEK, handle *keyset.Handle, associatedData []byte) ([]byte, error) {
	if len(kek.ID) == 0 || len(kek.ID) > 255 {
		return nil, fmt.Errorf("seal: key-encryption key ID %q must be 1 to 255 bytes", kek.ID)
	}
	var ks bytes.Buffer
	// The cleartext keyset exists only in this buffer, on its way into the
	// KEK's encryption, as in keyset.Handle.Write.
	if err := insecurecleartextkeyset.Write(handle, keyset.NewBinaryWriter(&ks)); err != nil {
		return nil, fmt.Errorf("seal: serialize data key: %w", err)
	}
	h := adHash(associatedData)
	inner := make([]byte, 0, 1+len(h)+ks.Len())
	inner = append(inner, wrapVersion)
	inner = append(inner, h[:]...)
	inner = append(inner, ks.Bytes()...)
	ct, err := kek.AEAD.Encrypt(inner, []byte(wrapAD))
	clear(inner)
	clear(ks.Bytes())
	if err != nil {
		return nil, fmt.Errorf("seal: wrap data key with %s: %w", kek.ID, err)
	}
	out := make([]byte, 0, len(wrapMagic)+1+len(kek.ID)+4+len(ct))
	out = append(out, wrapMagic...)
	out = append(out, byte(len(kek.ID)))
	out = append(out, kek.ID...)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(ct, castagnoli))
	return append(out, ct...), nil
}

func unwrapKey(kek KEK, wrapped, associatedData []byte) (*keyset.Handle, error) {
	rest, ok := bytes.CutPrefix(wrapped, []byte(wrapMagic))
	if !ok || len(rest) < 1 || len(rest) < 1+int(rest[0])+4 {
		return nil, fmt.Errorf("%w: not a MedLedger wrapped key", ErrBadWrappedKey)
	}
	idLen := int(rest[0])
	id := string(rest[1 : 1+idLen])
	sum, ct := binary.BigEndian.Uint32(rest[1+idLen:]), rest[1+idLen+4:]
	if crc32.Checksum(ct, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadWrappedKey)
	}
	inner, err := kek.AEAD.Decrypt(ct, []byte(wrapAD))
	if err != nil {
		// A KEK can often still open keys of its older versions (a Tink
		// keyset keeps rotated keys), so the names decide only after the
		// decryption failed.
		if id != kek.ID {
			return nil, fmt.Errorf("%w: it names %q, the key provider holds %q", ErrWrongKEK, id, kek.ID)
		}
		return nil, fmt.Errorf("%w: %q: %w", ErrKEKFailed, id, err)
	}
	defer clear(inner)
	h := adHash(associatedData)
	if len(inner) < 1+len(h) || inner[0] != wrapVersion {
		return nil, fmt.Errorf("%w: unknown format", ErrBadWrappedKey)
	}
	if subtle.ConstantTimeCompare(inner[1:1+len(h)], h[:]) != 1 {
		return nil, ErrAssociatedData
	}
	handle, err := insecurecleartextkeyset.Read(keyset.NewBinaryReader(bytes.NewReader(inner[1+len(h):])))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWrappedKey, err)
	}
	return handle, nil
}

var (
	errNoKEK   = errors.New("seal: key provider returned no AEAD")
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)
