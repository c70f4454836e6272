//go:build !noui

package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"kurz/internal/testkit"
	"kurz/internal/web"
)

func get(t *testing.T, h http.Handler, path string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newSite(t *testing.T) *web.Site {
	t.Helper()
	s, err := web.New(web.Options{})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return s
}

// Every client route answers with the shell, so a deep link or a reload works; anything
// else gets the shell with a 404 (the client shows "page not found"), and machine paths
// a plain 404.
func TestShellForClientRoutes(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/", 200}, {"/following", 200}, {"/trending", 200}, {"/search", 200}, {"/upload", 200},
		{"/settings", 200}, {"/notifications", 200}, {"/login", 200}, {"/signup", 200}, {"/ranking", 200},
		{"/@maya", 200}, {"/@a.b_c", 200}, {"/tag/dance", 200}, {"/tag/%C3%A9t%C3%A9", 200}, {"/v/01jvideo0000000000000001", 200},
		{"/nowhere", 404}, {"/@Bad-Name", 404}, {"/tag/", 404}, {"/v/../etc", 404}, {"/settings/extra", 404},
	} {
		r := get(t, s, tc.path)
		if r.StatusCode != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, r.StatusCode, tc.code)
			continue
		}
		b := body(t, r)
		if !strings.Contains(b, `<div id="app"`) {
			t.Errorf("GET %s: not the app shell", tc.path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		if r.Header.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("GET %s: CSP %q", tc.path, r.Header.Get("Content-Security-Policy"))
		}
		if r.Header.Get("Cache-Control") != "no-cache" || r.Header.Get("ETag") == "" {
			t.Errorf("GET %s: the shell must be revalidated: Cache-Control %q, ETag %q", tc.path, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
	}
	for _, p := range []string{"/media/avatars/none.jpg", "/api/v1/nothing"} {
		r := get(t, s, p)
		if r.StatusCode != 404 || strings.Contains(body(t, r), `id="app"`) {
			t.Errorf("GET %s: %d, want a plain 404 without the shell", p, r.StatusCode)
		}
	}
}

// The policy forbids inline code, so the shell may hold none: no script body, no style
// element or attribute, no inline event handler.
func TestShellHasNoInlineCode(t *testing.T) {
	b := body(t, get(t, newSite(t), "/"))
	if m := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).FindString(b); m != "" {
		t.Errorf("inline script in the shell: %q", m)
	}
	for _, bad := range []string{"<style", " style=", " onload=", " onclick=", " onerror=", "javascript:"} {
		if strings.Contains(b, bad) {
			t.Errorf("the shell contains %q", bad)
		}
	}
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
		"media-src 'self' blob:", "connect-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(web.CSP, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
}

