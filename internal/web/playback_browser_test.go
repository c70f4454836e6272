//go:build !noui

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"testing"

	"kurz/internal/config"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// TestBrowserPlaysRenditions checks, in Chromium, that what the media pipeline serves
// really plays: for the fast-path remux and for a transcoded rendition, the video reaches
// readyState HAVE_CURRENT_DATA or better, its time advances, and the decoded frame drawn
// to a canvas is not blank.
func TestBrowserPlaysRenditions(t *testing.T) {
	// One transcoded rung is enough to prove playback; the ladder is tested elsewhere.
	app := testkit.NewAppNoWorkers(t, sqlite, func(c *config.Config) { c.MaxRendition = 480 })
	c := app.Client()
	c.SignUp("player")
	media := testkit.MediaDir(t)
	upload := func(name string) map[string]any {
		data, err := os.ReadFile(filepath.Join(media, name))
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("caption", "playback "+name)
		part, _ := mw.CreateFormFile("file", name)
		part.Write(data)
		mw.Close()
		r := c.Do("POST", "/api/v1/videos", body.Bytes(), "Content-Type", mw.FormDataContentType())
		if r.Status != 201 {
			t.Fatalf("upload %s: %d %s", name, r.Status, r.Body)
		}
		app.Bus.Drain(context.Background(), video.JobProcess)
		v := c.Do("GET", "/api/v1/videos/"+r.JSON()["id"].(string), nil).JSON()
		if v["state"] != "ready" {
			t.Fatalf("%s not ready: %v", name, v)
		}
		return v
	}
	fast := upload("portrait-h264-aac.mp4")
	transcoded := upload("rotated90-hevc.mov")

	b := newBrowser(t, app.Server.URL)
	b.resize(desktop)
	b.open("/")
	check := func(label, url string) {
		t.Helper()
		js := fmt.Sprintf(`(async () => {
			const v = document.createElement('video');
			v.muted = true; v.playsInline = true; v.src = %q;
			document.body.appendChild(v);
			await v.play();
			const t0 = performance.now();
			while ((v.readyState < 2 || v.currentTime < 0.5) && performance.now() - t0 < 10000) {
				await new Promise(r => setTimeout(r, 50));
			}
			const c = document.createElement('canvas');
			c.width = v.videoWidth; c.height = v.videoHeight;
			const g = c.getContext('2d');
			g.drawImage(v, 0, 0);
			const d = g.getImageData(0, 0, c.width, c.height).data;
			let sum = 0, sum2 = 0, n = 0; const colours = new Set();
			for (let i = 0; i < d.length; i += 4 * 97) {
				const y = 0.2126 * d[i] + 0.7152 * d[i+1] + 0.0722 * d[i+2];
				sum += y; sum2 += y * y; n++;
				colours.add((d[i] >> 4) << 8 | (d[i+1] >> 4) << 4 | (d[i+2] >> 4));
			}
			const mean = sum / n;
			const out = {ready: v.readyState, time: v.currentTime, w: v.videoWidth, h: v.videoHeight,
				variance: sum2 / n - mean * mean, colours: colours.size, error: v.error ? v.error.code : 0};
			v.remove();
			return JSON.stringify(out);
		})()`, url)
		got := evalAs[string](b, js)
		var r struct {
			Ready, Colours, Error int
			Time, Variance        float64
			W, H                  int
		}
		if err := json.Unmarshal([]byte(got), &r); err != nil {
			t.Fatalf("%s: %v (%s)", label, err, got)
		}
		t.Logf("%s: %s", label, got)
		if r.Error != 0 || r.Ready < 2 || r.Time < 0.5 {
			t.Errorf("%s does not play: %s", label, got)
		}
		if r.W == 0 || r.W >= r.H {
			t.Errorf("%s is not an upright portrait picture: %dx%d", label, r.W, r.H)
		}
		if r.Variance < 100 || r.Colours < 8 {
			t.Errorf("%s shows a blank frame: %s", label, got)
		}
	}
	for _, v := range []struct {
		label string
		video map[string]any
		name  string
	}{{"fast-path remux", fast, "original"}, {"transcoded 480p", transcoded, "480p"}} {
		url := ""
		for _, r := range v.video["renditions"].([]any) {
			if m := r.(map[string]any); m["name"] == v.name {
				url = m["url"].(string)
			}
		}
		if url == "" {
			t.Fatalf("%s: no rendition %s in %v", v.label, v.name, v.video["renditions"])
		}
		check(v.label, url)
	}
}
