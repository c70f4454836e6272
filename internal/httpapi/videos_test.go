package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/media/mp4"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

func clip(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.MediaDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadForm sends a whole video as multipart/form-data, with a hostile client file name
// and Content-Type that the server must ignore.
func uploadForm(t *testing.T, c *testkit.Client, data []byte, fields map[string]string) *testkit.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="../../etc/passwd.mp4"`}
	h["Content-Type"] = []string{"text/plain"}
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.Close()
	return c.Do("POST", "/api/v1/videos", body.Bytes(), "Content-Type", mw.FormDataContentType())
}

func ready(t *testing.T, a *testkit.TestApp, c *testkit.Client, id string) map[string]any {
	t.Helper()
	a.Bus.Drain(context.Background(), video.JobProcess)
	r := c.Do("GET", "/api/v1/videos/"+id, nil)
	v := r.JSON()
	if r.Status != 200 || v["state"] != "ready" {
		t.Fatalf("video %s not ready: %d %s", id, r.Status, r.Body)
	}
	return v
}

func renditionURL(t *testing.T, v map[string]any, name string) string {
	t.Helper()
	for _, r := range v["renditions"].([]any) {
		m := r.(map[string]any)
		if m["name"] == name {
			return m["url"].(string)
		}
	}
	t.Fatalf("no rendition %s in %v", name, v["renditions"])
	return ""
}

// leftovers lists what a refused upload could leave behind.
func leftovers(t *testing.T, a *testkit.TestApp, username string) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	files, _ := a.Blobs.List(ctx, "videos")
	for _, f := range files {
		out = append(out, "file "+f.Key)
	}
	staged, _ := os.ReadDir(filepath.Join(a.Config.DataDir, "uploads"))
	for _, f := range staged {
		out = append(out, "staged "+f.Name())
	}
	for _, st := range []string{"queued", "running", "failed"} {
		if n, _ := a.DB.Jobs().Count(ctx, st); n > 0 {
			out = append(out, fmt.Sprintf("%d %s jobs", n, st))
		}
	}
	acc, err := a.Auth.AccountByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := a.DB.Videos().ListByAccount(ctx, acc.ID, []string{"uploading", "queued", "processing", "ready", "failed"},
		[]string{"public", "followers", "private"}, "", 100)
	for _, r := range rows {
		out = append(out, "video "+r.ID+" "+r.State)
	}
	return strings.Join(out, ", ")
}

func TestVideoUploads(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("a phone clip plays at once through the fast path", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				a.Client().SignUp("bob")
				c := a.Client()
				c.SignUp("alice")
				r := uploadForm(t, c, clip(t, "portrait-h264-aac.mp4"), map[string]string{"caption": "Golden hour #Sunset #sunset @Bob @nobody_here", "visibility": "public"})
				if r.Status != 201 {
					t.Fatalf("upload: %d %s", r.Status, r.Body)
				}
				v := r.JSON()
				id := v["id"].(string)
				if v["state"] != "queued" || fmt.Sprint(v["hashtags"]) != "[sunset]" || fmt.Sprint(v["mentions"]) != "[bob nobody_here]" {
					t.Fatalf("upload answer: %v", v)
				}
				v = ready(t, a, c, id)
				if v["duration_ms"].(float64) < 3500 || v["width"].(float64) != 720 || v["height"].(float64) != 1280 {
					t.Fatalf("probe: %v", v)
				}
				files, _ := a.Blobs.List(context.Background(), "videos")
				for _, f := range files {
					if strings.Contains(f.Key, "passwd") || strings.Contains(f.Key, "..") || !strings.HasPrefix(f.Key, "videos/"+id+"/") {
						t.Errorf("storage key %q", f.Key)
					}
				}
				if n, _ := a.DB.Jobs().Count(context.Background(), "queued"); n != 1 {
					t.Errorf("the ladder job should wait in the queue: %d queued", n)
				}
				u := renditionURL(t, v, "original")
				if strings.Contains(u, "sig=") {
					t.Errorf("public media URL is signed: %s", u)
				}
				anon := a.Client()
				full := anon.Do("GET", u, nil)
				if full.Status != 200 || full.Header.Get("Content-Type") != "video/mp4" || !strings.Contains(full.Header.Get("Cache-Control"), "public") {
					t.Fatalf("media: %d %v", full.Status, full.Header)
				}
				info, err := mp4.Inspect(bytes.NewReader(full.Body), int64(len(full.Body)))
				if err != nil || !info.MoovFirst || info.HasLocation {
					t.Fatalf("served file: %+v %v", info, err)
				}
				part := anon.Do("GET", u, nil, "Range", "bytes=100-199")
				if part.Status != 206 || len(part.Body) != 100 || part.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(full.Body)) ||
					!bytes.Equal(part.Body, full.Body[100:200]) {
					t.Fatalf("range: %d %v len %d", part.Status, part.Header, len(part.Body))
				}
				etag := full.Header.Get("ETag")
				if etag == "" || full.Header.Get("Last-Modified") == "" {
					t.Fatalf("validators missing: %v", full.Header)
				}
				if r := anon.Do("GET", u, nil, "If-None-Match", etag); r.Status != 304 {
					t.Fatalf("If-None-Match: %d", r.Status)
				}
				if r := anon.Do("GET", "/media/videos/"+id+"/source.mp4", nil); r.Status != 404 {
					t.Fatalf("the original upload is reachable: %d", r.Status)
				}
			})
			t.Run("a clip with its index at the end is remuxed to start at once", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				c := a.Client()
				c.SignUp("carol")
				src := clip(t, "moov-at-end.mp4")
				r := c.Do("POST", "/api/v1/videos?caption=raw+body&visibility=public", src, "Content-Type", "video/quicktime")
				if r.Status != 201 {
					t.Fatalf("raw upload: %d %s", r.Status, r.Body)
				}
				v := ready(t, a, c, r.JSON()["id"].(string))
				got := a.Client().Do("GET", renditionURL(t, v, "original"), nil)
				info, err := mp4.Inspect(bytes.NewReader(got.Body), int64(len(got.Body)))
				if err != nil || !info.MoovFirst {
					t.Fatalf("remuxed file: %+v %v", info, err)
				}
			})
			t.Run("a resumable upload continues after a dropped connection", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				c := a.Client()
				c.SignUp("dave")
				data := clip(t, "portrait-h264-aac.mp4")
				md := "caption " + base64.StdEncoding.EncodeToString([]byte("resumed #tus")) + ",visibility " + base64.StdEncoding.EncodeToString([]byte("public")) + ",filename " + base64.StdEncoding.EncodeToString([]byte("IMG_0001.MOV"))
				if r := c.Do("POST", "/api/v1/uploads", nil, "Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", md); r.Status != 400 {
					t.Fatalf("missing Tus-Resumable: %d", r.Status)
				}
				r := c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", md)
				loc := r.Header.Get("Location")
				if r.Status != 201 || !strings.HasPrefix(loc, "/api/v1/uploads/") || r.Header.Get("Tus-Resumable") != "1.0.0" {
					t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
				}
				videoID := r.JSON()["video_id"].(string)
				patch := func(offset int, chunk []byte) *testkit.Response {
					return c.Do("PATCH", loc, chunk, "Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset))
				}
				if r := patch(0, data[:100000]); r.Status != 204 || r.Header.Get("Upload-Offset") != "100000" {
					t.Fatalf("first chunk: %d %v %s", r.Status, r.Header, r.Body)
				}
				// The connection drops part-way through the next chunk.
				pr, pw := io.Pipe()
				go func() {
					pw.Write(data[100000:150000])
					time.Sleep(100 * time.Millisecond)
					pw.CloseWithError(io.ErrUnexpectedEOF)
				}()
				req, _ := http.NewRequest("PATCH", a.Server.URL+loc, pr)
				req.Header.Set("Tus-Resumable", "1.0.0")
				req.Header.Set("Content-Type", "application/offset+octet-stream")
				req.Header.Set("Upload-Offset", "100000")
				req.Header.Set("X-CSRF-Token", c.CSRF)
				if res, err := c.HTTP.Do(req); err == nil {
					res.Body.Close()
				}
				head := c.Do("HEAD", loc, nil, "Tus-Resumable", "1.0.0")
				offset, _ := strconv.Atoi(head.Header.Get("Upload-Offset"))
				if head.Status != 200 || offset < 100000 || offset > 150000 || head.Header.Get("Upload-Length") != strconv.Itoa(len(data)) {
					t.Fatalf("head after drop: %d %v", head.Status, head.Header)
				}
				if r := patch(offset+10, data[offset+10:]); r.Status != 409 || r.ErrorCode() != "offset_mismatch" {
					t.Fatalf("wrong offset: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("HEAD", loc, nil, "Tus-Resumable", "1.0.0"); r.Status != 401 {
					t.Fatalf("anonymous head: %d", r.Status)
				}
				other := a.Client()
				other.SignUp("eve")
				if r := other.Do("PATCH", loc, data[offset:], "Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.Itoa(offset)); r.Status != 404 {
					t.Fatalf("someone else's upload: %d", r.Status)
				}
				r = patch(offset, data[offset:])
				if r.Status != 204 || r.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) || r.Header.Get("Kurz-Video-State") != "queued" {
					t.Fatalf("last chunk: %d %v %s", r.Status, r.Header, r.Body)
				}
				v := ready(t, a, c, videoID)
				if fmt.Sprint(v["hashtags"]) != "[tus]" {
					t.Fatalf("metadata lost: %v", v)
				}
				got := a.Client().Do("GET", renditionURL(t, v, "original"), nil)
				info, err := mp4.Inspect(bytes.NewReader(got.Body), int64(len(got.Body)))
				if err != nil || info.Video() == nil || info.Video().SampleCount == 0 {
					t.Fatalf("resumed upload is not the video: %v", err)
				}
				if r := c.Do("HEAD", loc, nil, "Tus-Resumable", "1.0.0"); r.Status != 404 {
					t.Fatalf("finished upload still open: %d", r.Status)
				}
			})
			t.Run("broken files are refused with a reason and leave nothing behind", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				c := a.Client()
				c.SignUp("frank")
				good := clip(t, "portrait-h264-aac.mp4")
				pastEnd := append([]byte(nil), good...)
				i := bytes.Index(pastEnd, []byte("stco"))
				copy(pastEnd[i+12:], []byte{0x7f, 0xff, 0xff, 0xf0})
				ftypLen := int(good[3])
				hugeBox := append(append([]byte(nil), good[:ftypLen]...), 0, 0, 0, 1, 'm', 'o', 'o', 'v', 0x40, 0, 0, 0, 0, 0, 0, 0)
				hugeBox = append(hugeBox, make([]byte, 64)...)
				cases := []struct {
					name   string
					data   []byte
					status int
					code   string
				}{
					{"truncated", clip(t, "truncated.mp4"), 422, "incomplete_file"},
					{"zero bytes", clip(t, "empty.mp4"), 400, "empty_upload"},
					{"jpeg renamed .mp4", clip(t, "jpeg-renamed.mp4"), 415, "not_a_video"},
					{"text file", clip(t, "text.mp4"), 415, "not_a_video"},
					{"audio only", clip(t, "audio-only.m4a"), 422, "no_video_stream"},
					{"moov points past the end", pastEnd, 422, "undecodable"},
					{"huge declared box size", hugeBox, 422, ""},
				}
				for _, tc := range cases {
					r := uploadForm(t, c, tc.data, map[string]string{"caption": tc.name})
					if r.Status != tc.status || (tc.code != "" && r.ErrorCode() != tc.code) {
						t.Errorf("%s: got %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
					}
					if msg, _ := r.JSON()["error"].(map[string]any)["message"].(string); len(msg) < 15 {
						t.Errorf("%s: message %q is not one a person can act on", tc.name, msg)
					}
					if left := leftovers(t, a, "frank"); left != "" {
						t.Errorf("%s left: %s", tc.name, left)
					}
				}
				// The same through tus: the last chunk is refused and the upload is gone.
				data := clip(t, "jpeg-renamed.mp4")
				r := c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(data)))
				loc := r.Header.Get("Location")
				r = c.Do("PATCH", loc, data, "Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")
				if r.Status != 415 || r.ErrorCode() != "not_a_video" || !strings.Contains(r.JSON()["error"].(map[string]any)["message"].(string), "JPEG") {
					t.Fatalf("tus jpeg: %d %s", r.Status, r.Body)
				}
				if left := leftovers(t, a, "frank"); left != "" {
					t.Fatalf("tus refusal left: %s", left)
				}
				for name, hdr := range map[string][]string{
					"too large":      {"Upload-Length", strconv.Itoa(600 << 20)},
					"bad metadata":   {"Upload-Length", "10", "Upload-Metadata", "caption !!notbase64"},
					"bad visibility": {"Upload-Length", "10", "Upload-Metadata", "visibility " + base64.StdEncoding.EncodeToString([]byte("everyone"))},
					"long caption":   {"Upload-Length", "10", "Upload-Metadata", "caption " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 2201)))},
				} {
					r := c.Do("POST", "/api/v1/uploads", nil, append([]string{"Tus-Resumable", "1.0.0"}, hdr...)...)
					if r.Status < 400 || r.Status >= 500 {
						t.Errorf("%s: %d %s", name, r.Status, r.Body)
					}
				}
				if left := leftovers(t, a, "frank"); left != "" {
					t.Fatalf("refused creations left: %s", left)
				}
			})
			t.Run("followers-only and private media need a signed URL bound to the viewer", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				owner := a.Client()
				owner.SignUp("grace")
				stranger := a.Client()
				stranger.SignUp("heidi")
				r := uploadForm(t, owner, clip(t, "portrait-h264-aac.mp4"), map[string]string{"visibility": "private", "allow_comments": "false"})
				id := r.JSON()["id"].(string)
				v := ready(t, a, owner, id)
				if v["allow_comments"] != false {
					t.Errorf("allow_comments: %v", v["allow_comments"])
				}
				signed := renditionURL(t, v, "original")
				if !strings.Contains(signed, "sig=") {
					t.Fatalf("private media URL not signed: %s", signed)
				}
				ok := owner.Do("GET", signed, nil, "Range", "bytes=0-9")
				if ok.Status != 206 || !strings.HasPrefix(ok.Header.Get("Cache-Control"), "private") {
					t.Fatalf("owner fetch: %d %v", ok.Status, ok.Header)
				}
				u, _ := url.Parse(signed)
				q := u.Query()
				alter := func(k, v string) string {
					q2 := url.Values{}
					for kk, vv := range q {
						q2[kk] = vv
					}
					q2.Set(k, v)
					return u.Path + "?" + q2.Encode()
				}
				// A signature with its first character changed (to another one: a signature
				// may begin with A).
				altered := "A" + q.Get("sig")[1:]
				if altered == q.Get("sig") {
					altered = "B" + q.Get("sig")[1:]
				}
				for name, try := range map[string]struct {
					c   *testkit.Client
					url string
				}{
					"another account":  {stranger, signed},
					"anonymous":        {a.Client(), signed},
					"altered sig":      {owner, alter("sig", altered)},
					"altered expiry":   {owner, alter("exp", strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10))},
					"other viewer":     {stranger, alter("viewer", "01aaaaaaaaaaaaaaaaaaaaaaaa")},
					"other file":       {owner, strings.Replace(signed, "original.mp4", "poster.jpg", 1)},
					"guessed video id": {owner, strings.Replace(signed, id, "01aaaaaaaaaaaaaaaaaaaaaaaa", 1)},
				} {
					if r := try.c.Do("GET", try.url, nil); r.Status != 403 {
						t.Errorf("%s: %d (a body of %d bytes, not shown: it may be the video)", name, r.Status, len(r.Body))
					}
				}
				// Unsigned, the file of a private video answers like a missing one.
				if r := owner.Do("GET", u.Path, nil); r.Status != 404 {
					t.Errorf("unsigned: %d %s", r.Status, r.Body)
				}
				if r := stranger.Do("GET", "/api/v1/videos/"+id, nil); r.Status != 404 {
					t.Errorf("stranger sees a private video: %d", r.Status)
				}
				a.Clock.Advance(a.Config.SignedURLTTL + time.Second)
				if r := owner.Do("GET", signed, nil); r.Status != 403 {
					t.Errorf("expired URL: %d", r.Status)
				}
				fresh := renditionURL(t, owner.Do("GET", "/api/v1/videos/"+id, nil).JSON(), "original")
				if r := owner.Do("GET", fresh, nil, "Range", "bytes=0-9"); r.Status != 206 {
					t.Errorf("fresh URL: %d", r.Status)
				}
				if r := owner.Do("PATCH", "/api/v1/videos/"+id, map[string]any{"visibility": "public"}); r.Status != 200 {
					t.Fatalf("make public: %d %s", r.Status, r.Body)
				}
				if r := a.Client().Do("GET", u.Path, nil, "Range", "bytes=0-9"); r.Status != 206 {
					t.Errorf("public after edit: %d", r.Status)
				}
			})
			t.Run("creators edit and delete; deleting removes every file", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				c := a.Client()
				c.SignUp("ivan")
				other := a.Client()
				other.SignUp("judy")
				id := uploadForm(t, c, clip(t, "portrait-h264-aac.mp4"), map[string]string{"caption": "first"}).JSON()["id"].(string)
				v := ready(t, a, c, id)
				media := renditionURL(t, v, "original")
				r := c.Do("PATCH", "/api/v1/videos/"+id, map[string]any{"caption": "now with #tags and <b>html</b>"})
				if r.Status != 200 || fmt.Sprint(r.JSON()["hashtags"]) != "[tags]" || r.JSON()["caption"] != "now with #tags and <b>html</b>" {
					t.Fatalf("edit: %d %s", r.Status, r.Body)
				}
				for name, body := range map[string]any{
					"bad visibility":   map[string]any{"visibility": "world"},
					"empty visibility": map[string]any{"visibility": ""},
					"long caption":     map[string]any{"caption": strings.Repeat("é", 2201)},
					"unknown field":    map[string]any{"state": "ready"},
				} {
					if r := c.Do("PATCH", "/api/v1/videos/"+id, body); r.Status != 400 {
						t.Errorf("%s: %d %s", name, r.Status, r.Body)
					}
				}
				if r := other.Do("PATCH", "/api/v1/videos/"+id, map[string]any{"caption": "mine"}); r.Status != 403 {
					t.Errorf("stranger edit: %d", r.Status)
				}
				if r := other.Do("DELETE", "/api/v1/videos/"+id, nil); r.Status != 403 {
					t.Errorf("stranger delete: %d", r.Status)
				}
				list := a.Client().Do("GET", "/api/v1/accounts/ivan/videos", nil).JSON()["items"].([]any)
				if len(list) != 1 {
					t.Fatalf("profile grid: %v", list)
				}
				if r := c.Do("DELETE", "/api/v1/videos/"+id, nil); r.Status != 204 {
					t.Fatalf("delete: %d", r.Status)
				}
				if r := c.Do("GET", "/api/v1/videos/"+id, nil); r.Status != 404 {
					t.Errorf("deleted video: %d", r.Status)
				}
				if r := a.Client().Do("GET", media, nil); r.Status != 404 {
					t.Errorf("deleted media: %d", r.Status)
				}
				if r := c.Do("DELETE", "/api/v1/videos/"+id, nil); r.Status != 404 {
					t.Errorf("deleting twice: %d", r.Status)
				}
				if r := c.Do("PATCH", "/api/v1/videos/"+id, map[string]any{"caption": "x"}); r.Status != 404 {
					t.Errorf("editing a deleted video: %d", r.Status)
				}
				// The queued ladder job finds nothing to do and leaves nothing.
				a.Bus.Drain(context.Background(), video.JobLadder)
				if left := leftovers(t, a, "ivan"); left != "" {
					t.Fatalf("after delete: %s", left)
				}
			})
			t.Run("the uploader follows processing on a server-sent event stream", func(t *testing.T) {
				a := testkit.NewAppNoWorkers(t, e, nil)
				c := a.Client()
				c.SignUp("kim")
				id := uploadForm(t, c, clip(t, "portrait-h264-aac.mp4"), nil).JSON()["id"].(string)
				if r := a.Client().Do("GET", "/api/v1/videos/"+id+"/events", nil); r.Status != 401 {
					t.Fatalf("anonymous stream: %d", r.Status)
				}
				req, _ := http.NewRequest("GET", a.Server.URL+"/api/v1/videos/"+id+"/events", nil)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				res, err := c.HTTP.Do(req.WithContext(ctx))
				if err != nil || res.Header.Get("Content-Type") != "text/event-stream" {
					t.Fatalf("stream: %v %v", err, res)
				}
				defer res.Body.Close()
				states := make(chan string, 10)
				go func() {
					sc := bufio.NewScanner(res.Body)
					sc.Buffer(make([]byte, 1<<20), 1<<20)
					for sc.Scan() {
						line := sc.Text()
						if strings.HasPrefix(line, "data: ") {
							for _, st := range []string{"queued", "processing", "ready", "failed"} {
								if strings.Contains(line, `"state":"`+st+`"`) {
									states <- st
								}
							}
						}
					}
					close(states)
				}()
				if first := <-states; first != "queued" {
					t.Fatalf("first event %q", first)
				}
				a.Bus.Drain(context.Background(), video.JobProcess)
				for st := range states {
					if st == "ready" {
						return
					}
				}
				t.Fatal("stream ended without ready")
			})
		})
	}
}

// TestTranscodePath runs the real ffmpeg (the system one when installed, else the embedded
// WebAssembly build) on a rotated HEVC phone clip: it must come out upright H.264/AAC in
// progressive MP4 renditions with a poster, and with no location metadata.
func TestTranscodePath(t *testing.T) {
	e := testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}
	a := testkit.NewAppNoWorkers(t, e, nil)
	c := a.Client()
	c.SignUp("lena")
	r := uploadForm(t, c, clip(t, "rotated90-hevc.mov"), map[string]string{"caption": "portrait from an iPhone"})
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	id := r.JSON()["id"].(string)
	v := ready(t, a, c, id)
	if n := len(v["renditions"].([]any)); n != 1 {
		t.Fatalf("the first playable state should carry one rendition, has %d", n)
	}
	// The larger renditions are the ladder job's.
	a.Bus.Drain(context.Background(), video.JobLadder)
	v = c.Do("GET", "/api/v1/videos/"+id, nil).JSON()
	if v["width"].(float64) != 720 || v["height"].(float64) != 1280 {
		t.Fatalf("display size %v x %v, want upright 720x1280", v["width"], v["height"])
	}
	names := map[string]bool{}
	for _, x := range v["renditions"].([]any) {
		m := x.(map[string]any)
		names[m["name"].(string)] = true
		if m["width"].(float64) >= m["height"].(float64) {
			t.Errorf("rendition %v is not upright", m)
		}
		got := a.Client().Do("GET", m["url"].(string), nil)
		info, err := mp4.Inspect(bytes.NewReader(got.Body), int64(len(got.Body)))
		if err != nil {
			t.Fatalf("%s: %v", m["name"], err)
		}
		vt, at := info.Video(), info.Audio()
		if vt == nil || vt.Codec != "avc1" || vt.Profile != 100 || vt.Rotation != 0 || at == nil || at.Codec != "mp4a" {
			t.Errorf("%s: video %+v audio %+v", m["name"], vt, at)
		}
		if !info.MoovFirst || info.HasLocation {
			t.Errorf("%s: moov first %v, location %v", m["name"], info.MoovFirst, info.HasLocation)
		}
		if vt != nil && (vt.Width != int(m["width"].(float64)) || vt.Height != int(m["height"].(float64))) {
			t.Errorf("%s: file is %dx%d, API says %vx%v", m["name"], vt.Width, vt.Height, m["width"], m["height"])
		}
	}
	if !names["480p"] || !names["720p"] || names["1080p"] {
		t.Errorf("ladder %v, want 480p and 720p only (the source is 720 on its short edge)", names)
	}
	poster := a.Client().Do("GET", v["poster"].(string), nil)
	if poster.Status != 200 || poster.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("poster: %d", poster.Status)
	}
	img, err := jpegConfig(poster.Body)
	if err != nil || img.Width >= img.Height {
		t.Fatalf("poster %dx%d %v: want portrait", img.Width, img.Height, err)
	}
}

// TestEveryPhoneClipBecomesPlayable sends each kind of clip a phone makes through the real
// pipeline: what plays as is goes the fast path, the rest is transcoded, and a clip without
// sound still gets its renditions.
func TestEveryPhoneClipBecomesPlayable(t *testing.T) {
	e := testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}
	// One rung is enough here (TestTranscodePath checks the ladder); it halves the time the
	// embedded ffmpeg needs.
	a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) { c.MaxRendition = 480 })
	c := a.Client()
	c.SignUp("mona")
	cases := []struct {
		clip      string
		rendition string // the first playable one
		ladder    bool   // also run the background ladder and check it
	}{
		{"no-audio.mp4", "original", true},
		{"vfr.mp4", "original", false},
		{"fps60.mp4", "original", false},
		{"uhd-hevc.mp4", "480p", false},
	}
	for _, tc := range cases {
		t.Run(tc.clip, func(t *testing.T) {
			r := uploadForm(t, c, clip(t, tc.clip), nil)
			if r.Status != 201 {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			id := r.JSON()["id"].(string)
			v := ready(t, a, c, id)
			renditionURL(t, v, tc.rendition)
			for _, x := range v["renditions"].([]any) {
				m := x.(map[string]any)
				if short := min(m["width"].(float64), m["height"].(float64)); short > 1080 {
					t.Errorf("rendition %v exceeds 1080 on its short edge", m)
				}
			}
			if tc.ladder {
				a.Bus.Drain(context.Background(), video.JobLadder)
				v = c.Do("GET", "/api/v1/videos/"+id, nil).JSON()
				got := a.Client().Do("GET", renditionURL(t, v, "480p"), nil)
				info, err := mp4.Inspect(bytes.NewReader(got.Body), int64(len(got.Body)))
				if err != nil || info.Video() == nil || info.Audio() != nil {
					t.Fatalf("silent 480p: %+v %v", info, err)
				}
				if v["poster"] == nil {
					t.Error("no poster after the ladder")
				}
			}
		})
	}
}

func TestVideoLimits(t *testing.T) {
	e := testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}
	a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) {
		c.MaxVideoDuration = 2 * time.Second
		c.MaxVideoPixels = 640 * 640
		c.MaxUploadBytes = 1 << 20
	})
	c := a.Client()
	c.SignUp("nils")
	r := uploadForm(t, c, clip(t, "portrait-h264-aac.mp4"), nil)
	if r.Status != 422 || r.ErrorCode() != "too_long" {
		t.Fatalf("4 s clip with a 2 s limit: %d %s", r.Status, r.Body)
	}
	big := clip(t, "uhd-hevc.mp4") // 1 s long, 2160x3840
	r = uploadForm(t, c, big, nil)
	if len(big) <= 1<<20 && (r.Status != 422 || r.ErrorCode() != "too_many_pixels") {
		t.Fatalf("4K clip with a small pixel limit: %d %s", r.Status, r.Body)
	}
	r = c.Do("POST", "/api/v1/videos", bytes.Repeat([]byte{0}, 2<<20), "Content-Type", "application/octet-stream")
	if r.Status != 413 {
		t.Fatalf("over the size limit: %d %s", r.Status, r.Body)
	}
	if left := leftovers(t, a, "nils"); left != "" {
		t.Fatalf("refusals left: %s", left)
	}
}
