package db_test

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// cacheFixture is a database with an account and a ready video, and a second handle on
// the same database, as a second kurz process would hold it.
type cacheFixture struct {
	d, other *db.DB
	owner    *db.AccountRow
	video    string
	ids      *id.Generator
}

func newCacheFixture(t *testing.T, e testkit.Engine) cacheFixture {
	t.Helper()
	ctx := context.Background()
	d := e.Open(t)
	f := cacheFixture{d: d, other: testkit.Reopen(t, d), ids: id.NewGenerator()}
	f.owner = newAccount(f.ids, "owner")
	if err := d.Accounts().Create(ctx, f.owner); err != nil {
		t.Fatal(err)
	}
	f.video = f.addVideo(t, "first", []string{"cats"})
	return f
}

func (f cacheFixture) addVideo(t *testing.T, caption string, tags []string) string {
	t.Helper()
	now := time.Now().UTC()
	v := &db.VideoRow{ID: f.ids.New(), AccountID: f.owner.ID, Caption: caption, Visibility: "public", State: "ready",
		CreatedAt: now, UpdatedAt: now, Hashtags: tags}
	up := &db.UploadRow{ID: f.ids.New(), AccountID: f.owner.ID, VideoID: v.ID, Length: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := f.d.Videos().CreateWithUpload(context.Background(), v, up); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// holdOpen runs stmt in a transaction of d and keeps it open until commit is called, which
// waits for the commit.
func holdOpen(t *testing.T, d *db.DB, stmt string, args ...any) (commit func()) {
	t.Helper()
	ctx := context.Background()
	inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var runs atomic.Int32
	go func() {
		done <- d.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.Exec(ctx, stmt, args...); err != nil {
				return err
			}
			if runs.Add(1) == 1 {
				close(inside)
			}
			<-release
			return nil
		})
	}()
	select {
	case <-inside:
	case err := <-done:
		t.Fatalf("open a transaction: %v", err)
	}
	return func() {
		t.Helper()
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// read is what a page of videos reads of one video through the cache.
func read(t *testing.T, d *db.DB, videoID, ownerID string) (*db.VideoRow, []*db.RenditionRow, *db.AccountRow) {
	t.Helper()
	ctx := context.Background()
	vs, err := d.Videos().ByIDs(ctx, []string{videoID})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := d.Videos().RenditionsOf(ctx, []string{videoID})
	if err != nil {
		t.Fatal(err)
	}
	os, err := d.Videos().Owners(ctx, []string{ownerID})
	if err != nil {
		t.Fatal(err)
	}
	return vs[videoID], rs[videoID], os[ownerID]
}

// Every change another process makes to a cached video, its hashtags, its renditions or its
// owner shows in the next read, and a deleted video is gone; the reads in between come from
// memory.
func TestVideoCacheSeesEveryChangeOfAnotherProcess(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			read(t, f.d, f.video, f.owner.ID) // loads
			hits, _ := f.d.VideoCacheStats()
			v, rs, o := read(t, f.d, f.video, f.owner.ID)
			if h, _ := f.d.VideoCacheStats(); h-hits != 3 {
				t.Fatalf("the second read found %d of its 3 rows in memory", h-hits)
			}
			if v.Caption != "first" || len(rs) != 0 || o.State != "active" {
				t.Fatalf("before: caption %q, %d renditions, owner %s", v.Caption, len(rs), o.State)
			}

			now := time.Now().UTC()
			caption, private := "second #dogs", "private"
			if err := f.other.Videos().Update(ctx, f.video, db.VideoEdit{Caption: &caption, Hashtags: []string{"dogs"}, Visibility: &private}, now); err != nil {
				t.Fatal(err)
			}
			if v, _, _ = read(t, f.d, f.video, f.owner.ID); v.Caption != caption || v.Visibility != "private" || !reflect.DeepEqual(v.Hashtags, []string{"dogs"}) {
				t.Fatalf("after an edit elsewhere: %q %s %v", v.Caption, v.Visibility, v.Hashtags)
			}
			if err := f.other.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: f.video, Name: "360p", BlobKey: "k", Width: 360, Height: 640, CreatedAt: now}, now); err != nil {
				t.Fatal(err)
			}
			if _, rs, _ = read(t, f.d, f.video, f.owner.ID); len(rs) != 1 || rs[0].Name != "360p" {
				t.Fatalf("after a rendition elsewhere: %+v", rs)
			}
			if err := f.other.Accounts().SetState(ctx, f.owner.ID, "suspended", now); err != nil {
				t.Fatal(err)
			}
			if _, _, o = read(t, f.d, f.video, f.owner.ID); o.State != "suspended" {
				t.Fatalf("after a suspension elsewhere: owner %s", o.State)
			}
			if err := f.other.Videos().Delete(ctx, f.video); err != nil {
				t.Fatal(err)
			}
			if v, rs, _ = read(t, f.d, f.video, f.owner.ID); v != nil || len(rs) != 0 {
				t.Fatalf("after a deletion elsewhere: %+v, %d renditions", v, len(rs))
			}
		})
	}
}

