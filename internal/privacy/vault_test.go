package privacy_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/privacy"
	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
	"kurz/internal/testkit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recordingLog stands in for the access log: it keeps what is appended, or fails.
type recordingLog struct {
	entries []translog.Entry
	fail    error
}

func (l *recordingLog) Append(_ context.Context, e translog.Entry) (uint64, error) {
	if l.fail != nil {
		return 0, l.fail
	}
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *recordingLog) Checkpoint(context.Context) ([]byte, error) { return nil, nil }

type fixture struct {
	d     *db.DB
	dir   string
	keys  *privacy.Keys
	log   *recordingLog
	vault *privacy.Vault
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{d: testkit.OpenSQLite(t), dir: t.TempDir(), log: &recordingLog{}, now: time.Now().UTC()}
	f.keys = f.load(t, privacy.KeyOptions{})
	f.vault = privacy.NewVault(f.d.Vault(), f.keys, f.log, func() time.Time { return f.now }, quiet)
	return f
}

func (f *fixture) load(t *testing.T, o privacy.KeyOptions) *privacy.Keys {
	t.Helper()
	k, err := f.tryLoad(o)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) tryLoad(o privacy.KeyOptions) (*privacy.Keys, error) {
	if o.File == "" {
		o.File = filepath.Join(f.dir, keys.MasterKeyFile)
	}
	if o.Origin == "" {
		o.Origin = "kurz.test/access-log"
	}
	return privacy.LoadKeys(context.Background(), f.d.Settings(), f.d.Vault(), o)
}

// account creates an account with an e-mail address, a phone number and one log-in.
func (f *fixture) account(t testing.TB, name string) string {
	t.Helper()
	acc := &db.AccountRow{ID: id.NewGenerator().New(), Username: name, Role: "user", Region: "eu", State: "active",
		PasswordHash: "x", CreatedAt: f.now, UpdatedAt: f.now}
	email, phone := name+"@example.org", "+4930123456"
	if err := f.vault.CreateAccount(context.Background(), acc, privacy.PersonalInput{Email: &email, Phone: &phone}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.vault.RecordSession(context.Background(), acc.ID, "sess-"+name, "198.51.100.9", "Agent/"+name, f.now); err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

func TestReadsByOthersAreLoggedFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.account(t, "ann")

	own, err := f.vault.Read(ctx, owner, privacy.Access{Actor: owner, Role: privacy.RoleOwner})
	if err != nil || own.Email != "ann@example.org" || own.Logged || len(own.Sessions) != 1 || own.Sessions[0].IP != "198.51.100.0/24" {
		t.Fatalf("owner read: %+v %v", own, err)
	}
	if len(f.log.entries) != 0 {
		t.Fatalf("the owner's read was logged: %+v", f.log.entries)
	}

	staffRead, err := f.vault.Read(ctx, owner, privacy.Access{Actor: "01hmoderator", Role: "moderator", Purpose: "abuse_report",
		Fields: []privacy.Field{privacy.FieldEmail, privacy.FieldEmail}})
	if err != nil || staffRead.Email != "ann@example.org" || staffRead.Phone != "" || staffRead.Sessions != nil || !staffRead.Logged {
		t.Fatalf("staff read: %+v %v", staffRead, err)
	}
	if len(f.log.entries) != 1 {
		t.Fatalf("%d entries for one read", len(f.log.entries))
	}
	e := f.log.entries[0]
	if e.Actor != "01hmoderator" || e.Role != "moderator" || e.Purpose != "abuse_report" || !slices.Equal(e.Fields, []string{"email"}) ||
		e.Subject != f.keys.Pseudonym(owner) || e.Subject == owner || e.At.IsZero() {
		t.Fatalf("entry: %+v", e)
	}

	// When the log cannot be written, nothing is disclosed.
	f.log.fail = errors.New("disk full")
	got, err := f.vault.Read(ctx, owner, privacy.Access{Actor: "01hmoderator", Role: "moderator", Purpose: "abuse_report"})
	if err == nil || got != nil {
		t.Fatalf("read with a broken log returned %+v, %v", got, err)
	}
	f.log.fail = nil

	// A read by someone else must say who, in what role and why.
	for name, a := range map[string]privacy.Access{
		"no actor":      {Role: "moderator", Purpose: "abuse_report"},
		"no role":       {Actor: "01hmod", Purpose: "abuse_report"},
		"owner role":    {Actor: "01hmod", Role: privacy.RoleOwner, Purpose: "abuse_report"},
		"no purpose":    {Actor: "01hmod", Role: "moderator"},
		"free purpose":  {Actor: "01hmod", Role: "moderator", Purpose: "ann@example.org"},
		"unknown field": {Actor: "01hmod", Role: "moderator", Purpose: "abuse_report", Fields: []privacy.Field{"password"}},
	} {
		if got, err := f.vault.Read(ctx, owner, a); err == nil || got != nil {
			t.Errorf("%s: read allowed: %+v", name, got)
		}
	}
	if len(f.log.entries) != 1 {
		t.Fatalf("refused reads appended entries: %+v", f.log.entries)
	}
}

// TestNoReadBypassesTheLog checks the package's source: every exported function that hands
// out decrypted personal data takes an Access, the only code that opens sealed personal
// fields is Vault.open, and only Vault.Read calls it. A new read path that skips the log
// fails this test.
func TestNoReadBypassesTheLog(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg := pkgs["privacy"]
	if pkg == nil {
		t.Fatal("package privacy not found")
	}
	// Types that carry plaintext personal data, and the types that contain them.
	plaintext := map[string]bool{"Personal": true, "SessionOrigin": true, "DataKey": true}
	structs := map[string]*ast.StructType{}
	for _, file := range pkg.Files {
		ast.Inspect(file, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					structs[ts.Name.Name] = st
				}
			}
			return true
		})
	}
	for changed := true; changed; {
		changed = false
		for name, st := range structs {
			if !plaintext[name] && mentions(st, plaintext) {
				plaintext[name], changed = true, true
			}
		}
	}
	if !plaintext["Disclosure"] {
		t.Fatal("the analysis does not see that Disclosure carries personal data")
	}

	callers := map[string][]string{} // function -> functions that call it
	var openers []string             // functions calling keys.Open
	readers := 0
	for _, file := range pkg.Files {
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			name := funcName(fn)
			if fn.Name.IsExported() && fn.Type.Results != nil && mentions(fn.Type.Results, plaintext) {
				readers++
				if !mentions(fn.Type.Params, map[string]bool{"Access": true}) && !readsWithAccess(fn.Body) {
					t.Errorf("%s returns personal data without taking an Access or reading through Read with one", name)
				}
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "keys" && sel.Sel.Name == "Open" {
						openers = append(openers, name)
					}
					callers[sel.Sel.Name] = append(callers[sel.Sel.Name], name)
				}
				return true
			})
		}
	}
	if readers == 0 {
		t.Fatal("found no exported read at all: the analysis is broken")
	}
	// LoadKeys opens the instance's own signing key, which is not anyone's personal data.
	// Vault.openArchive opens an export archive for its owner's download; what is in it was
	// read through Read, and logged, when the archive was built.
	allowedOpeners := []string{"Vault.open", "LoadKeys", "Vault.openArchive"}
	for _, o := range openers {
		if !slices.Contains(allowedOpeners, o) {
			t.Errorf("%s decrypts sealed data; personal data may only be opened in Vault.open, behind Read", o)
		}
	}
	if !slices.Contains(openers, "Vault.open") {
		t.Fatal("Vault.open no longer calls keys.Open: update this test with the new read path")
	}
	if got := slices.Compact(slices.Sorted(slices.Values(callers["open"]))); !slices.Equal(got, []string{"Vault.Read"}) {
		t.Errorf("Vault.open is called from %v; only Vault.Read, which logs first, may call it", got)
	}
	if got := slices.Compact(slices.Sorted(slices.Values(callers["openArchive"]))); !slices.Equal(got, []string{"Service.readArchive"}) {
		t.Errorf("Vault.openArchive is called from %v; only the owner's download may call it", got)
	}
	if got := slices.Compact(slices.Sorted(slices.Values(callers["readArchive"]))); !slices.Equal(got, []string{"Service.DownloadExport"}) {
		t.Errorf("Service.readArchive is called from %v; only the owner's download may call it", got)
	}
}

