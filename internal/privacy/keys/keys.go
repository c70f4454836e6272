// Package keys holds the cryptography of the personal-data vault: the master key and its
// providers, per-user data keys wrapped under it, field sealing, and the keyed blind index and
// pseudonyms that let kurz find a user or name them in the access log without raw identifiers.
package keys

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the length in bytes of every symmetric key here: master keys, data keys and the
// lookup root.
const KeySize = 32

// Errors callers branch on. Wrapped errors from this package satisfy errors.Is against them.
var (
	// ErrMasterKeyMissing means a database exists but no master key was found for it.
	ErrMasterKeyMissing = errors.New("master key missing")
	// ErrMasterKeyMismatch means a master key was found but it is not the one the database
	// was created with.
	ErrMasterKeyMismatch = errors.New("master key does not match this database")
	// ErrWrongKey means a wrapped data key names a different master key than the provider.
	ErrWrongKey = errors.New("wrapped under a different master key")
	// ErrDecrypt means authentication failed: wrong key, wrong associated data, or tampering.
	ErrDecrypt = errors.New("decryption failed: wrong key, wrong binding or tampered data")
	// ErrFormat means a blob is truncated or carries an unknown version.
	ErrFormat = errors.New("malformed or unsupported encrypted blob")
)

// DataKey is a per-user symmetric key. Personal fields are sealed under it, and it is stored
// only wrapped by a KeyProvider; destroying the wrapped copy erases the user's data.
type DataKey [KeySize]byte

// NewDataKey returns a fresh random data key.
func NewDataKey() (DataKey, error) {
	var k DataKey
	if _, err := rand.Read(k[:]); err != nil {
		return DataKey{}, fmt.Errorf("generate data key: %w", err)
	}
	return k, nil
}

// String keeps key bytes out of logs and error messages.
func (DataKey) String() string { return "keys.DataKey(redacted)" }

// GoString keeps key bytes out of %#v output.
func (DataKey) GoString() string { return "keys.DataKey(redacted)" }

// Zero overwrites the key, for callers that hold a key briefly and want it gone after use.
func (k *DataKey) Zero() { clear(k[:]) }

// AssociatedData encodes parts unambiguously (each one length-prefixed) for use as AEAD
// associated data, so that ("ab","c") and ("a","bc") never bind the same way. Seal a field with
// AssociatedData(userID, fieldName) and wrap a data key with AssociatedData(userID).
func AssociatedData(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.AppendUvarint(out, uint64(len(p)))
		out = append(out, p...)
	}
	return out
}

// deriveKey derives a purpose-specific sub-key so that one secret is never used directly for
// two different jobs.
func deriveKey(secret []byte, purpose string) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, []byte("kurz keys v1"), purpose, KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive %s key: %w", purpose, err)
	}
	return k, nil
}

// sealWith encrypts with XChaCha20-Poly1305 under key, prefixing the random nonce. Its 192-bit
// nonce is safe to draw at random for any number of messages, so several kurz replicas can
// seal under the same key without coordinating counters.
func sealWith(key, prefix, plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	out := make([]byte, len(prefix)+aead.NonceSize(), len(prefix)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	copy(out, prefix)
	nonce := out[len(prefix):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// openWith reverses sealWith on blob (without the prefix).
func openWith(key, blob, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	if len(blob) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrFormat, len(blob))
	}
	nonce, ct := blob[:aead.NonceSize()], blob[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
