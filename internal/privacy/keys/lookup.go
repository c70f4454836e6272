package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Lookup computes keyed, deterministic tokens: a blind index to find an account by e-mail
// without storing the address in clear, and pseudonyms that name users in the access log.
//
// Its root is a random secret wrapped under the master key and stored by the caller, not the
// master key itself: rotating the master key then re-wraps the root and leaves every index
// and every pseudonym already written to the append-only log valid.
type Lookup struct {
	emailKey     []byte
	pseudonymKey []byte
}

// NewLookup derives the blind-index and pseudonym sub-keys from root with HKDF, so the two
// token kinds can never be matched against each other.
func NewLookup(root DataKey) (*Lookup, error) {
	emailKey, err := deriveKey(root[:], "lookup: e-mail blind index")
	if err != nil {
		return nil, err
	}
	pseudonymKey, err := deriveKey(root[:], "lookup: user pseudonym")
	if err != nil {
		return nil, err
	}
	return &Lookup{emailKey: emailKey, pseudonymKey: pseudonymKey}, nil
}

// NormaliseEmail is the form an address is indexed under: surrounding space trimmed, Unicode
// NFC, lower case. "  Ana@Example.ORG " and "ana@example.org" find the same account.
func NormaliseEmail(email string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(email)))
}

// EmailIndex returns the 32-byte blind index of an address (HMAC-SHA256 of its normalised
// form), to store in a unique column and query by equality.
func (l *Lookup) EmailIndex(email string) []byte {
	return mac(l.emailKey, NormaliseEmail(email))
}

// Pseudonym returns a stable keyed name for a user id: 128 bits as 22 base64url characters.
// Without the key it cannot be linked back to the id, so the access log never holds raw ids.
func (l *Lookup) Pseudonym(userID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(l.pseudonymKey, userID)[:16])
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
