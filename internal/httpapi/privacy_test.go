package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/policy"
	"kurz/internal/privacy/translog"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

func staff(t *testing.T, a *testkit.TestApp, username string, role policy.Role) (*testkit.Client, string) {
	t.Helper()
	acc, err := a.Auth.CreateAccount(context.Background(), username, testkit.Password, role)
	if err != nil {
		t.Fatal(err)
	}
	c := a.Client()
	if r := c.Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": testkit.Password}); r.Status != 201 {
		t.Fatalf("%s log-in: %d %s", username, r.Status, r.Body)
	}
	return c, acc.ID
}

// signUpWith signs up with personal data and returns the client and the account id.
func signUpWith(t *testing.T, a *testkit.TestApp, username string, extra map[string]any, headers ...string) (*testkit.Client, string) {
	t.Helper()
	body := map[string]any{"username": username, "password": testkit.Password}
	for k, v := range extra {
		body[k] = v
	}
	c := a.Client()
	r := c.Do("POST", "/api/v1/accounts", body, headers...)
	if r.Status != 201 {
		t.Fatalf("sign up %s: %d %s", username, r.Status, r.Body)
	}
	return c, r.JSON()["account"].(map[string]any)["id"].(string)
}

func b64(t *testing.T, v any) []byte {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %v", v)
	}
	return b
}

