package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustMaster(t *testing.T, seed byte) *MasterKey {
	t.Helper()
	raw := bytes.Repeat([]byte{seed}, KeySize)
	m, err := NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustDataKey(t *testing.T) DataKey {
	t.Helper()
	dk, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	return dk
}

func TestSealOpenRoundTrip(t *testing.T) {
	dk := mustDataKey(t)
	ad := AssociatedData("01HUSER", "email")
	for _, pt := range [][]byte{[]byte("ana@example.org"), {}, bytes.Repeat([]byte("x"), 1<<16)} {
		sealed, err := Seal(dk, pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 4 && bytes.Contains(sealed, pt[:5]) {
			t.Fatalf("sealed field contains plaintext")
		}
		got, err := Open(dk, sealed, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip: got %q, want %q", got, pt)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	dk := mustDataKey(t)
	ad := AssociatedData("u", "phone")
	a, _ := Seal(dk, []byte("+49 30 1234"), ad)
	b, _ := Seal(dk, []byte("+49 30 1234"), ad)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical; equal values would be linkable")
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	dk := mustDataKey(t)
	ad := AssociatedData("01HUSER", "email")
	sealed, err := Seal(dk, []byte("ana@example.org"), ad)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(sealed); i++ { // every byte after the version
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := Open(dk, bad, ad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipped bit in byte %d: got %v, want ErrDecrypt", i, err)
		}
	}
	if _, err := Open(dk, sealed[:len(sealed)-1], ad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("truncated: got %v", err)
	}
	bad := bytes.Clone(sealed)
	bad[0] = 2
	if _, err := Open(dk, bad, ad); !errors.Is(err, ErrFormat) {
		t.Fatalf("unknown version: got %v, want ErrFormat", err)
	}
	if _, err := Open(dk, sealed[:10], ad); !errors.Is(err, ErrFormat) {
		t.Fatalf("short blob: got %v, want ErrFormat", err)
	}
}

func TestOpenRefusesSwappedBinding(t *testing.T) {
	dk := mustDataKey(t)
	sealed, _ := Seal(dk, []byte("ana@example.org"), AssociatedData("alice", "email"))
	cases := map[string][]byte{
		"other user":           AssociatedData("mallory", "email"),
		"other field":          AssociatedData("alice", "phone"),
		"shifted boundary":     AssociatedData("alicee", "mail"),
		"concatenated parts":   []byte("aliceemail"),
		"same user, no field":  AssociatedData("alice"),
		"extra part appended":  AssociatedData("alice", "email", ""),
		"field and user swap":  AssociatedData("email", "alice"),
		"prefix of real value": AssociatedData("alice", "emai"),
	}
	for name, ad := range cases {
		if _, err := Open(dk, sealed, ad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: got %v, want ErrDecrypt", name, err)
		}
	}
	if _, err := Seal(dk, []byte("x"), nil); err == nil {
		t.Error("Seal accepted empty associated data")
	}
}

func TestOpenRefusesOtherUsersKey(t *testing.T) {
	ad := AssociatedData("alice", "email")
	sealed, _ := Seal(mustDataKey(t), []byte("ana@example.org"), ad)
	if _, err := Open(mustDataKey(t), sealed, ad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("got %v, want ErrDecrypt", err)
	}
}

func TestWrapUnwrap(t *testing.T) {
	m := mustMaster(t, 7)
	dk := mustDataKey(t)
	ad := AssociatedData("alice")
	wrapped, err := Wrap(m, dk, ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, dk[:8]) {
		t.Fatal("wrapped blob contains key bytes")
	}
	if id, _ := WrappedKeyID(wrapped); id != m.KeyID() {
		t.Fatalf("wrapped key id %q, want %q", id, m.KeyID())
	}
	got, err := Unwrap(m, wrapped, ad)
	if err != nil {
		t.Fatal(err)
	}
	if got != dk {
		t.Fatal("unwrapped key differs")
	}

	if _, err := Unwrap(m, wrapped, AssociatedData("mallory")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrapped key moved to another user: got %v, want ErrDecrypt", err)
	}
	if _, err := Unwrap(mustMaster(t, 8), wrapped, ad); !errors.Is(err, ErrWrongKey) {
		t.Errorf("other master key: got %v, want ErrWrongKey", err)
	}
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x80
		if _, err := Unwrap(m, bad, ad); err == nil {
			t.Fatalf("flipped bit in byte %d of wrapped key went unnoticed", i)
		}
	}
}

// impostor claims another provider's key id, to show the header is authenticated and not only
// compared.
type impostor struct {
	*MasterKey
	id string
}

func (i impostor) KeyID() string { return i.id }

func TestUnwrapWithForgedKeyIDFails(t *testing.T) {
	genuine := mustMaster(t, 1)
	other := impostor{MasterKey: mustMaster(t, 2), id: genuine.KeyID()}
	wrapped, _ := Wrap(genuine, mustDataKey(t), AssociatedData("u"))
	if _, err := Unwrap(other, wrapped, AssociatedData("u")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("got %v, want ErrDecrypt", err)
	}
}

func TestRotationKeepsDataReadable(t *testing.T) {
	old, next := mustMaster(t, 1), mustMaster(t, 2)
	if old.KeyID() == next.KeyID() {
		t.Fatal("different keys share an id")
	}
	type row struct {
		user    string
		wrapped []byte
		sealed  []byte
	}
	var rows []row
	for i := range 5 {
		user := fmt.Sprintf("user-%d", i)
		dk := mustDataKey(t)
		w, err := Wrap(old, dk, AssociatedData(user))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Seal(dk, []byte(user+"@example.org"), AssociatedData(user, "email"))
		rows = append(rows, row{user, w, s})
	}
	for i, r := range rows {
		before := bytes.Clone(r.sealed)
		w, err := Rewrap(r.wrapped, AssociatedData(r.user), old, next)
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := WrappedKeyID(w); id != next.KeyID() {
			t.Fatalf("rewrapped under %s, want %s", id, next.KeyID())
		}
		if _, err := Unwrap(old, w, AssociatedData(r.user)); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("old key still opens the rewrapped blob: %v", err)
		}
		dk, err := Unwrap(next, w, AssociatedData(r.user))
		if err != nil {
			t.Fatal(err)
		}
		pt, err := Open(dk, r.sealed, AssociatedData(r.user, "email"))
		if err != nil || string(pt) != r.user+"@example.org" {
			t.Fatalf("data after rotation: %q, %v", pt, err)
		}
		if !bytes.Equal(before, r.sealed) {
			t.Fatal("rotation changed sealed data")
		}
		// Resuming an interrupted rotation leaves finished rows alone.
		again, err := Rewrap(w, AssociatedData(r.user), old, next)
		if err != nil || !bytes.Equal(again, w) {
			t.Fatalf("second rewrap: %v", err)
		}
		rows[i].wrapped = w
	}
	if _, err := Rewrap(rows[0].wrapped, AssociatedData(rows[0].user), mustMaster(t, 3), mustMaster(t, 4)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("rewrap with unrelated old key: got %v, want ErrWrongKey", err)
	}
}

func TestParseMasterKeyEncodings(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, KeySize) // 0xfb makes std and URL base64 differ
	want, _ := NewMasterKey(raw)
	for _, s := range []string{
		hex.EncodeToString(raw),
		strings.ToUpper(hex.EncodeToString(raw)),
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		"  " + hex.EncodeToString(raw) + "\n",
	} {
		m, err := ParseMasterKey(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if m.KeyID() != want.KeyID() {
			t.Fatalf("%q decoded to a different key", s)
		}
	}
	for _, s := range []string{"", "abc", hex.EncodeToString(raw[:31]), base64.StdEncoding.EncodeToString(raw[:16])} {
		if _, err := ParseMasterKey(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestLoadMasterKeyFileRawAndHex(t *testing.T) {
	dir := t.TempDir()
	raw := bytes.Repeat([]byte{'\n'}, KeySize) // raw bytes that trimming would destroy
	want, _ := NewMasterKey(raw)
	rawPath := filepath.Join(dir, "raw.key")
	hexPath := filepath.Join(dir, "hex.key")
	os.WriteFile(rawPath, raw, 0o600)
	os.WriteFile(hexPath, []byte(hex.EncodeToString(raw)+"\n"), 0o600)
	for _, p := range []string{rawPath, hexPath} {
		m, err := LoadMasterKeyFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if m.KeyID() != want.KeyID() {
			t.Fatalf("%s: different key", p)
		}
	}
}

func TestOpenMasterKeyFirstStartCreatesKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, MasterKeyFile)
	m, created, err := OpenMasterKey(MasterKeyOptions{Path: path, NewInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false on a new install")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %o, want 600", perm)
	}
	content, _ := os.ReadFile(path)
	if raw, err := hex.DecodeString(strings.TrimSpace(string(content))); err != nil || len(raw) != KeySize {
		t.Fatalf("key file is not 32 bytes of hex: %q", content)
	}

	// Next start: the database exists now and the caller stored the key id.
	again, created, err := OpenMasterKey(MasterKeyOptions{Path: path, WantKeyID: m.KeyID()})
	if err != nil || created {
		t.Fatalf("restart: created=%v err=%v", created, err)
	}
	if again.KeyID() != m.KeyID() {
		t.Fatal("restart loaded a different key")
	}
	// Data wrapped before the restart still opens.
	dk := mustDataKey(t)
	w, _ := Wrap(m, dk, AssociatedData("u"))
	if got, err := Unwrap(again, w, AssociatedData("u")); err != nil || got != dk {
		t.Fatalf("unwrap after restart: %v", err)
	}
}

func TestOpenMasterKeyRefusesMissingKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MasterKeyFile)
	_, _, err := OpenMasterKey(MasterKeyOptions{Path: path, NewInstall: false, WantKeyID: "0011223344556677"})
	if !errors.Is(err, ErrMasterKeyMissing) {
		t.Fatalf("got %v, want ErrMasterKeyMissing", err)
	}
	for _, want := range []string{"refusing to start", path, "KURZ_MASTER_KEY", "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, statErr := os.Stat(path); !errors.Is(statErr, os.ErrNotExist) {
		t.Fatal("a key file was created for an existing database")
	}
}

func TestOpenMasterKeyRefusesWrongKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MasterKeyFile)
	orig, _, err := OpenMasterKey(MasterKeyOptions{Path: path, NewInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	// Someone replaces the file with another key.
	os.WriteFile(path, []byte(hex.EncodeToString(bytes.Repeat([]byte{9}, KeySize))), 0o600)
	_, _, err = OpenMasterKey(MasterKeyOptions{Path: path, WantKeyID: orig.KeyID()})
	if !errors.Is(err, ErrMasterKeyMismatch) || !strings.Contains(err.Error(), orig.KeyID()) {
		t.Fatalf("got %v, want ErrMasterKeyMismatch naming %s", err, orig.KeyID())
	}
	// A corrupted file is an error too, never a reason to make a new key.
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, _, err := OpenMasterKey(MasterKeyOptions{Path: path, WantKeyID: orig.KeyID()}); err == nil {
		t.Fatal("corrupted key file accepted")
	}
	if _, _, err := OpenMasterKey(MasterKeyOptions{Path: path, NewInstall: true}); err == nil {
		t.Fatal("corrupted key file replaced on a new install")
	}
}

func TestOpenMasterKeyFromEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MasterKeyFile)
	raw := bytes.Repeat([]byte{3}, KeySize)
	env := base64.StdEncoding.EncodeToString(raw)
	want, _ := NewMasterKey(raw)

	m, created, err := OpenMasterKey(MasterKeyOptions{Path: path, EnvValue: env, NewInstall: true})
	if err != nil || created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if m.KeyID() != want.KeyID() {
		t.Fatal("env key decoded wrongly")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was written although the key came from the environment")
	}
	if _, _, err := OpenMasterKey(MasterKeyOptions{Path: path, EnvValue: env, WantKeyID: "ffffffffffffffff"}); !errors.Is(err, ErrMasterKeyMismatch) {
		t.Fatalf("wrong env key: got %v, want ErrMasterKeyMismatch", err)
	}
	if _, _, err := OpenMasterKey(MasterKeyOptions{Path: path, EnvValue: "tooshort"}); err == nil {
		t.Fatal("malformed env key accepted")
	}
}

func TestKeyIDIsNotTheKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, KeySize)
	m, _ := NewMasterKey(raw)
	if strings.Contains(hex.EncodeToString(raw), m.KeyID()) {
		t.Fatal("key id reveals key bytes")
	}
	if len(m.KeyID()) != 16 {
		t.Fatalf("key id %q, want 16 hex digits", m.KeyID())
	}
}

func TestDataKeyNeverPrints(t *testing.T) {
	dk := mustDataKey(t)
	for _, verb := range []string{"%v", "%s", "%x", "%#v", "%+v"} {
		out := fmt.Sprintf(verb, dk)
		if strings.Contains(out, hex.EncodeToString(dk[:4])) || strings.Contains(out, fmt.Sprint(dk[0], " ", dk[1])) {
			t.Errorf("%s printed key bytes: %s", verb, out)
		}
	}
}

func TestBlindIndex(t *testing.T) {
	root := mustDataKey(t)
	l, err := NewLookup(root)
	if err != nil {
		t.Fatal(err)
	}
	a := l.EmailIndex("  Ana@Example.ORG ")
	if !bytes.Equal(a, l.EmailIndex("ana@example.org")) {
		t.Fatal("normalised forms index differently")
	}
	// "é" precomposed (NFC) and as e + combining accent (NFD) are the same address.
	if !bytes.Equal(l.EmailIndex("jos\u00e9@example.org"), l.EmailIndex("JOSE\u0301@example.org")) {
		t.Fatal("NFC and NFD spellings index differently")
	}
	if bytes.Equal(a, l.EmailIndex("ana@example.com")) {
		t.Fatal("different addresses share an index")
	}
	if len(a) != 32 {
		t.Fatalf("index is %d bytes", len(a))
	}
	// Stable: a second Lookup from the same root (e.g. after restart) gives the same index.
	l2, _ := NewLookup(root)
	if !bytes.Equal(a, l2.EmailIndex("ana@example.org")) {
		t.Fatal("index not stable across instances")
	}
	// Keyed: another root gives unrelated indexes.
	l3, _ := NewLookup(mustDataKey(t))
	if bytes.Equal(a, l3.EmailIndex("ana@example.org")) {
		t.Fatal("index does not depend on the key")
	}
}

