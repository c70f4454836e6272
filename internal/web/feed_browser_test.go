//go:build !noui

package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
)

// TestBrowserFeedPlayer watches the real For You feed on a phone, made of videos uploaded
// and processed by this kurz: autoplay muted, a swipe by arrow key that turns sound on and
// starts the next video from its preload, a double tap that likes with an animation, a
// tap that pauses, scrubbing to the end, watch events in batches that reach the server's
// event log, and events kept through a network drop and a reload.
func TestBrowserFeedPlayer(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	maya := app.Client()
	maya.SignUp("maya")
	// Hostile text in a caption and a creator's name must stay text in the feed too.
	if r := maya.Do("PATCH", "/api/v1/me", map[string]any{"display_name": `<script>window.__xss='author'</script>Maya`}); r.Status != http.StatusOK {
		t.Fatalf("set the display name: %d %s", r.Status, r.Body)
	}
	for i := 1; i <= 5; i++ {
		postClip(t, app, maya, feedClip, fmt.Sprintf(`Clip %d at sunrise #morning with @maya <img src=x onerror="window.__xss='caption'"> javascript:window.__xss='url'`, i), "public", false)
	}
	catchUp(t, app)
	viewer := app.Client()
	viewer.SignUp("viewer")

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.logIn("viewer")
	// A fresh load, so that nobody has interacted with this page yet.
	b.open("/")
	b.wait("the feed", `document.querySelectorAll('.slide').length === 5`)
	ids := evalAs[[]string](b, `[...document.querySelectorAll('.slide')].map(s => s.dataset.videoId)`)
	if reasons := evalAs[int](b, `document.querySelectorAll('.slide .why-btn').length`); reasons != 5 {
		t.Errorf("%d of 5 videos say why they are there", reasons)
	}

	// The first video plays by itself, muted; the next two are loading, the rest are not.
	b.wait("the first video to play", `(() => { const v = document.querySelector('.slide video'); return !v.paused && v.currentTime > 0.2; })()`)
	if muted := evalAs[bool](b, `document.querySelector('.slide video').muted`); !muted {
		t.Fatal("before any interaction the video must play muted")
	}
	if got := b.sources(); !slices.Equal(got, []bool{true, true, true, false, false}) {
		t.Fatalf("videos with a source at the first slide: %v, want the first three", got)
	}
	if src := evalAs[string](b, `document.querySelector('.slide video').getAttribute('src')`); !strings.HasPrefix(src, "/media/") {
		t.Errorf("the first video plays %q, want a rendition served by this kurz", src)
	}
	b.assertInert("feed")
	b.shot("feed-phone")

	// A key press is the first interaction: sound comes on, and the next video plays.
	b.do("swipe down", chromedp.KeyEvent(kb.ArrowDown))
	b.wait("the second video to play", `(() => { const v = document.querySelectorAll('.slide video');
		return v[0].paused && !v[1].paused && v[1].currentTime > 0.2; })()`)
	if muted := evalAs[bool](b, `document.querySelectorAll('.slide video')[1].muted`); muted {
		t.Error("after the first interaction the next video should play with sound")
	}
	if got := b.sources(); !slices.Equal(got, []bool{true, true, true, true, false}) {
		t.Errorf("videos with a source at the second slide: %v, want one behind and two ahead", got)
	}
	if swipe := evalAs[float64](b, `performance.getEntriesByName('kurz:swipe-to-play').at(-1)?.duration ?? -1`); swipe < 0 {
		t.Error("the player did not measure the swipe")
	}

	// Double tap: a heart bursts where the finger was and the like reaches the server.
	x, y := b.center(`.slide:nth-child(2) .tap-layer`)
	b.do("double tap", chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y))
	b.wait("the heart", `document.querySelector('.slide:nth-child(2) .burst') !== null`)
	b.wait("the like", `document.querySelector('.slide:nth-child(2) .rail-btn--heart').getAttribute('aria-pressed') === 'true'`)
	b.wait("the count", `document.querySelector('.slide:nth-child(2) .rail-btn--heart .rail-count').textContent === '1'`)
	// The heart turns red at once; the server's answer follows.
	b.waitGo(t, "the like on the server", func() bool {
		c, _ := viewer.Do("GET", "/api/v1/videos/"+ids[1], nil).JSON()["counts"].(map[string]any)
		return c != nil && c["likes"] == float64(1)
	})
	if other := viewer.Do("GET", "/api/v1/videos/"+ids[0], nil).JSON(); other["counts"].(map[string]any)["likes"] != float64(0) {
		t.Errorf("the first video was liked too: %v", other["counts"])
	}
	b.shot("feed-liked-phone")

	// One tap pauses, another plays.
	b.do("tap", chromedp.MouseClickXY(x, y))
	b.wait("pause", `document.querySelectorAll('.slide video')[1].paused && document.querySelectorAll('.stage')[1].classList.contains('is-paused')`)
	b.do("tap", chromedp.MouseClickXY(x, y))
	b.wait("play", `!document.querySelectorAll('.slide video')[1].paused`)

	// Scrub by pointer to 80%; the video plays on to the end, loops, and that is a view.
	px, py := b.point(`.slide:nth-child(2) .progress`, 0.8, 0.5)
	b.do("scrub", chromedp.MouseClickXY(px, py))
	b.wait("the jump", `document.querySelectorAll('.slide video')[1].currentTime > 2.9`)
	b.wait("the loop to restart", `document.querySelectorAll('.slide video')[1].currentTime < 1`)
	b.do("focus the progress bar", chromedp.Focus(chromedp.CSS(`.slide:nth-child(2) .progress`)))
	b.do("scrub by keyboard", chromedp.KeyEvent(kb.End))
	b.wait("the keyboard jump", `document.querySelectorAll('.progress')[1].value === '1000'`)

	// Leaving the feed sends what was watched, and the server logs it.
	b.click(`.nav-link[href="/search"]`)
	defer func() {
		if t.Failed() {
			t.Logf("events in the log: %v", clientEvents(t, app))
		}
	}()
	b.waitGo(t, "watch events in the server's log", func() bool {
		k := clientEvents(t, app)
		return slices.Contains(k, "impression:"+ids[0]) && slices.Contains(k, "skip:"+ids[0]) &&
			slices.Contains(k, "impression:"+ids[1]) && slices.Contains(k, "progress:"+ids[1]) &&
			slices.Contains(k, "complete:"+ids[1])
	})
	if k := clientEvents(t, app); slices.Contains(k, "skip:"+ids[1]) {
		t.Errorf("a completed video was also reported as skipped: %v", k)
	}
	if v := viewer.Do("GET", "/api/v1/videos/"+ids[1], nil).JSON(); v["counts"].(map[string]any)["views"].(float64) < 1 {
		t.Errorf("the watched video's views after the events: %v", v["counts"])
	}

	// The network to the events endpoint drops: events stay in the page's storage, survive a
	// reload, and arrive once the network is back.
	before := len(clientEvents(t, app))
	b.cutNetwork(app.Server.URL + "/api/v1/events")
	b.click(`.nav-link[href="/"]`)
	b.wait("the feed again", `document.querySelector('.slide video')?.paused === false`)
	offline := evalAs[string](b, `document.querySelector('.slide').dataset.videoId`)
	b.click(`.nav-link[href="/search"]`)
	b.wait("events kept while offline", `JSON.parse(localStorage.getItem('kurz.events.v1') || '[]').some(e => e.kind === 'impression')`)
	if n := len(clientEvents(t, app)); n != before {
		t.Fatalf("events arrived through a cut network: %d, want %d", n, before)
	}
	b.cutNetwork("")
	b.do("reload", chromedp.Reload())
	b.waitGo(t, "the kept events", func() bool { return len(clientEvents(t, app)) > before })
	b.wait("the queue to empty", `localStorage.getItem('kurz.events.v1') === null`)
	if k := clientEvents(t, app)[before:]; !slices.Contains(k, "impression:"+offline) {
		t.Errorf("events delivered after the reload: %v, want the impression watched offline (%s)", k, offline)
	}

	// On a wide screen: the centred 9:16 player with its actions beside it.
	b.resize(desktop)
	b.open("/")
	b.wait("the first video to play", `(() => { const v = document.querySelector('.slide video'); return v && !v.paused && v.currentTime > 0.3; })()`)
	ratio := evalAs[float64](b, `(() => { const r = document.querySelector('.stage').getBoundingClientRect(); return r.width / r.height; })()`)
	if ratio < 0.55 || ratio > 0.58 {
		t.Errorf("the desktop player is %.3f wide per unit of height, want 9:16 (0.5625)", ratio)
	}
	if beside := evalAs[bool](b, `(() => { const s = document.querySelector('.stage').getBoundingClientRect(), r = document.querySelector('.rail').getBoundingClientRect();
		return r.left >= s.right; })()`); !beside {
		t.Error("on a wide screen the actions should sit beside the player, not on it")
	}
	b.shot("feed-desktop")
}

