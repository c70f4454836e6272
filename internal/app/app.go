// Package app wires kurz together: from a config it opens the database, storage and
// services and builds the HTTP handler. main and the test kit both use it, so tests run
// exactly what ships (WTF Dial's Main, GoToSocial's state).
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kurz/internal/analytics"
	"kurz/internal/auth"
	"kurz/internal/blob"
	"kurz/internal/bus"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/feed"
	"kurz/internal/httpapi"
	"kurz/internal/id"
	"kurz/internal/media/ffmpeg"
	"kurz/internal/privacy"
	"kurz/internal/recsys"
	"kurz/internal/search"
	"kurz/internal/social"
	"kurz/internal/video"
)

// App is a running kurz: its stores, services and HTTP handler.
type App struct {
	Config   *config.Config
	Log      *slog.Logger
	DB       *db.DB
	Blobs    blob.Store
	IDs      *id.Generator
	Auth     *auth.Service
	Privacy  *privacy.Service
	Social   *social.Service
	Feed     *feed.Service
	Keys     *privacy.Keys
	Videos   *video.Service
	Bus      *bus.Bus
	API      *httpapi.Server
	media    *lazyMedia
	Registry *prometheus.Registry
	Version  string
	// Analytics folds the event log into creator analytics.
	Analytics *analytics.Service
}

// Version returns the module version and VCS revision the binary was built from.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	return v
}

// DBOptions are the database options cfg sets.
func DBOptions(cfg *config.Config) db.Options {
	vcache := cfg.VideoCache
	if vcache == 0 {
		vcache = -1 // off; db.Options reads zero as the default size
	}
	return db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Readers: cfg.SQLiteReaders, MaxConns: cfg.PGMaxConns, VideoCache: vcache}
}

// Open connects to the database and migrates it, then builds every service.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, DBOptions(cfg))
	if err != nil {
		return nil, err
	}
	a, err := New(ctx, cfg, log, d, nil)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// New builds the app on an open database; tests hand in their own database and clock
