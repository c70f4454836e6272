package keys

import (
	"errors"
	"fmt"
)

// sealVersion is the first byte of a sealed field.
//
// Layout: version (1) | nonce (24) | XChaCha20-Poly1305 ciphertext and tag.
// The version byte is part of the authenticated data, so it cannot be changed either.
const sealVersion = 1

// Seal encrypts one personal field under a user's data key. associatedData must name the
// owner and the field (use AssociatedData(userID, field)): a ciphertext copied to another user
// or another field then fails to open. Empty associatedData is refused for that reason.
func Seal(dk DataKey, plaintext, associatedData []byte) ([]byte, error) {
	if len(associatedData) == 0 {
		return nil, errors.New("seal: associated data must bind the user and field")
	}
	return sealWith(dk[:], []byte{sealVersion}, plaintext, sealAD(associatedData))
}

// Open decrypts a field sealed by Seal with the same key and associatedData. It returns
// ErrDecrypt if anything differs and ErrFormat for an unknown version.
func Open(dk DataKey, sealed, associatedData []byte) ([]byte, error) {
	if len(associatedData) == 0 {
		return nil, errors.New("open: associated data must bind the user and field")
	}
	if len(sealed) < 1 {
		return nil, fmt.Errorf("%w: empty sealed field", ErrFormat)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: sealed field version %d", ErrFormat, sealed[0])
	}
	return openWith(dk[:], sealed[1:], sealAD(associatedData))
}

func sealAD(ad []byte) []byte {
	return append([]byte{sealVersion}, ad...)
}
