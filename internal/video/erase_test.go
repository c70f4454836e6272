package video_test

// Erasure against work in flight: a processing job that is making a video's files while
// the video's account is erased, and a resumable upload whose bytes arrive while it is
// erased, must leave nothing behind — no file, no row, no event. Each test stops the work
// at a chosen step (a fake ffmpeg, a reader) and erases the account right there.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/blob"
	"kurz/internal/bus"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/media/ffmpeg"
	"kurz/internal/policy"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// stepMedia is ffmpeg played by the test: each step writes a small file, and a hook can
// run once at any step ("probe", "poster", "transcode <rung>") before it does.
type stepMedia struct {
	mu    sync.Mutex
	hooks map[string]func()
	steps []string
}

func (m *stepMedia) at(step string) {
	m.mu.Lock()
	f := m.hooks[step]
	delete(m.hooks, step)
	m.steps = append(m.steps, step)
	m.mu.Unlock()
	if f != nil {
		f()
	}
}

func (m *stepMedia) Probe(_ context.Context, _ string) (*ffmpeg.ProbeResult, error) {
	m.at("probe")
	return &ffmpeg.ProbeResult{Format: "matroska,webm", Duration: 3 * time.Second, HasVideo: true, VideoCodec: "vp9",
		Width: 720, Height: 1280, FrameRate: 30}, nil
}

func (m *stepMedia) Poster(_ context.Context, _, out string, _ float64, _ int) error {
	m.at("poster")
	return os.WriteFile(out, []byte("poster bytes"), 0o600)
}

func (m *stepMedia) Transcode(_ context.Context, _, out string, r ffmpeg.Rendition, _ float64) error {
	m.at("transcode " + r.Name)
	return os.WriteFile(out, []byte("rendition "+r.Name), 0o600)
}

// hookedBlobs runs a hook once, on the first DeletePrefix of a given prefix, right after it.
type hookedBlobs struct {
	blob.Store
	mu     sync.Mutex
	prefix string
	after  func()
}

func (b *hookedBlobs) DeletePrefix(ctx context.Context, prefix string) error {
	err := b.Store.DeletePrefix(ctx, prefix)
	b.mu.Lock()
	f := b.after
	if prefix != b.prefix {
		f = nil
	} else {
		b.after = nil
	}
	b.mu.Unlock()
	if f != nil {
		f()
	}
	return err
}

type catalogue struct {
	mu        sync.Mutex
	published []string
}

func (c *catalogue) Updated(context.Context, string, []string, string) {}

func (c *catalogue) Published(_ context.Context, videoID, _ string, _ int64, _ []string, _, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.published = append(c.published, videoID)
}

func (c *catalogue) Removed(context.Context, string) {}

type noRelations struct{}

func (noRelations) Relation(context.Context, string, string) (policy.Relation, error) {
	return policy.Relation{}, nil
}

func (noRelations) Relations(context.Context, string, []string) (map[string]policy.Relation, error) {
	return map[string]policy.Relation{}, nil
}

type eraseRig struct {
	t       *testing.T
	d       *db.DB
	blobs   *hookedBlobs
	media   *stepMedia
	cat     *catalogue
	jobs    *bus.Bus
	svc     *video.Service
	dir     string
	clock   time.Time
	owner   policy.Viewer
	staging string
	// announced is how many videos were announced when the erasure began: that many may
	// have been, while the account was active; none may be after.
	announced int
}

