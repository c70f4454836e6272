//go:build !noui

package web_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"kurz/internal/testkit"
)

// TestBrowserAnalytics is a creator reading their analytics after three people watched a
// video: the overview's charts (views per day, follower growth, traffic by feed) and the
// video's retention curve are drawn, their numbers are the ones the events imply and the
// API serves, and each chart says in words what it shows.
// tall is a desktop window high enough for a whole analytics page in one screenshot.
var tall = screen{"desktop", 1440, 2300, 1}

func TestBrowserAnalytics(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	ctx := context.Background()
	creator := app.Client()
	creator.SignUp("maker")
	vid := postClip(t, app, creator, "portrait-h264-aac.mp4", "Sunset over the harbour #sea", "public", false)
	dur := int64(creator.Do("GET", "/api/v1/videos/"+vid, nil).JSON()["duration_ms"].(float64))
	if dur < 1000 {
		t.Fatalf("clip duration %d ms", dur)
	}

	// Three viewers: one from For You watches to the end, one from search stops at a
	// quarter, one from Following at three quarters. Two follow, one likes.
	now := func() string { return app.Clock.Now().Format(time.RFC3339Nano) }
	watch := func(name, feed string, events ...map[string]any) *testkit.Client {
		c := app.Client()
		c.SignUp(name)
		for i, e := range events {
			e["key"], e["at"], e["video_id"], e["feed"] = fmt.Sprintf("%s-event-%02d", name, i), now(), vid, feed
		}
		if r := c.Do("POST", "/api/v1/events", map[string]any{"events": events}); r.Status != http.StatusOK {
			t.Fatalf("%s's events: %d %s", name, r.Status, r.Body)
		}
		return c
	}
	ev := func(kind string, pos, watched int64) map[string]any {
		return map[string]any{"kind": kind, "position_ms": pos, "watch_ms": watched}
	}
	ana := watch("ana", "for_you", ev("play_start", 0, 0), ev("progress", dur/2, dur/2), ev("complete", 0, dur))
	watch("ben", "search", ev("play_start", 0, 0), ev("skip", dur/4, dur/4))
	cat := watch("cat", "following", ev("play_start", 0, 0), ev("progress", 3*dur/4, 3*dur/4), ev("skip", 3*dur/4, 3*dur/4))
	for _, c := range []*testkit.Client{ana, cat} {
		if r := c.Do("POST", "/api/v1/accounts/maker/follow", nil); r.Status >= 300 {
			t.Fatalf("follow: %d %s", r.Status, r.Body)
		}
	}
	if r := ana.Do("POST", "/api/v1/videos/"+vid+"/like", nil); r.Status >= 300 {
		t.Fatalf("like: %d %s", r.Status, r.Body)
	}
	if err := app.Analytics.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	// What the page must show, worked out from the events above.
	avgMS := (dur + dur/4 + 3*dur/4) / 3
	avgText := fmt.Sprintf("%d:%02d", avgMS/1000/60, avgMS/1000%60)
	if r := creator.Do("GET", "/analytics?days=7", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /analytics: %d, the server does not know the page", r.Status)
	}

	b := newBrowser(t, app.Server.URL)
	b.resize(desktop)
	b.logIn("maker")
	b.click(`a.nav-link[href="/analytics"]`)
	b.wait("the overview", `location.pathname === '/analytics' && document.querySelector('#chart-views path.an-bar') !== null`)
	b.click(`.an-window[data-days="7"]`)
	b.wait("the 7-day overview", `location.search === '?days=7' && document.querySelector('.an-range')?.textContent.startsWith('Last 7 days')
		&& document.querySelector('#chart-views path.an-bar') !== null`)

	stat := func(key string) string {
		return evalAs[string](b, fmt.Sprintf(`document.querySelector('.an-stats [data-stat=%q]')?.textContent ?? ''`, key))
	}
	for key, want := range map[string]string{"views": "3", "followers": "+2", "likes": "1", "avg_watch": avgText} {
		if got := stat(key); got != want {
			t.Errorf("overview %s shows %q, want %q", key, got, want)
		}
	}
	// Every chart is drawn: real path data, and bars that add up to the totals.
	for _, id := range []string{"chart-views", "chart-followers", "chart-traffic"} {
		n := evalAs[int](b, fmt.Sprintf(`[...document.querySelectorAll('#%s path')].filter(p => /^M[\d.]+ [\d.]+[LVHhvZ]/.test(p.getAttribute('d') || '')).length`, id))
		if n == 0 {
			t.Errorf("%s has no drawn path", id)
		}
		label := evalAs[string](b, fmt.Sprintf(`document.getElementById(%q).getAttribute('role') + '|' + document.getElementById(%q).getAttribute('aria-label')`, id, id))
		if !strings.HasPrefix(label, "img|") || len(label) < 20 {
			t.Errorf("%s is not an image with a summary: %q", id, label)
		}
	}
	if got := evalAs[float64](b, `[...document.querySelectorAll('#chart-views path.an-bar')].reduce((a, p) => a + Number(p.dataset.value), 0)`); got != 3 {
		t.Errorf("the view bars add up to %v, want 3", got)
	}
	if got := evalAs[string](b, `document.getElementById('chart-views').getAttribute('aria-label')`); !strings.HasPrefix(got, "3 views in 7 days") {
		t.Errorf("views summary: %q", got)
	}
	if got := evalAs[string](b, `document.getElementById('chart-followers').getAttribute('aria-label')`); !strings.HasPrefix(got, "+2 followers in 7 days: 2 gained, 0 lost") {
		t.Errorf("followers summary: %q", got)
	}
	feeds := evalAs[string](b, `[...document.querySelectorAll('#chart-traffic path.an-bar')].map(p => p.dataset.feed + '=' + p.dataset.value).sort().join(',')`)
	if feeds != "following=1,for_you=1,search=1" {
		t.Errorf("traffic bars: %s", feeds)
	}
	// The data table behind the charts holds the same numbers for screen readers.
	if got := evalAs[int](b, `document.querySelectorAll('.an-figure table.visually-hidden tbody tr').length`); got < 7+1+3 {
		t.Errorf("the hidden data tables have %d rows", got)
	}
	// The numbers on screen are the API's.
	api := evalAs[string](b, `fetch('/api/v1/me/analytics?days=7').then(r => r.json()).then(d => [d.totals.views, d.followers.net, d.totals.likes, d.top_videos[0].id].join(','))`)
	if api != fmt.Sprintf("3,2,1,%s", vid) {
		t.Errorf("the API says %s", api)
	}
	b.wait("the log-in toast to go", `document.querySelector('.toast') === null`)
	b.resize(tall)
	b.shot("analytics-overview-desktop")
	b.resize(desktop)

	// The top video leads to its own report with the retention curve.
	b.click(fmt.Sprintf(`a.an-top-link[data-video=%q]`, vid))
	b.wait("the video report", `location.search.includes('video=') && document.querySelector('#retention-line') !== null`)
	for key, want := range map[string]string{"views": "3", "avg_watch": avgText, "completion": "33%", "likes": "1"} {
		if got := stat(key); got != want {
			t.Errorf("video %s shows %q, want %q", key, got, want)
		}
	}
	// 21 points, the first at 100% (top of the plot) and the last at a third of it.
	pts := evalAs[[]float64](b, `document.getElementById('retention-line').getAttribute('d').slice(1).split('L').map(s => Number(s.trim().split(' ')[1]))`)
	if len(pts) != 21 {
		t.Fatalf("retention line has %d points", len(pts))
	}
	top, base := pts[0], pts[0]+(220-12-28) // the plot is 180 units high
	if end := pts[20]; end < top || end > base || math.Abs((base-end)/(base-top)-1.0/3) > 0.01 {
		t.Errorf("the curve ends at y=%v: not a third of the plays (plot %v..%v)", end, top, base)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i] < pts[i-1] {
			t.Errorf("the retention curve rises at point %d: %v", i, pts)
			break
		}
	}
	if evalAs[bool](b, `document.getElementById('avg-watch-marker') === null`) {
		t.Error("no average watch time marker")
	}
	summary := evalAs[string](b, `document.getElementById('chart-retention').getAttribute('aria-label')`)
	if !strings.Contains(summary, "Of 3 plays") || !strings.Contains(summary, "33% reached the end") || !strings.Contains(summary, avgText) {
		t.Errorf("retention summary: %q", summary)
	}
	b.resize(tall)
	b.shot("analytics-video-desktop")
	b.resize(phone)
	b.open("/analytics?video=" + vid + "&days=7")
	b.wait("the video report on a phone", `document.querySelector('#retention-line') !== null`)
	b.shot("analytics-video-phone")
	b.resize(desktop)

	// The creator's own profile links each video to its analytics; nobody else's does.
	b.open("/@maker")
	b.wait("the profile grid", `document.querySelector('.tile-own a.tile-stats') !== null`)
	if href := evalAs[string](b, `document.querySelector('.tile-own a.tile-stats').getAttribute('href')`); href != "/analytics?video="+vid {
		t.Errorf("the grid links to %q", href)
	}
	b.open("/analytics?video=" + vid + "&days=90")
	b.wait("the 90-day report", `document.querySelectorAll('#chart-views path.an-bar').length === 1 && document.querySelector('[data-stat=views]')?.textContent === '3'`)

	// Another account asking for the same page learns nothing.
	other := newBrowser(t, app.Server.URL)
	other.resize(desktop)
	other.logIn("ben")
	other.open("/analytics?video=" + vid)
	other.wait("the refusal", `document.querySelector('.empty-title')?.textContent === 'No analytics for this video'`)
	if n := evalAs[int](other, `document.querySelectorAll('svg.an-chart').length`); n != 0 {
		t.Errorf("another account sees %d charts", n)
	}
}
