//go:build !noui

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"kurz/internal/testkit"
	"kurz/internal/video"
)

// feedClip is the shared test clip the feeds are made of: 720x1280 H.264/AAC, 4 s,
// faststart, so the server publishes it by the fast path (a remux, no transcode).
const feedClip = "portrait-h264-aac.mp4"

// postClip uploads a clip through the API as c, with a caption and a visibility, and
// returns the video's id once the server has made it playable. On an app without workers
// it runs the processing job itself; with workers it waits for them.
func postClip(t *testing.T, app *testkit.TestApp, c *testkit.Client, clip, caption, visibility string, workers bool) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testkit.MediaDir(t), clip))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("caption", caption)
	_ = mw.WriteField("visibility", visibility)
	part, _ := mw.CreateFormFile("file", clip)
	_, _ = part.Write(data)
	_ = mw.Close()
	r := c.Do("POST", "/api/v1/videos", body.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.Status != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", clip, r.Status, r.Body)
	}
	id := r.JSON()["id"].(string)
	if !workers {
		app.Bus.Drain(context.Background(), video.JobProcess)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := c.Do("GET", "/api/v1/videos/"+id, nil).JSON()
		if v["state"] == "ready" {
			return id
		}
		if v["state"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("%s did not become ready: %v", clip, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// catchUp makes the recommender read the event log up to now, so the feeds know every
// published video.
func catchUp(t *testing.T, app *testkit.TestApp) {
	t.Helper()
	if err := app.Feed.CatchUp(context.Background()); err != nil {
		t.Fatalf("recommender catch-up: %v", err)
	}
}

// clientEvents lists "kind:video" for each watch event a browser sent (events with an
// idempotency key), in log order.
func clientEvents(t *testing.T, app *testkit.TestApp) []string {
	t.Helper()
	rows, err := app.DB.Events().Since(context.Background(), 0, 10000)
	if err != nil {
		t.Fatalf("read the event log: %v", err)
	}
	var out []string
	for _, r := range rows {
		if r.IdemKey != "" {
			out = append(out, r.Kind+":"+r.VideoID)
		}
	}
	return out
}

// jsonDecode reads a JSON answer into v.
func jsonDecode(r *http.Response, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}
