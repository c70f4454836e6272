//go:build !noui

package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"kurz/internal/policy"
	"kurz/internal/testkit"
)

var sqlite = testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}

// TestBrowserAccount is a new person's first visit: sign up, fill in the profile, upload a
// photo, switch personalisation off, throw out a session they do not recognise, log out
// and back in. Each change is checked through the API, not just on screen.
func TestBrowserAccount(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	b := newBrowser(t, app.Server.URL)
	b.resize(phone)

	// A visitor sees the feed, honestly empty, and can find the way to sign up.
	b.open("/")
	b.wait("the empty feed", `document.querySelector('.empty-title')?.textContent === 'No videos yet'`)
	b.shot("feed-empty-phone")

	b.open("/signup")
	b.wait("the sign-up form", `document.querySelector('#username') !== null`)
	b.shot("signup-phone")
	b.fill("username", "maya")
	b.fill("display_name", "Maya")
	b.fill("password", testkit.Password)
	b.click(`form button[type=submit]`)
	b.wait("the settings page after sign-up", `location.pathname === '/settings' && document.querySelector('#profile-save') !== null`)

	// The same person is also logged in elsewhere; that session shows up in the list later.
	other := app.Client()
	login := other.Do("POST", "/api/v1/sessions", map[string]any{"username": "maya", "password": testkit.Password})
	if login.Status != http.StatusCreated {
		t.Fatalf("second log-in: %d %s", login.Status, login.Body)
	}
	otherSession := login.JSON()["session"].(map[string]any)["id"].(string)

	// Profile: display name and bio.
	b.fill("display_name", "Maya Lind")
	b.fill("bio", "Dancer in Lisbon. #dance with @maya")
	b.click("#profile-save")
	b.wait("the profile to save", `document.querySelector('.form-alert--ok')?.textContent === 'Profile saved.'`)
	acct := other.Do("GET", "/api/v1/accounts/maya", nil).JSON()
	if acct["display_name"] != "Maya Lind" || acct["bio"] != "Dancer in Lisbon. #dance with @maya" {
		t.Fatalf("profile via the API after saving: %v", acct)
	}

	// Avatar: pick a file, see the preview, save, and the API serves the new picture.
	b.do("choose a photo", chromedp.SetUploadFiles(chromedp.ID("avatar-file"), []string{writePNG(t, 320)}))
	b.wait("the preview", `document.querySelector('#avatar-preview')?.src.startsWith('blob:')`)
	b.shot("settings-avatar-preview-phone")
	b.click("#avatar-save")
	b.wait("the saved photo", `document.querySelector('.photo-preview img')?.getAttribute('src')?.startsWith('/media/avatars/')`)
	acct = other.Do("GET", "/api/v1/accounts/maya", nil).JSON()
	avatars, _ := acct["avatar"].(map[string]any)
	if avatars == nil || avatars["400"] == nil {
		t.Fatalf("avatar via the API after saving: %v", acct)
	}
	if img := other.Do("GET", avatars["400"].(string), nil); img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("avatar file: %d %s", img.Status, img.Header.Get("Content-Type"))
	}

	// Personalisation: on by default; the switch turns it off, as the API confirms.
	if me := other.Do("GET", "/api/v1/me", nil).JSON(); me["personalised"] != true {
		t.Fatalf("a new account should start personalised: %v", me["personalised"])
	}
	b.click("#personalised-switch")
	b.wait("the switch to settle", `(() => { const s = document.querySelector('#personalised-switch');
		return s.getAttribute('aria-checked') === 'false' && !s.hasAttribute('aria-busy'); })()`)
	if me := other.Do("GET", "/api/v1/me", nil).JSON(); me["personalised"] != false {
		t.Fatalf("after the switch, personalised via the API = %v, want false", me["personalised"])
	}

	// Sessions: both are listed; revoking the other one ends it on the server.
	b.do("reload settings", chromedp.Reload())
	b.wait("two sessions", `document.querySelectorAll('.session').length === 2`)
	if n := evalAs[int](b, `document.querySelectorAll('.session .badge--accent').length`); n != 1 {
		t.Fatalf("exactly one session should be marked as this device, got %d", n)
	}
	b.shot("settings-phone")
	b.click(fmt.Sprintf(`button[data-session=%q]`, otherSession))
	b.wait("the row to go", fmt.Sprintf(`document.querySelector('[data-session-id=%q]') === null`, otherSession))
	if r := other.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("the revoked session still works: %d %s", r.Status, r.Body)
	}

	// Desktop: the profile, then log out and back in.
	b.resize(desktop)
	b.open("/@maya")
	b.wait("the profile", `document.querySelector('#page-title')?.textContent === 'Maya Lind'`)
	if bio := evalAs[string](b, `document.querySelector('#profile-bio').textContent`); bio != "Dancer in Lisbon. #dance with @maya" {
		t.Fatalf("bio on the profile page: %q", bio)
	}
	links := evalAs[[]string](b, `[...document.querySelectorAll('#profile-bio a')].map(a => a.getAttribute('href'))`)
	if strings.Join(links, " ") != "/tag/dance /@maya" {
		t.Fatalf("links in the bio: %q", links)
	}
	b.wait("the video grid's empty state", `document.querySelector('.profile-videos .empty-title')?.textContent === 'No videos yet'`)
	b.shot("profile-desktop")

	// An administrator reads Maya's personal data for a support request. Her access log
	// shows the read, and her browser checks its proof against the signed checkpoint.
	ctx := context.Background()
	if _, err := app.Auth.CreateAccount(ctx, "admin1", testkit.Password, policy.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := app.Client()
	admin.Do("POST", "/api/v1/sessions", map[string]any{"username": "admin1", "password": testkit.Password})
	mayaID := acct["id"].(string)
	if r := admin.Do("POST", "/api/v1/admin/accounts/"+mayaID+"/personal-data", map[string]any{"purpose": "support_request"}); r.Status != http.StatusOK {
		t.Fatalf("the administrator's read: %d %s", r.Status, r.Body)
	}
	b.open("/settings")
	b.wait("settings", `document.querySelector('#logout') !== null`)
	b.wait("the verified access log", `[...document.querySelectorAll('#access-log .badge--ok')].length === 1`)
	if got := evalAs[string](b, `document.querySelector('#access-log .session-device').textContent`); !strings.HasPrefix(got, "An administrator read your") {
		t.Errorf("access log entry: %q", got)
	}
	// The same check must fail for an entry the server altered after logging it.
	tampered := evalAs[[]bool](b, `(async () => {
		const v = document.querySelector('meta[name="kurz-version"]').content;
		const { verifyAccessLog } = await import('/assets/' + v + '/js/transparency.js');
		const log = await (await fetch('/api/v1/me/access-log')).json();
		const good = await verifyAccessLog(log);
		const leaf = atob(log.items[0].leaf);
		log.items[0].leaf = btoa(leaf.replace('support_request', 'abuse_report'));
		const bad = await verifyAccessLog(log);
		log.checkpoint.tree_size += 1;
		const resized = await verifyAccessLog(log);
		return [good.checkpoint.ok && good.entries[0], bad.entries[0], resized.checkpoint.ok];
	})()`)
	if len(tampered) != 3 || !tampered[0] || tampered[1] || tampered[2] {
		t.Errorf("verification of [genuine entry, altered entry, altered checkpoint] = %v, want [true false false]", tampered)
	}
	b.do("scroll to the data section", chromedp.Evaluate[chromedp.Void](`document.querySelector('#data').scrollIntoView()`))
	b.shot("settings-data-desktop")

	// Download my data: the server builds the archive, and the browser saves the ZIP through
	// the single-use link. It holds Maya's profile and what the vault keeps about her.
	if n := evalAs[int](b, `document.querySelectorAll('#download-data').length`); n != 0 {
		t.Error("the page still offers the in-browser JSON copy beside the archive")
	}
	downloads := t.TempDir()
	b.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	b.click("#export-start")
	b.wait("the archive link", `document.querySelector('#export-download') !== null`)
	b.click("#export-download")
	var saved string
	archive := map[string][]byte{}
	b.waitGo(t, "the download", func() bool {
		// Chromium writes to a .crdownload file and renames it when the archive is whole.
		found, _ := filepath.Glob(filepath.Join(downloads, "*.zip"))
		if len(found) != 1 {
			return false
		}
		data, err := os.ReadFile(found[0])
		if err != nil {
			return false
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return false
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return false
			}
			archive[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return false
			}
		}
		saved = filepath.Base(found[0])
		return true
	})
	var account, personal map[string]any
	if err := json.Unmarshal(archive["account.json"], &account); err != nil || account["username"] != "maya" || account["display_name"] != "Maya Lind" {
		t.Errorf("account.json in the saved archive %s: %v (%v)", saved, account, err)
	}
	if err := json.Unmarshal(archive["personal_data.json"], &personal); err != nil || personal["log_in_origins"] == nil {
		t.Errorf("personal_data.json in the saved archive: %v (%v)", personal, err)
	}
	if !strings.HasPrefix(saved, "kurz-export-") || len(archive["README.md"]) == 0 || len(archive["avatar/400.jpg"]) == 0 {
		t.Errorf("saved %s with files %d, README %d bytes, avatar %d bytes", saved, len(archive), len(archive["README.md"]), len(archive["avatar/400.jpg"]))
	}
	b.wait("the spent link to go", `document.querySelector('#export-download') === null &&
		document.querySelector('#export-status')?.textContent.includes('Downloaded')`)

	b.open("/settings")
	b.wait("settings", `document.querySelector('#logout') !== null`)
	b.shot("settings-desktop")
	b.click("#logout")
	b.wait("the logged-out home page", `location.pathname === '/' && document.querySelector('#nav-login') !== null`)
	b.open("/login")
	b.wait("the log-in form", `document.querySelector('#password') !== null`)
	b.shot("login-desktop")
	b.fill("username", "maya")
	b.fill("password", testkit.Password)
	b.click(`form button[type=submit]`)
	b.wait("the logged-in home page", `location.pathname === '/' && document.querySelector('#nav-account .nav-account-name')?.textContent === 'Maya Lind'`)
	b.wait("the empty feed", `document.querySelector('.empty-title')?.textContent === 'No videos yet'`)
	b.shot("feed-empty-desktop")

	// Delete the account: a wrong password is refused where it was typed; the right one
	// schedules the deletion and logs out.
	b.open("/settings")
	b.click("#delete-account")
	b.fill("delete-password", "not the password at all")
	b.click("#delete-confirm")
	b.wait("the refusal", `document.querySelector('#delete-password-error')?.hidden === false`)
	b.fill("delete-password", testkit.Password)
	b.click("#delete-confirm")
	b.wait("logged out", `location.pathname === '/' && document.querySelector('#nav-login') !== null`)
	row, err := app.DB.Accounts().ByUsername(ctx, "maya")
	if err != nil || row.State != "deleting" {
		t.Fatalf("after deletion the account is %v (%v), want deleting", row, err)
	}
}

