package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kurz/internal/app"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/feed"
	"kurz/internal/policy"
	"kurz/internal/recsys"
	"kurz/internal/testkit"
)

// snapWorld is a running kurz with two viewers, ann and bob, whose watching is in the log.
type snapWorld struct {
	t        *testing.T
	a        *testkit.TestApp
	ann, bob string
	videos   int
}

func newSnapWorld(t *testing.T, e testkit.Engine, tweak func(*config.Config)) *snapWorld {
	t.Helper()
	a := testkit.NewAppNoWorkers(t, e, tweak)
	w := &snapWorld{t: t, a: a}
	w.ann = w.account("ann")
	w.bob = w.account("bob")
	return w
}

func (w *snapWorld) account(name string) string {
	w.t.Helper()
	acc, err := w.a.Auth.CreateAccount(context.Background(), name, "correct horse battery", policy.RoleUser)
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.ID
}

// watch logs a new video and the viewer watching it to the end and liking it.
func (w *snapWorld) watch(viewer string, n int) {
	w.t.Helper()
	now := w.a.Clock.Now()
	var rows []*db.EventRow
	for range n {
		w.videos++
		vid := fmt.Sprintf("vid%05d", w.videos)
		rows = append(rows,
			&db.EventRow{At: now, ClientAt: now, Kind: "video_published", VideoID: vid, CreatorID: "creator1", DurationMS: 10000,
				Extra: `{"hashtags":["cats"],"region":"eu"}`},
			&db.EventRow{At: now, ClientAt: now, Kind: "impression", AccountID: viewer, VideoID: vid, CreatorID: "creator1", DurationMS: 10000},
			&db.EventRow{At: now, ClientAt: now, Kind: "complete", AccountID: viewer, VideoID: vid, CreatorID: "creator1", WatchMS: 10000, DurationMS: 10000},
			&db.EventRow{At: now, ClientAt: now, Kind: "like", AccountID: viewer, VideoID: vid, CreatorID: "creator1", DurationMS: 10000})
	}
	if _, err := w.a.DB.Events().Append(context.Background(), rows); err != nil {
		w.t.Fatal(err)
	}
}

func (w *snapWorld) dir() string { return filepath.Join(w.a.Config.DataDir, "recsys") }

func (w *snapWorld) snapshots() []string {
	w.t.Helper()
	m, err := filepath.Glob(filepath.Join(w.dir(), "recsys-*.snap"))
	if err != nil {
		w.t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// restart builds a second kurz on the same database and data directory, as a restarted
// process would be, and lets it catch up with the log.
func (w *snapWorld) restart() *app.App {
	w.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := app.New(context.Background(), w.a.Config, log, w.a.DB, w.a.Clock.Now)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := b.Feed.CatchUp(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return b
}

func catchUp(t *testing.T, s *feed.Service) {
	t.Helper()
	if err := s.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotRestoresAndReplaysOnlyTheTail(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newSnapWorld(t, e, nil)
			w.watch(w.ann, 5)
			w.watch(w.bob, 1) // the snapshot ends with bob's event, which stays in the log
			catchUp(t, w.a.Feed)
			if err := w.a.Feed.WriteSnapshot(ctx); err != nil {
				t.Fatal(err)
			}
			files := w.snapshots()
			if len(files) != 1 {
				t.Fatalf("snapshots after one write: %v", files)
			}
			if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("snapshot file %v mode %v: it holds learned profiles and must be private", err, fi.Mode())
			}
			w.watch(w.bob, 4) // after the snapshot: replayed at restart

			// Take ann's events out of the log behind the service's back (no erasure, so no
			// new generation). A restart that used the snapshot still knows ann; one that
			// replayed the whole log could not.
			if err := w.a.DB.Events().EraseAccount(ctx, w.ann); err != nil {
				t.Fatal(err)
			}
			b := w.restart()
			if p := b.Feed.Recommender().Profile(w.ann, 0); !p.Known || !p.TasteVector {
				t.Fatalf("ann after a restart from the snapshot: %+v; want her learned profile back", p)
			}
			if p := b.Feed.Recommender().Profile(w.bob, 0); !p.Known || p.Views != 5 {
				t.Fatalf("bob: %+v; want his view from the snapshot and the 4 after it replayed", p)
			}
			if got, want := b.Feed.Seq(), w.a.Feed.Seq(); got < want {
				t.Fatalf("restarted service follows the log up to %d, want at least %d", got, want)
			}
		})
	}
}

func TestUnusableSnapshotsFallBackToTheLog(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newSnapWorld(t, e, nil)
			w.watch(w.ann, 5)
			catchUp(t, w.a.Feed)
			if err := w.a.Feed.WriteSnapshot(ctx); err != nil {
				t.Fatal(err)
			}
			good := w.snapshots()[0]
			data, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			w.watch(w.bob, 3)
			cases := map[string]func() []byte{
				"flipped byte": func() []byte {
					b := slices.Clone(data)
					b[len(b)/2] ^= 0x40
					return b
				},
				"truncated":   func() []byte { return data[:len(data)*2/3] },
				"not a model": func() []byte { return []byte("hello\n") },
				"bad header": func() []byte {
					return []byte(strings.Replace(string(data), `"seq":`, `"seq":"x",`, 1))
				},
			}
			for name, bad := range cases {
				t.Run(name, func(t *testing.T) {
					if err := os.WriteFile(good, bad(), 0o600); err != nil {
						t.Fatal(err)
					}
					b := w.restart() // must not fail
					for _, who := range []string{w.ann, w.bob} {
						if p := b.Feed.Recommender().Profile(who, 0); !p.Known {
							t.Fatalf("%s unknown after falling back to the log: %+v", who, p)
						}
					}
				})
			}

			// A snapshot of a recommender with another config is not loaded either.
			if err := os.WriteFile(good, data, 0o600); err != nil {
				t.Fatal(err)
			}
			other := recsys.DefaultConfig()
			other.EmbeddingDim++
			s, err := feed.New(feed.Deps{Events: w.a.DB.Events(), Accounts: w.a.DB.Accounts(),
				Feeds: w.a.DB.Feeds(), Recsys: other, Now: w.a.Clock.Now,
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Settings: w.a.DB.Settings(),
				Snapshots: feed.SnapshotOptions{Dir: w.dir()}})
			if err != nil {
				t.Fatal(err)
			}
			catchUp(t, s)
			if p := s.Recommender().Profile(w.bob, 0); !p.Known {
				t.Fatalf("bob unknown to a recommender with another config: %+v", p)
			}
		})
	}
}