func newEraseRig(t *testing.T, e testkit.Engine) *eraseRig {
	t.Helper()
	r := &eraseRig{t: t, d: e.Open(t), dir: t.TempDir(), media: &stepMedia{hooks: map[string]func(){}}, cat: &catalogue{},
		clock: time.Now().UTC()}
	fs, err := blob.NewFS(filepath.Join(r.dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	r.blobs = &hookedBlobs{Store: fs}
	ids := id.NewGenerator()
	now := func() time.Time { return r.clock }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r.jobs = bus.New(r.d.Jobs(), ids.New, now, log)
	r.staging = filepath.Join(r.dir, "uploads")
	r.svc = video.New(video.Deps{Videos: r.d.Videos(), Accounts: r.d.Accounts(), Relations: noRelations{}, Catalogue: r.cat,
		Blobs: r.blobs, Bus: r.jobs, Media: r.media, NewID: ids.New, Now: now,
		Limits: video.Limits{MaxUploadBytes: 1 << 20, MaxDuration: time.Minute, MaxPixels: 1920 * 1920, MaxCaption: 500,
			UploadTTL: time.Hour, FastPathMaxBitrate: 1 << 30, SignedURLTTL: time.Hour},
		StagingDir: r.staging, WorkDir: filepath.Join(r.dir, "tmp"), Secret: bytes.Repeat([]byte{7}, 32), Workers: 1, Log: log})
	acc := &db.AccountRow{ID: ids.New(), Username: "leaver", Role: "user", State: "active", Personalised: true,
		CreatedAt: r.clock, UpdatedAt: r.clock}
	if err := r.d.Accounts().Create(context.Background(), acc); err != nil {
		t.Fatal(err)
	}
	r.owner = policy.Viewer{AccountID: acc.ID, Role: policy.RoleUser}
	return r
}

// webm is a file the upload check accepts and leaves to ffmpeg (here, the fake).
func webm(marker string) []byte {
	b := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, []byte(marker)...)
	return append(b, bytes.Repeat([]byte{0}, 2048)...)
}

// erase does what the privacy service's purge does with the video service: the account is
// marked as being deleted, its videos and uploads go, then the account row.
func (r *eraseRig) erase() {
	r.t.Helper()
	ctx := context.Background()
	r.cat.mu.Lock()
	r.announced = len(r.cat.published)
	r.cat.mu.Unlock()
	if err := r.d.Erasure().Schedule(ctx, db.DeletionRow{AccountID: r.owner.AccountID, RequestedBy: "owner", RequestedAt: r.clock, PurgeAt: r.clock}, true); err != nil {
		r.t.Fatal(err)
	}
	if err := r.svc.EraseAccount(ctx, r.owner.AccountID); err != nil {
		r.t.Fatal(err)
	}
	if err := r.d.Erasure().PurgeAccount(ctx, r.owner.AccountID); err != nil {
		r.t.Fatal(err)
	}
}

// nothingLeft checks no file, row or announcement of the video (or of any upload) remains.
func (r *eraseRig) nothingLeft(videoID string) {
	r.t.Helper()
	ctx := context.Background()
	if files, _ := r.blobs.List(ctx, "videos"); len(files) != 0 {
		r.t.Errorf("files left after erasure: %v", files)
	}
	if _, err := r.d.Videos().ByID(ctx, videoID); !errors.Is(err, db.ErrNotFound) {
		r.t.Errorf("video row: %v", err)
	}
	if rends, _ := r.d.Videos().Renditions(ctx, videoID); len(rends) != 0 {
		r.t.Errorf("rendition rows left: %v", rends)
	}
	for _, dir := range []string{r.staging, filepath.Join(r.dir, "tmp")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			r.t.Errorf("%s left in %s", e.Name(), dir)
		}
	}
	r.cat.mu.Lock()
	defer r.cat.mu.Unlock()
	if len(r.cat.published) != r.announced {
		r.t.Errorf("a video was announced during or after its account's erasure: %v, %d before", r.cat.published, r.announced)
	}
}

// process runs the queued jobs, then, an hour later, whatever a failure would have retried:
// a job whose video was erased ends cleanly, it is not retried.
func (r *eraseRig) process() (first, retried int) {
	ctx := context.Background()
	first = r.jobs.Drain(ctx, video.JobProcess, video.JobLadder)
	r.clock = r.clock.Add(time.Hour)
	return first, r.jobs.Drain(ctx, video.JobProcess, video.JobLadder)
}