// (nil means the wall clock).
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, d *db.DB, clock func() time.Time) (*App, error) {
	applied, err := d.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "engine", d.Dialect, "applied", applied)
	}
	blobs, err := blob.NewFS(filepath.Join(cfg.DataDir, "media"))
	if err != nil {
		return nil, err
	}
	secretHex, err := d.Settings().Secret(ctx, "csrf_secret", func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	})
	if err != nil {
		return nil, fmt.Errorf("instance secret: %w", err)
	}
	secret, err := hex.DecodeString(secretHex)
	if err != nil || len(secret) < 32 {
		return nil, errors.New("instance secret csrf_secret in instance_settings is malformed")
	}
	ids := id.NewGenerator()
	now := clock
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	priv, err := openPrivacy(ctx, cfg, log, d, now)
	if err != nil {
		return nil, err
	}
	var videos *video.Service // made below; a restored account's log-in comes only once the app runs
	authSvc, err := auth.New(auth.Deps{
		Accounts: d.Accounts(), Sessions: d.Sessions(), Settings: d.Settings(), Invites: d.Invites(), Blobs: blobs,
		Vault: priv.vault, Deletions: d.Erasure(),
		Restored: func(ctx context.Context, accountID string, pendingSince time.Time) {
			videos.Restored(ctx, accountID, pendingSince)
		},
		NewID: ids.New, Now: now,
		Hasher: auth.Hasher{Memory: uint32(cfg.Argon2Memory / 1024), Time: uint32(cfg.Argon2Time), Threads: uint8(cfg.Argon2Threads)},
		Limits: auth.Limits{MinPassword: cfg.MinPasswordLen, MaxPassword: cfg.MaxPasswordLen, MaxDisplayName: cfg.MaxDisplayName,
			MaxBio: cfg.MaxBio, MaxAvatarPixels: cfg.MaxAvatarPixels, SessionTTL: cfg.SessionTTL},
		Region: cfg.Region, DefaultMode: cfg.RegistrationMode, Secret: secret, Log: log,
		LoginPerIP:      auth.NewThrottle(cfg.LoginPerIP, cfg.ThrottleWindow, now),
		LoginPerAccount: auth.NewThrottle(cfg.LoginPerAccount, cfg.ThrottleWindow, now),
		SignupPerIP:     auth.NewThrottle(cfg.SignupPerIP, cfg.ThrottleWindow, now),
	})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	version := Version()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	for name, pool := range d.Pools() {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, string(d.Dialect)+"_"+name))
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kurz_build_info", Help: "Always 1; labels say what runs.",
		ConstLabels: prometheus.Labels{"version": version, "engine": string(d.Dialect)}})
	buildInfo.Set(1)
	reg.MustRegister(buildInfo)
	// A deadlock or serialisation failure that InTx ran again (PostgreSQL): the retry hides it
	// from users, so it has to show here.
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kurz_db_tx_retries_total",
		Help: "Write transactions run again after a deadlock or serialisation failure (PostgreSQL)."},
		func() float64 { return float64(d.TxRetries()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kurz_video_cache_hits_total",
		Help: "Rows of videos, renditions and owners a page found in the video cache."},
		func() float64 { h, _ := d.VideoCacheStats(); return float64(h) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kurz_video_cache_misses_total",
		Help: "Rows of videos, renditions and owners a page read from the database."},
		func() float64 { _, m := d.VideoCacheStats(); return float64(m) }))

	jobs := bus.New(d.Jobs(), ids.New, now, log)
	cacheDir := cfg.FFmpegCacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.DataDir, "cache", "wazero")
	}
	media := &lazyMedia{cfg: ffmpeg.Config{Engine: cfg.FFmpeg, Concurrency: cfg.TranscodeWorkers, CacheDir: cacheDir}}
	socialSvc := social.New(social.Deps{Store: d.Social(), Accounts: d.Accounts(), Videos: d.Videos(), NewID: ids.New, Now: now,
		MaxComment: cfg.MaxComment, MaxFilters: 200, PublicURL: cfg.PublicURL(), Log: log})
	feedSvc, err := feed.New(feed.Deps{Events: d.Events(), Accounts: d.Accounts(), Feeds: d.Feeds(),
		Recsys: recsys.DefaultConfig(), Now: now, Region: cfg.Region, Log: log, Settings: d.Settings(), TrendingRefresh: cfg.TrendingRefresh,
		MadeBeforeReady: cfg.UploadTTL + 48*time.Hour,
		Snapshots: feed.SnapshotOptions{Dir: filepath.Join(cfg.DataDir, "recsys"), Every: cfg.RecsysSnapshotEvents,
			Interval: cfg.RecsysSnapshotInterval},
		Limits: feed.Limits{MaxBatch: cfg.MaxEventBatch, MaxPast: cfg.EventMaxAge, MaxFuture: 10 * time.Minute,
			EventsPerMin: cfg.EventsPerMinute, MaxLoops: 50}})
	if err != nil {
		return nil, err
	}
	socialSvc.SetEventLog(feedSvc)
	videos = video.New(video.Deps{
		Videos: d.Videos(), Accounts: d.Accounts(), Relations: socialSvc, Catalogue: feedSvc, Mentions: socialSvc, Blobs: blobs, Bus: jobs, Media: media, NewID: ids.New, Now: now,
		Limits: video.Limits{MaxUploadBytes: int64(cfg.MaxUploadBytes), MaxDuration: cfg.MaxVideoDuration,
			MaxPixels: cfg.MaxVideoPixels, MaxCaption: cfg.MaxCaption, UploadTTL: cfg.UploadTTL,
			FastPathMaxBitrate: int64(cfg.FastPathMaxBitrate), SignedURLTTL: cfg.SignedURLTTL, MaxRendition: cfg.MaxRendition},
		StagingDir: filepath.Join(cfg.DataDir, "uploads"), WorkDir: filepath.Join(cfg.DataDir, "tmp"),
		Secret: secret, Workers: cfg.TranscodeWorkers, Log: log,
	})

	interests := interestProfiler{feed: feedSvc, accounts: d.Accounts()}
	privacySvc := priv.service(cfg, log, d, authSvc, blobs, ids, now, jobs, map[string]privacy.Eraser{"videos": videos, "social": socialSvc, "events": d.Events()},
		map[string]privacy.Exporter{"videos": videoExporter(videos, blobs), "social": socialExporter(d), "history": historyExporter(d),
			"interests": interestsExporter(interests, d)})
	privacySvc.SetInterests(interests)

	// Last, when the account's events are gone from the log: the recommender forgets it.
	privacySvc.RegisterEraser("recsys", feedSvc)

	analyticsSvc := analytics.New(analytics.Deps{Store: d.Analytics(), Videos: d.Videos(), Now: now, Log: log})
	privacySvc.RegisterEraser("analytics", analyticsSvc)

	a := &App{Config: cfg, Log: log, DB: d, Blobs: blobs, IDs: ids, Auth: authSvc, Videos: videos, Bus: jobs,
		Registry: reg, Version: version, media: media, Privacy: privacySvc, Keys: priv.keys, Social: socialSvc, Feed: feedSvc}
	a.Analytics = analyticsSvc
	searchSvc := search.New(search.Deps{Index: d.Search(), Videos: videos, Relations: socialSvc, Now: now, Limits: search.DefaultLimits()})
	a.API = httpapi.New(httpapi.Deps{Config: cfg, Auth: authSvc, Videos: videos, Privacy: privacySvc, Social: socialSvc, Feed: feedSvc, Search: searchSvc, Blobs: blobs, Ready: d.Ping, Registry: reg, Log: log,
		Version: version, Web: webHandler(), Analytics: analyticsSvc})
	return a, nil
}

