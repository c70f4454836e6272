package translog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the signed statement "the log named Origin had Size entries with this Root",
// in the C2SP tlog-checkpoint format.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// ErrBadCheckpoint means a checkpoint note is malformed, unsigned by the expected key, or
// names another log.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// Body returns the checkpoint text that is signed: origin, size and base64 root hash, one per
// line.
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// parseCheckpoint reads a checkpoint body. Extension lines after the root are allowed by
// C2SP and ignored.
func parseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root lines", ErrBadCheckpoint)
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrBadCheckpoint)
	}
	size, err := strconv.ParseUint(sizeText, 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != sizeText {
		return Checkpoint{}, fmt.Errorf("%w: size %q is not a decimal number", ErrBadCheckpoint, sizeText)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(rootText)
	if err != nil || len(root) != hashSize {
		return Checkpoint{}, fmt.Errorf("%w: root %q is not a base64 SHA-256 hash", ErrBadCheckpoint, rootText)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// VerifyCheckpoint checks a signed checkpoint note against a verifier key and returns what it
// states. The note's origin must be the key's name, so one log's key cannot vouch for another
// log's checkpoint. It needs only public data.
func VerifyCheckpoint(signedNote []byte, verifierKey string) (Checkpoint, error) {
	v, err := noteVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, err
	}
	n, err := note.Open(signedNote, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, verifier key is for %q", ErrBadCheckpoint, cp.Origin, v.Name())
	}
	return cp, nil
}

// GenerateSigningKey makes a new Ed25519 checkpoint key pair for a log origin such as
// "kurz.example.org/access-log". The signer key is secret and kept by the server; the
// verifier key is public and is what users and auditors check checkpoints with.
func GenerateSigningKey(origin string) (signerKey, verifierKey string, err error) {
	if !validOrigin(origin) {
		return "", "", fmt.Errorf("log origin %q must be non-empty, without spaces or '+'", origin)
	}
	signerKey, verifierKey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("generate checkpoint key: %w", err)
	}
	return signerKey, verifierKey, nil
}

// VerifierKeyFor derives the public verifier key from a signer key, so a server that only
// stored the signer key can publish its verifier key.
func VerifierKeyFor(signerKey string) (string, error) {
	if _, err := note.NewSigner(signerKey); err != nil {
		return "", fmt.Errorf("signer key: %w", err)
	}
	// Format (checked by NewSigner above): PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>.
	parts := strings.SplitN(signerKey, "+", 5) // base64 may contain "+" too
	name, encoded := parts[2], parts[4]
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return "", errors.New("signer key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

func validOrigin(s string) bool {
	return s != "" && !strings.ContainsRune(s, '+') && strings.IndexFunc(s, unicode.IsSpace) < 0
}

func noteVerifier(verifierKey string) (note.Verifier, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return v, nil
}
