package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/policy"
	"kurz/internal/privacy"
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
				// kurz has no advertising at all: no ad profile exists for anyone, and what the
				// recommender keeps says so to the minor as to everyone.
				if r := c.Do("GET", "/api/v1/me/interests", nil); r.Status != 200 || !strings.Contains(fmt.Sprint(r.JSON()["summary"]), "None of this is used for advertising") {
					t.Fatalf("a minor's interest profile: %d %s", r.Status, r.Body)
				}
				if r := c.Do("GET", "/api/v1/me/privacy", nil); !strings.Contains(string(r.Body), "never for advertising") || strings.Contains(strings.ToLower(string(r.Body)), "advertisers") {
					t.Fatalf("a minor's inventory: %s", r.Body)
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
					"hashtag": marker(t, "tag"), "upload caption": marker(t, "TusCap-"), "upload file name": marker(t, "File-") + ".mov",
					"partial upload": marker(t, "PART-"),
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
				up := uploadForm(t, p.c, source, map[string]string{"caption": text["caption"] + " #" + text["hashtag"]})
				if up.Status != 201 {
					t.Fatalf("video: %d %s", up.Status, up.Body)
				}
				p.markers["video file"] = source[len(source)/2 : len(source)/2+64]
				// The search index keeps words, not the text: the marker's word after "Cap-" and
				// "Disp-", lower-cased, is what its FTS5 pages hold. FTS5 stores a word as the
				// part that differs from the word before it, so the scan looks for its tail.
				p.markers["caption word in search"] = []byte(strings.ToLower(text["caption"][len(text["caption"])-9:]))
				p.markers["display name word in search"] = []byte(strings.ToLower(text["display name"][len(text["display name"])-9:]))
				// An upload left half-way: its caption and file name came as tus metadata, its
				// first bytes sit in a partial file.
				partial := append([]byte(text["partial upload"]), source[:4000]...)
				md := "caption " + base64.StdEncoding.EncodeToString([]byte(text["upload caption"])) +
					",filename " + base64.StdEncoding.EncodeToString([]byte(text["upload file name"]))
				tus := p.c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", fmt.Sprint(len(source)), "Upload-Metadata", md)
				if tus.Status != 201 {
					t.Fatalf("tus create: %d %s", tus.Status, tus.Body)
				}
				if r := p.c.Do("PATCH", tus.Header.Get("Location"), partial, "Tus-Resumable", "1.0.0",
					"Content-Type", "application/offset+octet-stream", "Upload-Offset", "0"); r.Status != 204 {
					t.Fatalf("tus patch: %d %s", r.Status, r.Body)
				}
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
			// An export archive waits, unfetched: erasure must take it too.
			if r := leaver.c.Do("POST", "/api/v1/me/exports", nil); r.Status != 202 {
				t.Fatalf("export: %d %s", r.Status, r.Body)
			}
			a.Bus.Drain(ctx, privacy.JobExport)
			archives, _ := a.Blobs.List(ctx, "exports/"+leaver.id)
			if len(archives) != 1 {
				t.Fatalf("archives: %v", archives)
			}
			obj, err := a.Blobs.Open(ctx, archives[0].Key)
			if err != nil {
				t.Fatal(err)
			}
			sealed, _ := io.ReadAll(obj)
			obj.Close()
			leaver.markers["export archive"] = sealed[len(sealed)/2 : len(sealed)/2+64]
			// Personal fields exist only sealed: their plain text is nowhere, even before. An
			// upload's file name is not kept at all.
			plainPersonal := map[string][]byte{}
			for _, k := range []string{"email", "phone", "user agent", "upload file name"} {
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
			// The words are in the search index itself (SQLite's FTS5 pages; PostgreSQL's
			// expression indexes hold no table rows), so the scan after deletion covers it.
			if a.DB.Dialect == db.SQLite {
				inIndex := map[string]bool{}
				err := a.DB.TableRows(ctx, func(table, row string) error {
					for k, want := range map[string]string{"caption word in search": "videos_fts_data", "display name word in search": "accounts_fts_data"} {
						if table == want && strings.Contains(row, string(leaver.markers[k])) {
							inIndex[k] = true
						}
					}
					return nil
				})
				if err != nil || len(inIndex) != 2 {
					t.Fatalf("the search index does not hold the words the scan looks for: %v %v", inIndex, err)
				}
			}
			if !slices.ContainsFunc(before, func(s string) bool {
				return strings.HasPrefix(s, "partial upload in ") && strings.HasSuffix(s, ".part")
			}) {
				t.Fatalf("the partial upload's file is not among the scanned files: %v", before)
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
			if err != nil || !report.OK() || report.Size != 3 {
				t.Fatalf("access log after erasure: %v\n%s", err, report)
			}
		})
	}
}

