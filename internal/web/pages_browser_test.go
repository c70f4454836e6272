//go:build !noui

package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
)

// TestBrowserRanking opens the public ranking page the way a viewer finds it, from "Why am
// I seeing this?" on a video, and checks that it shows what GET /api/v1/ranking says: the
// summary, the four prediction weights, durations in words, and every parameter.
func TestBrowserRanking(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	maker := app.Client()
	maker.SignUp("maker")
	postClip(t, app, maker, feedClip, "a clip to ask about #why", "public", false)
	catchUp(t, app)
	ranking := maker.Do("GET", "/api/v1/ranking", nil).JSON()
	params := ranking["parameters"].(map[string]any)

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.open("/")
	b.wait("the video", `document.querySelector('.slide .why-btn') !== null`)
	b.click(`.slide .why-btn`)
	b.wait("the reason", `document.querySelector('.slide .why-text')?.hidden === false`)
	b.click(`.slide .why-link`)
	b.wait("the ranking page", `location.pathname === '/ranking' && document.querySelector('#ranking-params') !== null`)

	if got := evalAs[string](b, `document.querySelector('#ranking-summary').textContent`); got != ranking["summary"] {
		t.Errorf("summary %q, want the server's %q", got, ranking["summary"])
	}
	// The weights, in the order the page explains them, with the server's values.
	weights := evalAs[[]string](b, `[...document.querySelectorAll('.weight')].map(w => w.dataset.param + '=' + w.querySelector('.weight-value').textContent)`)
	var want []string
	for _, k := range []string{"WatchWeight", "LikeWeight", "ShareWeight", "FollowWeight"} {
		want = append(want, fmt.Sprintf("%s=×%v", k, params[k]))
	}
	if !slices.Equal(weights, want) {
		t.Errorf("weights on the page %q, want %q", weights, want)
	}
	// The largest weight fills its bar; the others in proportion.
	widths := evalAs[[]float64](b, `[...document.querySelectorAll('.weight-fill')].map(f => f.getBoundingClientRect().width / f.parentElement.getBoundingClientRect().width)`)
	maxW := 0.0
	for _, k := range []string{"WatchWeight", "LikeWeight", "ShareWeight", "FollowWeight"} {
		maxW = max(maxW, params[k].(float64))
	}
	for i, k := range []string{"WatchWeight", "LikeWeight", "ShareWeight", "FollowWeight"} {
		if i < len(widths) && (widths[i] < params[k].(float64)/maxW-0.02 || widths[i] > params[k].(float64)/maxW+0.02) {
			t.Errorf("the bar of %s fills %.2f, want %.2f", k, widths[i], params[k].(float64)/maxW)
		}
	}
	// Durations arrive in nanoseconds and are shown in words; shares as percentages.
	for k, want := range map[string]string{
		"TrendHalfLife":      span(params["TrendHalfLife"].(float64)),
		"ExplorationHorizon": span(params["ExplorationHorizon"].(float64)),
		"ExplorationShare":   fmt.Sprintf("%v%%", params["ExplorationShare"].(float64)*100),
		"TestAudience":       fmt.Sprintf("%v", params["TestAudience"]),
	} {
		got := evalAs[string](b, fmt.Sprintf(`document.querySelector('.fact[data-param=%q] .fact-value')?.textContent ?? 'missing'`, k))
		if got != want {
			t.Errorf("%s shown as %q, want %q", k, got, want)
		}
	}
	if got := evalAs[string](b, `document.querySelector('.ranking-formula code').textContent`); got != ranking["trending"] {
		t.Errorf("trending formula %q, want %q", got, ranking["trending"])
	}
	// Nothing is left out: every parameter has a row, also those the page has no words for.
	keys := evalAs[[]string](b, `[...document.querySelectorAll('#ranking-params dd')].map(d => d.dataset.param)`)
	if len(keys) != len(params) {
		t.Errorf("the page lists %d parameters, the server has %d", len(keys), len(params))
	}
	for _, k := range keys {
		if _, ok := params[k]; !ok {
			t.Errorf("the page lists %s, which the server did not send", k)
		}
	}
	b.shot("ranking-phone")
	b.resize(desktop)
	b.open("/ranking")
	b.wait("the ranking page", `document.querySelector('#ranking-params') !== null`)
	// On a wide screen it is also linked from the sidebar, on every page.
	if href := evalAs[string](b, `document.querySelector('.nav-foot a[href="/ranking"]')?.getAttribute('href') ?? ''`); href != "/ranking" {
		t.Error("the sidebar has no link to the ranking page")
	}
	b.shot("ranking-desktop")
}