// TestBrowserVideoLanguage chooses the language of the videos one wants in Settings: the
// choice starts as the browser's, saves on change as the API confirms, stays chosen after a
// reload, goes back when saving fails, and can be handed back to the browser.
func TestBrowserVideoLanguage(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	api := app.Client()
	api.SignUp("lena")
	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.logIn("lena")
	stored := func() any {
		t.Helper()
		return other(t, api, "/api/v1/me")["language"]
	}

	b.open("/settings")
	b.wait("the video language", `document.querySelector('#video-language') !== null`)
	first := evalAs[[]string](b, `(() => { const s = document.querySelector('#video-language');
		const own = navigator.language.toLowerCase().split('-')[0];
		return [s.value, s.options[0].value, s.options[0].textContent,
			new Intl.DisplayNames([navigator.language], {type: 'language'}).of(own)]; })()`)
	if first[0] != "" || first[1] != "" || first[2] != "Same as this browser ("+first[3]+")" {
		t.Fatalf("the choice starts as [value, first option's value, its text, the browser's language] %q, want the browser's first and chosen", first)
	}
	if label := evalAs[string](b, `document.querySelector('label[for="video-language"]')?.textContent`); label != "Video language" {
		t.Errorf("the choice is labelled %q", label)
	}
	choose := func(code string) {
		t.Helper()
		b.click("#video-language")
		b.do("choose "+code, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector('#video-language');
			s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, code)))
		b.wait("the choice to save", `!document.querySelector('#video-language').hasAttribute('aria-busy')`)
	}
	settled := func(code string) string {
		return fmt.Sprintf(`(() => { const s = document.querySelector('#video-language');
			return s !== null && s.value === %q && !s.hasAttribute('aria-busy'); })()`, code)
	}

	choose("pt")
	b.wait("the saved toast", `[...document.querySelectorAll('.toast-text')].some(t => t.textContent.includes('Portuguese'))`)
	if got := stored(); got != "pt" {
		t.Fatalf("after choosing Portuguese the API says %q", got)
	}
	b.do("reload settings", chromedp.Reload())
	b.wait("Portuguese still chosen", settled("pt"))
	b.do("show the choice", chromedp.Evaluate[chromedp.Void](`document.querySelector('#video-language').scrollIntoView({block: 'center'})`))
	b.wait("the toasts to go", `document.querySelector('.toast') === null`)
	b.shot("settings-language-phone")

	// Offline, the choice goes back to what is stored, and says why.
	b.cutNetwork(app.Server.URL + "/api/v1/me")
	choose("de")
	b.wait("the choice to go back", settled("pt"))
	b.wait("the error toast", `document.querySelector('.toast--error') !== null`)
	b.cutNetwork("")
	if got := stored(); got != "pt" {
		t.Fatalf("a failed save changed the language to %q", got)
	}

	choose("")
	b.wait("the browser's language again", settled(""))
	if got := stored(); got != "" {
		t.Fatalf("after choosing the browser's language the API says %q, want \"\"", got)
	}
	b.resize(desktop)
	b.do("show the choice", chromedp.Evaluate[chromedp.Void](`document.querySelector('#video-language').scrollIntoView({block: 'center'})`))
	b.wait("the toasts to go", `document.querySelector('.toast') === null`)
	b.shot("settings-language-desktop")
}