// verifyAccessLog checks an access-log answer the way a user's client would: the checkpoint
// against the pinned verifier key, every entry against the checkpoint. It returns the items.
func verifyAccessLog(t *testing.T, body map[string]any, verifierKey string) (translog.Checkpoint, []map[string]any) {
	t.Helper()
	cpJSON := body["checkpoint"].(map[string]any)
	if cpJSON["verifier_key"] != verifierKey {
		t.Fatalf("served verifier key %v, pinned %s", cpJSON["verifier_key"], verifierKey)
	}
	cp, err := translog.VerifyCheckpoint([]byte(cpJSON["note"].(string)), verifierKey)
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	if uint64(cpJSON["tree_size"].(float64)) != cp.Size || !bytes.Equal(b64(t, cpJSON["root"]), cp.Root) {
		t.Fatalf("checkpoint fields disagree with the signed note: %v", cpJSON)
	}
	var items []map[string]any
	for _, it := range body["items"].([]any) {
		item := it.(map[string]any)
		leaf := b64(t, item["leaf"])
		var proof [][]byte
		for _, p := range item["inclusion_proof"].([]any) {
			proof = append(proof, b64(t, p))
		}
		idx := uint64(item["index"].(float64))
		if err := translog.VerifyInclusion(leaf, idx, cp.Size, proof, cp.Root); err != nil {
			t.Fatalf("entry %d: %v", idx, err)
		}
		e, err := translog.DecodeEntry(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if e.Actor != item["actor"] || e.Purpose != item["purpose"] || e.Role != item["role"] {
			t.Fatalf("entry %d: shown %v but the logged leaf says %+v", idx, item, e)
		}
		items = append(items, item)
	}
	return cp, items
}

func TestPersonalDataVault(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("sign-up keeps e-mail and birth date sealed and lets you log in by e-mail", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				c, id := signUpWith(t, a, "olga", map[string]any{"email": " Olga@Example.ORG ", "birth_date": "1990-04-01"})
				me := c.Do("GET", "/api/v1/me", nil).JSON()
				if me["private"] != false {
					t.Fatalf("adult started private: %v", me)
				}
				pd := c.Do("GET", "/api/v1/me/personal-data", nil)
				if pd.Status != 200 || pd.JSON()["email"] != "Olga@Example.ORG" || pd.JSON()["birth_date"] != "1990-04-01" {
					t.Fatalf("personal data: %d %s", pd.Status, pd.Body)
				}
				if _, logged := pd.JSON()["access_log_index"]; logged {
					t.Fatal("the owner's own read was logged as an access")
				}
				row, err := a.DB.Vault().Get(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(bytes.ToLower(row.Email), []byte("olga")) || bytes.Contains(row.BirthDate, []byte("1990")) || len(row.EmailIndex) != 32 {
					t.Fatalf("vault row holds plaintext: %+v", row)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "olga@example.org", "password": testkit.Password}); r.Status != 201 {
					t.Fatalf("log-in by e-mail: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "nobody@example.org", "password": testkit.Password}); r.Status != 401 {
					t.Fatalf("unknown e-mail: %d %s", r.Status, r.Body)
				}
				before := accountCount(t, a)
				for name, tc := range map[string]struct {
					body   map[string]any
					status int
					code   string
				}{
					"taken e-mail":     {map[string]any{"username": "olga2", "password": testkit.Password, "email": "OLGA@example.org"}, 409, "email_taken"},
					"malformed e-mail": {map[string]any{"username": "olga3", "password": testkit.Password, "email": "Olga <olga@x.org>"}, 400, "invalid_email"},
					"future birth":     {map[string]any{"username": "olga4", "password": testkit.Password, "birth_date": "2999-01-01"}, 400, "invalid_birth_date"},
					"bad birth":        {map[string]any{"username": "olga5", "password": testkit.Password, "birth_date": "01/02/2003"}, 400, "invalid_birth_date"},
				} {
					if r := a.Client().Do("POST", "/api/v1/accounts", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
						t.Errorf("%s: %d %s", name, r.Status, r.Body)
					}
				}
				if accountCount(t, a) != before {
					t.Fatal("a refused sign-up left an account behind")
				}
				r := c.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"phone": "+49 (30) 123-4567", "email": ""})
				if r.Status != 200 || r.JSON()["phone"] != "+49301234567" || r.JSON()["email"] != nil {
					t.Fatalf("edit: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "olga@example.org", "password": testkit.Password}); r.Status != 401 {
					t.Fatalf("removed e-mail still logs in: %d", r.Status)
				}
				if r := c.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"phone": "12"}); r.Status != 400 || r.ErrorCode() != "invalid_phone" {
					t.Fatalf("bad phone: %d %s", r.Status, r.Body)
				}
			})
			t.Run("accounts of minors start private", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				teen := a.Clock.Now().AddDate(-15, 0, 0).Format(time.DateOnly)
				c, _ := signUpWith(t, a, "teen", map[string]any{"birth_date": teen})
				if me := c.Do("GET", "/api/v1/me", nil).JSON(); me["private"] != true {
					t.Fatalf("a 15-year-old's account is public: %v", me)
				}
				eighteen := a.Clock.Now().AddDate(-18, 0, -1).Format(time.DateOnly)
				c2, _ := signUpWith(t, a, "adult", map[string]any{"birth_date": eighteen})
				if me := c2.Do("GET", "/api/v1/me", nil).JSON(); me["private"] != false {
					t.Fatalf("an 18-year-old's account started private: %v", me)
				}
			})
			t.Run("log-in origins are truncated, sealed and forgotten after the retention", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) {
					c.TrustProxy, c.SessionTTL, c.SessionIPRetention = true, 2000*time.Hour, 72*time.Hour
				})
				c, id := signUpWith(t, a, "pat", nil, "X-Forwarded-For", "203.0.113.77", "User-Agent", "UA-MARKER/1.0 (Linux)")
				a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "pat", "password": testkit.Password},
					"X-Forwarded-For", "2001:db8:abcd:12::1", "User-Agent", "Other/2.0")
				pd := c.Do("GET", "/api/v1/me/personal-data", nil).JSON()
				sessions, _ := pd["sessions"].([]any)
				if len(sessions) != 2 {
					t.Fatalf("sessions: %v", pd)
				}
				got := fmt.Sprint(sessions)
				for _, want := range []string{"203.0.113.0/24", "2001:db8:abcd::/48", "UA-MARKER/1.0 (Linux)", "Other/2.0"} {
					if !strings.Contains(got, want) {
						t.Errorf("origins lack %s: %s", want, got)
					}
				}
				for _, leak := range []string{"203.0.113.77", ":12::1"} {
					if strings.Contains(got, leak) {
						t.Errorf("full address %s kept: %s", leak, got)
					}
				}
				list := c.Do("GET", "/api/v1/sessions", nil)
				if bytes.Contains(list.Body, []byte("UA-MARKER")) || bytes.Contains(list.Body, []byte("203.0.113")) {
					t.Fatalf("session list shows raw origin: %s", list.Body)
				}
				a.Clock.Advance(73 * time.Hour)
				if err := a.Privacy.Sweep(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s, _ := a.DB.Vault().Sessions(context.Background(), id); len(s) != 0 {
					t.Fatalf("%d origins kept past the retention", len(s))
				}
			})
		})
	}
}