// span is how the ranking page writes a duration of ns nanoseconds.
func span(ns float64) string {
	s := ns / 1e9
	for _, u := range []struct {
		name string
		size float64
	}{{"day", 86400}, {"hour", 3600}, {"minute", 60}, {"second", 1}} {
		if s >= u.size {
			n := s / u.size
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%v %ss", n, u.name)
		}
	}
	return fmt.Sprintf("%v seconds", s)
}

// TestBrowserSearchAndHashtag searches real data by typing in the search page, follows a
// hashtag result to its page, and switches the page between Top (recent engagement) and
// Newest, checking each list against the API.
func TestBrowserSearchAndHashtag(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	sunny := app.Client()
	sunny.SignUp("sunny")
	if r := sunny.Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Sunny Day"}); r.Status != http.StatusOK {
		t.Fatalf("display name: %d %s", r.Status, r.Body)
	}
	app.Client().SignUp("sundance")
	popular := postClip(t, app, sunny, feedClip, "morning run #sunrise", "public", false)
	middle := postClip(t, app, sunny, feedClip, "beach walk #sunrise #surf", "public", false)
	newest := postClip(t, app, sunny, feedClip, "late start #sunrise", "public", false)
	postClip(t, app, sunny, feedClip, "only for me #sunrise", "private", false)
	// Engagement: two likes and a comment on the first, one like on the second.
	for i, name := range []string{"fan1", "fan2"} {
		fan := app.Client()
		fan.SignUp(name)
		if r := fan.Do("POST", "/api/v1/videos/"+popular+"/like", nil); r.Status != http.StatusOK {
			t.Fatalf("like: %d %s", r.Status, r.Body)
		}
		if i == 0 {
			fan.Do("POST", "/api/v1/videos/"+middle+"/like", nil)
			if r := fan.Do("POST", "/api/v1/videos/"+popular+"/comments", map[string]any{"body": "great"}); r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
		}
	}
	// The server allows five sign-ups from one address in a row; bob is the fifth.
	viewer := app.Client()
	viewer.SignUp("bob")

	b := newBrowser(t, app.Server.URL)
	b.resize(desktop)
	b.logIn("bob")
	b.click(`.nav-link[href="/search"]`)
	b.wait("the search box", `document.activeElement?.id === 'search-q'`)
	b.do("type", chromedp.SendKeys(chromedp.ID("search-q"), "sun"+kb.Enter))
	b.wait("results", `location.search === '?q=sun' && document.querySelector('.search-results .section-title') !== null`)

	api := viewer.Do("GET", "/api/v1/search?q=sun", nil).JSON()
	var wantAccounts, wantTags, wantVideos []string
	for _, a := range api["accounts"].([]any) {
		wantAccounts = append(wantAccounts, "/@"+a.(map[string]any)["username"].(string))
	}
	for _, h := range api["hashtags"].([]any) {
		wantTags = append(wantTags, "/tag/"+h.(map[string]any)["name"].(string))
	}
	for _, v := range api["videos"].([]any) {
		wantVideos = append(wantVideos, "/v/"+v.(map[string]any)["id"].(string))
	}
	if !slices.Contains(wantAccounts, "/@sunny") || !slices.Contains(wantAccounts, "/@sundance") || slices.Contains(wantAccounts, "/@bob") {
		t.Fatalf("the API's accounts for 'sun': %v", wantAccounts)
	}
	if !slices.Equal(wantTags, []string{"/tag/sunrise"}) || len(wantVideos) != 3 {
		t.Fatalf("the API's hashtags %v and videos %v for 'sun'", wantTags, wantVideos)
	}
	links := func(css string) []string {
		return evalAs[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(a => a.getAttribute('href'))`, css))
	}
	if got := links(".result-account"); !slices.Equal(got, wantAccounts) {
		t.Errorf("accounts on the page %v, want %v", got, wantAccounts)
	}
	if got := links(".result-tag"); !slices.Equal(got, wantTags) {
		t.Errorf("hashtags on the page %v, want %v", got, wantTags)
	}
	if got := evalAs[string](b, `document.querySelector('.result-tag').textContent`); !strings.Contains(got, "#sunrise") || !strings.Contains(got, "3 videos") {
		t.Errorf("the hashtag result reads %q, want #sunrise with its 3 visible videos", got)
	}
	if got := links(".search-results .tile"); !slices.Equal(got, wantVideos) {
		t.Errorf("videos on the page %v, want %v", got, wantVideos)
	}
	if got := evalAs[string](b, `document.querySelector('.result-account[href="/@sunny"]').textContent`); !strings.Contains(got, "Sunny Day") {
		t.Errorf("the account result reads %q, want the display name", got)
	}
	b.shot("search-desktop")

	// The hashtag page: Top by recent engagement first.
	b.click(`.result-tag`)
	b.wait("the hashtag page", `location.pathname === '/tag/sunrise' && document.querySelectorAll('#tag-videos .tile').length === 3`)
	if got := b.tiles(); !slices.Equal(got, []string{popular, middle, newest}) {
		t.Errorf("Top order %v, want most engaged first %v", got, []string{popular, middle, newest})
	}
	b.assertSortedAs("sunrise", "top")
	b.wait("the count", `document.querySelector('#tag-count').textContent === '3 videos'`)
	if cur := evalAs[string](b, `document.querySelector('.sort-option[aria-current=page]').dataset.sort`); cur != "top" {
		t.Errorf("the current order is %q, want top", cur)
	}
	b.shot("hashtag-top-desktop")

	// Newest, by keyboard: the order is in the address and survives a reload.
	b.do("focus Newest", chromedp.Focus(chromedp.CSS(`.sort-option[data-sort=newest]`)))
	b.do("choose Newest", chromedp.KeyEvent(kb.Enter))
	b.wait("the newest order", `location.search === '?sort=newest' && document.querySelectorAll('#tag-videos .tile').length === 3`)
	if got := b.tiles(); !slices.Equal(got, []string{newest, middle, popular}) {
		t.Errorf("Newest order %v, want %v", got, []string{newest, middle, popular})
	}
	b.assertSortedAs("sunrise", "newest")
	b.do("reload", chromedp.Reload())
	b.wait("the newest order after a reload", `document.querySelector('.sort-option[aria-current=page]')?.dataset.sort === 'newest' && document.querySelectorAll('#tag-videos .tile').length === 3`)
	b.resize(phone)
	b.shot("hashtag-newest-phone")
	b.click(`.sort-option[data-sort=top]`)
	b.wait("back to top", `location.pathname === '/tag/sunrise' && location.search === '' && document.querySelector('#tag-videos .tile')?.getAttribute('href') === '/v/`+popular+`'`)
}

// tiles lists the videos of the hashtag grid by id, in order.
func (b *browser) tiles() []string {
	return evalAs[[]string](b, `[...document.querySelectorAll('#tag-videos .tile')].map(a => a.getAttribute('href').slice(3))`)
}

// assertSortedAs checks that the hashtag grid shows the API's own order for sort.
func (b *browser) assertSortedAs(tag, sort string) {
	b.t.Helper()
	r, err := http.Get(b.base + "/api/v1/hashtags/" + tag + "/videos?sort=" + sort)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := jsonDecode(r, &page); err != nil {
		b.t.Fatal(err)
	}
	var want []string
	for _, it := range page.Items {
		want = append(want, it.ID)
	}
	if got := b.tiles(); !slices.Equal(got, want) {
		b.t.Errorf("the page's %s order %v differs from the API's %v", sort, got, want)
	}
}