// readsWithAccess reports whether body calls a Read method with an Access literal, i.e. gets
// its data through the logging path and declares who reads and why.
func readsWithAccess(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Read" {
			for _, arg := range call.Args {
				if lit, ok := arg.(*ast.CompositeLit); ok && mentions(lit.Type, map[string]bool{"Access": true}) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// mentions reports whether node refers to any of the named types.
func mentions(node ast.Node, names map[string]bool) bool {
	found := false
	ast.Inspect(node, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Ident:
			if names[x.Name] {
				found = true
			}
		case *ast.SelectorExpr:
			if names[x.Sel.Name] {
				found = true
			}
			return false
		}
		return !found
	})
	return found
}

func TestMasterKeyStartUp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.account(t, "bea")
	keyFile := filepath.Join(f.dir, keys.MasterKeyFile)
	if !f.keys.Created() {
		t.Fatal("a new install did not report creating the key")
	}

	again := f.load(t, privacy.KeyOptions{})
	if again.Created() || again.KeyID() != f.keys.KeyID() || again.VerifierKey() != f.keys.VerifierKey() ||
		again.Pseudonym(owner) != f.keys.Pseudonym(owner) {
		t.Fatal("a restart did not load the same secrets")
	}
	content, _ := os.ReadFile(keyFile)
	viaEnv := f.load(t, privacy.KeyOptions{File: filepath.Join(f.dir, "elsewhere"), Env: string(content)})
	if viaEnv.KeyID() != f.keys.KeyID() {
		t.Fatal("KURZ_MASTER_KEY with the same key is another key")
	}

	if err := os.Rename(keyFile, keyFile+".bak"); err != nil {
		t.Fatal(err)
	}
	_, err := f.tryLoad(privacy.KeyOptions{})
	if !errors.Is(err, keys.ErrMasterKeyMissing) || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("missing key: %v", err)
	}
	if _, statErr := os.Stat(keyFile); !errors.Is(statErr, os.ErrNotExist) {
		t.Fatal("a new key was made for an existing database")
	}
	other := filepath.Join(t.TempDir(), "other.key")
	if err := os.WriteFile(other, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tryLoad(privacy.KeyOptions{File: other}); !errors.Is(err, keys.ErrMasterKeyMismatch) {
		t.Fatalf("wrong key: %v", err)
	}
	if err := os.Rename(keyFile+".bak", keyFile); err != nil {
		t.Fatal(err)
	}
	// The key id lost from the database while the vault holds data: refuse rather than guess.
	if _, err := f.d.RawExec(ctx, `DELETE FROM instance_settings WHERE key = 'vault_master_key_id'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tryLoad(privacy.KeyOptions{}); !errors.Is(err, privacy.ErrKeyIDMissing) {
		t.Fatalf("key id missing: %v", err)
	}
}

func TestRotateMasterKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := []string{f.account(t, "cid"), f.account(t, "dot")}
	before, _ := f.d.Vault().Get(ctx, ids[0])

	nextFile := filepath.Join(t.TempDir(), "next.key")
	next, _, err := keys.OpenMasterKey(keys.MasterKeyOptions{Path: nextFile, NewInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	n, err := privacy.RotateMasterKey(ctx, f.keys, f.d.Vault(), next)
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	after, _ := f.d.Vault().Get(ctx, ids[0])
	if slices.Equal(before.WrappedKey, after.WrappedKey) || !slices.Equal(before.Email, after.Email) {
		t.Fatal("rotation must re-wrap the data key and leave sealed fields alone")
	}
	if _, err := f.tryLoad(privacy.KeyOptions{}); !errors.Is(err, keys.ErrMasterKeyMismatch) {
		t.Fatalf("the old key still opens the database: %v", err)
	}
	k := f.load(t, privacy.KeyOptions{File: nextFile})
	if k.KeyID() != next.KeyID() || k.Pseudonym(ids[0]) != f.keys.Pseudonym(ids[0]) || k.VerifierKey() != f.keys.VerifierKey() {
		t.Fatal("pseudonyms or the log key changed with the master key")
	}
	v := privacy.NewVault(f.d.Vault(), k, f.log, time.Now, quiet)
	for _, id := range ids {
		got, err := v.Read(ctx, id, privacy.Access{Actor: id})
		if err != nil || !strings.HasSuffix(got.Email, "@example.org") || len(got.Sessions) != 1 {
			t.Fatalf("after rotation: %+v %v", got, err)
		}
	}
	if acc, err := v.AccountByEmail(ctx, "dot@example.org"); err != nil || acc != ids[1] {
		t.Fatalf("blind index after rotation: %s %v", acc, err)
	}
	if _, err := privacy.RotateMasterKey(ctx, k, f.d.Vault(), next); err == nil {
		t.Fatal("rotating to the current key accepted")
	}
}

func TestPersonalDataRules(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		born  string
		minor bool
	}{{"2008-06-02", true}, {"2008-06-01", false}, {"1970-01-01", false}, {"garbage", false}, {"", false}} {
		if got := privacy.IsMinor(c.born, now); got != c.minor {
			t.Errorf("IsMinor(%q) = %v", c.born, got)
		}
	}
	for in, want := range map[string]string{
		"203.0.113.77": "203.0.113.0/24", "::ffff:203.0.113.77": "203.0.113.0/24",
		"2001:db8:abcd:12::1": "2001:db8:abcd::/48", "fe80::1%eth0": "fe80::/48", "not an ip": "unknown", "": "unknown",
	} {
		if got := privacy.TruncateIP(in); got != want {
			t.Errorf("TruncateIP(%q) = %q, want %q", in, got, want)
		}
	}
	s := func(v string) *string { return &v }
	ok, err := privacy.CleanPersonal(privacy.PersonalInput{Email: s(" a@b.org "), Phone: s("+1 (555) 010-9999"), BirthDate: s("2000-02-29")}, now)
	if err != nil || *ok.Email != "a@b.org" || *ok.Phone != "+15550109999" || *ok.BirthDate != "2000-02-29" {
		t.Fatalf("clean: %+v %v", ok, err)
	}
	for _, bad := range []privacy.PersonalInput{{Email: s("a@b@c")}, {Email: s("A <a@b.org>")}, {Phone: s("555-1234")},
		{Phone: s("+0123456789")}, {BirthDate: s("2026-06-02")}, {BirthDate: s("1899-12-31")}, {BirthDate: s("2001-02-29")}} {
		if _, err := privacy.CleanPersonal(bad, now); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