// A read that loaded a row before another process changed it must not keep it once a
// poll has dropped that row: the old row would then be served until the next change.
func TestVideoCacheKeepsNoRowOlderThanItsLastChange(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			old, _, _ := read(t, f.d, f.video, f.owner.ID)
			gen := db.VideoCacheGen(f.d) // a read begins...
			caption := "changed"
			if err := f.other.Videos().Update(ctx, f.video, db.VideoEdit{Caption: &caption}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if v, _, _ := read(t, f.d, f.video, f.owner.ID); v.Caption != caption { // another read polls
				t.Fatalf("caption %q after the change", v.Caption)
			}
			db.VideoCacheKeep(f.d, gen, old) // ...and the first one keeps what it loaded
			if v, _, _ := read(t, f.d, f.video, f.owner.ID); v.Caption != caption {
				t.Fatalf("caption %q: a read from before the change kept its row", v.Caption)
			}
		})
	}
}

// On PostgreSQL, sequence numbers are not in commit order: a change made in a transaction
// that began first and commits last has the smaller seq. The cache follows the changes by
// transaction, so it still sees it.
func TestVideoCacheSeesATransactionThatCommitsLate(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		if e.Name != "postgres" {
			continue // SQLite has one writer: changes commit in seq order
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			early := f.addVideo(t, "early", nil)
			read(t, f.d, f.video, f.owner.ID)
			read(t, f.d, early, f.owner.ID)

			commit := holdOpen(t, f.other, `UPDATE videos SET caption = 'late' WHERE id = ?`, f.video)
			caption := "early, changed"
			if err := f.other.Videos().Update(ctx, early, db.VideoEdit{Caption: &caption}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if v, _, _ := read(t, f.d, early, f.owner.ID); v.Caption != caption {
				t.Fatalf("caption %q after the first commit", v.Caption)
			}
			commit()
			if v, _, _ := read(t, f.d, f.video, f.owner.ID); v.Caption != "late" {
				t.Fatalf("caption %q: the change that committed last was missed", v.Caption)
			}
		})
	}
}

// Changes are pruned after a while; a process that has not polled for half that while
// forgets its cache instead of missing a pruned change.
func TestVideoCacheForgetsAfterAnIdleSpellAndPruning(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			read(t, f.d, f.video, f.owner.ID)
			caption := "while idle"
			if err := f.other.Videos().Update(ctx, f.video, db.VideoEdit{Caption: &caption}, time.Now()); err != nil {
				t.Fatal(err)
			}
			// Age every change past the horizon and prune them, as another process would.
			if err := f.other.InTx(ctx, func(tx *db.Tx) error { return tx.Exec(ctx, `UPDATE video_changes SET at = 0`) }); err != nil {
				t.Fatal(err)
			}
			n, err := f.other.PruneVideoChanges(ctx)
			if err != nil || n == 0 {
				t.Fatalf("pruned %d changes: %v", n, err)
			}
			fresh := "fresh"
			if err := f.other.Videos().Update(ctx, f.addVideo(t, "x", nil), db.VideoEdit{Caption: &fresh}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if n, err := f.other.PruneVideoChanges(ctx); err != nil || n != 0 {
				t.Fatalf("pruned %d recent changes: %v", n, err)
			}
			later := time.Now().Add(db.VideoChangesKept)
			db.SetVideoCacheClock(f.d, func() time.Time { return later })
			if v, _, _ := read(t, f.d, f.video, f.owner.ID); v.Caption != caption {
				t.Fatalf("caption %q after an idle spell: a pruned change was missed", v.Caption)
			}
		})
	}
}

