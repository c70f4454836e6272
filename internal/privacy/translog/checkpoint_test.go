package translog

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestSigningKeys(t *testing.T) {
	skey, vkey, err := GenerateSigningKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(skey, "PRIVATE+KEY+"+testOrigin+"+") || !strings.HasPrefix(vkey, testOrigin+"+") {
		t.Fatalf("unexpected key formats: %q / %q", skey[:20], vkey)
	}
	derived, err := VerifierKeyFor(skey)
	if err != nil {
		t.Fatal(err)
	}
	if derived != vkey {
		t.Fatalf("VerifierKeyFor = %q, want %q", derived, vkey)
	}
	if strings.Contains(vkey, skey[len(skey)-20:]) {
		t.Fatal("verifier key contains private material")
	}
	for _, bad := range []string{"", "two words", "a+b"} {
		if _, _, err := GenerateSigningKey(bad); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	if _, err := VerifierKeyFor(vkey); err == nil {
		t.Error("a verifier key was accepted as a signer key")
	}
}

func TestCheckpointFormatAndVerification(t *testing.T) {
	f := newFixture(t)
	f.appendN(t, 0, 5)
	signed, err := f.log.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// C2SP tlog-checkpoint: origin, decimal size, base64 root, blank line, signature lines.
	lines := strings.Split(string(signed), "\n")
	if lines[0] != testOrigin || lines[1] != "5" || len(lines[2]) != 44 || lines[3] != "" || !strings.HasPrefix(lines[4], "— "+testOrigin+" ") {
		t.Fatalf("checkpoint not in C2SP form:\n%s", signed)
	}
	cp, err := VerifyCheckpoint(signed, f.verifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Origin != testOrigin || cp.Size != 5 || !bytes.Equal(cp.Root, refRoot(leafData(t, f.store))) {
		t.Fatalf("checkpoint states %+v", cp)
	}

	// Someone else's key, with the same origin name.
	_, otherV, _ := GenerateSigningKey(testOrigin)
	if _, err := VerifyCheckpoint(signed, otherV); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("verified with another key: %v", err)
	}
	// A correctly signed note whose origin line names another log is refused: a key
	// vouches only for its own log.
	signer, _ := note.NewSigner(f.signerKey)
	other := Checkpoint{Origin: "other.example/log", Size: cp.Size, Root: cp.Root}
	mislabelled, err := note.Sign(&note.Note{Text: other.Body()}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCheckpoint(mislabelled, f.verifierKey); !errors.Is(err, ErrBadCheckpoint) {
		t.Errorf("checkpoint for another origin verified: %v", err)
	}
	// Altered size or root text.
	for _, tamper := range []func(string) string{
		func(s string) string { return strings.Replace(s, "\n5\n", "\n6\n", 1) },
		func(s string) string { return strings.Replace(s, lines[2], strings.Repeat("A", 43)+"=", 1) },
		func(s string) string { return strings.Replace(s, "\n5\n", "\n05\n", 1) },
	} {
		if _, err := VerifyCheckpoint([]byte(tamper(string(signed))), f.verifierKey); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("tampered checkpoint verified: %v", err)
		}
	}
	if _, err := VerifyCheckpoint(signed, "not a key"); err == nil {
		t.Error("malformed verifier key accepted")
	}
}

func TestCheckpointIsNotDuplicated(t *testing.T) {
	f := newFixture(t)
	f.appendN(t, 0, 3)
	a, _ := f.log.Checkpoint(t.Context())
	b, _ := f.log.Checkpoint(t.Context())
	if !bytes.Equal(a, b) {
		t.Fatal("second checkpoint at the same size differs")
	}
	if n := len(allCheckpoints(t, f.store)); n != 1 {
		t.Fatalf("%d checkpoints stored, want 1", n)
	}
	f.appendN(t, 3, 1)
	f.checkpoint(t)
	if n := len(allCheckpoints(t, f.store)); n != 2 {
		t.Fatalf("%d checkpoints stored, want 2", n)
	}
	latest, ok, err := f.log.LatestCheckpoint(t.Context())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if cp, _ := VerifyCheckpoint(latest, f.verifierKey); cp.Size != 4 {
		t.Fatalf("latest checkpoint size %d", cp.Size)
	}
}

func TestEmptyLogCheckpoint(t *testing.T) {
	f := newFixture(t)
	cp := f.checkpoint(t)
	if cp.Size != 0 || !bytes.Equal(cp.Root, refRoot(nil)) {
		t.Fatalf("empty checkpoint %+v", cp)
	}
	r, err := Audit(t.Context(), f.store, f.verifierKey)
	if err != nil || !r.OK() {
		t.Fatalf("audit of an empty log: %v\n%s", err, r)
	}
}
