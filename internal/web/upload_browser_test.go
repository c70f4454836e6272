//go:build !noui

package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
	"kurz/internal/video"
)

// TestBrowserUpload posts a real clip through the upload page: pick the file, see it,
// caption it, lose the connection halfway (the upload waits and resumes), watch the
// processing state change live, then play the video on its own page and find it on the
// profile.
func TestBrowserUpload(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	api := app.Client()
	api.SignUp("maker")
	clip := filepath.Join(testkit.MediaDir(t), "portrait-h264-aac.mp4")

	b := newBrowser(t, app.Server.URL)
	b.resize(phone)
	b.logIn("maker")
	b.open("/upload")
	b.wait("the drop zone", `document.querySelector('#upload-file') !== null`)
	b.shot("upload-pick-phone")
	b.do("choose the clip", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{clip}))
	b.wait("the preview", `document.querySelector('.upload-preview-video')?.readyState >= 2`)
	b.fill("caption", "First light #sunrise with @maker")
	b.click(`input[name=visibility][value=followers]`)
	b.click(`input[name=visibility][value=public]`)
	// The language starts as the browser's; the creator picks another.
	if got, want := evalAs[string](b, `document.querySelector('#language').value`),
		evalAs[string](b, `navigator.language.toLowerCase().split('-')[0]`); got != want || got == "" {
		t.Errorf("the language starts as %q, want the browser's %q", got, want)
	}
	b.do("pick German", chromedp.SetValue(chromedp.ID("language"), "de"))
	b.shot("upload-details-phone")

	// The connection to the upload drops as the bytes start to flow.
	b.cutNetwork(app.Server.URL + "/api/v1/uploads/*")
	b.click("#upload-post")
	b.wait("the upload to notice", `document.querySelector('#upload-status')?.textContent.startsWith('Connection lost')`)
	b.shot("upload-retrying-phone")
	b.cutNetwork("")
	b.wait("the processing step", `document.querySelector('#processing-state') !== null`)

	// The server has the whole file and a queued job; run it, and the page follows.
	if n := app.Bus.Drain(context.Background(), video.JobProcess); n < 1 {
		t.Fatalf("no processing job was queued (drained %d)", n)
	}
	b.wait("ready", `document.querySelector('#upload-watch') !== null`)
	b.shot("upload-ready-phone")
	videos := api.Do("GET", "/api/v1/accounts/maker/videos", nil).JSON()["items"].([]any)
	if len(videos) != 1 {
		t.Fatalf("the account has %d videos, want 1", len(videos))
	}
	v := videos[0].(map[string]any)
	if v["caption"] != "First light #sunrise with @maker" || v["state"] != "ready" || v["visibility"] != "public" || v["language"] != "de" {
		t.Fatalf("the uploaded video: caption %q, state %v, visibility %v, language %v", v["caption"], v["state"], v["visibility"], v["language"])
	}

	// Its page plays it, with the caption's links.
	b.click("#upload-watch")
	b.wait("the video to play", `location.pathname === '/v/`+v["id"].(string)+`' && (() => { const el = document.querySelector('.slide video'); return el && !el.paused && el.currentTime > 0.3; })()`)
	if links := evalAs[[]string](b, `[...document.querySelectorAll('.meta-caption a')].map(a => a.getAttribute('href'))`); len(links) != 2 || links[0] != "/tag/sunrise" || links[1] != "/@maker" {
		t.Errorf("caption links: %q", links)
	}
	b.resize(desktop)
	b.shot("video-page-desktop")
	id := v["id"].(string)

	// Double tap likes it, for real this time.
	x, y := b.center(`.slide .tap-layer`)
	b.do("double tap", chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y))
	b.wait("the like", `document.querySelector('.rail-btn--heart').getAttribute('aria-pressed') === 'true'`)
	b.waitGo(t, "the like on the server", func() bool {
		got := api.Do("GET", "/api/v1/videos/"+id, nil).JSON()
		counts, _ := got["counts"].(map[string]any)
		return counts != nil && counts["likes"] == float64(1)
	})

	// Comment, reply, like the comment.
	b.click(`.rail-btn--comment`)
	b.wait("the comment drawer", `document.querySelector('#comment-input') !== null && document.querySelector('.comments-empty') !== null`)
	b.fill("comment-input", "Lovely #sunrise")
	b.click("#comment-post")
	b.wait("the comment", `document.querySelector('#comments .comment .comment-text')?.textContent === 'Lovely #sunrise'`)
	comments := api.Do("GET", "/api/v1/videos/"+id+"/comments", nil).JSON()["items"].([]any)
	if len(comments) != 1 || comments[0].(map[string]any)["body"] != "Lovely #sunrise" {
		t.Fatalf("comments via the API: %v", comments)
	}
	cid := comments[0].(map[string]any)["id"].(string)
	b.click(`#comments .comment .link-btn`)
	b.fill("comment-input", "Thanks!")
	b.click("#comment-post")
	b.wait("the reply", `document.querySelector('#comments .replies .comment-text')?.textContent === 'Thanks!'`)
	b.click(`#comments > .comment > .comment-like`)
	b.wait("the comment like", `document.querySelector('#comments > .comment > .comment-like').getAttribute('aria-pressed') === 'true'`)
	b.waitGo(t, "the reply and the comment like on the server", func() bool {
		replies, _ := api.Do("GET", "/api/v1/comments/"+cid+"/replies", nil).JSON()["items"].([]any)
		cs, _ := api.Do("GET", "/api/v1/videos/"+id+"/comments", nil).JSON()["items"].([]any)
		return len(replies) == 1 && len(cs) == 1 && cs[0].(map[string]any)["likes"] == float64(1)
	})
	if n := evalAs[string](b, `document.querySelector('.rail-btn--comment .rail-count').textContent`); n != "2" {
		t.Errorf("comment count on the rail after two comments: %q", n)
	}
	b.shot("comments-desktop")
	b.do("close the drawer", chromedp.KeyEvent(kb.Escape))

	b.open("/@maker")
	b.wait("the video in the grid", `document.querySelectorAll('.video-grid .tile').length === 1`)
	if href := evalAs[string](b, `document.querySelector('.video-grid .tile').getAttribute('href')`); href != "/v/"+v["id"].(string) {
		t.Errorf("tile links to %q", href)
	}
	b.shot("profile-with-video-desktop")

	// Follow someone from their profile.
	dancer := app.Client()
	dancer.SignUp("dancer")
	b.open("/@dancer")
	b.click("#follow")
	b.wait("following", `document.querySelector('#follow .btn-label').textContent === 'Following'`)
	followers, _ := api.Do("GET", "/api/v1/accounts/dancer/followers", nil).JSON()["items"].([]any)
	if len(followers) != 1 || followers[0].(map[string]any)["username"] != "maker" {
		t.Errorf("dancer's followers via the API: %v", followers)
	}
	b.do("reload", chromedp.Reload())
	b.wait("the relationship after a reload", `document.querySelector('#follow .btn-label')?.textContent === 'Following'`)
	b.click("#follow")
	b.wait("unfollowed", `document.querySelector('#follow .btn-label').textContent === 'Follow'`)
	if followers, _ := api.Do("GET", "/api/v1/accounts/dancer/followers", nil).JSON()["items"].([]any); len(followers) != 0 {
		t.Errorf("after unfollowing, dancer's followers: %v", followers)
	}

	// Dancer follows back and likes the video: the inbox shows two unread, then none once read.
	for _, path := range []string{"/api/v1/accounts/maker/follow", "/api/v1/videos/" + id + "/like"} {
		if r := dancer.Do("POST", path, nil); r.Status != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
		}
	}
	b.open("/@maker")
	b.wait("the unread badge", `document.querySelector('#unread-badge')?.textContent === '2'`)
	b.click(`.nav-link[href="/notifications"]`)
	b.wait("the notifications", `document.querySelectorAll('#notifications .notification').length === 2`)
	texts := evalAs[[]string](b, `[...document.querySelectorAll('#notifications .notification-text')].map(p => p.textContent)`)
	for _, want := range []string{"dancer", "dancer"} {
		found := 0
		for _, got := range texts {
			if strings.HasPrefix(got, want) {
				found++
			}
		}
		if found != 2 {
			t.Errorf("notifications %q, want two from %s", texts, want)
			break
		}
	}
	b.wait("the badge to go", `document.querySelector('#unread-badge') === null`)
	b.shot("notifications-desktop")
}
