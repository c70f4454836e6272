//go:build !noui

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
)

// feedStub stands in for the feed, like and event endpoints, which the server does not
// offer yet, so the player can be tested against the shape the client expects. Every
// other request goes to the real kurz. The clips are the shared test media, served
// with range support as the real media endpoint will.
type feedStub struct {
	mu     sync.Mutex
	events []map[string]any
	likes  []string
	clip   string
}

const stubClip = "portrait-h264-aac.mp4" // 720x1280 H.264/AAC, 4 s, faststart

func stubVideoID(i int) string { return fmt.Sprintf("01jvideo%016d", i) }

func (s *feedStub) item(i int) map[string]any {
	url := func(h int) string { return fmt.Sprintf("/media/stub/%s?v=%d&h=%d", stubClip, i, h) }
	return map[string]any{
		"id": stubVideoID(i),
		// Hostile text in a caption and a creator's name must stay text in the feed too.
		"caption": fmt.Sprintf("Clip %d at sunrise #morning with @maya <img src=x onerror=\"window.__xss='caption'\"> javascript:window.__xss='url'", i),
		"author": map[string]any{"id": "01jauthor0000000000000001", "username": "maya",
			"display_name": `<script>window.__xss='author'</script>Maya`, "avatar": nil},
		"renditions": []map[string]any{
			{"url": url(854), "width": 480, "height": 854, "bitrate": 900_000, "bytes": 450_000},
			{"url": url(1280), "width": 720, "height": 1280, "bitrate": 1_200_000, "bytes": 585_466},
		},
		"poster": "", "duration_ms": 4000,
		"counts": map[string]any{"likes": 41, "comments": 3, "shares": 2, "views": 1200},
		"viewer": map[string]any{"liked": false, "following": false},
		"reason": map[string]any{"source": "trending", "text": "Popular on this server today"},
	}
}

func (s *feedStub) handler(app http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/feed/for_you", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{}
		for i := 1; i <= 5; i++ {
			items = append(items, s.item(i))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("POST /api/v1/videos/{id}/like", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.likes = append(s.likes, r.PathValue("id"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"liked": true, "likes": 42})
	})
	mux.HandleFunc("POST /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Events []map[string]any `json:"events"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Events) == 0 {
			http.Error(w, `{"error":{"code":"invalid_json","message":"bad batch"}}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.events = append(s.events, in.Events...)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /media/stub/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != stubClip {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		http.ServeFile(w, r, s.clip)
	})
	mux.Handle("/", app)
	return mux
}

// eventKinds returns "type:video" for each event received, in order.
func (s *feedStub) eventKinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, fmt.Sprintf("%v:%v", e["kind"], e["video_id"]))
	}
	return out
}

// TestBrowserFeedPlayer watches the feed on a phone: autoplay muted, a swipe by arrow key
// that turns sound on and starts the next video from its preload, a double tap that likes
// with an animation, a tap that pauses, scrubbing to the end, watch events in batches, and
// events kept through a network drop and a reload.
func TestBrowserFeedPlayer(t *testing.T) {
	stub := &feedStub{clip: filepath.Join(testkit.MediaDir(t), stubClip)}
	app := testkit.NewApp(t, sqlite, nil)
	srv := httptest.NewServer(stub.handler(app.Handler()))
	t.Cleanup(srv.Close)
	app.Client().SignUp("viewer")

	b := newBrowser(t, srv.URL)
	b.resize(phone)
	b.logIn("viewer")
	// A fresh load, so that nobody has interacted with this page yet.
	b.open("/")
	b.wait("the feed", `document.querySelectorAll('.slide').length === 5`)

	// The first video plays by itself, muted; the next two are loading, the rest are not.
	b.wait("the first video to play", `(() => { const v = document.querySelector('.slide video'); return !v.paused && v.currentTime > 0.2; })()`)
	if muted := evalAs[bool](b, `document.querySelector('.slide video').muted`); !muted {
		t.Fatal("before any interaction the video must play muted")
	}
	if got := b.sources(); !slices.Equal(got, []bool{true, true, true, false, false}) {
		t.Fatalf("videos with a source at the first slide: %v, want the first three", got)
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
	swipe := evalAs[float64](b, `performance.getEntriesByName('kurz:swipe-to-play').at(-1)?.duration ?? -1`)
	if swipe < 0 {
		t.Error("the player did not measure the swipe")
	} else {
		t.Logf("swipe to playing: %.0f ms", swipe)
		record := fmt.Sprintf("swipe (ArrowDown) to the next video playing, headless Chromium, local server: %.0f ms\n", swipe)
		_ = os.WriteFile(filepath.Join(artifactsDir(t), "feed-swipe-timing.txt"), []byte(record), 0o644)
	}

	// Double tap: a heart bursts where the finger was and the like reaches the server.
	x, y := b.center(`.slide:nth-child(2) .tap-layer`)
	b.do("double tap", chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y))
	b.wait("the heart", `document.querySelector('.slide:nth-child(2) .burst') !== null`)
	b.wait("the like", `document.querySelector('.slide:nth-child(2) .rail-btn--heart').getAttribute('aria-pressed') === 'true'`)
	if n := evalAs[string](b, `document.querySelector('.slide:nth-child(2) .rail-btn--heart .rail-count').textContent`); n != "42" {
		t.Errorf("like count after liking: %q, want 42", n)
	}
	stub.mu.Lock()
	likes := slices.Clone(stub.likes)
	stub.mu.Unlock()
	if !slices.Equal(likes, []string{stubVideoID(2)}) {
		t.Errorf("likes received by the server: %v, want one for the second video", likes)
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

	// Leaving the feed sends what was watched.
	b.click(`.nav-link[href="/search"]`)
	defer func() {
		if t.Failed() {
			t.Logf("events received: %v", stub.eventKinds())
		}
	}()
	b.waitGo(t, "watch events", func() bool {
		k := stub.eventKinds()
		return slices.Contains(k, "impression:"+stubVideoID(1)) && slices.Contains(k, "skip:"+stubVideoID(1)) &&
			slices.Contains(k, "impression:"+stubVideoID(2)) && slices.Contains(k, "progress:"+stubVideoID(2)) &&
			slices.Contains(k, "complete:"+stubVideoID(2))
	})
	if k := stub.eventKinds(); slices.Contains(k, "skip:"+stubVideoID(2)) {
		t.Errorf("a completed video was also reported as skipped: %v", k)
	}

	// The network to the events endpoint drops: events stay in the page's storage, survive a
	// reload, and arrive once the network is back.
	before := len(stub.eventKinds())
	b.cutNetwork(srv.URL + "/api/v1/events")
	b.click(`.nav-link[href="/"]`)
	b.wait("the feed again", `document.querySelector('.slide video')?.paused === false`)
	b.click(`.nav-link[href="/search"]`)
	b.wait("events kept while offline", `JSON.parse(localStorage.getItem('kurz.events.v1') || '[]').some(e => e.kind === 'impression')`)
	if n := len(stub.eventKinds()); n != before {
		t.Fatalf("events arrived through a cut network: %d, want %d", n, before)
	}
	b.cutNetwork("")
	b.do("reload", chromedp.Reload())
	b.waitGo(t, "the kept events", func() bool { return len(stub.eventKinds()) > before })
	b.wait("the queue to empty", `localStorage.getItem('kurz.events.v1') === null`)
	if k := stub.eventKinds()[before:]; !slices.Contains(k, "impression:"+stubVideoID(1)) {
		t.Errorf("events delivered after the reload: %v, want the impression watched offline", k)
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