// TestBrowserHostileProfileText puts markup and script URLs into a display name and a bio,
// through the UI, and checks every page that shows them: the text appears as typed, no
// payload runs, no element is made from it, and no link leads to a script.
func TestBrowserHostileProfileText(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	b := newBrowser(t, app.Server.URL)
	b.resize(desktop)
	api := app.Client()
	api.SignUp("mallory")
	b.logIn("mallory")

	bio := strings.Join([]string{
		`<script>window.__xss = 'bio-script'</script>`,
		`"><img src=x onerror="window.__xss='bio-img'">`,
		`javascript:window.__xss='bio-url'`,
		`<a href="javascript:window.__xss='bio-link'">click me</a>`,
		`[x](javascript:alert(1)) #"><svg/onload=alert(1)> @javascript:alert(1)`,
	}, "\n")
	for i, name := range []string{
		`<script>window.__xss='name-script'</script>`,
		`"><img src=x onerror=window.__xss='name-img'>`,
		`javascript:window.__xss='name-url'`,
	} {
		b.open("/settings")
		b.wait("settings", `document.querySelector('#profile-save') !== null`)
		b.fill("display_name", name)
		b.fill("bio", bio)
		b.click("#profile-save")
		b.wait("the profile to save", `document.querySelector('.form-alert--ok') !== null`)
		got := other(t, api, "/api/v1/accounts/mallory")
		if got["display_name"] != name {
			t.Fatalf("the server changed the display name: %q", got["display_name"])
		}
		b.assertInert("settings")
		if v := evalAs[string](b, `document.querySelector('#display_name').value`); v != name {
			t.Errorf("display name field shows %q, want %q", v, name)
		}

		b.open("/@mallory")
		b.wait("the profile", `document.querySelector('#page-title')?.textContent !== undefined && document.querySelector('#profile-bio') !== null`)
		if h1 := evalAs[string](b, `document.querySelector('#page-title').textContent`); h1 != name {
			t.Errorf("profile heading is %q, want the text as typed %q", h1, name)
		}
		if nav := evalAs[string](b, `document.querySelector('#nav-account .nav-account-name').textContent`); nav != name {
			t.Errorf("sidebar shows %q, want %q", nav, name)
		}
		if shown := evalAs[string](b, `document.querySelector('#profile-bio').textContent`); shown != bio {
			t.Errorf("bio shown as %q, want the text as typed", shown)
		}
		if title := evalAs[string](b, `document.title`); !strings.HasPrefix(title, name) {
			t.Errorf("document title %q does not start with the name as typed", title)
		}
		b.assertInert("profile")
		if i == 1 {
			b.shot("profile-hostile-text-desktop")
		}
	}
	// The only link the bio may produce is to the @javascript profile, which is a name.
	links := evalAs[[]string](b, `[...document.querySelectorAll('#profile-bio a')].map(a => a.getAttribute('href'))`)
	if strings.Join(links, " ") != "/@javascript" {
		t.Errorf("links made from the bio: %q", links)
	}
}

