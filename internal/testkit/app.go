package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/app"
	"kurz/internal/config"
)

// Clock is a settable clock for tests that need time to pass.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestApp is a whole kurz behind an httptest server.
type TestApp struct {
	*app.App
	Server *httptest.Server
	Clock  *Clock
	t      testing.TB
}

// NewApp starts kurz on the engine with cheap password hashing, with its background
// workers running. tweak may change the config before the app is built.
func NewApp(t testing.TB, e Engine, tweak func(*config.Config)) *TestApp {
	t.Helper()
	return newApp(t, e, tweak, true)
}

// NewAppNoWorkers starts kurz without background workers: the test runs jobs itself with
// a.Bus.Drain, in the order it chooses.
func NewAppNoWorkers(t testing.TB, e Engine, tweak func(*config.Config)) *TestApp {
	t.Helper()
	return newApp(t, e, tweak, false)
}

func newApp(t testing.TB, e Engine, tweak func(*config.Config), workers bool) *TestApp {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Argon2Memory = 8 << 10
	cfg.Argon2Time = 1
	cfg.Argon2Threads = 1
	// The test clock stands still unless a test moves it, so a shared Trending ranking would
	// never be computed again: compute it for every request (feed's tests cover the refresh).
	cfg.TrendingRefresh = 0
	cfg.FFmpegCacheDir = filepath.Join(os.TempDir(), "kurz-test-wazero-cache")
	if tweak != nil {
		tweak(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	d := e.Open(t)
	clock := &Clock{t: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(context.Background(), cfg, log, d, clock.Now)
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	if workers {
		bg, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Run(bg); close(done) }()
		t.Cleanup(func() { stop(); <-done })
	}
	t.Cleanup(srv.Close)
	return &TestApp{App: a, Server: srv, Clock: clock, t: t}
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Client is an HTTP client with a cookie jar, like a browser; it sends the CSRF token it
// learned and, when Token is set, a bearer token instead.
type Client struct {
	t     testing.TB
	app   *TestApp
	HTTP  *http.Client
	CSRF  string
	Token string
}

// Client returns a new browser-like client.
func (a *TestApp) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: a.t, app: a, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// ErrorCode is the error.code of an error body, or "".
func (r *Response) ErrorCode() string {
	if e, ok := r.JSON()["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// Do sends a request. body may be nil, a []byte (sent raw) or any value (sent as JSON).
func (c *Client) Do(method, path string, body any, headers ...string) *Response {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		ct = "application/octet-stream"
	case string:
		rd = strings.NewReader(b)
		ct = "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
		ct = "application/json"
	}
	req, err := http.NewRequest(method, c.app.Server.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	} else if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := &Response{Status: res.StatusCode, Header: res.Header, Body: b}
	if acc, ok := out.JSON()["account"].(map[string]any); ok {
		if tok, ok := acc["csrf_token"].(string); ok && tok != "" {
			c.CSRF = tok
		}
	}
	return out
}

// SignUp creates an account through the API and keeps its session.
func (c *Client) SignUp(username string) *Response {
	c.t.Helper()
	r := c.Do("POST", "/api/v1/accounts", map[string]any{"username": username, "password": "a long enough passphrase"})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("sign up %s: %d %s", username, r.Status, r.Body)
	}
	return r
}

// Password is the password SignUp uses.
const Password = "a long enough passphrase"

// MediaDir is the shared folder of test clips, ../shared/media beside the repository. A
// missing folder fails the test: the media tests must never pass by not running.
func MediaDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod)")
		}
		dir = parent
	}
	media := filepath.Join(dir, "..", "shared", "media")
	if _, err := os.Stat(filepath.Join(media, "portrait-h264-aac.mp4")); err != nil {
		t.Fatalf("test clips missing at %s: %v", media, err)
	}
	return media
}