// Run runs the background work — job workers and periodic sweeps — until ctx ends, then
// waits for running jobs to return.
func (a *App) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { a.Bus.Run(ctx); close(done) }()
	go a.Privacy.Run(ctx, a.Config.PrivacySweep)
	authDone := make(chan struct{})
	go func() { a.Auth.Run(ctx); close(authDone) }() // writes the sessions' last seen on the way out
	go a.Analytics.Run(ctx)
	feedDone := make(chan struct{})
	go func() { a.Feed.Run(ctx); close(feedDone) }() // saves the recommender's state on the way out
	go func() {
		// Once the recommender has caught up, so as not to slow its start.
		select {
		case <-a.Feed.Ready():
		case <-ctx.Done():
			return
		}
		t0 := time.Now()
		if n, err := a.DB.WarmVideoCache(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("warm the video cache", "err", err)
		} else if n > 0 {
			a.Log.Info("video cache warm", "videos", n, "took", time.Since(t0).Round(time.Millisecond))
		}
		a.refreshStatistics(ctx)
	}()
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	stats := time.NewTicker(statisticsEvery)
	defer stats.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			<-feedDone
			<-authDone
			return
		case <-stats.C:
			a.refreshStatistics(ctx)
		case <-tick.C:
			if _, err := a.DB.PruneVideoChanges(ctx); err != nil {
				a.Log.Warn("prune video changes", "err", err)
			}
			if n, err := a.Videos.SweepUploads(ctx); err != nil {
				a.Log.Warn("sweep uploads", "err", err)
			} else if n > 0 {
				a.Log.Info("removed abandoned uploads", "count", n)
			}
		}
	}
}

// statisticsEvery is how often a running server refreshes the query planner's statistics
// (SQLite only; PostgreSQL's autovacuum does its own). Once at start and then daily keeps
// the plans of a growing instance close to those the benchmarks measured, which run with
// statistics, at the cost of a sampled ANALYZE: milliseconds.
const statisticsEvery = 24 * time.Hour

func (a *App) refreshStatistics(ctx context.Context) {
	t0 := time.Now()
	if err := a.DB.RefreshStatistics(ctx); err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("refresh the query planner's statistics", "err", err)
		}
		return
	}
	a.Log.Debug("query planner statistics refreshed", "took", time.Since(t0).Round(time.Millisecond))
}

// Handler is the whole HTTP surface.
func (a *App) Handler() http.Handler { return a.API.Handler() }

// Close stops ffmpeg and releases the database.
func (a *App) Close() error {
	_ = a.media.close(context.Background())
	return a.DB.Close()
}