func TestProcessingDuringErasureLeavesNothing(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			// The first rendition is the processing job's; the ladder job makes the next.
			for step, jobs := range map[string]int{"probe": 1, "poster": 1, "transcode 480p": 1, "transcode 720p": 2} {
				t.Run("erased at "+step, func(t *testing.T) {
					r := newEraseRig(t, e)
					v, err := r.svc.UploadWhole(context.Background(), r.owner, video.Meta{Caption: "mine #erase", Visibility: "public"},
						bytes.NewReader(webm("source")), -1)
					if err != nil {
						t.Fatal(err)
					}
					r.media.hooks[step] = r.erase
					first, retried := r.process()
					if first != jobs || retried != 0 {
						t.Fatalf("%d jobs ran, then %d retries (want %d, 0); steps %v", first, retried, jobs, r.media.steps)
					}
					if !strings.Contains(strings.Join(r.media.steps, ","), step) {
						t.Fatalf("the job never reached %s: %v", step, r.media.steps)
					}
					r.nothingLeft(v.ID)
				})
			}
			t.Run("a job that finishes first still leaves nothing", func(t *testing.T) {
				r := newEraseRig(t, e)
				v, err := r.svc.UploadWhole(context.Background(), r.owner, video.Meta{Caption: "done", Visibility: "public"},
					bytes.NewReader(webm("source")), -1)
				if err != nil {
					t.Fatal(err)
				}
				// Deletion asked for, then the job runs to the end within the grace period: the
				// video is made, but not announced while its owner is being deleted.
				ctx := context.Background()
				if err := r.d.Erasure().Schedule(ctx, db.DeletionRow{AccountID: r.owner.AccountID, RequestedBy: "owner", RequestedAt: r.clock, PurgeAt: r.clock.Add(time.Hour)}, false); err != nil {
					t.Fatal(err)
				}
				if first, _ := r.process(); first != 2 {
					t.Fatalf("%d jobs ran, want the processing and the ladder job", first)
				}
				if row, err := r.d.Videos().ByID(ctx, v.ID); err != nil || row.State != video.StateReady {
					t.Fatalf("the video was not made: %v %v", row, err)
				}
				r.erase()
				r.nothingLeft(v.ID)
				if r.announced != 0 {
					t.Fatalf("the video of an account being deleted was announced: %v", r.cat.published)
				}
			})
			t.Run("a file stored between the purge's file and row deletions", func(t *testing.T) {
				r := newEraseRig(t, e)
				v, err := r.svc.UploadWhole(context.Background(), r.owner, video.Meta{Caption: "race", Visibility: "public"},
					bytes.NewReader(webm("source")), -1)
				if err != nil {
					t.Fatal(err)
				}
				// A job's write lands right after the purge deleted the video's files, before
				// it deletes the row.
				r.blobs.mu.Lock()
				r.blobs.prefix = "videos/" + v.ID
				r.blobs.after = func() {
					if _, err := r.blobs.Store.Put(context.Background(), "videos/"+v.ID+"/360p.mp4", strings.NewReader("late rendition")); err != nil {
						t.Error(err)
					}
				}
				r.blobs.mu.Unlock()
				r.erase()
				r.nothingLeft(v.ID)
			})
		})
	}
}

// slowReader hands out its bytes and runs a hook once, after the first read: the account
// is erased while the upload's bytes are arriving.
type slowReader struct {
	r    io.Reader
	hook func()
}

func (s *slowReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.hook != nil {
		h := s.hook
		s.hook = nil
		h()
	}
	return n, err
}

func TestUnfinishedUploadsAreErased(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newEraseRig(t, e)
			data := webm("PARTIAL-MARKER-0123456789")
			up, err := r.svc.StartUpload(ctx, r.owner, video.Meta{Caption: "half way", Visibility: "public"}, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := r.svc.WriteUpload(ctx, r.owner, up.ID, 0, bytes.NewReader(data[:1000])); err != nil {
				t.Fatal(err)
			}
			// A second upload is erased while its first bytes are arriving.
			up2, err := r.svc.StartUpload(ctx, r.owner, video.Meta{Caption: "in flight", Visibility: "public"}, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			part, _ := os.ReadFile(filepath.Join(r.staging, up.ID+".part"))
			if !bytes.Contains(part, []byte("PARTIAL-MARKER")) {
				t.Fatalf("the partial file is not where the test looks: %q", part)
			}
			_, _, err = r.svc.WriteUpload(ctx, r.owner, up2.ID, 0, &slowReader{r: bytes.NewReader(data[:1500]), hook: r.erase})
			if !errs.Is(err, errs.KindNotFound) {
				t.Fatalf("a write to an upload erased meanwhile: %v", err)
			}
			for _, u := range []*video.Upload{up, up2} {
				if _, err := r.d.Videos().Upload(ctx, u.ID); !errors.Is(err, db.ErrNotFound) {
					t.Errorf("upload row %s: %v", u.ID, err)
				}
				r.nothingLeft(u.VideoID)
			}
			if _, err := os.Stat(r.staging); err != nil {
				t.Fatalf("the staging folder itself went: %v", err)
			}
		})
	}
}