// validate checks a decoded JSON value against the subset of JSON Schema the export schema
// uses: $ref into $defs, type, enum, required, properties, additionalProperties, items and
// minimum. It returns the first violation.
func validate(root map[string]any, schema map[string]any, v any, at string) error {
	if r, ok := schema["$ref"].(string); ok {
		def, ok := root["$defs"].(map[string]any)[strings.TrimPrefix(r, "#/$defs/")].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: unknown $ref %s", at, r)
		}
		return validate(root, def, v, at)
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %T", at, v)
		}
		props, _ := schema["properties"].(map[string]any)
		for _, req := range schema["required"].([]any) {
			if _, ok := obj[req.(string)]; !ok {
				return fmt.Errorf("%s: missing %s", at, req)
			}
		}
		for k, val := range obj {
			sub, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					return fmt.Errorf("%s: unexpected property %s", at, k)
				}
				continue
			}
			if err := validate(root, sub, val, at+"."+k); err != nil {
				return err
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %T", at, v)
		}
		for i, item := range arr {
			if err := validate(root, schema["items"].(map[string]any), item, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, got %T", at, v)
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, s)
			}
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			return fmt.Errorf("%s: %q does not match %s", at, s, p)
		}
		if schema["contentEncoding"] == "base64" {
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return fmt.Errorf("%s: not base64", at)
			}
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			return fmt.Errorf("%s: want an integer, got %v", at, v)
		}
		if m, ok := schema["minimum"].(float64); ok && n < m {
			return fmt.Errorf("%s: %v below %v", at, n, m)
		}
	case "number":
		n, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%s: want a number, got %T", at, v)
		}
		if m, ok := schema["minimum"].(float64); ok && n < m {
			return fmt.Errorf("%s: %v below %v", at, n, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want a boolean, got %T", at, v)
		}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
	}
	return nil
}

