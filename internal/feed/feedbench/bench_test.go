package feedbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/app"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/testkit"
)

// BenchmarkFeedHTTP is issue 5's performance table: one run seeds the database, starts kurz
// behind a real HTTP server on 127.0.0.1 and measures every row, then prints a markdown
// table. Run it alone (it saturates the machine on purpose):
//
//	go test -run '^$' -bench FeedHTTP -benchtime 1x -timeout 0 ./internal/feed/feedbench/
//
// KURZ_BENCH_ENGINE=postgres runs it on PostgreSQL (KURZ_TEST_POSTGRES or the test
// server); KURZ_BENCH_SCALE=small runs a tenth of the scale, for a quick look.
func BenchmarkFeedHTTP(b *testing.B) {
	for range b.N {
		runFeedHTTP(b)
	}
}

type row struct{ measure, result, goal string }

func runFeedHTTP(b *testing.B) {
	ctx := context.Background()
	sc := IssueScale
	if os.Getenv("KURZ_BENCH_SCALE") == "small" {
		sc = Scale{Videos: 10_000, Viewers: 1_000, Events: 100_000, Topics: 50, Seed: 2026}
	}
	// Settings come from KURZ_* variables as for kurz serve (e.g. KURZ_SQLITE_READERS=8).
	cfg, err := config.Load(nil, os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	engine := "sqlite"
	var d *db.DB
	if os.Getenv("KURZ_BENCH_ENGINE") == "postgres" {
		engine = "postgres"
		u := os.Getenv("KURZ_TEST_POSTGRES")
		if u == "" {
			u = testkit.DefaultPostgresURL
		}
		d = testkit.OpenPostgres(b, u)
	} else {
		o := app.DBOptions(cfg)
		o.URL, o.DataDir = "", b.TempDir()
		d, err = db.Open(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		engine = fmt.Sprintf("sqlite, %d readers, video cache %d", cfg.SQLiteReaders, cfg.VideoCache)
	}
	var rows []row
	add := func(measure, result, goal string) {
		rows = append(rows, row{measure, result, goal})
		b.Logf("%s: %s", measure, result)
	}

	t0 := time.Now()
	world, err := Seed(ctx, d, sc, time.Now().UTC())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d videos, %d viewers, %d events on %s in %v", sc.Videos, sc.Viewers, sc.Events, engine, time.Since(t0).Round(time.Millisecond))
	debug.FreeOSMemory()
	ResetPeak()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	cfg.DataDir = b.TempDir()
	cfg.FFmpegCacheDir = filepath.Join(os.TempDir(), "kurz-test-wazero-cache")
	cfg.EventsPerMinute = 1 << 30 // the rate limit per session is not what is measured
	cfg.RecsysSnapshotEvents, cfg.RecsysSnapshotInterval = 0, 0

	// The serving process: the whole app, its background work included.
	t0 = time.Now()
	a, err := app.New(ctx, cfg, log, d, nil)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { a.Run(runCtx); close(ran) }()
	<-a.Feed.Ready()
	firstStart := time.Since(t0)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, peak := Memory()
	add("first start, whole log, beside the other log followers", secs(firstStart), "")
	add("memory after the replay (process RSS / Go heap in use / peak RSS during it)",
		fmt.Sprintf("%d MiB / %d MiB / %d MiB", rss>>20, ms.HeapInuse>>20, peak>>20), "≤ 1 GiB RSS")
	// The creator analytics follow the same log and replay it too; let them finish, so the
	// figures below are of a server in its steady state.
	if err := a.Analytics.CatchUp(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("analytics caught up %v after start", time.Since(t0).Round(time.Millisecond))
	phasePeaks := []string{}
	phase := func(name string) {
		_, p := Memory()
		phasePeaks = append(phasePeaks, fmt.Sprintf("%s %d", name, p>>20))
		ResetPeak()
	}
	phase("start")

	t0 = time.Now()
	if err := a.Feed.WriteSnapshot(ctx); err != nil {
		b.Fatal(err)
	}
	snapTook := time.Since(t0)
	snaps, _ := filepath.Glob(filepath.Join(cfg.DataDir, "recsys", "recsys-*.snap"))
	var snapSize int64
	if len(snaps) > 0 {
		if fi, err := os.Stat(snaps[0]); err == nil {
			snapSize = fi.Size()
		}
	}
	add("snapshot written (fsynced)", fmt.Sprintf("%s, %d MiB", secs(snapTook), snapSize>>20), "")

	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	if err := CheckLoopback(srv.URL); err != nil {
		b.Fatal(err)
	}

	// for_you, one viewer after another: latency without queueing.
	client := NewClient(64)
	forYou := func(ctx context.Context, viewer int) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/feed/for_you", nil)
		req.Header.Set("Authorization", "Bearer "+world.Viewers[viewer].Token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("for_you: %d %s", resp.StatusCode, body)
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("for_you: empty page")
		}
		return nil
	}
	perm := rand.New(rand.NewPCG(1, 2)).Perm(len(world.Viewers))
	seq := Load(ctx, 1, 1000, 60*time.Second, func(ctx context.Context, _, i int) error { return forYou(ctx, perm[i%len(perm)]) })
	check(b, "for_you sequential", seq)
	phase("sequential")
	add("for_you latency, one client (p50 / p99)", fmt.Sprintf("%s / %s (%d requests)", msec(seq.Percentile(0.5)), msec(seq.Percentile(0.99)), seq.Calls), "p99 ≤ 30 ms")

	// for_you, 32 clients at once: throughput, and latency when the server is saturated.
	stopProfile := profile(b, "for_you")
	par := Load(ctx, 32, 20000, 30*time.Second, func(ctx context.Context, _, i int) error { return forYou(ctx, perm[i%len(perm)]) })
	stopProfile()
	check(b, "for_you parallel", par)
	phase("parallel")
	add("for_you throughput, 32 clients", fmt.Sprintf("%.0f requests/s (p50 %s, p99 %s)", par.Rate(), msec(par.Percentile(0.5)), msec(par.Percentile(0.99))), "≥ 2,000 requests/s")
	if h, m := d.VideoCacheStats(); h+m > 0 {
		b.Logf("video cache after the for_you phases: %d rows found, %d read (%.1f%% hits)", h, m, 100*float64(h)/float64(h+m))
	}

	// The Trending tab: what computing a region's ranking costs (every video of its two
	// weeks, once per --trending-refresh), then pages of it from 32 clients.
	t0 = time.Now()
	ranked, err := d.Feeds().Trending(ctx, cfg.Region, time.Now(), cfg.UploadTTL+48*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	rankTook := time.Since(t0)
	trending := func(ctx context.Context, viewer int) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/feed/trending", nil)
		req.Header.Set("Authorization", "Bearer "+world.Viewers[viewer].Token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("trending: %d %s", resp.StatusCode, body)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("trending: empty page")
		}
		return nil
	}
	tr := Load(ctx, 32, 5000, 10*time.Second, func(ctx context.Context, _, i int) error { return trending(ctx, perm[i%len(perm)]) })
	check(b, "trending", tr)
	phase("trending")
	add("Trending tab: the region's ranking computed / 32 clients", fmt.Sprintf("%d videos in %s / %.0f requests/s (p99 %s)",
		len(ranked), msec(rankTook), tr.Rate(), msec(tr.Percentile(0.99))), "")

	// Event ingestion: batches of 100 from many clients, each acknowledged after commit.
	ingestRNG := sync.Pool{New: func() any { return rand.New(rand.NewPCG(rand.Uint64(), 3)) }}
	post := func(ctx context.Context, viewer int, events []map[string]any) error {
		body, _ := json.Marshal(map[string]any{"events": events})
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+world.Viewers[viewer].Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			msg, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("events: %d %s", resp.StatusCode, msg)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	batch := func(n int) (int, []map[string]any) {
		rng := ingestRNG.Get().(*rand.Rand)
		defer ingestRNG.Put(rng)
		viewer := rng.IntN(len(world.Viewers))
		now := time.Now().UTC().Format(time.RFC3339Nano)
		evs := make([]map[string]any, 0, n)
		for len(evs) < n {
			v := world.Videos[rng.IntN(len(world.Videos))]
			for _, k := range []string{"impression", "play_start", "progress", "complete"} {
				if len(evs) == n {
					break
				}
				e := map[string]any{"kind": k, "key": EventKey(rng, time.Now().UnixMilli()), "at": now, "video_id": v.ID, "feed": "for_you"}
				if k == "progress" || k == "complete" {
					e["watch_ms"], e["position_ms"] = v.DurationMS/2, v.DurationMS/2
				}
				evs = append(evs, e)
			}
		}
		return viewer, evs
	}
	stopProfile = profile(b, "events")
	ing := Load(ctx, 8, 2000, 30*time.Second, func(ctx context.Context, _, _ int) error {
		viewer, evs := batch(100)
		return post(ctx, viewer, evs)
	})
	stopProfile()
	check(b, "ingestion", ing)
	phase("ingestion")
	add("event ingestion, batches of 100, 8 clients", fmt.Sprintf("%.0f events/s (batch p50 %s, p99 %s)", 100*ing.Rate(), msec(ing.Percentile(0.5)), msec(ing.Percentile(0.99))), "≥ 20,000 events/s")

	// Freshness: from the acknowledgement of an event to the recommender having applied it.
	pool := d.Pools()["readers"]
	if pool == nil {
		pool = d.Pools()["main"]
	}
	fresh := func(samples int) (Result, error) {
		var res Result
		for range samples {
			viewer, evs := batch(1)
			key := evs[0]["key"].(string)
			if err := post(ctx, viewer, evs); err != nil {
				return res, err
			}
			acked := time.Now()
			var seq int64
			if err := pool.QueryRowContext(ctx, d.Q(`SELECT seq FROM events WHERE idem_key = ?`), key).Scan(&seq); err != nil {
				return res, err
			}
			deadline := acked.Add(30 * time.Second)
			for int64(a.Feed.Recommender().Seq()) < seq && time.Now().Before(deadline) {
				time.Sleep(200 * time.Microsecond)
			}
			res.Latencies = append(res.Latencies, time.Since(acked))
			time.Sleep(20 * time.Millisecond)
		}
		res.Calls = len(res.Latencies)
		slices.Sort(res.Latencies)
		return res, nil
	}
	idle, err := fresh(100)
	if err != nil {
		b.Fatal(err)
	}
	add("event-to-feed freshness, idle (p50 / max)", fmt.Sprintf("%s / %s", msec(idle.Percentile(0.5)), msec(idle.Latencies[len(idle.Latencies)-1])), "≤ 1 s")
	bgCtx, stopBg := context.WithCancel(ctx)
	bgDone := make(chan Result)
	go func() {
		bgDone <- Load(bgCtx, 4, 1<<30, 60*time.Second, func(ctx context.Context, _, _ int) error {
			viewer, evs := batch(100)
			return post(ctx, viewer, evs)
		})
	}()
	busy, err := fresh(100)
	stopBg()
	bg := <-bgDone
	if err != nil {
		b.Fatal(err)
	}
	add("event-to-feed freshness, during ingestion (p50 / max)", fmt.Sprintf("%s / %s (beside %.0f events/s)", msec(busy.Percentile(0.5)),
		msec(busy.Latencies[len(busy.Latencies)-1]), 100*bg.Rate()), "≤ 1 s")
	phase("freshness")
	add("peak process RSS by phase, MiB (server and load generator)", strings.Join(phasePeaks, ", "), "≤ 1 GiB")

	// Cold starts of the recommender alone, while the serving process idles.
	cold := func(dataDir string) (time.Duration, int64) {
		c := *cfg
		c.DataDir = dataDir
		c.MasterKeyFile = filepath.Join(cfg.DataDir, "master.key")
		t0 := time.Now()
		x, err := app.New(ctx, &c, log, d, nil)
		if err != nil {
			b.Fatal(err)
		}
		fctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { x.Feed.Run(fctx); close(done) }()
		<-x.Feed.Ready()
		took := time.Since(t0)
		replayed := x.Feed.Seq()
		stop()
		<-done
		return took, replayed
	}
	var logLen int64
	if err := pool.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&logLen); err != nil {
		b.Fatal(err)
	}
	stopProfile = profile(b, "coldstart")
	noSnap, _ := cold(b.TempDir())
	stopProfile()
	add("cold start without a snapshot", fmt.Sprintf("%s (%d events replayed)", secs(noSnap), logLen), "≤ 10 s")
	withSnap, _ := cold(cfg.DataDir)
	tail := logLen - int64(sc.Events)
	add("cold start from the snapshot taken before ingestion", fmt.Sprintf("%s (%d events after it replayed)", secs(withSnap), tail), "≤ 10 s")
	stopRun()
	<-ran // a clean shutdown saves a snapshot at the head of the log
	atHead, _ := cold(cfg.DataDir)
	add("cold start after a clean shutdown (snapshot at the head)", secs(atHead), "≤ 10 s")

	host, _ := os.Hostname()
	fmt.Printf("\n%s, %s, %d CPUs, %s, scale %d videos / %d viewers / %d events, %s, load average %s\n\n",
		time.Now().UTC().Format("2006-01-02"), engine, runtime.NumCPU(), runtime.Version(), sc.Videos, sc.Viewers, sc.Events, host, loadAvg())
	fmt.Println("| measure | result | goal |")
	fmt.Println("|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.measure, r.result, r.goal)
	}
	fmt.Println()
	b.ReportMetric(float64(seq.Percentile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(par.Rate(), "req/s")
	b.ReportMetric(100*ing.Rate(), "events/s")
}

// profile writes a CPU profile of one phase to $KURZ_BENCH_PROFILE/<name>.pprof when that
// variable names a directory.
func profile(b *testing.B, name string) func() {
	dir := os.Getenv("KURZ_BENCH_PROFILE")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	runtime.SetBlockProfileRate(int(100 * time.Microsecond))
	runtime.SetMutexProfileFraction(10)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		for _, kind := range []string{"block", "mutex"} {
			if f, err := os.Create(filepath.Join(dir, name+"."+kind+".pprof")); err == nil {
				_ = pprof.Lookup(kind).WriteTo(f, 0)
				f.Close()
			}
		}
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
	}
}

func check(b *testing.B, what string, r Result) {
	b.Helper()
	if r.Errors > 0 {
		b.Fatalf("%s: %d of %d calls failed; first: %v", what, r.Errors, r.Errors+r.Calls, r.FirstError)
	}
	if r.Calls == 0 {
		b.Fatalf("%s: no call finished", what)
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func msec(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