func TestAccessTransparency(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t, e, nil)
			pinned := a.Keys.VerifierKey()
			user, userID := signUpWith(t, a, "quinn", map[string]any{"email": "quinn@example.org", "birth_date": "1985-02-03"})
			bystander, _ := signUpWith(t, a, "rita", map[string]any{"email": "rita@example.org"})
			mod, modID := staff(t, a, "mod_sam", policy.RoleModerator)
			boss, bossID := staff(t, a, "boss_tia", policy.RoleAdmin)

			// The public checkpoint of an empty log verifies too.
			pub := a.Client().Do("GET", "/api/v1/transparency/checkpoint", nil)
			if pub.Status != 200 || pub.JSON()["verifier_key"] != pinned || pub.JSON()["tree_size"] != float64(0) {
				t.Fatalf("public checkpoint: %d %s", pub.Status, pub.Body)
			}
			first := user.Do("GET", "/api/v1/me/access-log", nil)
			if _, items := verifyAccessLog(t, first.JSON(), pinned); first.Status != 200 || len(items) != 0 {
				t.Fatalf("fresh access log: %d %s", first.Status, first.Body)
			}

			read := mod.Do("POST", "/api/v1/admin/accounts/"+userID+"/personal-data", map[string]any{"purpose": "abuse_report", "fields": []string{"email"}})
			if read.Status != 200 || read.JSON()["email"] != "quinn@example.org" || read.JSON()["birth_date"] != nil {
				t.Fatalf("moderator read: %d %s", read.Status, read.Body)
			}
			oldSize := uint64(read.JSON()["access_log_index"].(float64)) + 1
			if r := boss.Do("POST", "/api/v1/admin/accounts/"+userID+"/personal-data", map[string]any{"purpose": "legal_request"}); r.Status != 200 || r.JSON()["birth_date"] != "1985-02-03" {
				t.Fatalf("admin read: %d %s", r.Status, r.Body)
			}
			// Refused reads leave no trace in the log and reveal nothing.
			for name, tc := range map[string]struct {
				c      *testkit.Client
				id     string
				body   any
				status int
			}{
				"no purpose":            {mod, userID, map[string]any{}, 400},
				"made-up purpose":       {mod, userID, map[string]any{"purpose": "curiosity"}, 400},
				"system-only purpose":   {mod, userID, map[string]any{"purpose": "data_export"}, 400},
				"unknown field":         {mod, userID, map[string]any{"purpose": "abuse_report", "fields": []string{"password"}}, 400},
				"ordinary user":         {bystander, userID, map[string]any{"purpose": "abuse_report"}, 403},
				"anonymous":             {a.Client(), userID, map[string]any{"purpose": "abuse_report"}, 401},
				"unknown account":       {mod, "01aaaaaaaaaaaaaaaaaaaaaaaa", map[string]any{"purpose": "abuse_report"}, 404},
				"free text in purpose":  {mod, userID, map[string]any{"purpose": "quinn@example.org"}, 400},
				"unknown request field": {mod, userID, `{"purpose":"abuse_report","why":"x"}`, 400},
			} {
				r := tc.c.Do("POST", "/api/v1/admin/accounts/"+tc.id+"/personal-data", tc.body)
				if r.Status != tc.status || bytes.Contains(r.Body, []byte("quinn@")) {
					t.Errorf("%s: %d %s", name, r.Status, r.Body)
				}
			}
			// The owner's own reads are not logged.
			user.Do("GET", "/api/v1/me/personal-data", nil)

			log := user.Do("GET", "/api/v1/me/access-log", nil)
			cp, items := verifyAccessLog(t, log.JSON(), pinned)
			if len(items) != 2 || cp.Size != 2 {
				t.Fatalf("want exactly the two staff reads, got %d items in a log of %d: %s", len(items), cp.Size, log.Body)
			}
			if items[0]["actor"] != modID || items[0]["role"] != "moderator" || items[0]["purpose"] != "abuse_report" || fmt.Sprint(items[0]["fields"]) != "[email]" {
				t.Fatalf("moderator entry: %v", items[0])
			}
			if items[1]["actor"] != bossID || items[1]["role"] != "admin" || items[1]["purpose"] != "legal_request" || len(items[1]["fields"].([]any)) != 5 {
				t.Fatalf("admin entry: %v", items[1])
			}
			if bytes.Contains(log.Body, []byte("quinn@")) || bytes.Contains(log.Body, []byte(userID)) {
				t.Fatal("the access log holds personal data or the raw account id")
			}
			if _, others := verifyAccessLog(t, bystander.Do("GET", "/api/v1/me/access-log", nil).JSON(), pinned); len(others) != 0 {
				t.Fatalf("a bystander sees someone else's entries: %v", others)
			}
			// Anyone can check the log only grew between the two checkpoints.
			cons := a.Client().Do("GET", fmt.Sprintf("/api/v1/transparency/consistency?from=%d&to=%d", oldSize, cp.Size), nil)
			if cons.Status != 200 {
				t.Fatalf("consistency: %d %s", cons.Status, cons.Body)
			}
			older := user.Do("GET", fmt.Sprintf("/api/v1/me/access-log?tree_size=%d", oldSize), nil)
			oldCP, oldItems := verifyAccessLog(t, older.JSON(), pinned)
			if len(oldItems) != 1 || oldCP.Size != oldSize {
				t.Fatalf("against the older checkpoint: %s", older.Body)
			}
			var proof [][]byte
			for _, p := range cons.JSON()["proof"].([]any) {
				proof = append(proof, b64(t, p))
			}
			if err := translog.VerifyConsistency(oldCP.Size, cp.Size, proof, oldCP.Root, cp.Root); err != nil {
				t.Fatalf("consistency proof: %v", err)
			}
			// Tampered or impossible proof requests are refused clearly.
			for _, q := range []string{"from=0&to=2", "from=2&to=1", "from=1&to=99", "from=x&to=2", "from=1"} {
				if r := a.Client().Do("GET", "/api/v1/transparency/consistency?"+q, nil); r.Status != 400 {
					t.Errorf("consistency %s: %d %s", q, r.Status, r.Body)
				}
			}
			for _, q := range []string{"tree_size=99", "tree_size=-1", "cursor=!!!", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x")), "limit=0"} {
				if r := user.Do("GET", "/api/v1/me/access-log?"+q, nil); r.Status != 400 {
					t.Errorf("access log %s: %d %s", q, r.Status, r.Body)
				}
			}
			// Pages of one entry follow the cursor to the end.
			p1 := user.Do("GET", "/api/v1/me/access-log?limit=1", nil).JSON()
			cur, _ := p1["next_cursor"].(string)
			p2 := user.Do("GET", "/api/v1/me/access-log?limit=1&cursor="+cur, nil).JSON()
			_, i1 := verifyAccessLog(t, p1, pinned)
			_, i2 := verifyAccessLog(t, p2, pinned)
			if cur == "" || len(i1) != 1 || len(i2) != 1 || i1[0]["index"] == i2[0]["index"] || p2["next_cursor"] != nil {
				t.Fatalf("paging: %v / %v", p1, p2)
			}
		})
	}
}