func TestDataExport(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.ExportLinkTTL = time.Hour })
			user, userID := signUpWith(t, a, "yara", map[string]any{"email": "yara@example.org", "birth_date": "1993-03-03"},
				"User-Agent", "YaraPhone/1.0")
			stranger, _ := signUpWith(t, a, "zack", nil)
			mod, modID := staff(t, a, "mod_ada", policy.RoleModerator)
			boss, _ := staff(t, a, "boss_bo", policy.RoleAdmin)
			img := image.NewRGBA(image.Rect(0, 0, 40, 40))
			var pngBuf bytes.Buffer
			_ = png.Encode(&pngBuf, img)
			if r := user.Do("PUT", "/api/v1/me/avatar", pngBuf.Bytes()); r.Status != 200 {
				t.Fatalf("avatar: %d %s", r.Status, r.Body)
			}
			if r := user.Do("PATCH", "/api/v1/me", map[string]any{"language": "fil"}); r.Status != 200 {
				t.Fatalf("video language: %d %s", r.Status, r.Body)
			}
			up := uploadForm(t, user, clip(t, "portrait-h264-aac.mp4"), map[string]string{"caption": "sunset #beach"})
			if up.Status != 201 {
				t.Fatalf("video: %d %s", up.Status, up.Body)
			}
			videoID := up.JSON()["id"].(string)
			a.Bus.Drain(ctx, video.JobProcess)
			// Social activity and watch history belong in the export too.
			user.Do("POST", "/api/v1/videos/"+videoID+"/like", nil)
			user.Do("POST", "/api/v1/videos/"+videoID+"/comments", map[string]any{"body": "export-me comment"})
			user.Do("POST", "/api/v1/events", map[string]any{"events": []map[string]any{{"kind": "play_start", "key": "export-key-0001",
				"video_id": videoID, "at": time.Now().UTC().Format(time.RFC3339)}}})
			mod.Do("POST", "/api/v1/admin/accounts/"+userID+"/personal-data", map[string]any{"purpose": "abuse_report", "fields": []string{"email"}})

			start := user.Do("POST", "/api/v1/me/exports", nil)
			link, _ := start.JSON()["download_url"].(string)
			if start.Status != 202 || start.JSON()["state"] != "running" || !strings.Contains(link, "token=") {
				t.Fatalf("start: %d %s", start.Status, start.Body)
			}
			id := start.JSON()["id"].(string)
			if r := user.Do("POST", "/api/v1/me/exports", nil); r.Status != 409 || r.ErrorCode() != "export_running" {
				t.Fatalf("second export while one runs: %d %s", r.Status, r.Body)
			}
			if r := user.Do("GET", link, nil); r.Status != 409 || r.ErrorCode() != "export_not_ready" {
				t.Fatalf("download before ready: %d %s", r.Status, r.Body)
			}
			if n := a.Bus.Drain(ctx, privacy.JobExport); n != 1 {
				t.Fatalf("%d export jobs ran", n)
			}
			if r := user.Do("GET", "/api/v1/me/exports/"+id, nil); r.Status != 200 || r.JSON()["state"] != "ready" || r.JSON()["progress"] != float64(100) {
				t.Fatalf("status: %d %s", r.Status, r.Body)
			}
			// Only the owner, with the token, gets it; others cannot even tell it exists.
			wrongToken := strings.Split(link, "token=")[0] + "token=" + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
			for name, tc := range map[string]struct {
				c      *testkit.Client
				path   string
				status int
			}{
				"stranger's status":          {stranger, "/api/v1/me/exports/" + id, 404},
				"stranger with the link":     {stranger, link, 404},
				"administrator with link":    {boss, link, 404},
				"anonymous with the link":    {a.Client(), link, 401},
				"owner with a wrong token":   {user, wrongToken, 403},
				"owner without a token":      {user, "/api/v1/me/exports/" + id + "/download", 403},
				"owner, made-up export id":   {user, "/api/v1/me/exports/01aaaaaaaaaaaaaaaaaaaaaaaa/download?token=x", 404},
				"owner, malformed export id": {user, "/api/v1/me/exports/..%2f/download", 404},
			} {
				if r := tc.c.Do("GET", tc.path, nil); r.Status != tc.status || bytes.HasPrefix(r.Body, []byte("PK")) {
					t.Errorf("%s: %d %.200s", name, r.Status, r.Body)
				}
			}
			dl := user.Do("GET", link, nil)
			if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("download: %d %v", dl.Status, dl.Header)
			}
			if r := user.Do("GET", link, nil); r.Status != 410 || r.ErrorCode() != "export_downloaded" {
				t.Fatalf("second download: %d %s", r.Status, r.Body)
			}
			if left, _ := a.Blobs.List(ctx, "exports"); len(left) != 0 {
				t.Fatalf("downloaded archive kept: %v", left)
			}

			zr, err := zip.NewReader(bytes.NewReader(dl.Body), int64(len(dl.Body)))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, f := range zr.File {
				rc, _ := f.Open()
				files[f.Name], _ = io.ReadAll(rc)
				rc.Close()
			}
			for _, want := range []string{"README.md", "schema.json", "account.json", "personal_data.json", "sessions.json", "access_log.json",
				"avatar/400.jpg", "videos/videos.json", "videos/" + videoID + ".mp4", "social/activity.json", "history/watch_history.json",
				"interests/interest_profile.json"} {
				if len(files[want]) == 0 {
					t.Errorf("archive lacks %s (has %v)", want, slices.Sorted(maps.Keys(files)))
				}
			}
			if !bytes.Contains(files["social/activity.json"], []byte("export-me comment")) || !bytes.Contains(files["social/activity.json"], []byte(videoID)) {
				t.Errorf("activity.json lacks the comment or the like: %s", files["social/activity.json"])
			}
			for _, kind := range []string{`"play_start"`, `"like"`, `"comment"`} {
				if !bytes.Contains(files["history/watch_history.json"], []byte(kind)) {
					t.Errorf("watch history lacks %s: %s", kind, files["history/watch_history.json"])
				}
			}
			var schema map[string]any
			if err := json.Unmarshal(files["schema.json"], &schema); err != nil {
				t.Fatal(err)
			}
			docs := map[string]any{}
			for _, name := range []string{"account.json", "personal_data.json", "sessions.json", "access_log.json", "interests/interest_profile.json"} {
				var v any
				if err := json.Unmarshal(files[name], &v); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := validate(schema, schema["$defs"].(map[string]any)[name].(map[string]any), v, name); err != nil {
					t.Errorf("schema: %v", err)
				}
				docs[name] = v
				if !strings.Contains(string(files["README.md"]), "`"+name+"`") {
					t.Errorf("README does not explain %s", name)
				}
			}
			if err := validate(schema, schema["$defs"].(map[string]any)["account.json"].(map[string]any), map[string]any{"id": "x"}, "bad"); err == nil {
				t.Fatal("the validator accepts an incomplete account: it checks nothing")
			}
			badLanguage := maps.Clone(docs["account.json"].(map[string]any))
			badLanguage["language"] = "Filipino"
			if err := validate(schema, schema["$defs"].(map[string]any)["account.json"].(map[string]any), badLanguage, "bad"); err == nil {
				t.Fatal("the schema accepts a language that is not a code")
			}
			// The interest profile in words: yara liked her #beach video and commented on it.
			interests := docs["interests/interest_profile.json"].(map[string]any)
			learned := interests["learned"].(map[string]any)
			if interests["personalised"] != true || !strings.Contains(fmt.Sprint(learned["hashtags"]), "beach") ||
				!strings.Contains(fmt.Sprint(interests["summary"]), "#beach") {
				t.Fatalf("interest profile: %v", interests)
			}
			if !strings.Contains(string(files["README.md"]), "Refresh For You") {
				t.Error("the README does not say how to reset the interest profile")
			}
			var bad map[string]any
			_ = json.Unmarshal(files["interests/interest_profile.json"], &bad)
			bad["learned"].(map[string]any)["hashtags"] = []any{map[string]any{"name": "x", "strength": "huge", "score": 1.0}}
			if err := validate(schema, schema["$defs"].(map[string]any)["interests/interest_profile.json"].(map[string]any), bad, "bad"); err == nil ||
				!strings.Contains(err.Error(), "huge") {
				t.Fatalf("the schema accepts a strength that is not one of its words: %v", err)
			}
			personal := docs["personal_data.json"].(map[string]any)
			if personal["email"] != "yara@example.org" || personal["birth_date"] != "1993-03-03" || !strings.Contains(fmt.Sprint(personal["log_in_origins"]), "YaraPhone/1.0") {
				t.Fatalf("personal data: %v", personal)
			}
			if acc := docs["account.json"].(map[string]any); acc["username"] != "yara" || acc["language"] != "fil" || acc["password_hash"] != nil {
				t.Fatalf("account: %v", acc)
			}
			if !strings.Contains(string(files["videos/videos.json"]), "sunset #beach") {
				t.Fatalf("videos.json: %s", files["videos/videos.json"])
			}
			// The archive's access log holds the moderator's read and the export's own read,
			// provable against the pinned key.
			logDoc := docs["access_log.json"].(map[string]any)
			logDoc["items"] = logDoc["entries"]
			_, entries := verifyAccessLog(t, logDoc, a.Keys.VerifierKey())
			if len(entries) != 2 || entries[0]["actor"] != modID || entries[1]["actor"] != "export" || entries[1]["purpose"] != "data_export" || entries[1]["role"] != "system" {
				t.Fatalf("access log in the archive: %v", entries)
			}
			if _, mine := verifyAccessLog(t, user.Do("GET", "/api/v1/me/access-log", nil).JSON(), a.Keys.VerifierKey()); len(mine) != 2 {
				t.Fatalf("the export's read is not in the owner's access log: %v", mine)
			}

			inv := user.Do("GET", "/api/v1/me/privacy", nil)
			held := map[string]bool{}
			for _, c := range inv.JSON()["categories"].([]any) {
				m := c.(map[string]any)
				held[m["name"].(string)] = m["held"].(bool)
				if m["why"] == "" || m["retention"] == "" {
					t.Errorf("category %v does not say why or how long", m)
				}
			}
			if inv.Status != 200 || !held["contact_and_age"] || !held["log_in_origins"] || !held["access_log"] || held["exports"] {
				t.Fatalf("inventory: %d %s", inv.Status, inv.Body)
			}
			if _, strangerLogged := verifyAccessLog(t, stranger.Do("GET", "/api/v1/me/access-log", nil).JSON(), a.Keys.VerifierKey()); len(strangerLogged) != 0 {
				t.Fatal("a stranger sees entries")
			}

			// A new export that nobody fetches in time expires, and its archive is deleted.
			again := user.Do("POST", "/api/v1/me/exports", nil)
			if again.Status != 202 {
				t.Fatalf("new export after the first: %d %s", again.Status, again.Body)
			}
			a.Bus.Drain(ctx, privacy.JobExport)
			if files, _ := a.Blobs.List(ctx, "exports"); len(files) != 1 {
				t.Fatalf("ready archive not stored: %v", files)
			}
			a.Clock.Advance(61 * time.Minute)
			if r := user.Do("GET", again.JSON()["download_url"].(string), nil); r.Status != 410 || r.ErrorCode() != "export_expired" {
				t.Fatalf("expired link: %d %s", r.Status, r.Body)
			}
			if err := a.Privacy.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if files, _ := a.Blobs.List(ctx, "exports"); len(files) != 0 {
				t.Fatalf("expired archive kept: %v", files)
			}
		})
	}
}