// sources says, for each slide, whether its video has a source.
func (b *browser) sources() []bool {
	return evalAs[[]bool](b, `[...document.querySelectorAll('.slide video')].map(v => v.hasAttribute('src'))`)
}

// center is a point in the upper middle of an element, clear of the overlay's text.
func (b *browser) center(css string) (float64, float64) {
	return b.point(css, 0.5, 1.0/3)
}

// point is the point at fractions fx, fy across an element's box, in page pixels.
func (b *browser) point(css string, fx, fy float64) (float64, float64) {
	b.t.Helper()
	p := evalAs[[]float64](b, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
		return [r.left + r.width * %g, r.top + r.height * %g]; })()`, css, fx, fy))
	return p[0], p[1]
}

// waitGo waits for a condition on the Go side, such as what a stub server received.
func (b *browser) waitGo(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s%s", what, b.pageState())
}

// TestBrowserCaughtUp: a viewer who has seen every video of the Trending tab is told they
// are caught up, not that the server has no videos.
func TestBrowserCaughtUp(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	maya := app.Client()
	maya.SignUp("maya")
	for i := 1; i <= 2; i++ {
		postClip(t, app, maya, feedClip, fmt.Sprintf("Clip %d #morning", i), "public", false)
	}
	catchUp(t, app)
	viewer := app.Client()
	viewer.SignUp("viewer")
	r := viewer.Do("GET", "/api/v1/feed/trending", nil)
	items, _ := r.JSON()["items"].([]any)
	if r.Status != http.StatusOK || len(items) != 2 {
		t.Fatalf("trending before watching: %d %s", r.Status, r.Body)
	}
	var seen []map[string]any
	for i, it := range items {
		seen = append(seen, map[string]any{"kind": "impression", "key": fmt.Sprintf("caught-up-%03d", i), "feed": "trending",
			"video_id": it.(map[string]any)["id"], "at": time.Now().UTC().Format(time.RFC3339Nano)})
	}
	if r := viewer.Do("POST", "/api/v1/events", map[string]any{"events": seen}); r.Status != http.StatusOK {
		t.Fatalf("events: %d %s", r.Status, r.Body)
	}
	catchUp(t, app)

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.logIn("viewer")
	b.open("/trending")
	b.wait("the caught-up state", `document.querySelector('.empty-title')?.textContent === "You're all caught up"`)
	if text := evalAs[string](b, `document.querySelector('.empty-text').textContent`); !strings.Contains(text, "seen these videos recently") {
		t.Errorf("the caught-up state says %q", text)
	}
	b.assertInert("caught up")
	b.shot("feed-caught-up-phone")
}
