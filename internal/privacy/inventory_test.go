package privacy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"kurz/internal/policy"
	"kurz/internal/privacy"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

type inventoryCategory struct {
	Name      string   `json:"name"`
	Data      []string `json:"data"`
	Why       string   `json:"why"`
	Retention string   `json:"retention"`
	Encrypted bool     `json:"encrypted"`
	Held      bool     `json:"held"`
	Count     *int64   `json:"count"`
	Amount    string   `json:"amount"`
	InExport  []string `json:"in_export"`
}

func inventory(t *testing.T, c *testkit.Client) map[string]inventoryCategory {
	t.Helper()
	r := c.Do("GET", "/api/v1/me/privacy", nil)
	var body struct {
		Categories []inventoryCategory `json:"categories"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &body) != nil {
		t.Fatalf("inventory: %d %s", r.Status, r.Body)
	}
	out := map[string]inventoryCategory{}
	for _, c := range body.Categories {
		if _, dup := out[c.Name]; dup {
			t.Errorf("category %s is listed twice", c.Name)
		}
		if len(c.Data) == 0 || c.Why == "" || c.Retention == "" {
			t.Errorf("category %s does not say what, why or how long: %+v", c.Name, c)
		}
		out[c.Name] = c
	}
	return out
}

func uploadVideo(t *testing.T, a *testkit.TestApp, c *testkit.Client, caption string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testkit.MediaDir(t), "portrait-h264-aac.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("caption", caption)
	part, _ := mw.CreateFormFile("file", "clip.mp4")
	_, _ = part.Write(data)
	_ = mw.Close()
	r := c.Do("POST", "/api/v1/videos", body.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	a.Bus.Drain(context.Background(), video.JobProcess)
	return r.JSON()["id"].(string)
}

// TestInventoryCoversTheExport gives one account some of everything kurz stores, builds its
// data export and compares the archive with "what we store about you": every file of the
// archive, and every key of a file that several categories share, must belong to a category
// of the inventory, and every place a category names must be in the archive. A feature that
// adds data to the export without saying what it is, why and for how long fails here. Each
// category the account filled must say it is held, with the right count.
func TestInventoryCoversTheExport(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, nil)
			user := a.Client()
			r := user.Do("POST", "/api/v1/accounts", map[string]any{"username": "ines", "password": testkit.Password,
				"email": "ines@example.org", "birth_date": "1990-02-02"}, "User-Agent", "InesPhone/2.0")
			if r.Status != 201 {
				t.Fatalf("sign up: %d %s", r.Status, r.Body)
			}
			userID := r.JSON()["account"].(map[string]any)["id"].(string)

			// A new account holds its profile, password and log-in, and nothing else yet.
			fresh := inventory(t, user)
			for name, c := range fresh {
				want := map[string]bool{"profile": true, "password": true, "contact_and_age": true, "sessions": true, "log_in_origins": true}[name]
				if c.Held != want {
					t.Errorf("a new account: %s held = %v, want %v (%s)", name, c.Held, want, c.Amount)
				}
			}

			pal := a.Client()
			pal.SignUp("pal")
			img := image.NewRGBA(image.Rect(0, 0, 40, 40))
			var pngBuf bytes.Buffer
			_ = png.Encode(&pngBuf, img)
			if r := user.Do("PUT", "/api/v1/me/avatar", pngBuf.Bytes()); r.Status != 200 {
				t.Fatalf("avatar: %d %s", r.Status, r.Body)
			}
			mine := uploadVideo(t, a, user, "sunrise #beach")
			theirs := uploadVideo(t, a, pal, "surf #waves")
			// An upload left half done.
			if r := user.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1000"); r.Status != 201 {
				t.Fatalf("start an upload: %d %s", r.Status, r.Body)
			}
			at := time.Now().UTC().Format(time.RFC3339Nano)
			steps := []struct {
				c            *testkit.Client
				method, path string
				body         any
			}{
				{user, "POST", "/api/v1/videos/" + theirs + "/like", nil},
				{user, "POST", "/api/v1/videos/" + theirs + "/comments", map[string]any{"body": "nice waves"}},
				{user, "POST", "/api/v1/accounts/pal/follow", nil},
				{pal, "POST", "/api/v1/accounts/ines/follow", nil},
				{user, "PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"spam"}}},
				{user, "POST", "/api/v1/events", map[string]any{"events": []map[string]any{
					{"kind": "play_start", "key": "inv-play-0001", "video_id": theirs, "at": at, "feed": "for_you"},
					{"kind": "complete", "key": "inv-done-0001", "video_id": theirs, "at": at, "feed": "for_you", "watch_ms": 4000},
					{"kind": "not_interested", "key": "inv-tag-00001", "target": "hashtag", "hashtag": "pranks", "at": at, "feed": "for_you"},
				}}},
				{pal, "POST", "/api/v1/events", map[string]any{"events": []map[string]any{
					{"kind": "play_start", "key": "inv-pal-play01", "video_id": mine, "at": at, "feed": "for_you"},
				}}},
			}
			for _, s := range steps {
				if r := s.c.Do(s.method, s.path, s.body); r.Status >= 300 {
					t.Fatalf("%s %s: %d %s", s.method, s.path, r.Status, r.Body)
				}
			}
			mod, err := a.Auth.CreateAccount(ctx, "mod_ivy", testkit.Password, policy.RoleModerator)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Privacy.ReadPersonalData(ctx, policy.Viewer{AccountID: mod.ID, Role: policy.RoleModerator}, userID, "abuse_report", nil); err != nil {
				t.Fatal(err)
			}
			if err := a.Analytics.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}

			// Each category the account filled is held, counted where kurz counts it.
			inv := inventory(t, user)
			for name, amount := range map[string]string{
				"videos": "2 videos", "uploads": "1 upload", "comments": "1 comment", "comment_filters": "1 keyword", "likes": "1 like",
				"follows": "1 account you follow, 1 follower", "not_interested": "1 mark", "sessions": "1 log-in", "log_in_origins": "1 log-in",
				"notifications": "1 notification", "blocks_and_mutes": "0 accounts",
			} {
				if got := inv[name].Amount; got != amount {
					t.Errorf("%s: amount %q, want %q", name, got, amount)
				}
			}
			for _, name := range []string{"profile", "contact_and_age", "video_files", "watch_history", "interest_profile", "creator_analytics", "access_log"} {
				if c := inv[name]; !c.Held {
					t.Errorf("%s is not held after the account filled it: %+v", name, c)
				}
			}
			if vf := inv["video_files"]; !strings.Contains(vf.Amount, "MB of video") && !strings.Contains(vf.Amount, "kB of video") {
				t.Errorf("video files without their size: %q", vf.Amount)
			}
			if wh := inv["watch_history"]; wh.Count == nil || *wh.Count < 5 {
				t.Errorf("watch history counts %v events; the account caused at least 5", wh.Amount)
			}
			if !inv["contact_and_age"].Encrypted || !inv["log_in_origins"].Encrypted || inv["videos"].Encrypted {
				t.Errorf("encrypted flags: %+v", inv)
			}
			if got := inv["uploads"].Retention; !strings.Contains(got, "1 day") {
				t.Errorf("the uploads' retention does not give upload-ttl (24h): %q", got)
			}
			if got := inv["log_in_origins"].Retention; !strings.Contains(got, "30 days") {
				t.Errorf("the log-in origins' retention does not give session-ip-retention (720h): %q", got)
			}
			// Another account's inventory counts its own, not this one's.
			if other := inventory(t, pal); other["comments"].Held || other["not_interested"].Held || other["videos"].Amount != "1 video" {
				t.Errorf("pal's inventory: comments %+v, marks %+v, videos %+v", other["comments"], other["not_interested"], other["videos"])
			}

			// The archive.
			start := user.Do("POST", "/api/v1/me/exports", nil)
			if start.Status != 202 {
				t.Fatalf("export: %d %s", start.Status, start.Body)
			}
			if n := a.Bus.Drain(ctx, privacy.JobExport); n != 1 {
				t.Fatalf("%d export jobs ran", n)
			}
			dl := user.Do("GET", start.JSON()["download_url"].(string), nil)
			if dl.Status != 200 {
				t.Fatalf("download: %d %s", dl.Status, dl.Body)
			}
			zr, err := zip.NewReader(bytes.NewReader(dl.Body), int64(len(dl.Body)))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				files[f.Name], _ = io.ReadAll(rc)
				rc.Close()
			}
			checkInventoryCoversArchive(t, inv, files)
		})
	}
}

// checkInventoryCoversArchive compares the archive's files with the inventory's claims.
func checkInventoryCoversArchive(t *testing.T, inv map[string]inventoryCategory, files map[string][]byte) {
	t.Helper()
	whole := map[string][]string{} // pattern → categories
	keyed := map[string]map[string]string{}
	for name, c := range inv {
		for _, place := range c.InExport {
			if file, key, ok := strings.Cut(place, "#"); ok {
				if keyed[file] == nil {
					keyed[file] = map[string]string{}
				}
				if other, dup := keyed[file][key]; dup {
					t.Errorf("%s is claimed by %s and %s", place, other, name)
				}
				keyed[file][key] = name
				continue
			}
			if _, err := path.Match(place, ""); err != nil {
				t.Errorf("category %s names a bad pattern %q", name, place)
			}
			whole[place] = append(whole[place], name)
		}
	}
	readme := string(files["README.md"])
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	used := map[string]bool{}
	for _, f := range names {
		if f == "README.md" || f == "schema.json" { // the archive explaining itself
			continue
		}
		if !strings.Contains(readme, "`"+f+"`") {
			t.Errorf("the README does not explain %s", f)
		}
		var owners []string
		for p, cats := range whole {
			if ok, _ := path.Match(p, f); ok {
				owners = append(owners, cats...)
				used[p] = true
			}
		}
		keys := keyed[f]
		switch {
		case len(owners) > 0 && keys != nil:
			t.Errorf("%s is claimed whole by %v and by key by %v", f, owners, keys)
		case len(owners) > 1:
			t.Errorf("%s is claimed by several categories: %v", f, owners)
		case len(owners) == 1:
		case keys == nil:
			t.Errorf("the archive holds %s, which no category of the inventory names: add it to a category (with why and how long)", f)
		default:
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(files[f], &doc); err != nil {
				t.Errorf("%s is claimed by key but is not a JSON object: %v", f, err)
				continue
			}
			for k := range doc {
				if _, ok := keys[k]; !ok {
					t.Errorf("%s holds %q, which no category of the inventory names (claim it as %s#%s)", f, k, f, k)
				}
			}
			for k, cat := range keys {
				if _, ok := doc[k]; !ok {
					t.Errorf("category %s names %s#%s, which the archive does not hold", cat, f, k)
				}
			}
			delete(keyed, f)
		}
	}
	for p, cats := range whole {
		if !used[p] {
			t.Errorf("categories %v name %s, which matches nothing in the archive (files: %v)", cats, p, names)
		}
	}
	for f, keys := range keyed {
		t.Errorf("categories %v name keys of %s, which is not in the archive", slices.Sorted(mapValues(keys)), f)
	}
	if t.Failed() {
		t.Logf("archive files: %s", fmt.Sprint(names))
	}
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}