func TestErasedAccountIsNotRestoredFromAnOlderSnapshot(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newSnapWorld(t, e, nil)
			admin, err := w.a.Auth.CreateAccount(ctx, "chief", "correct horse battery", policy.RoleAdmin)
			if err != nil {
				t.Fatal(err)
			}
			w.watch(w.ann, 5)
			w.watch(w.bob, 5)
			catchUp(t, w.a.Feed)
			if p := w.a.Feed.Recommender().Profile(w.ann, 0); !p.Known || !p.TasteVector {
				t.Fatalf("ann before erasure: %+v; the test needs her learned vector", p)
			}
			if err := w.a.Feed.WriteSnapshot(ctx); err != nil {
				t.Fatal(err)
			}
			before := w.snapshots()
			if len(before) != 1 {
				t.Fatalf("snapshots: %v", before)
			}
			old, err := os.ReadFile(before[0])
			if err != nil {
				t.Fatal(err)
			}

			if err := w.a.Privacy.EraseNow(ctx, policy.Viewer{AccountID: admin.ID, Role: policy.RoleAdmin}, w.ann); err != nil {
				t.Fatal(err)
			}
			if left := w.snapshots(); len(left) != 0 {
				t.Fatalf("snapshots learned before the erasure are still on disk: %v", left)
			}
			// The running service forgets her once it has rebuilt from the log.
			catchUp(t, w.a.Feed)
			if p := w.a.Feed.Recommender().Profile(w.ann, 0); p.Known || p.TasteVector {
				t.Fatalf("erased ann still in the running model: %+v", p)
			}
			if p := w.a.Feed.Recommender().Profile(w.bob, 0); !p.Known || !p.TasteVector {
				t.Fatalf("bob lost by the rebuild: %+v", p)
			}
			after := w.snapshots()
			if len(after) != 1 {
				t.Fatalf("the rebuild should leave one fresh snapshot, found %v", after)
			}

			// A copy of the snapshot from before the erasure comes back (a backup, another
			// replica's disk, a crash between the erasure and the deletion), and it is the
			// newest file. A restart must still not bring ann back.
			for _, f := range after {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(before[0], old, 0o600); err != nil {
				t.Fatal(err)
			}
			b := w.restart()
			if p := b.Feed.Recommender().Profile(w.ann, 0); p.Known || p.TasteVector {
				t.Fatalf("erased ann came back from a snapshot taken before the erasure: %+v", p)
			}
			if p := b.Feed.Recommender().Profile(w.bob, 0); !p.Known || p.Views != 5 {
				t.Fatalf("bob after the restart: %+v", p)
			}
			if _, err := os.Stat(before[0]); !os.IsNotExist(err) {
				t.Fatalf("the stale snapshot should be deleted at start, stat: %v", err)
			}
		})
	}
}

func TestRunWritesSnapshotsOnScheduleAndAtShutdown(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			w := newSnapWorld(t, e, func(c *config.Config) {
				c.RecsysSnapshotEvents = 20
				c.RecsysSnapshotInterval = 0
			})
			done := make(chan struct{})
			go func() { w.a.Feed.Run(ctx); close(done) }()
			<-w.a.Feed.Ready()
			w.watch(w.ann, 6) // 24 events: past the threshold of 20
			catchUp(t, w.a.Feed)
			deadline := time.Now().Add(30 * time.Second)
			for len(w.snapshots()) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if len(w.snapshots()) == 0 {
				t.Fatal("no snapshot after more events than recsys-snapshot-events")
			}
			w.watch(w.bob, 2) // below the threshold: only the shutdown saves these
			catchUp(t, w.a.Feed)
			last := w.a.Feed.Recommender().Seq()
			stop()
			<-done
			files := w.snapshots()
			if len(files) == 0 || len(files) > 2 {
				t.Fatalf("snapshots after shutdown: %v (want the newest two at most)", files)
			}
			f, err := os.Open(files[len(files)-1])
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			head := make([]byte, 512)
			n, _ := io.ReadFull(f, head)
			_, line, _ := strings.Cut(string(head[:n]), "\n")
			line, _, _ = strings.Cut(line, "\n")
			var h struct {
				Seq uint64 `json:"seq"`
			}
			if err := json.Unmarshal([]byte(line), &h); err != nil {
				t.Fatalf("snapshot header %q: %v", line, err)
			}
			if h.Seq != last {
				t.Fatalf("snapshot at shutdown covers seq %d, the model had applied %d", h.Seq, last)
			}
		})
	}
}