func TestPseudonym(t *testing.T) {
	root := mustDataKey(t)
	l, _ := NewLookup(root)
	p := l.Pseudonym("01HZX3K5J8Q2W9N4R7T6Y1M0AB")
	if len(p) != 22 || strings.ContainsAny(p, "+/=") {
		t.Fatalf("pseudonym %q is not 22 base64url characters", p)
	}
	if strings.Contains(p, "01HZX") {
		t.Fatal("pseudonym contains the id")
	}
	l2, _ := NewLookup(root)
	if l2.Pseudonym("01HZX3K5J8Q2W9N4R7T6Y1M0AB") != p {
		t.Fatal("pseudonym not stable")
	}
	if l.Pseudonym("01HZX3K5J8Q2W9N4R7T6Y1M0AC") == p {
		t.Fatal("two users share a pseudonym")
	}
	l3, _ := NewLookup(mustDataKey(t))
	if l3.Pseudonym("01HZX3K5J8Q2W9N4R7T6Y1M0AB") == p {
		t.Fatal("pseudonym does not depend on the key")
	}
	// Domain separation: the pseudonym of a string is not a prefix of its e-mail index.
	idx := l.EmailIndex("u1")
	if base64.RawURLEncoding.EncodeToString(idx[:16]) == l.Pseudonym("u1") {
		t.Fatal("pseudonym and blind index share a key")
	}
}

func TestLookupRootSurvivesMasterRotation(t *testing.T) {
	old, next := mustMaster(t, 1), mustMaster(t, 2)
	root := mustDataKey(t)
	wrapped, _ := Wrap(old, root, AssociatedData("kurz:lookup-root"))
	before, _ := NewLookup(root)

	rewrapped, err := Rewrap(wrapped, AssociatedData("kurz:lookup-root"), old, next)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unwrap(next, rewrapped, AssociatedData("kurz:lookup-root"))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := NewLookup(got)
	if before.Pseudonym("u1") != after.Pseudonym("u1") || !bytes.Equal(before.EmailIndex("a@b.c"), after.EmailIndex("a@b.c")) {
		t.Fatal("rotation changed pseudonyms or blind indexes")
	}
}