// A video that finishes processing while its owner's deletion is pending is kept from the
// recommender and its mentions are not notified; when the owner cancels by logging in, both
// happen then, for those videos only.
func TestCancelledDeletionAnnouncesWhatBecameReady(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewApp(t, e, func(c *config.Config) { c.DeletionGrace = 48 * time.Hour })
			c, id := signUpWith(t, a, "uma", nil)
			bob, _ := signUpWith(t, a, "bob", nil)
			ready := func(caption string) string {
				t.Helper()
				now := a.Clock.Now()
				tags, mentions := video.ParseCaption(caption)
				v := &db.VideoRow{ID: a.IDs.New(), AccountID: id, Caption: caption, Visibility: "public", AllowComments: true,
					State: "ready", DurationMS: 9000, CreatedAt: now, UpdatedAt: now, ReadyAt: now, Hashtags: tags, Mentions: mentions}
				up := &db.UploadRow{ID: a.IDs.New(), AccountID: id, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := a.DB.Videos().CreateWithUpload(ctx, v, up); err != nil {
					t.Fatal(err)
				}
				return v.ID
			}
			before := ready("from before the request")
			a.Clock.Advance(time.Minute)
			if r := c.Do("DELETE", "/api/v1/me", map[string]any{"password": testkit.Password}); r.Status != 202 {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			a.Clock.Advance(time.Hour)
			during := ready("made while pending, for @bob")
			published := func() map[string]int {
				t.Helper()
				evs, err := a.DB.Events().Since(ctx, 0, 10000)
				if err != nil {
					t.Fatal(err)
				}
				n := map[string]int{}
				for _, ev := range evs {
					if ev.Kind == "video_published" {
						n[ev.VideoID]++
					}
				}
				return n
			}
			mentions := func() int {
				t.Helper()
				r := bob.Do("GET", "/api/v1/notifications?limit=100", nil)
				if r.Status != 200 {
					t.Fatalf("notifications: %d %s", r.Status, r.Body)
				}
				return strings.Count(string(r.Body), `"mention"`)
			}
			if n := published(); n[during] != 0 || n[before] != 0 {
				t.Fatalf("published before the cancellation: %v", n)
			}
			if m := mentions(); m != 0 {
				t.Fatalf("%d mention notifications before the cancellation", m)
			}
			if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "uma", "password": testkit.Password}); r.Status != 201 {
				t.Fatalf("log-in during grace: %d %s", r.Status, r.Body)
			}
			if n := published(); n[during] != 1 || n[before] != 0 {
				t.Fatalf("published after the cancellation: %v; want the video made while pending, once, and not the older one", n)
			}
			if m := mentions(); m != 1 {
				t.Fatalf("%d mention notifications after the cancellation, want 1", m)
			}
		})
	}
}

