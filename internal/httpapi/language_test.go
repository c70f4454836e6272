package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"kurz/internal/testkit"
)

// A video's language comes from the upload, or else from the uploader's browser; a creator
// can change it; a bad one is refused before anything is stored; the recommender hears of
// it; and the Trending tab shows a viewer's language first.
func TestVideoLanguage(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := testkit.NewAppNoWorkers(t, e, nil)
			c := a.Client()
			c.SignUp("lena")
			data := clip(t, "portrait-h264-aac.mp4")
			videos := func() int {
				t.Helper()
				pool := a.DB.Pools()["writer"]
				if pool == nil {
					pool = a.DB.Pools()["main"]
				}
				var n int
				if err := pool.QueryRowContext(ctx, `SELECT COUNT(*) FROM videos`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			md := "caption " + base64.StdEncoding.EncodeToString([]byte("hallo")) + ",language " + base64.StdEncoding.EncodeToString([]byte("german"))
			r := c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", md)
			if r.Status != 400 || r.ErrorCode() != "invalid_language" {
				t.Fatalf("a bad language: %d %s", r.Status, r.Body)
			}
			if r := c.Do("POST", "/api/v1/videos?caption=x&language=e1", data, "Content-Type", "video/mp4"); r.Status != 400 || r.ErrorCode() != "invalid_language" {
				t.Fatalf("a bad language, whole upload: %d %s", r.Status, r.Body)
			}
			if n := videos(); n != 0 {
				t.Fatalf("%d videos stored after refused uploads", n)
			}

			upload := func(query string, headers ...string) string {
				t.Helper()
				r := c.Do("POST", "/api/v1/videos?"+query, data, append([]string{"Content-Type", "video/mp4"}, headers...)...)
				if r.Status != 201 {
					t.Fatalf("upload %s: %d %s", query, r.Status, r.Body)
				}
				return r.JSON()["id"].(string)
			}
			german := upload("caption=hallo", "Accept-Language", "de-CH, en;q=0.5")
			english := upload("caption=hello&language=EN", "Accept-Language", "de")
			for id, want := range map[string]string{german: "de", english: "en"} {
				if got := ready(t, a, c, id)["language"]; got != want {
					t.Errorf("video %s: language %q, want %q", id, got, want)
				}
			}
			// A browser that names no language leaves it unknown (a resumable upload, not sent).
			r = c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(data)),
				"Upload-Metadata", "caption "+base64.StdEncoding.EncodeToString([]byte("plain")), "Accept-Language", "*")
			if r.Status != 201 {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			unknown := r.JSON()["video_id"].(string)
			if got := c.Do("GET", "/api/v1/videos/"+unknown, nil).JSON()["language"]; got != "" {
				t.Errorf("no language given or in the browser: %q", got)
			}
			if r := c.Do("PATCH", "/api/v1/videos/"+unknown, map[string]any{"language": "french"}); r.Status != 400 || r.ErrorCode() != "invalid_language" {
				t.Fatalf("a bad language on edit: %d %s", r.Status, r.Body)
			}
			if r := c.Do("PATCH", "/api/v1/videos/"+unknown, map[string]any{"language": "fr"}); r.Status != 200 || r.JSON()["language"] != "fr" {
				t.Fatalf("edit the language: %d %s", r.Status, r.Body)
			}

			// The recommender hears of the language with the video.
			evs, err := a.DB.Events().Since(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			heard := false
			for _, ev := range evs {
				if ev.Kind == "video_published" && ev.VideoID == german {
					heard = strings.Contains(ev.Extra, `"language":"de"`)
				}
			}
			if !heard {
				t.Errorf("the German video's video_published does not carry its language: %+v", evs)
			}

			// Edits of a ready public video's hashtags or language reach the recommender as
			// video_updated; other edits do not.
			updates := func() []string {
				t.Helper()
				evs, err := a.DB.Events().Since(ctx, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, ev := range evs {
					if ev.Kind == "video_updated" && ev.VideoID == german {
						out = append(out, ev.Extra)
					}
				}
				return out
			}
			for _, edit := range []map[string]any{{"caption": "hallo #berlin"}, {"allow_comments": false}, {"language": "de"}, {"language": "fr"}} {
				if r := c.Do("PATCH", "/api/v1/videos/"+german, edit); r.Status != 200 {
					t.Fatalf("edit %v: %d %s", edit, r.Status, r.Body)
				}
			}
			if got := updates(); len(got) != 2 || got[0] != `{"hashtags":["berlin"],"language":"de"}` || got[1] != `{"hashtags":["berlin"],"language":"fr"}` {
				t.Fatalf("video_updated events: %q", got)
			}
			if r := c.Do("PATCH", "/api/v1/videos/"+german, map[string]any{"language": "de"}); r.Status != 200 {
				t.Fatalf("edit back: %d %s", r.Status, r.Body)
			}

			trending := func(lang string) ([]string, []string) {
				t.Helper()
				r := a.Client().Do("GET", "/api/v1/feed/trending", nil, "Accept-Language", lang)
				if r.Status != 200 {
					t.Fatalf("trending: %d %s", r.Status, r.Body)
				}
				var ids, reasons []string
				for _, it := range r.JSON()["items"].([]any) {
					m := it.(map[string]any)
					ids = append(ids, m["id"].(string))
					reasons = append(reasons, m["reason"].(map[string]any)["text"].(string))
				}
				return ids, reasons
			}
			for lang, first := range map[string]string{"de": german, "en-GB,de": english} {
				ids, reasons := trending(lang)
				if len(ids) != 2 || ids[0] != first {
					t.Fatalf("trending in %s: %v, want %s first", lang, ids, first)
				}
				if !strings.Contains(reasons[0], "language") || strings.Contains(reasons[1], "language") {
					t.Fatalf("trending in %s, reasons: %q", lang, reasons)
				}
			}
			// In a language none of them is in, the region's order alone.
			if ids, reasons := trending("fr"); len(ids) != 2 || strings.Contains(reasons[0], "language") || strings.Contains(reasons[1], "language") {
				t.Fatalf("trending in fr: %v %q", ids, reasons)
			}
		})
	}
}

