package keys

import (
	"fmt"
)

// wrapVersion is the first byte of a wrapped data key.
//
// Layout: version (1) | key id length (1) | key id | provider blob.
// The header is bound into the provider's associated data, so the key id cannot be swapped.
const wrapVersion = 1

// Wrap encrypts a data key under the provider's master key, binding it to associatedData
// (use AssociatedData(userID)) so a wrapped key cannot be moved to another user's row.
func Wrap(p KeyProvider, dk DataKey, associatedData []byte) ([]byte, error) {
	header, err := wrapHeader(p.KeyID())
	if err != nil {
		return nil, err
	}
	blob, err := p.WrapKey(dk[:], append(header[:len(header):len(header)], associatedData...))
	if err != nil {
		return nil, fmt.Errorf("wrap data key under %s: %w", p.KeyID(), err)
	}
	return append(header, blob...), nil
}

// Unwrap decrypts a wrapped data key. It fails with ErrWrongKey if the blob names another
// master key, and with ErrDecrypt if the blob or associatedData was altered.
func Unwrap(p KeyProvider, wrapped, associatedData []byte) (DataKey, error) {
	id, blob, err := splitWrapped(wrapped)
	if err != nil {
		return DataKey{}, err
	}
	if id != p.KeyID() {
		return DataKey{}, fmt.Errorf("%w: blob needs key %s, provider has %s", ErrWrongKey, id, p.KeyID())
	}
	header := wrapped[:len(wrapped)-len(blob)]
	raw, err := p.UnwrapKey(blob, append(header[:len(header):len(header)], associatedData...))
	if err != nil {
		return DataKey{}, fmt.Errorf("unwrap data key under %s: %w", id, err)
	}
	var dk DataKey
	if len(raw) != KeySize {
		return DataKey{}, fmt.Errorf("%w: unwrapped key is %d bytes", ErrFormat, len(raw))
	}
	copy(dk[:], raw)
	clear(raw)
	return dk, nil
}

// Rewrap moves a wrapped data key from the old master key to the new one, for key rotation.
// The data sealed under the data key is untouched because the data key itself is unchanged.
// A blob already wrapped under the new key is returned as is, so rotation can be resumed.
func Rewrap(wrapped, associatedData []byte, old, next KeyProvider) ([]byte, error) {
	id, err := WrappedKeyID(wrapped)
	if err != nil {
		return nil, err
	}
	if id == next.KeyID() {
		if _, err := Unwrap(next, wrapped, associatedData); err != nil {
			return nil, err
		}
		return wrapped, nil
	}
	dk, err := Unwrap(old, wrapped, associatedData)
	if err != nil {
		return nil, err
	}
	defer dk.Zero()
	return Wrap(next, dk, associatedData)
}

// WrappedKeyID returns the id of the master key a wrapped data key needs, so a caller holding
// several keys during rotation can pick the right one.
func WrappedKeyID(wrapped []byte) (string, error) {
	id, _, err := splitWrapped(wrapped)
	return id, err
}

func wrapHeader(keyID string) ([]byte, error) {
	if keyID == "" || len(keyID) > 255 {
		return nil, fmt.Errorf("key id must be 1 to 255 bytes, got %d", len(keyID))
	}
	h := make([]byte, 0, 2+len(keyID)+128)
	h = append(h, wrapVersion, byte(len(keyID)))
	return append(h, keyID...), nil
}

func splitWrapped(wrapped []byte) (keyID string, blob []byte, err error) {
	if len(wrapped) < 2 {
		return "", nil, fmt.Errorf("%w: wrapped key is %d bytes", ErrFormat, len(wrapped))
	}
	if wrapped[0] != wrapVersion {
		return "", nil, fmt.Errorf("%w: wrapped key version %d", ErrFormat, wrapped[0])
	}
	n := int(wrapped[1])
	if n == 0 || len(wrapped) < 2+n {
		return "", nil, fmt.Errorf("%w: wrapped key header is truncated", ErrFormat)
	}
	return string(wrapped[2 : 2+n]), wrapped[2+n:], nil
}