func other(t *testing.T, c *testkit.Client, path string) map[string]any {
	t.Helper()
	r := c.Do("GET", path, nil)
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return m
}

// assertInert checks that nothing from user text became live: the payloads set
// window.__xss if they ever run, would add an <img src=x> or a script, an inline event
// handler, or a link whose scheme is not http(s).
func (b *browser) assertInert(where string) {
	b.t.Helper()
	type inert struct {
		Flag     string   `json:"flag"`
		Imgs     int      `json:"imgs"`
		Scripts  []string `json:"scripts"`
		Handlers []string `json:"handlers"`
		BadLinks []string `json:"badLinks"`
		SVGs     int      `json:"svgs"`
	}
	got := evalAs[inert](b, `({
		flag: window.__xss === undefined ? '' : String(window.__xss),
		imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
		scripts: [...document.scripts].map(s => s.getAttribute('src') || 'inline:' + s.textContent).filter(s => !s.startsWith('/assets/')),
		handlers: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + '[' + a.name + ']')),
		badLinks: [...document.querySelectorAll('a[href], area[href]')].filter(a => !['http:', 'https:'].includes(a.protocol)).map(a => a.getAttribute('href')),
		svgs: document.querySelectorAll('svg[onload], svg:not(.icon)').length,
	})`)
	if got.Flag != "" {
		b.t.Errorf("%s: a payload ran (window.__xss = %q)", where, got.Flag)
	}
	if got.Imgs != 0 || got.SVGs != 0 {
		b.t.Errorf("%s: user text became elements: %d img, %d svg", where, got.Imgs, got.SVGs)
	}
	if len(got.Scripts) != 0 {
		b.t.Errorf("%s: scripts other than the client's: %q", where, got.Scripts)
	}
	if len(got.Handlers) != 0 {
		b.t.Errorf("%s: inline event handlers: %q", where, got.Handlers)
	}
	if len(got.BadLinks) != 0 {
		b.t.Errorf("%s: links with a script or unknown scheme: %q", where, got.BadLinks)
	}
}
