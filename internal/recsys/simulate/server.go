package simulate

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"kurz/internal/app"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/media/mp4"
	videosvc "kurz/internal/video"
)

// clip is the rendition every simulated video serves: a real 72x128 H.264 MP4 of one second
// (made with the embedded ffmpeg from a test pattern). The catalogue skips the upload
// pipeline — transcoding thousands of uploads with the WebAssembly ffmpeg would take hours
// on two cores — so each video's duration is the simulated one, not the clip's.
//
//go:embed clip.mp4
var clip []byte

// clock is the server's clock: simulated time, moved forward by the simulation only.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// set moves the clock to t; time never runs backwards.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// server is a kurz instance on a temporary SQLite data directory, served over HTTP on a free
// loopback port, with its background work running.
type server struct {
	app      *app.App
	clock    *clock
	base     string
	http     *http.Client
	srv      *http.Server
	stopBG   func()
	bgDone   chan struct{}
	dir      string
	keep     bool
	requests map[string]int // by method and route, for the report
	clipInfo *mp4.Info
}

// serverSettings are the settings the simulation changes from the defaults, with why; the
// report prints them.
var serverSettings = []string{
	"argon2-memory=8KiB argon2-time=1 argon2-threads=1 (the test suite's password cost: sign-ups are not what is measured)",
	"signup-per-ip raised to the number of accounts (every simulated person signs up from 127.0.0.1)",
}

func startServer(ctx context.Context, o Options, start time.Time, logw io.Writer) (*server, error) {
	info, err := mp4.Inspect(bytes.NewReader(clip), int64(len(clip)))
	if err != nil || info.Video() == nil {
		return nil, fmt.Errorf("simulate: the embedded clip is not a playable MP4: %v", err)
	}
	dir, err := os.MkdirTemp(o.DataParent, "kurz-simulate-*")
	if err != nil {
		return nil, err
	}
	s := &server{clock: &clock{t: start}, dir: dir, keep: o.Keep, requests: map[string]int{}, clipInfo: info}
	fail := func(err error) (*server, error) {
		s.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Listen = ln.Addr().String()
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.Argon2Memory = 8 << 10
	cfg.Argon2Time = 1
	cfg.Argon2Threads = 1
	cfg.SignupPerIP = o.Users + o.Creators + 10
	// Simulated time runs thousands of times faster than the wall clock, so a shared Trending
	// ranking would serve for simulated hours while its refresh runs in the background, and
	// the run would depend on goroutine timing: compute it for every request instead.
	cfg.TrendingRefresh = 0
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return fail(err)
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := db.Open(ctx, app.DBOptions(cfg))
	if err != nil {
		ln.Close()
		return fail(err)
	}
	a, err := app.New(ctx, cfg, log, d, s.clock.Now)
	if err != nil {
		d.Close()
		ln.Close()
		return fail(err)
	}
	s.app = a
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBG, s.bgDone = stop, make(chan struct{})
	go func() { a.Run(bg); close(s.bgDone) }()
	s.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = s.srv.Serve(ln) }()
	s.base = "http://" + ln.Addr().String()
	s.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return s, nil
}

func (s *server) close() {
	if s.srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.srv.Shutdown(sctx)
		cancel()
	}
	if s.stopBG != nil {
		s.stopBG()
		<-s.bgDone
	}
	if s.app != nil {
		_ = s.app.Close()
	}
	if !s.keep {
		_ = os.RemoveAll(s.dir)
	}
}

// apiError is a non-2xx answer.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call sends one API request as the holder of token (none when empty) and decodes a JSON
// answer into out (when not nil). route names the operation in the request counts.
func (s *server) call(ctx context.Context, method, path, route, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	s.requests[method+" "+route]++
	res, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &apiError{status: res.StatusCode, body: string(bytes.TrimSpace(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// signUp creates an account through the API and returns its id and an API token.
func (s *server) signUp(ctx context.Context, username string) (id, token string, err error) {
	var out struct {
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
		Token string `json:"token"`
	}
	err = s.call(ctx, "POST", "/api/v1/accounts", "/api/v1/accounts", "",
		map[string]any{"username": username, "password": "simulated viewer passphrase", "token": true}, &out)
	if err != nil {
		return "", "", fmt.Errorf("sign up %s: %w", username, err)
	}
	if out.Account.ID == "" || out.Token == "" {
		return "", "", fmt.Errorf("sign up %s: the answer has no account id or token", username)
	}
	return out.Account.ID, out.Token, nil
}

// insertVideo stores a ready public video straight through the stores: the row with its
// caption's hashtags, the clip as its one rendition, then the catalogue announcement the
// processing pipeline makes when a video becomes playable.
func (s *server) insertVideo(ctx context.Context, cr *creator, v *video) error {
	a := s.app
	now := s.clock.Now()
	tags, mentions := videosvc.ParseCaption(v.caption)
	row := &db.VideoRow{ID: a.IDs.New(), AccountID: cr.id, Caption: v.caption, Visibility: "public", AllowComments: true,
		State: videosvc.StateProcessing, CreatedAt: now, UpdatedAt: now, Hashtags: tags, Mentions: mentions}
	// The upload row is required by the store; it never expires during a run.
	up := &db.UploadRow{ID: a.IDs.New(), AccountID: cr.id, VideoID: row.ID, Length: int64(len(clip)), Offset: int64(len(clip)),
		CreatedAt: now, ExpiresAt: now.Add(10 * 365 * 24 * time.Hour)}
	if err := a.DB.Videos().CreateWithUpload(ctx, row, up); err != nil {
		return err
	}
	key := "videos/" + row.ID + "/original.mp4"
	if _, err := a.Blobs.Put(ctx, key, bytes.NewReader(clip)); err != nil {
		return err
	}
	cv := s.clipInfo.Video()
	if err := a.DB.Videos().SetMedia(ctx, row.ID, v.duration.Milliseconds(), cv.Width, cv.Height, now); err != nil {
		return err
	}
	if err := a.DB.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: row.ID, Name: "original", BlobKey: key,
		Width: cv.Width, Height: cv.Height, Bitrate: s.clipInfo.Bitrate, Bytes: int64(len(clip))}, now); err != nil {
		return err
	}
	a.Feed.Published(ctx, row.ID, cr.id, v.duration.Milliseconds(), tags, a.Config.Region, "")
	v.id = row.ID
	return nil
}

// catchUp waits until the recommender has applied every logged event. The server promises
// that within a second; simulated time runs much faster than that, so the simulation waits
// for it before each feed request instead of sleeping.
func (s *server) catchUp(ctx context.Context) error {
	err := s.app.Feed.CatchUp(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("recommender catch-up: %w", err)
	}
	return err
}
