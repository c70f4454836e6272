//go:build !noui

package web_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

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
	if v["caption"] != "First light #sunrise with @maker" || v["state"] != "ready" || v["visibility"] != "public" {
		t.Fatalf("the uploaded video: caption %q, state %v, visibility %v", v["caption"], v["state"], v["visibility"])
	}

	// Its page plays it, with the caption's links.
	b.click("#upload-watch")
	b.wait("the video to play", `location.pathname === '/v/`+v["id"].(string)+`' && (() => { const el = document.querySelector('.slide video'); return el && !el.paused && el.currentTime > 0.3; })()`)
	if links := evalAs[[]string](b, `[...document.querySelectorAll('.meta-caption a')].map(a => a.getAttribute('href'))`); len(links) != 2 || links[0] != "/tag/sunrise" || links[1] != "/@maker" {
		t.Errorf("caption links: %q", links)
	}
	b.resize(desktop)
	b.shot("video-page-desktop")

	b.open("/@maker")
	b.wait("the video in the grid", `document.querySelectorAll('.video-grid .tile').length === 1`)
	if href := evalAs[string](b, `document.querySelector('.video-grid .tile').getAttribute('href')`); href != "/v/"+v["id"].(string) {
		t.Errorf("tile links to %q", href)
	}
	b.shot("profile-with-video-desktop")
}