// Notifications are deleted once they are older than the retention, by the privacy sweep;
// younger ones stay, and the inventory says how long they are kept.
func TestNotificationsExpire(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t, e, func(c *config.Config) { c.NotificationRetention, c.SessionTTL = 30*24*time.Hour, 2000*time.Hour })
			u := users(a, "star", "old_fan", "new_fan")
			notified := func() []string {
				t.Helper()
				r := u["star"].Do("GET", "/api/v1/notifications?limit=100", nil)
				if r.Status != 200 {
					t.Fatalf("notifications: %d %s", r.Status, r.Body)
				}
				var who []string
				for _, it := range r.JSON()["items"].([]any) {
					for _, actor := range it.(map[string]any)["actors"].([]any) {
						who = append(who, actor.(map[string]any)["username"].(string))
					}
				}
				return who
			}
			if r := u["old_fan"].Do("POST", "/api/v1/accounts/star/follow", nil); r.Status != 200 {
				t.Fatalf("follow: %d %s", r.Status, r.Body)
			}
			a.Clock.Advance(20 * 24 * time.Hour)
			if r := u["new_fan"].Do("POST", "/api/v1/accounts/star/follow", nil); r.Status != 200 {
				t.Fatalf("follow: %d %s", r.Status, r.Body)
			}
			a.Clock.Advance(11 * 24 * time.Hour) // the first is 31 days old, the second 11
			if got := notified(); len(got) != 2 {
				t.Fatalf("before the sweep: %v", got)
			}
			if err := a.Privacy.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := notified(); len(got) != 1 || got[0] != "new_fan" {
				t.Fatalf("after the sweep: %v, want only new_fan's", got)
			}
			r := u["star"].Do("GET", "/api/v1/me/privacy", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), "30 days, then deleted") {
				t.Fatalf("the inventory does not give the retention: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Watch history older than the event retention is deleted by the privacy sweep: the plays
// and the like's event go, while the like itself, the view count and the follow stay, with
// the follow's event, which the recommender is rebuilt from. The inventory says so.
func TestWatchHistoryExpires(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.EventRetention, c.SessionTTL = 10*24*time.Hour, 2000*time.Hour })
			u := users(a, "maker", "fan")
			vid := publish(t, a, u["maker"], map[string]string{"caption": "kept #forever"})
			watchAt := func(key string, kind string) {
				t.Helper()
				e := event(kind, key, vid)
				e["at"] = a.Clock.Now().Format(time.RFC3339Nano)
				if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": []ev{e}}); r.Status != 200 {
					t.Fatalf("events: %d %s", r.Status, r.Body)
				}
			}
			watchAt("old-impression", "impression")
			watchAt("old-play-start", "play_start")
			if r := u["fan"].Do("POST", "/api/v1/videos/"+vid+"/like", nil); r.Status != 200 {
				t.Fatalf("like: %d %s", r.Status, r.Body)
			}
			if r := u["fan"].Do("POST", "/api/v1/accounts/maker/follow", nil); r.Status != 200 {
				t.Fatalf("follow: %d %s", r.Status, r.Body)
			}
			a.Clock.Advance(11 * 24 * time.Hour)
			watchAt("new-play-start", "play_start")
			if err := a.Analytics.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			fan := u["fan"].Do("GET", "/api/v1/me", nil).JSON()["id"].(string)
			kinds := func() []string {
				t.Helper()
				h, err := a.DB.Events().History(ctx, fan)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, w := range h {
					out = append(out, w.Kind)
				}
				return out
			}
			if got := kinds(); len(got) != 5 {
				t.Fatalf("history before the sweep: %v", got)
			}
			if err := a.Privacy.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := kinds(), []string{"follow", "play_start"}; !slices.Equal(got, want) {
				t.Fatalf("history after the sweep: %v, want %v", got, want)
			}
			// The like itself stays, and so do the counts that were made from the events.
			if r := u["fan"].Do("GET", "/api/v1/videos/"+vid, nil); r.Status != 200 ||
				r.JSON()["viewer"].(map[string]any)["liked"] != true || r.JSON()["counts"].(map[string]any)["views"] != float64(2) {
				t.Fatalf("the like or the view count changed: %d %s", r.Status, r.Body)
			}
			r := u["fan"].Do("GET", "/api/v1/me/privacy", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), "10 days, then deleted") {
				t.Fatalf("the inventory does not give the retention: %d %s", r.Status, r.Body)
			}
		})
	}
}