func TestAccountDeletion(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("grace period, cancel by logging in, purge when it ends", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.DeletionGrace = 48 * time.Hour })
				c, id := signUpWith(t, a, "uma", map[string]any{"email": "uma@example.org"})
				other := a.Client()
				other.Do("POST", "/api/v1/sessions", map[string]any{"username": "uma", "password": testkit.Password, "token": true})
				for name, tc := range map[string]struct {
					body   any
					status int
					code   string
				}{
					"wrong password":   {map[string]any{"password": "not my password at all"}, 400, "wrong_password"},
					"missing password": {map[string]any{}, 400, "password_required"},
					"no body":          {nil, 400, "invalid_json"},
				} {
					if r := c.Do("DELETE", "/api/v1/me", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
						t.Errorf("%s: %d %s", name, r.Status, r.Body)
					}
				}
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != 200 || r.JSON()["state"] != "active" {
					t.Fatalf("a refused deletion changed the account: %d %s", r.Status, r.Body)
				}
				r := c.Do("DELETE", "/api/v1/me", map[string]any{"password": testkit.Password})
				if r.Status != 202 || r.JSON()["state"] != "deleting" || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
					t.Fatalf("delete: %d %s %v", r.Status, r.Body, r.Header)
				}
				if r := c.Do("DELETE", "/api/v1/me", map[string]any{"password": testkit.Password}); r.Status != 401 {
					t.Fatalf("second deletion with the ended session: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("GET", "/api/v1/accounts/uma", nil); r.Status != 404 {
					t.Fatalf("profile of an account being deleted: %d", r.Status)
				}
				if _, err := a.Privacy.RequestDeletion(context.Background(), policy.Viewer{AccountID: id, Role: policy.RoleUser}, testkit.Password); err == nil || !strings.Contains(err.Error(), "deletion_pending") {
					t.Fatalf("repeated deletion: %v", err)
				}
				// Logging in during the grace period cancels the deletion.
				a.Clock.Advance(24 * time.Hour)
				back := a.Client()
				if r := back.Do("POST", "/api/v1/sessions", map[string]any{"username": "uma", "password": testkit.Password}); r.Status != 201 || r.JSON()["account"].(map[string]any)["state"] != "active" {
					t.Fatalf("log-in during grace: %d %s", r.Status, r.Body)
				}
				a.Clock.Advance(48 * time.Hour)
				if err := a.Privacy.Sweep(context.Background()); err != nil {
					t.Fatal(err)
				}
				if r := back.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatalf("cancelled deletion still purged the account: %d", r.Status)
				}
				// Delete again and let the grace period run out.
				if r := back.Do("DELETE", "/api/v1/me", map[string]any{"password": testkit.Password}); r.Status != 202 {
					t.Fatalf("delete again: %d %s", r.Status, r.Body)
				}
				a.Clock.Advance(49 * time.Hour)
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "uma", "password": testkit.Password}); r.Status != 401 {
					t.Fatalf("log-in after the grace period: %d %s", r.Status, r.Body)
				}
				before := accountCount(t, a)
				if err := a.Privacy.Sweep(context.Background()); err != nil {
					t.Fatal(err)
				}
				if accountCount(t, a) != before-1 {
					t.Fatal("the sweep did not purge the account")
				}
				if n, _ := a.DB.Vault().Count(context.Background()); n != 0 {
					t.Fatalf("%d vault rows left", n)
				}
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "uma2", "password": testkit.Password, "email": "uma@example.org"}); r.Status != 201 {
					t.Fatalf("the erased e-mail cannot be used again: %d %s", r.Status, r.Body)
				}
			})
			t.Run("administrators erase at once; nobody else can", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				boss, bossID := staff(t, a, "boss_vic", policy.RoleAdmin)
				mod, _ := staff(t, a, "mod_wes", policy.RoleModerator)
				victim, id := signUpWith(t, a, "xena", map[string]any{"email": "xena@example.org"})
				for name, c := range map[string]*testkit.Client{"user": victim, "moderator": mod} {
					if r := c.Do("DELETE", "/api/v1/admin/accounts/"+id, nil); r.Status != 403 {
						t.Errorf("%s erasing: %d %s", name, r.Status, r.Body)
					}
				}
				if r := a.Client().Do("DELETE", "/api/v1/admin/accounts/"+id, nil); r.Status != 401 {
					t.Errorf("anonymous erasing: %d", r.Status)
				}
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/"+bossID, nil); r.Status != 403 {
					t.Errorf("admin erasing self: %d", r.Status)
				}
				if r := victim.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatal("refused erasures touched the account")
				}
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/"+id, nil); r.Status != 204 {
					t.Fatalf("erase: %d %s", r.Status, r.Body)
				}
				if r := victim.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("erased account's session: %d", r.Status)
				}
				if _, err := a.DB.Accounts().ByID(context.Background(), id); err == nil {
					t.Fatal("account row still there")
				}
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/"+id, nil); r.Status != 404 {
					t.Fatalf("erasing twice: %d %s", r.Status, r.Body)
				}
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/nonsense", nil); r.Status != http.StatusNotFound {
					t.Fatalf("bad id: %d", r.Status)
				}
			})
		})
	}
}

