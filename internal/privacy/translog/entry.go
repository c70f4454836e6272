// Package translog is the access transparency log: every read of a user's vault data by
// someone other than its owner is appended to an RFC 6962 Merkle tree with Ed25519-signed
// checkpoints, so users get inclusion proofs and auditors can prove nothing was rewritten.
package translog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Limits on entry contents. They keep entries small and, because values must be short
// tokens, keep free text (and with it personal data such as an e-mail address) out.
const (
	MaxTokenLen = 64
	MaxFields   = 32
)

// entryVersion is written into every leaf so the format can change without ambiguity.
const entryVersion = 1

// ErrInvalidEntry means an entry breaks the rules of what may enter the log.
var ErrInvalidEntry = errors.New("invalid access log entry")

// Entry records one access to a user's personal data.
type Entry struct {
	// At is when the data was read; the log keeps millisecond precision. Zero means now.
	At time.Time
	// Actor is the id of whoever read the data: a staff account id or a service name.
	Actor string
	// Role is the actor's role at the time, e.g. "moderator", "support", "system".
	Role string
	// Purpose is the declared reason, e.g. "abuse_report", "legal_request".
	Purpose string
	// Fields names the vault fields that were read, e.g. "email". Stored sorted, without
	// duplicates.
	Fields []string
	// Subject is the keyed pseudonym of the user whose data was read (keys.Lookup.Pseudonym),
	// never the raw user id.
	Subject string
}

// Vocabulary lists the values an entry may use. An empty list allows any short token, so a
// deployment can start permissive and tighten later; tokens are still enforced.
type Vocabulary struct {
	Roles    []string
	Purposes []string
	Fields   []string
}

// entryJSON fixes the serialised field order; encoding/json writes struct fields in
// declaration order, which makes the leaf bytes deterministic.
type entryJSON struct {
	V       int      `json:"v"`
	AtMs    int64    `json:"at_ms"`
	Actor   string   `json:"actor"`
	Role    string   `json:"role"`
	Purpose string   `json:"purpose"`
	Fields  []string `json:"fields"`
	Subject string   `json:"subject"`
}

// Canonical returns the entry in the form that is stored: fields sorted and de-duplicated,
// time truncated to the millisecond and in UTC.
func (e Entry) Canonical() Entry {
	fields := slices.Clone(e.Fields)
	slices.Sort(fields)
	e.Fields = slices.Compact(fields)
	e.At = time.UnixMilli(e.At.UnixMilli()).UTC()
	return e
}

// Encode validates the entry against the token rules and returns its canonical leaf bytes.
func (e Entry) Encode() ([]byte, error) {
	e = e.Canonical()
	if err := e.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(entryJSON{
		V: entryVersion, AtMs: e.At.UnixMilli(), Actor: e.Actor, Role: e.Role,
		Purpose: e.Purpose, Fields: e.Fields, Subject: e.Subject,
	})
}

// DecodeEntry parses leaf bytes and insists they are exactly the canonical encoding, so two
// different byte strings can never stand for the same entry.
func DecodeEntry(data []byte) (Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j entryJSON
	if err := dec.Decode(&j); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if j.V != entryVersion {
		return Entry{}, fmt.Errorf("%w: version %d", ErrInvalidEntry, j.V)
	}
	e := Entry{At: time.UnixMilli(j.AtMs).UTC(), Actor: j.Actor, Role: j.Role, Purpose: j.Purpose, Fields: j.Fields, Subject: j.Subject}
	again, err := e.Encode()
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(again, data) {
		return Entry{}, fmt.Errorf("%w: not in canonical form", ErrInvalidEntry)
	}
	return e, nil
}

func (e Entry) validate() error {
	if e.At.UnixMilli() <= 0 {
		return fmt.Errorf("%w: time %v is before 1970", ErrInvalidEntry, e.At)
	}
	if !isID(e.Actor) {
		return fmt.Errorf("%w: actor %q is not an id of at most %d letters, digits and _.:-", ErrInvalidEntry, e.Actor, MaxTokenLen)
	}
	if !isPseudonym(e.Subject) {
		return fmt.Errorf("%w: subject must be a base64url pseudonym of 16 to %d characters", ErrInvalidEntry, MaxTokenLen)
	}
	if !isToken(e.Role) {
		return fmt.Errorf("%w: role %q is not a lower-case token", ErrInvalidEntry, e.Role)
	}
	if !isToken(e.Purpose) {
		return fmt.Errorf("%w: purpose %q is not a lower-case token", ErrInvalidEntry, e.Purpose)
	}
	if len(e.Fields) == 0 || len(e.Fields) > MaxFields {
		return fmt.Errorf("%w: %d fields, want 1 to %d", ErrInvalidEntry, len(e.Fields), MaxFields)
	}
	for _, f := range e.Fields {
		if !isToken(f) {
			return fmt.Errorf("%w: field %q is not a lower-case token", ErrInvalidEntry, f)
		}
	}
	return nil
}

// vocabulary is Vocabulary as sets.
type vocabulary struct {
	roles, purposes, fields map[string]bool
}

func newVocabulary(v Vocabulary) (vocabulary, error) {
	set := func(kind string, list []string) (map[string]bool, error) {
		if len(list) == 0 {
			return nil, nil
		}
		m := make(map[string]bool, len(list))
		for _, s := range list {
			if !isToken(s) {
				return nil, fmt.Errorf("vocabulary: %s %q is not a lower-case token", kind, s)
			}
			m[s] = true
		}
		return m, nil
	}
	var out vocabulary
	var err error
	if out.roles, err = set("role", v.Roles); err != nil {
		return vocabulary{}, err
	}
	if out.purposes, err = set("purpose", v.Purposes); err != nil {
		return vocabulary{}, err
	}
	if out.fields, err = set("field", v.Fields); err != nil {
		return vocabulary{}, err
	}
	return out, nil
}

func (v vocabulary) check(e Entry) error {
	if v.roles != nil && !v.roles[e.Role] {
		return fmt.Errorf("%w: role %q is not in the allowed list", ErrInvalidEntry, e.Role)
	}
	if v.purposes != nil && !v.purposes[e.Purpose] {
		return fmt.Errorf("%w: purpose %q is not in the allowed list", ErrInvalidEntry, e.Purpose)
	}
	if v.fields != nil {
		for _, f := range e.Fields {
			if !v.fields[f] {
				return fmt.Errorf("%w: field %q is not in the allowed list", ErrInvalidEntry, f)
			}
		}
	}
	return nil
}

// isToken accepts lower-case identifiers like "abuse_report" or "profile.email".
func isToken(s string) bool {
	return checkChars(s, 1, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
	})
}

// isID accepts opaque ids such as ULIDs and service names.
func isID(s string) bool {
	return checkChars(s, 1, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
	})
}

// isPseudonym accepts base64url strings long enough to be a keyed hash, not a name.
func isPseudonym(s string) bool {
	return checkChars(s, 16, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	})
}

func checkChars(s string, minLen int, ok func(byte) bool) bool {
	if len(s) < minLen || len(s) > MaxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