// Page reads what ByIDs, RenditionsOf and Owners read, with one poll of the changes.
func TestVideoCachePageIsTheThreeReads(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			second := f.addVideo(t, "second", []string{"b", "a"})
			now := time.Now().UTC()
			if err := f.d.Videos().AddRendition(ctx, &db.RenditionRow{VideoID: second, Name: "720p", BlobKey: "k2", Width: 720, Height: 1280, CreatedAt: now}, now); err != nil {
				t.Fatal(err)
			}
			ids := []string{f.video, second, "no-such-video", second}
			for round := range 2 { // from the database, then from memory
				p, err := f.d.Videos().Page(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				vs, _ := f.d.Videos().ByIDs(ctx, ids)
				rs, _ := f.d.Videos().RenditionsOf(ctx, []string{f.video, second})
				os, _ := f.d.Videos().Owners(ctx, []string{f.owner.ID})
				if !reflect.DeepEqual(p.Videos, vs) || !reflect.DeepEqual(p.Renditions, rs) || !reflect.DeepEqual(p.Owners, os) {
					t.Fatalf("round %d: Page %+v\nthree reads %+v %+v %+v", round, p, vs, rs, os)
				}
				if len(p.Videos) != 2 || len(p.Renditions[second]) != 1 || p.Owners[f.owner.ID] == nil {
					t.Fatalf("round %d: %d videos, renditions %v, owners %v", round, len(p.Videos), p.Renditions, p.Owners)
				}
			}
		})
	}
}

// Warming reads the newest ready videos, up to the cache's size, so that the next page of
// them is served from memory.
func TestWarmVideoCacheReadsTheNewestVideos(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, db.Options{DataDir: dir, Readers: 2, VideoCache: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ids := id.NewGenerator()
	owner := newAccount(ids, "owner")
	if err := d.Accounts().Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	var vids []string
	for range 5 {
		vids = append(vids, addVideo(t, d, ids, owner.ID, "clip", "tag"))
	}
	n, err := d.WarmVideoCache(ctx)
	if err != nil || n != 3 {
		t.Fatalf("warmed %d videos: %v", n, err)
	}
	h0, m0 := d.VideoCacheStats()
	if _, err := d.Videos().Page(ctx, vids[2:]); err != nil { // the three newest
		t.Fatal(err)
	}
	if h, m := d.VideoCacheStats(); m != m0 || h-h0 != 7 { // 3 videos, 3 renditions, 1 owner
		t.Fatalf("after warming: %d found, %d read", h-h0, m-m0)
	}
}

// Readers poll side by side while another process edits a video: every read that begins
// after an edit has committed sees that edit or a later one.
func TestVideoCacheUnderConcurrentReadsAndEdits(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newCacheFixture(t, e)
			var committed atomic.Int64 // the last edit known to have committed
			stop := make(chan struct{})
			errc := make(chan error, 4)
			for range 4 {
				go func() {
					for {
						select {
						case <-stop:
							errc <- nil
							return
						default:
						}
						want := committed.Load()
						vs, err := f.d.Videos().ByIDs(ctx, []string{f.video})
						if err != nil {
							errc <- err
							return
						}
						var got int64
						if _, err := fmt.Sscanf(vs[f.video].Caption, "edit %d", &got); err != nil && want > 0 {
							errc <- fmt.Errorf("caption %q after edit %d", vs[f.video].Caption, want)
							return
						}
						if got < want {
							errc <- fmt.Errorf("read edit %d after edit %d had committed", got, want)
							return
						}
					}
				}()
			}
			for i := int64(1); i <= 100; i++ {
				caption := fmt.Sprintf("edit %d", i)
				if err := f.other.Videos().Update(ctx, f.video, db.VideoEdit{Caption: &caption}, time.Now()); err != nil {
					t.Fatal(err)
				}
				committed.Store(i)
			}
			close(stop)
			for range 4 {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// On PostgreSQL a transaction left open anywhere on the server holds every snapshot's xmin
// back, so polls read the changes after it again and again. Those committed before the cache
// started are in every read: they must not drop what the cache holds.
func TestVideoCacheKeepsItsRowsWhileATransactionStaysOpen(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		if e.Name != "postgres" {
			continue // SQLite has no snapshot horizon
		}
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			d := e.Open(t)
			other := testkit.Reopen(t, d)
			commit := holdOpen(t, other, `INSERT INTO instance_settings (key, value) VALUES ('held', 'open')`)
			f := cacheFixture{d: d, other: other, ids: id.NewGenerator()}
			f.owner = newAccount(f.ids, "owner")
			if err := d.Accounts().Create(ctx, f.owner); err != nil {
				t.Fatal(err)
			}
			f.video = f.addVideo(t, "tagged", []string{"cats"}) // a change row after the open transaction
			read(t, d, f.video, f.owner.ID)
			hits, _ := d.VideoCacheStats()
			read(t, d, f.video, f.owner.ID)
			h, _ := d.VideoCacheStats()
			commit()
			if h-hits != 3 {
				t.Fatalf("the second read found %d of its 3 rows in memory", h-hits)
			}
		})
	}
}