// marker is a unique lower-case string that can stand in any text field.
func marker(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// traces finds which markers are stored anywhere: byte by byte in every file of the given
// folders (the SQLite database with its -wal and -shm, the media folder) and, on
// PostgreSQL, in the text of every row of every table.
func traces(t *testing.T, a *testkit.TestApp, markers map[string][]byte, dirs ...string) []string {
	t.Helper()
	found := map[string]bool{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for name, m := range markers {
				if bytes.Contains(data, m) {
					found[name+" in "+filepath.Base(path)] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if a.DB.Dialect == db.Postgres {
		err := a.DB.TableRows(context.Background(), func(table, row string) error {
			for name, m := range markers {
				if strings.Contains(row, string(m)) || strings.Contains(row, hex.EncodeToString(m)) {
					found[name+" in table "+table] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := make([]string, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestErasureLeavesNoTrace fills every field a user can fill today with unique markers,
// deletes the account, checkpoints and vacuums, and then finds none of the markers on disk
// (SQLite) or in any table (PostgreSQL). It first checks that it does find them before the
// deletion, and that another user's markers survive, so the scan is not blind.
func TestErasureLeavesNoTrace(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// Jobs run when the test says, so none is half-way through a video while it scans.
			a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.TrustProxy = true })
			mod, _ := staff(t, a, "mod_eve", policy.RoleModerator)

			type person struct {
				id      string
				c       *testkit.Client
				markers map[string][]byte
			}
			fill := func(label string) person {
				p := person{markers: map[string][]byte{}}
				text := map[string]string{
					"username": marker(t, "u"), "display name": marker(t, "Disp-"), "bio": marker(t, "Bio-"),
					"email": marker(t, "mail-") + "@example.org", "user agent": marker(t, "UA-") + "/1.0",
					"caption": marker(t, "Cap-"), "phone": "+4915" + fmt.Sprint(10000000+time.Now().UnixNano()%89999999),
				}
				for k, v := range text {
					p.markers[k] = []byte(v)
				}
				p.c, p.id = signUpWith(t, a, text["username"], map[string]any{"email": text["email"], "display_name": text["display name"], "birth_date": "1991-07-08"},
					"User-Agent", text["user agent"], "X-Forwarded-For", "198.51.100.23")
				if r := p.c.Do("PATCH", "/api/v1/me", map[string]any{"bio": text["bio"]}); r.Status != 200 {
					t.Fatalf("bio: %d %s", r.Status, r.Body)
				}
				if r := p.c.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"phone": text["phone"]}); r.Status != 200 {
					t.Fatalf("phone: %d %s", r.Status, r.Body)
				}
				img := image.NewRGBA(image.Rect(0, 0, 64, 64))
				for i := range img.Pix {
					img.Pix[i] = byte(mrand.IntN(256))
				}
				var pngBuf bytes.Buffer
				if err := png.Encode(&pngBuf, img); err != nil {
					t.Fatal(err)
				}
				av := p.c.Do("PUT", "/api/v1/me/avatar", pngBuf.Bytes())
				if av.Status != 200 {
					t.Fatalf("avatar: %d %s", av.Status, av.Body)
				}
				files, _ := a.Blobs.List(ctx, "avatars/"+p.id)
				if len(files) == 0 {
					t.Fatal("no avatar files")
				}
				for i, f := range files {
					obj, err := a.Blobs.Open(ctx, f.Key)
					if err != nil {
						t.Fatal(err)
					}
					data, _ := io.ReadAll(obj)
					obj.Close()
					p.markers[fmt.Sprintf("avatar file %d", i)] = data[len(data)/2 : len(data)/2+48]
				}
				// Each uploads a different clip, so a chunk of it marks its owner's original file.
				source := clip(t, map[string]string{"leaver": "portrait-h264-aac.mp4", "stayer": "no-audio.mp4"}[label])
				up := uploadForm(t, p.c, source, map[string]string{"caption": text["caption"] + " #" + strings.ToLower(text["username"])})
				if up.Status != 201 {
					t.Fatalf("video: %d %s", up.Status, up.Body)
				}
				p.markers["video file"] = source[len(source)/2 : len(source)/2+64]
				// What only exists encrypted: the wrapped key and the sealed fields.
				row, err := a.DB.Vault().Get(ctx, p.id)
				if err != nil {
					t.Fatal(err)
				}
				p.markers["wrapped key"] = row.WrappedKey
				p.markers["sealed e-mail"] = row.Email
				p.markers["e-mail index"] = row.EmailIndex
				origins, _ := a.DB.Vault().Sessions(ctx, p.id)
				if len(origins) == 0 {
					t.Fatal("no log-in origin recorded")
				}
				p.markers["sealed user agent"] = origins[0].UserAgent
				if r := mod.Do("POST", "/api/v1/admin/accounts/"+p.id+"/personal-data", map[string]any{"purpose": "abuse_report"}); r.Status != 200 {
					t.Fatalf("moderator read: %d %s", r.Status, r.Body)
				}
				return p
			}
			leaver, stayer := fill("leaver"), fill("stayer")
			// The fast path remuxes both uploads into playable files: more copies to erase.
			if n := a.Bus.Drain(ctx, video.JobProcess); n != 2 {
				t.Fatalf("%d processing jobs ran, want 2", n)
			}
			// Personal fields exist only sealed: their plain text is nowhere, even before.
			plainPersonal := map[string][]byte{}
			for _, k := range []string{"email", "phone", "user agent"} {
				plainPersonal[k] = leaver.markers[k]
			}
			dirs := []string{filepath.Dir(a.DB.Path()), a.Config.DataDir}
			if a.DB.Dialect == db.Postgres {
				dirs = []string{a.Config.DataDir}
			}
			if err := a.DB.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			if got := traces(t, a, plainPersonal, dirs...); len(got) != 0 {
				t.Fatalf("personal data stored in clear: %v", got)
			}
			kept := map[string][]byte{}
			for k, v := range leaver.markers {
				if _, ok := plainPersonal[k]; !ok {
					kept[k] = v
				}
			}
			before := traces(t, a, kept, dirs...)
			for k := range kept {
				if !slices.ContainsFunc(before, func(s string) bool { return strings.HasPrefix(s, k+" in ") }) {
					t.Errorf("the scan cannot see %s even before deletion: it would prove nothing", k)
				}
			}

			if r := leaver.c.Do("DELETE", "/api/v1/me", map[string]any{"password": testkit.Password}); r.Status != 202 {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			a.Clock.Advance(a.Config.DeletionGrace + time.Minute)
			if err := a.Privacy.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.DB.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			if left := traces(t, a, leaver.markers, dirs...); len(left) != 0 {
				t.Fatalf("erased account left traces: %v", left)
			}
			stayerKept := map[string][]byte{"username": stayer.markers["username"], "bio": stayer.markers["bio"],
				"wrapped key": stayer.markers["wrapped key"], "video file": stayer.markers["video file"], "caption": stayer.markers["caption"]}
			if got := traces(t, a, stayerKept, dirs...); len(got) < len(stayerKept) {
				t.Fatalf("another user's data went too: only %v left", got)
			}
			// The access log keeps the pseudonymous entries and still verifies.
			report, err := translog.Audit(ctx, a.DB.AccessLog(), a.Keys.VerifierKey())
			if err != nil || !report.OK() || report.Size != 2 {
				t.Fatalf("access log after erasure: %v\n%s", err, report)
			}
		})
	}
}
