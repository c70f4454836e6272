//go:build !noui

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kurz/internal/policy"
	"kurz/internal/testkit"
)

// TestBrowserPrivacyPage is a viewer reading what kurz knows about them on the settings
// page: their interests in words (learned from watching a cook's videos), what kurz stores
// and why, a moderator's read of their data with its proof checked in the browser, the
// full archive built on the server, and "Reset my interests" — first cancelled, then done.
// Every change is checked through the API as well.
func TestBrowserPrivacyPage(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	ctx := context.Background()
	chef := app.Client()
	chef.SignUp("chef")
	var dishes []string
	for i := 0; i < 5; i++ {
		dishes = append(dishes, postClip(t, app, chef, feedClip, fmt.Sprintf("dish %d #pasta #food", i), "public", true))
	}
	fan := app.Client()
	fan.SignUp("fan")
	at := time.Now().UTC().Format(time.RFC3339Nano)
	var batch []map[string]any
	for i, v := range dishes {
		batch = append(batch,
			map[string]any{"kind": "play_start", "key": fmt.Sprintf("dish-start-%02d", i), "video_id": v, "at": at, "feed": "for_you"},
			map[string]any{"kind": "complete", "key": fmt.Sprintf("dish-done-%02d", i), "video_id": v, "at": at, "feed": "for_you", "watch_ms": 4000})
	}
	batch = append(batch, map[string]any{"kind": "not_interested", "key": "no-pranks-001", "target": "hashtag", "hashtag": "prank", "at": at, "feed": "for_you"},
		map[string]any{"kind": "not_interested", "key": "no-gossip-001", "target": "hashtag", "hashtag": "gossip", "at": at, "feed": "for_you"},
		map[string]any{"kind": "not_interested", "key": "no-dish-0004", "video_id": dishes[4], "at": at, "feed": "for_you"})
	if r := fan.Do("POST", "/api/v1/events", map[string]any{"events": batch}); r.Status != http.StatusOK {
		t.Fatalf("events: %d %s", r.Status, r.Body)
	}
	// A moderator reads the fan's e-mail address for an abuse report.
	fanID := fan.Do("GET", "/api/v1/me", nil).JSON()["id"].(string)
	if _, err := app.Auth.CreateAccount(ctx, "mod1", testkit.Password, policy.RoleModerator); err != nil {
		t.Fatal(err)
	}
	mod := app.Client()
	mod.Do("POST", "/api/v1/sessions", map[string]any{"username": "mod1", "password": testkit.Password})
	if r := mod.Do("POST", "/api/v1/admin/accounts/"+fanID+"/personal-data", map[string]any{"purpose": "abuse_report", "fields": []string{"email"}}); r.Status != http.StatusOK {
		t.Fatalf("moderator read: %d %s", r.Status, r.Body)
	}

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.logIn("fan")
	b.open("/settings")

	// The interests in words, with the strength of each.
	b.wait("the interest profile", `document.querySelector('#interest-summary li') !== null`)
	summary := evalAs[string](b, `document.querySelector('#interest-summary').textContent`)
	for _, want := range []string{"Personalisation is on", "#pasta (strong)", "@chef (strong)", "no ads"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q: %s", want, summary)
		}
	}
	tags := evalAs[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#interest-hashtags .interest')].map(li => [li.querySelector('.interest-name').textContent, li.dataset.strength]))`)
	if tags["#pasta"] != "strong" || tags["#food"] != "strong" {
		t.Errorf("hashtags shown: %v", tags)
	}
	if href := evalAs[string](b, `document.querySelector('#interest-accounts .interest-name')?.getAttribute('href') ?? ''`); href != "/@chef" {
		t.Errorf("the learned account links to %q", href)
	}
	marks := `[...document.querySelectorAll('#interest-marks .interest-name')].map(e => e.textContent).join(' ')`
	if got := evalAs[string](b, marks); got != "#prank #gossip a video" {
		t.Errorf("not-interested marks shown: %q", got)
	}

	// What kurz stores, each with why and how long, how much and where the archive has it.
	b.wait("the categories", `document.querySelectorAll('#data-categories .category').length >= 20`)
	cats := evalAs[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#data-categories .category')].map(li => [li.dataset.category, li.textContent]))`)
	for name, text := range cats {
		if !strings.Contains(text, "Why: ") || !strings.Contains(text, "How long: ") {
			t.Errorf("category %s does not say why and how long: %q", name, text)
		}
	}
	if !strings.Contains(cats["interest_profile"], "Held now") || !strings.Contains(cats["contact_and_age"], "Encrypted") ||
		!strings.Contains(cats["exports"], "None held") {
		t.Errorf("categories: %v", cats)
	}
	if strings.Contains(cats["videos"], "Now: ") {
		t.Errorf("a category with nothing held gives an amount: %q", cats["videos"])
	}
	for name, want := range map[string][]string{
		"not_interested": {"Held now", "Now: 3 marks", "In your archive: interests/interest_profile.json (choices)"},
		"watch_history":  {"Held now", "events", "In your archive: history/watch_history.json"},
		"videos":         {"None held", "In your archive: videos/videos.json"},
		"video_files":    {"None held", "In your archive: videos/ (a file for each)"},
		"password":       {"Held now", "In your archive: not included"},
		"notifications":  {"Why: ", "In your archive: not included"},
	} {
		for _, w := range want {
			if !strings.Contains(cats[name], w) {
				t.Errorf("category %s lacks %q: %q", name, w, cats[name])
			}
		}
	}
	if n := evalAs[int](b, `document.querySelectorAll('#download-data').length`); n != 0 {
		t.Error("the in-browser JSON copy is still offered beside the archive")
	}
	b.do("scroll to what kurz stores", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-category="videos"]').scrollIntoView()`))
	b.shot("settings-what-we-store-phone")

	// Taking marks back, one at a time: the list and the API agree after each, and the
	// focus stays in the list.
	b.click(`#interest-marks button[data-undo-target="hashtag"][data-undo-name="gossip"]`)
	b.wait("the #gossip mark to go", marks+` === '#prank a video'`)
	if c := fan.Do("GET", "/api/v1/me/interests", nil).JSON()["choices"].(map[string]any); fmt.Sprint(c["not_interested_hashtags"], c["not_interested_videos"]) != "[prank] ["+dishes[4]+"]" {
		t.Fatalf("marks through the API after undoing #gossip: %v", c)
	}
	if f := evalAs[string](b, `document.activeElement?.dataset?.undoTarget ?? ''`); f == "" {
		t.Errorf("after an undo the focus left the list of marks")
	}
	b.shot("settings-marks-phone")
	b.click(`#interest-marks button[data-undo-target="video"]`)
	b.wait("the video mark to go", marks+` === '#prank'`)
	if c := fan.Do("GET", "/api/v1/me/interests", nil).JSON()["choices"].(map[string]any); fmt.Sprint(c["not_interested_hashtags"], c["not_interested_videos"]) != "[prank] []" {
		t.Fatalf("marks through the API after undoing the video: %v", c)
	}

	// The moderator's read, proved in this browser.
	b.wait("the verified access log", `document.querySelectorAll('#access-log .badge--ok').length === 1`)
	if got := evalAs[string](b, `document.querySelector('#access-log .session-device').textContent`); got != "A moderator read your e-mail address" {
		t.Errorf("access log entry: %q", got)
	}
	b.do("scroll to the interests", chromedp.Evaluate[chromedp.Void](`document.querySelector('#interests').scrollIntoView()`))
	b.shot("settings-interests-phone")
	b.assertInert("privacy page")

	// The full archive: built by the server, progress shown, a single-use link.
	b.click("#export-start")
	b.wait("the archive link", `document.querySelector('#export-download') !== null`)
	got := evalAs[[]any](b, `(async () => {
		const a = document.querySelector('#export-download');
		const r = await fetch(a.getAttribute('href'));
		const buf = new Uint8Array(await r.arrayBuffer());
		const text = new TextDecoder('latin1').decode(buf);
		const again = await fetch(a.getAttribute('href'));
		return [r.status, text.slice(0, 2), text.includes('interests/interest_profile.json'), again.status];
	})()`)
	if fmt.Sprint(got) != "[200 PK true 410]" {
		t.Errorf("[status, magic, has the interest profile, second fetch] = %v, want [200 PK true 410]", got)
	}

	// Resetting asks first; closing the question changes nothing.
	b.click("#reset-interests")
	b.wait("the question", `document.querySelector('#reset-interests-confirm') !== null`)
	b.shot("settings-reset-interests-phone")
	b.do("close the question", chromedp.Evaluate[chromedp.Void](`document.querySelector('dialog.sheet').close()`))
	b.wait("the question to close", `document.querySelector('dialog.sheet') === null`)
	if p := fan.Do("GET", "/api/v1/me/interests", nil).JSON(); len(p["learned"].(map[string]any)["hashtags"].([]any)) == 0 {
		t.Fatalf("closing the question reset the interests: %v", p)
	}
	b.click("#reset-interests")
	b.click("#reset-interests-confirm")
	b.wait("the emptied profile", `document.querySelector('#interest-summary')?.textContent.includes('Nothing has been learned') &&
		document.querySelector('#interest-hashtags') === null && document.querySelector('#reset-interests').disabled`)
	p := fan.Do("GET", "/api/v1/me/interests", nil).JSON()
	learned, choices := p["learned"].(map[string]any), p["choices"].(map[string]any)
	if len(learned["hashtags"].([]any)) != 0 || len(learned["accounts"].([]any)) != 0 || learned["recent_engaged_videos"] != 0.0 {
		t.Fatalf("after the reset, the API still has learned interests: %v", learned)
	}
	if fmt.Sprint(choices["not_interested_hashtags"]) != "[prank]" {
		t.Fatalf("the reset dropped the fan's own marks: %v", choices)
	}
	if marks := evalAs[string](b, `document.querySelector('#interest-marks')?.textContent ?? ''`); marks != "#prank" {
		t.Errorf("not-interested marks after the reset: %q", marks)
	}

	b.resize(desktop)
	b.open("/settings")
	b.wait("the interest profile", `document.querySelector('#interest-summary li') !== null`)
	b.do("scroll to the data section", chromedp.Evaluate[chromedp.Void](`document.querySelector('#data').scrollIntoView()`))
	b.shot("settings-privacy-desktop")
}
