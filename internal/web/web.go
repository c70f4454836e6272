// Package web is the kurz web client: hand-written ES modules and CSS embedded in the
// binary, served under content-versioned URLs with a strict Content-Security-Policy, and
// the app shell for every client-side route so that deep links work.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// CSP is the Content-Security-Policy of every page of the client. Scripts and styles come
// only from our own files (no inline code, no style attributes), media may also come from
// blob: URLs (the avatar preview), and Trusted Types make Chromium refuse any string
// assigned to an HTML sink such as innerHTML, so an accidental one fails loudly.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// AssetPrefix is where the client's files live; the next path segment is the version.
const AssetPrefix = "/assets/"

const shellFile = "index.html"

// contentTypes is deliberately explicit rather than read from the host's mime tables,
// which differ between machines: a .js served as text/plain breaks every module.
var contentTypes = map[string]string{
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".webmanifest": "application/manifest+json",
	".json":        "application/json",
	".txt":         "text/plain; charset=utf-8",
}

// Options tune the client.
type Options struct {
	// Files replaces the embedded client (tests); nil uses the files built into the binary.
	Files fs.FS
	// InstanceName is shown in the page title before the app has loaded.
	InstanceName string
}

// Site serves the web client.
type Site struct {
	version string
	assets  map[string]*asset // by path below the version, such as "js/main.js"
	shell   *asset            // index.html, rendered for this version
	noUI    bool
}

type asset struct {
	body, gz    []byte
	contentType string
	etag        string
}

// New reads the client's files, versions them by content and renders the app shell.
// Built with the noui tag, the site only answers "/" with a note pointing at the API.
func New(o Options) (*Site, error) {
	files := o.Files
	if files == nil {
		var err error
		if files, err = embeddedClient(); err != nil {
			return nil, err
		}
	}
	if files == nil {
		return &Site{noUI: true}, nil
	}
	s := &Site{assets: map[string]*asset{}}
	h := sha256.New()
	var shellSrc []byte
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		if p == shellFile {
			shellSrc = b
			return nil
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("%s: no content type is known for %q files", p, path.Ext(p))
		}
		s.assets[p] = newAsset(b, ct)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read client files: %w", err)
	}
	if shellSrc == nil {
		return nil, fmt.Errorf("web: the client has no %s", shellFile)
	}
	s.version = hex.EncodeToString(h.Sum(nil))[:12]
	shell, err := s.renderShell(shellSrc, o.InstanceName)
	if err != nil {
		return nil, err
	}
	s.shell = newAsset(shell, "text/html; charset=utf-8")
	return s, nil
}

func newAsset(b []byte, ct string) *asset {
	sum := sha256.Sum256(b)
	a := &asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if !strings.HasPrefix(ct, "image/png") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if buf.Len() < len(b)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// renderShell fills index.html with the versioned asset base and a modulepreload link per
// module, so the browser fetches the whole module graph at once instead of discovering it
// import by import (there is no bundler to flatten it).
func (s *Site) renderShell(src []byte, instance string) ([]byte, error) {
	t, err := template.New(shellFile).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("web: parse %s: %w", shellFile, err)
	}
	var modules []string
	for p := range s.assets {
		if strings.HasPrefix(p, "js/") && strings.HasSuffix(p, ".js") && p != "js/main.js" {
			modules = append(modules, s.URL(p))
		}
	}
	sort.Strings(modules)
	if instance == "" {
		instance = "kurz"
	}
	var out bytes.Buffer
	err = t.Execute(&out, map[string]any{
		"Base": AssetPrefix + s.version + "/", "Modules": modules, "Instance": instance, "Version": s.version,
	})
	if err != nil {
		return nil, fmt.Errorf("web: render %s: %w", shellFile, err)
	}
	return out.Bytes(), nil
}

// Version identifies this build of the client; it changes whenever any file does.
func (s *Site) Version() string { return s.version }

// URL is the versioned address of one of the client's files, such as "js/main.js".
func (s *Site) URL(file string) string { return AssetPrefix + s.version + "/" + file }

// ServeHTTP answers asset requests, the app shell for client routes, and a 404 shell
// for anything else, which the client renders as "page not found".
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if s.noUI {
		s.serveNoUI(w, r)
		return
	}
	switch {
	case strings.HasPrefix(p, AssetPrefix):
		s.serveAsset(w, r, strings.TrimPrefix(p, AssetPrefix))
	case strings.HasPrefix(p, "/api/"), strings.HasPrefix(p, "/media/"):
		// Machine paths never get the HTML shell: a missing image or endpoint is a 404.
		http.NotFound(w, r)
	case IsClientRoute(p):
		s.serveShell(w, r, http.StatusOK)
	default:
		s.serveShell(w, r, http.StatusNotFound)
	}
}

func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request, rest string) {
	version, file, ok := strings.Cut(rest, "/")
	a := s.assets[file]
	if !ok || a == nil {
		http.NotFound(w, r)
		return
	}
	if version == s.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A page loaded before an upgrade asks for its old version: give it today's
		// file, but never let a cache keep it under the old name.
		w.Header().Set("Cache-Control", "no-cache")
	}
	s.write(w, r, a, http.StatusOK)
}

func (s *Site) serveShell(w http.ResponseWriter, r *http.Request, code int) {
	w.Header().Set("Content-Security-Policy", CSP)
	w.Header().Set("Cache-Control", "no-cache")
	s.write(w, r, s.shell, code)
}

func (s *Site) write(w http.ResponseWriter, r *http.Request, a *asset, code int) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := a.body, a.etag
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if code == http.StatusOK && etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// The client-side routes, mirrored in js/router.js. Profile and hashtag names are
// checked loosely here: the page itself asks the API and shows "not found" if need be.
var (
	exactRoutes = map[string]bool{"/": true, "/following": true, "/trending": true, "/search": true,
		"/upload": true, "/settings": true, "/notifications": true, "/login": true, "/signup": true,
		"/ranking": true, "/analytics": true}
	profileRoute = regexp.MustCompile(`^/@[a-z0-9_.]{1,30}$`)
	tagRoute     = regexp.MustCompile(`^/tag/[^/]{1,200}$`)
	videoRoute   = regexp.MustCompile(`^/v/[0-9a-zA-Z]{1,40}$`)
)

// IsClientRoute reports whether the client has a page at this path.
func IsClientRoute(p string) bool {
	return exactRoutes[p] || profileRoute.MatchString(p) || tagRoute.MatchString(p) || videoRoute.MatchString(p)
}

const noUIPage = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>kurz</title></head>
<body><h1>kurz</h1><p>This server was built without its web client (the noui build tag).
The API is described at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body></html>
`

func (s *Site) serveNoUI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", CSP)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(noUIPage))
}

// Broken answers every request with a 500 that says the client failed to load; the app
// uses it if New fails, which only a damaged build can cause, so the API keeps working.
func Broken(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the web client in this build is damaged: "+err.Error(), http.StatusInternalServerError)
	})
}

// ServeShellWithHead serves the app shell with extra tags in its head: the server-rendered
// Open Graph and oEmbed tags of a shared video page. head must already be escaped HTML.
func (s *Site) ServeShellWithHead(w http.ResponseWriter, r *http.Request, head []byte) {
	if s.noUI || len(head) == 0 {
		s.ServeHTTP(w, r)
		return
	}
	body := bytes.Replace(s.shell.body, []byte("</head>"), append(append([]byte{}, head...), []byte("</head>")...), 1)
	w.Header().Set("Content-Security-Policy", CSP)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", s.shell.contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