// Every asset the shell names exists, under the current version, with the right type and
// a year-long immutable cache; a new build changes the version.
func TestAssetsAreVersionedAndTyped(t *testing.T) {
	s := newSite(t)
	shell := body(t, get(t, s, "/"))
	refs := regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(shell, -1)
	if len(refs) < 10 {
		t.Fatalf("the shell names only %d assets", len(refs))
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}
	for _, m := range refs {
		u := m[1]
		if !strings.HasPrefix(u, "/assets/"+s.Version()+"/") {
			t.Errorf("%s is not under the current version %s", u, s.Version())
		}
		r := get(t, s, u)
		if r.StatusCode != 200 {
			t.Errorf("GET %s: %d", u, r.StatusCode)
			continue
		}
		ext := u[strings.LastIndex(u, "."):]
		if got := r.Header.Get("Content-Type"); got != types[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", u, got, types[ext])
		}
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", u, got)
		}
	}
	if r := get(t, s, "/assets/"+s.Version()+"/js/nothing.js"); r.StatusCode != 404 {
		t.Errorf("a missing asset: %d", r.StatusCode)
	}
	if r := get(t, s, "/assets/"+s.Version()+"/index.html"); r.StatusCode != 404 {
		t.Errorf("the shell template must not be served as an asset: %d", r.StatusCode)
	}
	old := get(t, s, "/assets/0123456789ab/js/main.js")
	if old.StatusCode != 200 || old.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version's file: %d %q, want today's file, uncached", old.StatusCode, old.Header.Get("Cache-Control"))
	}

	// A different client gets a different version.
	files := fstest.MapFS{"index.html": {Data: []byte(`<link href="{{.Base}}app.css">`)}, "app.css": {Data: []byte("a{}")}}
	a, err := web.New(web.Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	files["app.css"] = &fstest.MapFile{Data: []byte("b{}")}
	b, err := web.New(web.Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if a.Version() == b.Version() {
		t.Error("changing a file did not change the version")
	}
}

func TestAssetsAreCompressedAndRevalidated(t *testing.T) {
	s := newSite(t)
	u := s.URL("js/player/feed.js")
	plain := get(t, s, u)
	plainBody := body(t, plain)
	zipped := get(t, s, u, "Accept-Encoding", "br, gzip")
	if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip not offered: %v", zipped.Header)
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, []byte(plainBody)) {
		t.Error("the gzip body differs from the plain one")
	}
	if zipped.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Error("the gzip and plain bodies share an ETag")
	}
	if r := get(t, s, u, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}
	again := get(t, s, "/", "If-None-Match", get(t, s, "/").Header.Get("ETag"))
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the shell: %d, want 304", again.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", rec.Code)
	}
}

// A file whose type the site does not know is refused at start, not served as
// something the browser may guess at.
func TestUnknownFileTypeIsRefused(t *testing.T) {
	_, err := web.New(web.Options{Files: fstest.MapFS{"index.html": {Data: []byte("x")}, "notes.xyz": {Data: []byte("x")}}})
	if err == nil || !strings.Contains(err.Error(), "notes.xyz") {
		t.Fatalf("want an error naming notes.xyz, got %v", err)
	}
	if _, err := web.New(web.Options{Files: fstest.MapFS{"app.js": {Data: []byte("x")}}}); err == nil {
		t.Fatal("a client without index.html was accepted")
	}
}

// The client builds every element itself: no code may hand HTML strings to the browser,
// evaluate strings, or create script URLs. This reads the shipped files, so a new module
// is covered without being listed.
func TestClientCodeHasNoHTMLSinks(t *testing.T) {
	s := newSite(t)
	sinks := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setTimeout\(\s*['"\x60]|createContextualFragment|DOMParser|\.srcdoc`)
	n := 0
	for _, f := range clientFiles(t) {
		if !strings.HasSuffix(f, ".js") {
			continue
		}
		n++
		src := body(t, get(t, s, s.URL(f)))
		for i, line := range strings.Split(src, "\n") {
			if sinks.MatchString(line) {
				t.Errorf("%s:%d: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if n < 10 {
		t.Fatalf("checked only %d modules", n)
	}
}

func clientFiles(t *testing.T) []string {
	t.Helper()
	shell := body(t, get(t, newSite(t), "/"))
	var out []string
	for _, m := range regexp.MustCompile(`/assets/[0-9a-f]+/([^"]+)"`).FindAllStringSubmatch(shell, -1) {
		out = append(out, m[1])
	}
	return out
}

// Mounted in the real app, the client sits behind the API: unknown API paths still get
// the API's JSON error, and the avatar route still serves images.
func TestMountedBehindTheAPI(t *testing.T) {
	app := testkit.NewApp(t, sqlite, nil)
	c := app.Client()
	r := c.Do("GET", "/api/v1/no/such/endpoint", nil)
	if r.Status != 404 || r.ErrorCode() != "no_such_endpoint" {
		t.Errorf("unknown API path: %d %s", r.Status, r.Body)
	}
	page := c.Do("GET", "/@maya", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), `id="app"`) || page.Header.Get("Content-Security-Policy") != web.CSP {
		t.Errorf("deep link through the app: %d %v", page.Status, page.Header)
	}
	if r := c.Do("GET", "/healthz", nil); r.Status != 200 {
		t.Errorf("healthz: %d", r.Status)
	}
}
