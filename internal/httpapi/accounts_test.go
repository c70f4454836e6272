package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/policy"
	"kurz/internal/testkit"
)

func accountCount(t *testing.T, a *testkit.TestApp) int {
	n, err := a.DB.Accounts().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func admin(t *testing.T, a *testkit.TestApp) *testkit.Client {
	t.Helper()
	if _, err := a.Auth.CreateAccount(context.Background(), "root_admin", testkit.Password, policy.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	c := a.Client()
	if r := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "root_admin", "password": testkit.Password}); r.Status != 201 {
		t.Fatalf("admin log-in: %d %s", r.Status, r.Body)
	}
	return c
}

func TestAccountsAPI(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("sign-up logs in with a safe cookie", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				c := a.Client()
				r := c.Do("POST", "/api/v1/accounts", map[string]any{"username": "Alice", "password": testkit.Password, "display_name": "Alice A"})
				if r.Status != 201 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				ck := r.Header.Get("Set-Cookie")
				for _, want := range []string{"kurz_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
					if !strings.Contains(ck, want) {
						t.Errorf("cookie %q lacks %s", ck, want)
					}
				}
				if strings.Contains(ck, "Secure") {
					t.Errorf("cookie marked Secure on plain HTTP: %q", ck)
				}
				me := c.Do("GET", "/api/v1/me", nil).JSON()
				if me["username"] != "alice" || me["display_name"] != "Alice A" || me["region"] != "eu" {
					t.Fatalf("me: %v", me)
				}
				if _, leaked := me["password_hash"]; leaked {
					t.Fatal("password hash in API")
				}
			})
			t.Run("bad sign-ups are refused and change nothing", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
				a.Client().SignUp("taken")
				before := accountCount(t, a)
				long := strings.Repeat("x", 70000)
				cases := []struct {
					name   string
					body   any
					status int
					code   string
				}{
					{"duplicate in other case", map[string]any{"username": "TAKEN", "password": testkit.Password}, 409, "username_taken"},
					{"too short", map[string]any{"username": "ab", "password": testkit.Password}, 400, "invalid_username"},
					{"too long", map[string]any{"username": strings.Repeat("a", 25), "password": testkit.Password}, 400, "invalid_username"},
					{"bad characters", map[string]any{"username": "al ice", "password": testkit.Password}, 400, "invalid_username"},
					{"html", map[string]any{"username": "<script>", "password": testkit.Password}, 400, "invalid_username"},
					{"double dot", map[string]any{"username": "a..b", "password": testkit.Password}, 400, "invalid_username"},
					{"reserved", map[string]any{"username": "Admin", "password": testkit.Password}, 400, "username_reserved"},
					{"reserved settings", map[string]any{"username": "settings", "password": testkit.Password}, 400, "username_reserved"},
					{"weak password", map[string]any{"username": "newbie", "password": "short"}, 400, "weak_password"},
					{"eleven characters", map[string]any{"username": "newbie", "password": "12345678901"}, 400, "weak_password"},
					{"repeated character", map[string]any{"username": "newbie", "password": "aaaaaaaaaaaaaaaa"}, 400, "weak_password"},
					{"password holds username", map[string]any{"username": "newbie", "password": "newbie-password-1"}, 400, "weak_password"},
					{"unknown field", `{"username":"newbie","password":"a long enough passphrase","admin":true}`, 400, "unknown_field"},
					{"malformed", `{"username":"newbie",`, 400, "invalid_json"},
					{"not an object", `["newbie"]`, 400, "invalid_json"},
					{"two objects", `{"username":"newbie","password":"a long enough passphrase"}{}`, 400, "invalid_json"},
					{"wrong type", `{"username":5,"password":"a long enough passphrase"}`, 400, "invalid_json"},
					{"empty body", ``, 400, "invalid_json"},
					{"oversized", `{"username":"newbie","password":"` + long + `"}`, 413, "body_too_large"},
					{"display name too long", map[string]any{"username": "newbie", "password": testkit.Password, "display_name": strings.Repeat("é", 51)}, 400, "too_long"},
				}
				c := a.Client()
				for _, tc := range cases {
					r := c.Do("POST", "/api/v1/accounts", tc.body)
					if r.Status != tc.status || r.ErrorCode() != tc.code {
						t.Errorf("%s: got %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
					}
					if msg, _ := r.JSON()["error"].(map[string]any)["message"].(string); msg == "" {
						t.Errorf("%s: no message a person can act on", tc.name)
					}
					if r.Header.Get("Set-Cookie") != "" {
						t.Errorf("%s: set a cookie", tc.name)
					}
				}
				if after := accountCount(t, a); after != before {
					t.Fatalf("accounts went from %d to %d", before, after)
				}
			})
			t.Run("log-in, wrong passwords and tokens", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				a.Client().SignUp("bob")
				c := a.Client()
				wrong := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "bob", "password": "not the password"})
				unknown := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "nobody", "password": "not the password"})
				if wrong.Status != 401 || unknown.Status != 401 || !bytes.Equal(wrong.Body, unknown.Body) {
					t.Fatalf("wrong password %d %s / unknown user %d %s must look alike", wrong.Status, wrong.Body, unknown.Status, unknown.Body)
				}
				tok := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "BOB", "password": testkit.Password, "token": true})
				if tok.Status != 201 || tok.Header.Get("Set-Cookie") != "" {
					t.Fatalf("token log-in: %d %s (cookie %q)", tok.Status, tok.Body, tok.Header.Get("Set-Cookie"))
				}
				api := a.Client()
				api.Token = tok.JSON()["token"].(string)
				if r := api.Do("PATCH", "/api/v1/me", map[string]any{"bio": "via token"}); r.Status != 200 {
					t.Fatalf("bearer PATCH without CSRF: %d %s", r.Status, r.Body)
				}
				for name, token := range map[string]string{"forged": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage": "x", "huge": strings.Repeat("y", 500)} {
					f := a.Client()
					f.Token = token
					if r := f.Do("GET", "/api/v1/me", nil); r.Status != 401 || r.ErrorCode() != "invalid_session" {
						t.Errorf("%s token: %d %s", name, r.Status, r.Body)
					}
				}
				if r := a.Client().Do("GET", "/api/v1/me", nil, "Authorization", "Basic Zm9vOmJhcg=="); r.Status != 401 {
					t.Errorf("basic auth: %d", r.Status)
				}
				if r := api.Do("DELETE", "/api/v1/sessions/current", nil); r.Status != 204 {
					t.Fatalf("log out: %d", r.Status)
				}
				if r := api.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("revoked token still works: %d", r.Status)
				}
			})
			t.Run("sessions expire", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.SessionTTL = time.Hour })
				c := a.Client()
				c.SignUp("eve")
				a.Clock.Advance(59 * time.Minute)
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatalf("before expiry: %d", r.Status)
				}
				// Use slid the expiry forward: another 59 minutes is still inside it.
				a.Clock.Advance(59 * time.Minute)
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatalf("sliding expiry: %d", r.Status)
				}
				a.Clock.Advance(61 * time.Minute)
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("after expiry: %d %s", r.Status, r.Body)
				}
			})
			t.Run("last seen is written behind while the session is young", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil) // sessions live 30 days
				c := a.Client()
				c.SignUp("gus")
				lastSeen := func() string {
					t.Helper()
					r := c.Do("GET", "/api/v1/sessions", nil)
					items, _ := r.JSON()["items"].([]any)
					if r.Status != 200 || len(items) != 1 {
						t.Fatalf("sessions: %d %s", r.Status, r.Body)
					}
					return items[0].(map[string]any)["last_seen_at"].(string)
				}
				signedUp := lastSeen()
				a.Clock.Advance(2 * time.Minute)
				used := lastSeen() // this request is the use
				if used != signedUp {
					t.Fatalf("last seen %s written in the request's path (signed up %s)", used, signedUp)
				}
				if err := a.App.Auth.FlushTouches(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got, want := lastSeen(), a.Clock.Now().UTC().Truncate(time.Millisecond); got == signedUp || !strings.HasPrefix(got, want.Format("2006-01-02T15:04")) {
					t.Fatalf("last seen %s after the flush, want %s", got, want)
				}
			})
			t.Run("CSRF protects cookie sessions", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				c := a.Client()
				c.SignUp("carol")
				good := c.CSRF
				c.CSRF = ""
				if r := c.Do("PATCH", "/api/v1/me", map[string]any{"bio": "x"}); r.Status != 403 || r.ErrorCode() != "csrf_missing" {
					t.Fatalf("missing token: %d %s", r.Status, r.Body)
				}
				c.CSRF = "forged" + good
				if r := c.Do("PATCH", "/api/v1/me", map[string]any{"bio": "x"}); r.Status != 403 || r.ErrorCode() != "csrf_invalid" {
					t.Fatalf("forged token: %d %s", r.Status, r.Body)
				}
				c.CSRF = good
				r := c.Do("POST", "/api/v1/admin/invites", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
				if r.Status != 403 || r.ErrorCode() != "cross_origin" {
					t.Fatalf("cross-site request: %d %s", r.Status, r.Body)
				}
				if bio := c.Do("GET", "/api/v1/me", nil).JSON()["bio"]; bio != "" {
					t.Fatalf("bio changed to %q by a refused request", bio)
				}
				if r := c.Do("PATCH", "/api/v1/me", map[string]any{"bio": "ok"}); r.Status != 200 {
					t.Fatalf("with token: %d %s", r.Status, r.Body)
				}
			})
			t.Run("profile edit", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				c := a.Client()
				c.SignUp("dave")
				r := c.Do("PATCH", "/api/v1/me", map[string]any{"display_name": "  Dave <b>D</b> ", "bio": "line one\nline two", "private": true})
				me := r.JSON()
				if r.Status != 200 || me["display_name"] != "Dave <b>D</b>" || me["bio"] != "line one\nline two" || me["private"] != true {
					t.Fatalf("%d %v", r.Status, me)
				}
				if !bytes.Contains(r.Body, []byte(`\u003cb\u003e`)) {
					t.Errorf("angle brackets not escaped in JSON: %s", r.Body)
				}
				for name, body := range map[string]any{
					"bio too long":       map[string]any{"bio": strings.Repeat("b", 501)},
					"newline in name":    map[string]any{"display_name": "a\nb"},
					"bidi override":      map[string]any{"display_name": "evil\u202etxt.exe"},
					"wrong type":         `{"private":"yes"}`,
					"unknown field role": map[string]any{"role": "admin"},
				} {
					if r := c.Do("PATCH", "/api/v1/me", body); r.Status != 400 {
						t.Errorf("%s: %d %s", name, r.Status, r.Body)
					}
				}
				if got := c.Do("GET", "/api/v1/me", nil).JSON(); got["role"] != "user" || got["bio"] != "line one\nline two" {
					t.Fatalf("refused edits changed the profile: %v", got)
				}
				pub := a.Client().Do("GET", "/api/v1/accounts/DAVE", nil)
				if pub.Status != 200 || pub.JSON()["display_name"] != "Dave <b>D</b>" {
					t.Fatalf("public profile: %d %s", pub.Status, pub.Body)
				}
				if _, ok := pub.JSON()["personalised"]; ok {
					t.Error("public profile shows private settings")
				}
				if r := a.Client().Do("GET", "/api/v1/accounts/nobody", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
					t.Fatalf("unknown account: %d %s", r.Status, r.Body)
				}
			})
			t.Run("sessions are listed and revoked", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				phone := a.Client()
				phone.SignUp("frank")
				laptop := a.Client()
				r := laptop.Do("POST", "/api/v1/sessions", map[string]any{"username": "frank", "password": testkit.Password},
					"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
				laptopID := r.JSON()["session"].(map[string]any)["id"].(string)
				list := phone.Do("GET", "/api/v1/sessions", nil).JSON()["items"].([]any)
				if len(list) != 2 {
					t.Fatalf("%d sessions", len(list))
				}
				var devices []string
				for _, s := range list {
					devices = append(devices, s.(map[string]any)["device"].(string))
				}
				if !strings.Contains(strings.Join(devices, ","), "Firefox on Linux") {
					t.Errorf("devices %v", devices)
				}
				other := a.Client()
				other.SignUp("grace")
				if r := other.Do("DELETE", "/api/v1/sessions/"+laptopID, nil); r.Status != 404 {
					t.Fatalf("revoking another account's session: %d", r.Status)
				}
				if r := laptop.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatal("laptop session was ended by a stranger")
				}
				if r := phone.Do("DELETE", "/api/v1/sessions/"+laptopID, nil); r.Status != 204 {
					t.Fatalf("revoke: %d %s", r.Status, r.Body)
				}
				if r := laptop.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("revoked session still works: %d", r.Status)
				}
				if r := phone.Do("GET", "/api/v1/sessions?cursor=not-a-cursor", nil); r.Status != 400 || r.ErrorCode() != "invalid_cursor" {
					t.Fatalf("bad cursor: %d %s", r.Status, r.Body)
				}
				if r := phone.Do("GET", "/api/v1/sessions?limit=1000", nil); r.Status != 400 {
					t.Fatalf("huge limit: %d", r.Status)
				}
			})
			t.Run("password change ends other sessions", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				c := a.Client()
				c.SignUp("heidi")
				other := a.Client()
				other.Do("POST", "/api/v1/sessions", map[string]any{"username": "heidi", "password": testkit.Password})
				if r := c.Do("PUT", "/api/v1/me/password", map[string]any{"current_password": "wrong one entirely", "new_password": "another long passphrase"}); r.Status != 400 {
					t.Fatalf("wrong current password: %d", r.Status)
				}
				if r := c.Do("PUT", "/api/v1/me/password", map[string]any{"current_password": testkit.Password, "new_password": "another long passphrase"}); r.Status != 204 {
					t.Fatalf("change: %d %s", r.Status, r.Body)
				}
				if r := other.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("other session survived: %d", r.Status)
				}
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != 200 {
					t.Fatalf("current session ended: %d", r.Status)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "heidi", "password": "another long passphrase"}); r.Status != 201 {
					t.Fatalf("new password: %d", r.Status)
				}
			})
			t.Run("throttling answers 429 with Retry-After", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.SignupPerIP = 2; c.LoginPerAccount = 3 })
				c := a.Client()
				c.SignUp("ivan")
				c.SignUp("judy")
				r := c.Do("POST", "/api/v1/accounts", map[string]any{"username": "mallory", "password": testkit.Password})
				if r.Status != 429 || r.Header.Get("Retry-After") == "" || r.ErrorCode() != "rate_limited" {
					t.Fatalf("third sign-up: %d %s %v", r.Status, r.Body, r.Header)
				}
				for i := 0; i < 3; i++ {
					c.Do("POST", "/api/v1/sessions", map[string]any{"username": "ivan", "password": "wrong wrong wrong"})
				}
				r = c.Do("POST", "/api/v1/sessions", map[string]any{"username": "Ivan", "password": testkit.Password})
				if r.Status != 429 || r.Header.Get("Retry-After") == "" {
					t.Fatalf("fourth log-in for one account: %d %s", r.Status, r.Body)
				}
				// Another account from the same IP is not locked out by ivan's throttle.
				if r := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "judy", "password": testkit.Password}); r.Status != 201 {
					t.Fatalf("other account: %d %s", r.Status, r.Body)
				}
				a.Clock.Advance(16 * time.Minute)
				if r := c.Do("POST", "/api/v1/sessions", map[string]any{"username": "ivan", "password": testkit.Password}); r.Status != 201 {
					t.Fatalf("after the window: %d %s", r.Status, r.Body)
				}
			})
			t.Run("avatar is typed by content and re-encoded", func(t *testing.T) {
				a := testkit.NewApp(t, e, func(c *config.Config) { c.MaxAvatarBytes = 64 << 10 })
				c := a.Client()
				c.SignUp("kim")
				img := image.NewRGBA(image.Rect(0, 0, 120, 80))
				for x := 0; x < 120; x++ {
					img.Set(x, x%80, color.RGBA{200, 10, 10, 255})
				}
				var buf bytes.Buffer
				_ = png.Encode(&buf, img)
				r := c.Do("PUT", "/api/v1/me/avatar", buf.Bytes(), "Content-Type", "text/plain")
				if r.Status != 200 {
					t.Fatalf("upload: %d %s", r.Status, r.Body)
				}
				url := r.JSON()["avatar"].(map[string]any)["400"].(string)
				got := a.Client().Do("GET", url, nil)
				if got.Status != 200 || got.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(got.Header.Get("Cache-Control"), "immutable") {
					t.Fatalf("avatar file: %d %v", got.Status, got.Header)
				}
				if cfg, _, err := image.DecodeConfig(bytes.NewReader(got.Body)); err != nil || cfg.Width != 400 {
					t.Fatalf("avatar decode: %v %v", cfg, err)
				}
				if r := c.Do("PUT", "/api/v1/me/avatar", []byte("<svg onload=alert(1)>"), "Content-Type", "image/png"); r.Status != 415 || r.ErrorCode() != "not_an_image" {
					t.Fatalf("svg/text: %d %s", r.Status, r.Body)
				}
				if r := c.Do("PUT", "/api/v1/me/avatar", bytes.Repeat([]byte{1}, 70<<10)); r.Status != 413 {
					t.Fatalf("oversized: %d %s", r.Status, r.Body)
				}
				files, _ := a.Blobs.List(context.Background(), "avatars")
				if len(files) != 2 {
					t.Fatalf("refused uploads left files: %v", files)
				}
				if r := c.Do("DELETE", "/api/v1/me/avatar", nil); r.Status != 200 || r.JSON()["avatar"] != nil {
					t.Fatalf("remove: %d %s", r.Status, r.Body)
				}
				if files, _ := a.Blobs.List(context.Background(), "avatars"); len(files) != 0 {
					t.Fatalf("removed avatar left files: %v", files)
				}
			})
			t.Run("admin suspends and everyone else cannot", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				boss := admin(t, a)
				u := a.Client()
				uid := u.SignUp("leo").JSON()["account"].(map[string]any)["id"].(string)
				stranger := a.Client()
				stranger.SignUp("mia")
				if r := stranger.Do("POST", "/api/v1/admin/accounts/"+uid+"/suspension", nil); r.Status != 403 {
					t.Fatalf("user suspending: %d", r.Status)
				}
				if r := a.Client().Do("POST", "/api/v1/admin/accounts/"+uid+"/suspension", nil); r.Status != 401 {
					t.Fatalf("anonymous suspending: %d", r.Status)
				}
				if r := boss.Do("POST", "/api/v1/admin/accounts/nonsense/suspension", nil); r.Status != 404 {
					t.Fatalf("unknown id: %d", r.Status)
				}
				r := boss.Do("POST", "/api/v1/admin/accounts/"+uid+"/suspension", nil)
				if r.Status != 200 || r.JSON()["state"] != "suspended" {
					t.Fatalf("suspend: %d %s", r.Status, r.Body)
				}
				if r := u.Do("GET", "/api/v1/me", nil); r.Status != 401 {
					t.Fatalf("suspended session still works: %d", r.Status)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "leo", "password": testkit.Password}); r.Status != 403 || r.ErrorCode() != "account_suspended" {
					t.Fatalf("suspended log-in: %d %s", r.Status, r.Body)
				}
				if r := stranger.Do("GET", "/api/v1/accounts/leo", nil); r.Status != 404 {
					t.Fatalf("suspended profile visible: %d", r.Status)
				}
				if r := boss.Do("GET", "/api/v1/accounts/leo", nil); r.Status != 200 {
					t.Fatalf("admin cannot see suspended profile: %d", r.Status)
				}
				if r := boss.Do("DELETE", "/api/v1/admin/accounts/"+uid+"/suspension", nil); r.Status != 200 || r.JSON()["state"] != "active" {
					t.Fatalf("reinstate: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": "leo", "password": testkit.Password}); r.Status != 201 {
					t.Fatalf("reinstated log-in: %d", r.Status)
				}
				if r := boss.Do("PUT", "/api/v1/admin/accounts/"+uid+"/role", map[string]any{"role": "overlord"}); r.Status != 400 {
					t.Fatalf("bad role: %d", r.Status)
				}
				if r := boss.Do("PUT", "/api/v1/admin/accounts/"+uid+"/role", map[string]any{"role": "moderator"}); r.Status != 200 || r.JSON()["role"] != "moderator" {
					t.Fatalf("set role: %d %s", r.Status, r.Body)
				}
				list := boss.Do("GET", "/api/v1/admin/accounts?limit=2", nil).JSON()
				if len(list["items"].([]any)) != 2 || list["next_cursor"] == nil {
					t.Fatalf("admin list page: %v", list)
				}
				if r := stranger.Do("GET", "/api/v1/admin/accounts", nil); r.Status != 403 {
					t.Fatalf("user listing accounts: %d", r.Status)
				}
			})
			t.Run("registration modes", func(t *testing.T) {
				a := testkit.NewApp(t, e, nil)
				boss := admin(t, a)
				if r := boss.Do("PUT", "/api/v1/admin/registration", map[string]any{"mode": "sometimes"}); r.Status != 400 {
					t.Fatalf("bad mode: %d", r.Status)
				}
				boss.Do("PUT", "/api/v1/admin/registration", map[string]any{"mode": "closed"})
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "nina", "password": testkit.Password}); r.Status != 403 || r.ErrorCode() != "registration_closed" {
					t.Fatalf("closed: %d %s", r.Status, r.Body)
				}
				boss.Do("PUT", "/api/v1/admin/registration", map[string]any{"mode": "invite"})
				if got := a.Client().Do("GET", "/api/v1/instance", nil).JSON()["registration"]; got != "invite" {
					t.Fatalf("instance says %v", got)
				}
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "nina", "password": testkit.Password}); r.Status != 403 || r.ErrorCode() != "invite_required" {
					t.Fatalf("no invite: %d %s", r.Status, r.Body)
				}
				inv := boss.Do("POST", "/api/v1/admin/invites", map[string]any{"expires_in_hours": 1})
				code, _ := inv.JSON()["code"].(string)
				if inv.Status != 201 || code == "" {
					t.Fatalf("invite: %d %s", inv.Status, inv.Body)
				}
				before := accountCount(t, a)
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "nina", "password": testkit.Password, "invite_code": "bogus"}); r.Status != 403 || r.ErrorCode() != "invalid_invite" {
					t.Fatalf("bogus invite: %d %s", r.Status, r.Body)
				}
				if accountCount(t, a) != before {
					t.Fatal("a refused invite still created the account")
				}
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "nina", "password": testkit.Password, "invite_code": code}); r.Status != 201 {
					t.Fatalf("with invite: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("POST", "/api/v1/accounts", map[string]any{"username": "oscar", "password": testkit.Password, "invite_code": code}); r.Status != 403 {
					t.Fatalf("reused invite: %d %s", r.Status, r.Body)
				}
			})
		})
	}
}