// An account can choose the language it watches in: it is stored, read back and cleared
// through /me, a bad one is refused and changes nothing, and the Trending tab then puts that
// language first whatever the browser says; cleared, the browser's language is back.
func TestAccountLanguage(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			viewer := a.Client()
			viewer.SignUp("vera")
			language := func() any {
				t.Helper()
				r := viewer.Do("GET", "/api/v1/me", nil)
				if r.Status != 200 {
					t.Fatalf("me: %d %s", r.Status, r.Body)
				}
				return r.JSON()["language"]
			}
			if got := language(); got != "" {
				t.Fatalf("a new account's language is %q, want \"\" (the browser's)", got)
			}
			if r := viewer.Do("PATCH", "/api/v1/me", map[string]any{"language": " PT "}); r.Status != 200 || r.JSON()["language"] != "pt" {
				t.Fatalf("set pt: %d %s", r.Status, r.Body)
			}
			if got := language(); got != "pt" {
				t.Fatalf("language read back %q, want pt", got)
			}
			for _, bad := range []string{"english", "e1", "pt-BR"} {
				r := viewer.Do("PATCH", "/api/v1/me", map[string]any{"language": bad, "bio": "changed with a bad language"})
				if r.Status != 400 || r.ErrorCode() != "invalid_language" {
					t.Errorf("language %q: %d %s, want 400 invalid_language", bad, r.Status, r.Body)
					continue
				}
				if e := r.JSON()["error"].(map[string]any); e["field"] != "language" || !strings.Contains(fmt.Sprint(e["message"]), "such as en") {
					t.Errorf("language %q: the error does not say what to send: %v", bad, e)
				}
			}
			if r := viewer.Do("PATCH", "/api/v1/me", `{"language":5}`); r.Status != 400 {
				t.Errorf("a number as language: %d %s", r.Status, r.Body)
			}
			if me := viewer.Do("GET", "/api/v1/me", nil).JSON(); me["language"] != "pt" || me["bio"] != "" {
				t.Fatalf("refused edits changed the account: language %q, bio %q", me["language"], me["bio"])
			}
			if r := a.Client().Do("PATCH", "/api/v1/me", map[string]any{"language": "de"}); r.Status != 401 || r.ErrorCode() != "login_required" {
				t.Fatalf("anonymous: %d %s", r.Status, r.Body)
			}
			if r := viewer.Do("PATCH", "/api/v1/me", map[string]any{"language": ""}); r.Status != 200 || r.JSON()["language"] != "" {
				t.Fatalf("clear: %d %s", r.Status, r.Body)
			}
			if got := language(); got != "" {
				t.Fatalf("language after clearing %q, want \"\"", got)
			}

			// The Trending tab: one video in German, one in English.
			creator := a.Client()
			creator.SignUp("cleo")
			data := clip(t, "portrait-h264-aac.mp4")
			upload := func(query string) string {
				t.Helper()
				r := creator.Do("POST", "/api/v1/videos?"+query, data, "Content-Type", "video/mp4")
				if r.Status != 201 {
					t.Fatalf("upload %s: %d %s", query, r.Status, r.Body)
				}
				id := r.JSON()["id"].(string)
				ready(t, a, creator, id)
				return id
			}
			german, english := upload("caption=hallo&language=de"), upload("caption=hello&language=en")
			first := func(lang string) (string, string) {
				t.Helper()
				r := viewer.Do("GET", "/api/v1/feed/trending", nil, "Accept-Language", lang)
				items, _ := r.JSON()["items"].([]any)
				if r.Status != 200 || len(items) != 2 {
					t.Fatalf("trending: %d %s", r.Status, r.Body)
				}
				m := items[0].(map[string]any)
				return m["id"].(string), m["reason"].(map[string]any)["text"].(string)
			}
			if id, _ := first("de"); id != german {
				t.Fatalf("without a chosen language, a German browser sees %s first, want the German video %s", id, german)
			}
			viewer.Do("PATCH", "/api/v1/me", map[string]any{"language": "en"})
			for _, browser := range []string{"de", "de-AT, de;q=0.9", ""} {
				if id, reason := first(browser); id != english || !strings.Contains(reason, "language") {
					t.Errorf("with English chosen and Accept-Language %q: %s first (%q), want the English video %s", browser, id, reason, english)
				}
			}
			viewer.Do("PATCH", "/api/v1/me", map[string]any{"language": ""})
			if id, _ := first("de"); id != german {
				t.Fatalf("after clearing, a German browser sees %s first, want the German video %s", id, german)
			}

			// An upload that names no language takes the one its creator chose, over the browser's.
			creator.Do("PATCH", "/api/v1/me", map[string]any{"language": "pt"})
			r := creator.Do("POST", "/api/v1/videos?caption=ola", data, "Content-Type", "video/mp4", "Accept-Language", "de")
			if r.Status != 201 || r.JSON()["language"] != "pt" {
				t.Fatalf("an upload without a language by a creator who chose pt: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestRememberedLanguage checks that watch events tell the recommender the viewer's region
// and language (the ranker trains on them as it serves with them), once per change: the
// account's chosen language over the browser's, shown in the interest profile and in the
// watch history of the export.
func TestRememberedLanguage(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			u := users(a, "cleo", "vera")
			clipID := publish(t, a, u["cleo"], map[string]string{"caption": "hallo #welt"})
			n := 0
			send := func(browser string) {
				t.Helper()
				var batch []ev
				for i := 0; i < 2; i++ {
					n++
					batch = append(batch, event("impression", fmt.Sprintf("remembered-%03d", n), clipID))
				}
				r := u["vera"].Do("POST", "/api/v1/events", map[string]any{"events": batch}, "Accept-Language", browser)
				if r.Status != 200 {
					t.Fatalf("events: %d %s", r.Status, r.Body)
				}
			}
			memory := func() map[string]any {
				t.Helper()
				r := u["vera"].Do("GET", "/api/v1/me/interests", nil)
				if r.Status != 200 {
					t.Fatalf("interests: %d %s", r.Status, r.Body)
				}
				return r.JSON()["memory"].(map[string]any)
			}
			carried := func() []string {
				t.Helper()
				me := u["vera"].Do("GET", "/api/v1/me", nil).JSON()
				h, err := a.DB.Events().History(context.Background(), me["id"].(string))
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, ev := range h {
					if ev.Language != "" || ev.Region != "" {
						out = append(out, ev.Region+"/"+ev.Language)
					}
				}
				return out
			}

			// Each read of the profile catches the recommender up with the log; a batch sent
			// before it has may carry the context again, which is harmless.
			send("de-AT, de;q=0.9")
			memory()
			send("de")
			if m := memory(); m["language"] != "de" {
				t.Fatalf("after watching with a German browser the recommender remembers %v, want language de", m)
			}
			region := memory()["region"]
			if got := carried(); len(got) != 1 || got[0] != fmt.Sprint(region)+"/de" {
				t.Fatalf("events carrying the context: %q, want one with %v/de", got, region)
			}

			u["vera"].Do("PATCH", "/api/v1/me", map[string]any{"language": "pt"})
			send("de")
			memory()
			send("de")
			if m := memory(); m["language"] != "pt" {
				t.Fatalf("after choosing Portuguese the recommender remembers %v, want language pt", m)
			}
			if got := carried(); len(got) != 2 || !strings.HasSuffix(got[1], "/pt") {
				t.Fatalf("events carrying the context after the change: %q, want a second one with pt", got)
			}

			// Anonymous viewing teaches no profile and carries nothing.
			anon := a.Client()
			r := anon.Do("POST", "/api/v1/events", map[string]any{"events": []ev{event("impression", "anonymous-001", clipID)}}, "Accept-Language", "fr")
			if r.Status != 200 {
				t.Fatalf("anonymous events: %d %s", r.Status, r.Body)
			}
			rows, err := a.DB.Events().Since(context.Background(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			anonymous := 0
			for _, row := range rows {
				if row.AccountID == "" && row.Kind == "impression" {
					anonymous++
					if row.Extra != "" {
						t.Errorf("an anonymous event carries %q", row.Extra)
					}
				}
			}
			if anonymous != 1 {
				t.Fatalf("%d anonymous impressions in the log, want 1", anonymous)
			}
		})
	}
}
