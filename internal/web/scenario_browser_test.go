//go:build !noui

package web_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/config"
	"kurz/internal/testkit"
)

// TestBrowserScenario is a new person's first session against a whole kurz with its
// background workers running, as `kurz serve` runs it: sign up, upload a real clip and
// watch its processing live, play it, see it reach another person's For You (one's own
// videos stay out of one's own), watch For You, like and comment on the video there,
// follow its creator from the overlay, open the profile, and switch personalisation off. Each step is checked through the API as well as on screen, and
// the main screens are saved as phone and desktop screenshots.
func TestBrowserScenario(t *testing.T) {
	// One transcoded rung beside the original keeps the background work (wasm ffmpeg) short.
	app := testkit.NewApp(t, sqlite, func(c *config.Config) { c.MaxRendition = 480 })
	api := app.Client() // the API's view, logged in as nobody until the person has an account

	// Another creator is already here, with a video of her own.
	dancer := app.Client()
	dancer.SignUp("dancer")
	if r := dancer.Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Dana Dancer"}); r.Status != http.StatusOK {
		t.Fatalf("dancer's name: %d %s", r.Status, r.Body)
	}
	danceVideo := postClip(t, app, dancer, feedClip, "Warm-up routine #dance", "public", true)

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)

	// Sign up through the form.
	b.open("/signup")
	b.wait("the sign-up form", `document.querySelector('#username') !== null`)
	b.fill("username", "newbie")
	b.fill("display_name", "Nia Newbie")
	b.fill("password", testkit.Password)
	b.click(`form button[type=submit]`)
	b.wait("the settings page after sign-up", `location.pathname === '/settings' && document.querySelector('#profile-save') !== null`)
	if got := api.Do("GET", "/api/v1/accounts/newbie", nil); got.Status != http.StatusOK || got.JSON()["display_name"] != "Nia Newbie" {
		t.Fatalf("the new account via the API: %d %s", got.Status, got.Body)
	}
	me := app.Client()
	if r := me.Do("POST", "/api/v1/sessions", map[string]any{"username": "newbie", "password": testkit.Password}); r.Status != http.StatusCreated {
		t.Fatalf("log in as newbie for the API checks: %d %s", r.Status, r.Body)
	}

	// Upload a real clip through the upload page; the workers process it while the page
	// follows the state live.
	b.click(`.nav-link[href="/upload"]`)
	b.wait("the drop zone", `document.querySelector('#upload-file') !== null`)
	// A phone's portrait clip: HEVC with a rotation flag, which browsers cannot all play, so
	// the server transcodes it (ffmpeg in WebAssembly) before it can be watched.
	b.do("choose the clip", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{filepath.Join(testkit.MediaDir(t), "rotated90-hevc.mov")}))
	b.wait("the preview", `document.querySelector('.upload-preview-video')?.readyState >= 2`)
	b.fill("caption", "My first clip #firstday")
	b.shot("scenario-upload-phone")
	b.click("#upload-post")
	b.wait("the processing step", `document.querySelector('#processing-state') !== null`)
	b.do("collect the states shown", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__states = [document.querySelector('#processing-state').textContent];
		new MutationObserver(() => {
			const s = document.querySelector('#processing-state')?.textContent;
			if (s && window.__states.at(-1) !== s) window.__states.push(s);
		}).observe(document.querySelector('.upload-body'), {subtree: true, childList: true, characterData: true});
	})()`))
	b.waitLong("processed", `document.querySelector('#upload-watch') !== null`, 60*time.Second)
	// The page showed the work going on, then its end, without a reload.
	if states := evalAs[[]string](b, `window.__states`); len(states) < 2 || states[len(states)-2] != "Processing…" || states[len(states)-1] != "Processed" {
		t.Errorf("states shown while processing: %q, want Processing… then Processed", states)
	}
	b.shot("scenario-processed-phone")
	mine, _ := me.Do("GET", "/api/v1/accounts/newbie/videos", nil).JSON()["items"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["state"] != "ready" || mine[0].(map[string]any)["caption"] != "My first clip #firstday" {
		t.Fatalf("newbie's videos via the API: %v", mine)
	}
	myVideo := mine[0].(map[string]any)["id"].(string)
	// Playable means transcoded: an upright H.264 rendition and a poster, made by ffmpeg.
	v := mine[0].(map[string]any)
	rends, _ := v["renditions"].([]any)
	if len(rends) == 0 || rends[0].(map[string]any)["name"] == "original" || v["poster"] == nil || v["poster"] == "" {
		t.Fatalf("the processed video: renditions %v, poster %v", rends, v["poster"])
	}
	if r := rends[0].(map[string]any); r["width"].(float64) >= r["height"].(float64) {
		t.Errorf("the rendition is %vx%v, want upright", r["width"], r["height"])
	}

	// The new clip plays on its own page, the same vertical player as the feed.
	b.click("#upload-watch")
	b.wait("my video to play", `location.pathname === '/v/`+myVideo+`' && (() => { const v = document.querySelector('.slide video'); return v && !v.paused && v.currentTime > 0.3; })()`)
	if got := evalAs[string](b, `document.querySelector('.slide .meta-caption').textContent`); got != "My first clip #firstday" {
		t.Errorf("caption on the video's page %q", got)
	}
	// For You leaves out one's own videos; the new clip reaches the other creator's.
	catchUp(t, app)
	if ids := feedOf(t, dancer); !slices.Contains(ids, myVideo) {
		t.Errorf("dancer's For You %v lacks the new video %s", ids, myVideo)
	}

	// For You: the other creator's video plays by itself.
	b.click(`.nav-link[href="/"]`)
	b.wait("her video to play", `(() => { const s = document.querySelector('.slide'); const v = s?.querySelector('video');
		return s?.dataset.videoId === '`+danceVideo+`' && !v.paused && v.currentTime > 0.3; })()`)
	if ids := evalAs[[]string](b, `[...document.querySelectorAll('.slide')].map(s => s.dataset.videoId)`); slices.Contains(ids, myVideo) {
		t.Errorf("For You shows the viewer's own video: %v", ids)
	}
	// Leaving the video's page sent its watch events: the play counts as a view.
	b.waitGo(t, "the view of the new video", func() bool {
		c, _ := me.Do("GET", "/api/v1/videos/"+myVideo, nil).JSON()["counts"].(map[string]any)
		return c != nil && c["views"] == float64(1)
	})
	b.shot("scenario-feed-phone")

	// Like it from the rail.
	b.click(".slide .rail-btn--heart")
	b.wait("the like", `document.querySelector('.slide .rail-btn--heart').getAttribute('aria-pressed') === 'true'`)
	b.waitGo(t, "the like on the server", func() bool {
		v := me.Do("GET", "/api/v1/videos/"+danceVideo, nil).JSON()
		c, _ := v["counts"].(map[string]any)
		viewer, _ := v["viewer"].(map[string]any)
		return c != nil && c["likes"] == float64(1) && viewer != nil && viewer["liked"] == true
	})

	// Comment in the drawer.
	b.click(".slide .rail-btn--comment")
	b.wait("the comment drawer", `document.querySelector('#comment-input') !== null`)
	b.fill("comment-input", "Lovely moves, from my first day")
	b.click("#comment-post")
	b.wait("the comment", `document.querySelector('#comments .comment .comment-text')?.textContent === 'Lovely moves, from my first day'`)
	b.shot("scenario-comment-phone")
	comments, _ := me.Do("GET", "/api/v1/videos/"+danceVideo+"/comments", nil).JSON()["items"].([]any)
	if len(comments) != 1 || comments[0].(map[string]any)["body"] != "Lovely moves, from my first day" {
		t.Fatalf("comments via the API: %v", comments)
	}
	b.do("close the drawer", chromedp.KeyEvent(kb.Escape))
	b.wait("the drawer to close", `document.querySelector('dialog[open]') === null`)

	// Follow her from the overlay.
	b.click(".slide .rail-follow")
	b.wait("followed", `document.querySelector('.slide .rail-follow').hidden`)
	b.waitGo(t, "the follow on the server", func() bool {
		f, _ := api.Do("GET", "/api/v1/accounts/dancer/followers", nil).JSON()["items"].([]any)
		return len(f) == 1 && f[0].(map[string]any)["username"] == "newbie"
	})

	// The profile: the new video in the grid and the follow counted.
	b.click(`.nav-link[href="/@newbie"]`)
	b.wait("the profile", `document.querySelector('#page-title')?.textContent === 'Nia Newbie' && document.querySelectorAll('.video-grid .tile').length === 1`)
	if href := evalAs[string](b, `document.querySelector('.video-grid .tile').getAttribute('href')`); href != "/v/"+myVideo {
		t.Errorf("the profile's tile links to %q", href)
	}
	stats := evalAs[string](b, `document.querySelector('.profile-stats')?.textContent ?? ''`)
	if !strings.Contains(stats, "1 Following") {
		t.Errorf("profile counts %q, want 1 Following", stats)
	}
	b.shot("scenario-profile-phone")

	// Settings: personalisation off, as the API confirms, and For You says so.
	if r := me.Do("GET", "/api/v1/me", nil).JSON(); r["personalised"] != true {
		t.Fatalf("a new account should start personalised: %v", r["personalised"])
	}
	b.click(`.nav-link[href="/@newbie"]`)
	b.click(`.profile-actions a[href="/settings"]`)
	b.wait("settings", `document.querySelector('#personalised-switch') !== null`)
	b.click("#personalised-switch")
	b.wait("the switch to settle", `(() => { const s = document.querySelector('#personalised-switch');
		return s.getAttribute('aria-checked') === 'false' && !s.hasAttribute('aria-busy'); })()`)
	if r := me.Do("GET", "/api/v1/me", nil).JSON(); r["personalised"] != false {
		t.Fatalf("after the switch, personalised via the API = %v, want false", r["personalised"])
	}
	if feed := me.Do("GET", "/api/v1/feed/for_you", nil).JSON(); feed["personalised"] != false {
		t.Errorf("For You after the switch: personalised = %v, want false", feed["personalised"])
	}
	b.shot("scenario-settings-phone")

	// The same person on a desktop: the feed with the player centred, and the profile with
	// the new video's poster.
	b.resize(desktop)
	b.open("/")
	b.wait("a video to play", `(() => { const v = document.querySelector('.slide video'); return v && !v.paused && v.currentTime > 0.3; })()`)
	b.shot("scenario-feed-desktop")
	b.open("/@newbie")
	b.wait("the profile", `document.querySelector('.video-grid .tile img.tile-img')?.complete === true`)
	b.shot("scenario-profile-desktop")
}

// feedOf is the ids of c's For You, first page.
func feedOf(t *testing.T, c *testkit.Client) []string {
	t.Helper()
	r := c.Do("GET", "/api/v1/feed/for_you", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("For You: %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, it := range r.JSON()["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

// waitLong is wait with a longer limit, for work the server does in the background.
func (b *browser) waitLong(what, cond string, limit time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if evalAs[bool](b, cond) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out after %s waiting for %s%s", limit, what, b.pageState())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