func TestOperationalEndpoints(t *testing.T) {
	a := testkit.NewApp(t, testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}, nil)
	c := a.Client()
	if r := c.Do("GET", "/healthz", nil); r.Status != 200 {
		t.Fatalf("healthz %d", r.Status)
	}
	if r := c.Do("GET", "/readyz", nil); r.Status != 200 || r.JSON()["status"] != "ready" {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	c.Do("GET", "/api/v1/instance", nil)
	m := c.Do("GET", "/metrics", nil)
	for _, want := range []string{
		`kurz_http_requests_total{code="200",method="GET",route="GET /api/v1/instance"} 1`,
		`kurz_http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/instance"`,
		`go_sql_open_connections{db_name="sqlite_writer"}`,
		`kurz_build_info{engine="sqlite"`,
		"kurz_db_tx_retries_total 0",
	} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if r := c.Do("GET", "/api/v1/nope", nil); r.Status != 404 || r.ErrorCode() != "no_such_endpoint" {
		t.Errorf("unknown API path: %d %s", r.Status, r.Body)
	}
	a.DB.Close()
	if r := c.Do("GET", "/readyz", nil); r.Status != 503 {
		t.Fatalf("readyz with the database closed: %d", r.Status)
	}
}

// TestOpenAPIMatchesRoutes fails when a route is registered that the document lacks, or the
// document lists a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := testkit.NewApp(t, testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}, nil)
	r := a.Client().Do("GET", "/api/v1/openapi.json", nil)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v %q", err, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range a.API.Routes() {
		registered[rt.Method+" "+rt.Pattern] = true
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("the OpenAPI document lists %s, which is not routed", k)
		}
	}
	if len(registered) < 15 {
		t.Fatalf("only %d routes registered", len(registered))
	}
	// Every documented operation answers something other than the API's 404 for unknown
	// paths, so the document's paths are real.
	c := a.Client()
	for k := range documented {
		method, path, _ := strings.Cut(k, " ")
		path = strings.NewReplacer("{username}", "someone", "{id}", "01aaaaaaaaaaaaaaaaaaaaaaaa").Replace(path)
		req := c.Do(method, path, nil)
		if req.ErrorCode() == "no_such_endpoint" || req.Status == http.StatusMethodNotAllowed {
			t.Errorf("%s %s is not served: %d", method, path, req.Status)
		}
	}
}

func jpegConfig(b []byte) (image.Config, error) {
	return jpeg.DecodeConfig(bytes.NewReader(b))
}
