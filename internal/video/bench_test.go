package video_test

// The media pipeline benchmarks behind docs/BENCHMARKS.md ("Media pipeline"). They run the
// real service on SQLite and the local file store: upload, the processing job from the
// durable queue, storage. Heavy set-up happens inside the benchmarks only, so the normal
// test suite never pays for it. The runs recorded there (clips are made once, with the
// embedded ffmpeg, under os.TempDir(); the system ffmpeg is measured when it is on PATH):
//
//	go test -run '^$' -bench 'FirstPlayable/.*/upright' -benchtime 5x -timeout 0 ./internal/video
//	go test -run '^$' -bench 'FirstPlayable/.*/rotated' -benchtime 1x -timeout 0 ./internal/video
//	go test -run '^$' -bench 'TranscodeSteps' -benchtime 1x -timeout 0 ./internal/video
//	go test -run '^$' -bench 'FaststartClip' -benchtime 20x ./internal/video
//	go test -run '^$' -bench 'JobPeakMemory' -benchtime 1x -timeout 0 ./internal/video

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/media/ffmpeg"
	"kurz/internal/media/mp4"
	"kurz/internal/policy"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// benchEngines are the ffmpeg engines the pipeline is measured with. The system ffmpeg is
// skipped where it is not installed (CI does not install it).
var benchEngines = []string{ffmpeg.EngineWasm, ffmpeg.EngineNative}

func requireEngine(b *testing.B, engine string) {
	b.Helper()
	if engine != ffmpeg.EngineNative {
		return
	}
	for _, prog := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(prog); err != nil {
			b.Skipf("no %s on PATH: the system ffmpeg is measured only where it is installed", prog)
		}
	}
}

// pipeline is one kurz app on SQLite with its ffmpeg engine forced, and a creator.
type pipeline struct {
	app     *testkit.TestApp
	creator policy.Viewer
}

func newPipeline(tb testing.TB, engine string) *pipeline {
	tb.Helper()
	sqlite := testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}
	a := testkit.NewAppNoWorkers(tb, sqlite, func(c *config.Config) { c.FFmpeg = engine })
	a.Client().SignUp("creator")
	acc, err := a.Auth.AccountByUsername(context.Background(), "creator")
	if err != nil {
		tb.Fatal(err)
	}
	return &pipeline{app: a, creator: policy.Viewer{AccountID: acc.ID, Role: policy.RoleUser}}
}

// run is one upload and its processing job, timed from the moment the upload is complete.
type run struct {
	videoID string
	finish  time.Duration // the request carrying the last byte: sniff, MP4 probe, store, enqueue
	ready   time.Duration // until the video's state is ready: the first playable rendition
	job     time.Duration // until the processing job returned
	// CPU time of this process and its ffmpeg children until ready and over the whole job.
	readyCPU, cpu time.Duration
}

// cpuTime is the user and system CPU time used so far by this process and by its children
// that have ended (the system ffmpeg's runs). Other work on a shared machine stretches the
// wall-clock numbers; this one it leaves nearly alone.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			panic(fmt.Sprintf("getrusage: %v", err)) // only for a bad argument
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}

// loadAverage is the first field of /proc/loadavg, logged beside the timings because other
// work on the machine stretches them.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// upload sends all of path but its last byte, untimed, then times the last byte's request
// (which checks the file, stores it and queues the job) and the processing job. A watcher
// reads the video's state every pollEvery while the job runs, because on the transcode path
// the video becomes ready after its first rendition, well before the job ends.
func (p *pipeline) upload(tb testing.TB, path string) run {
	tb.Helper()
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	size := st.Size()
	svc := p.app.Videos
	up, err := svc.StartUpload(ctx, p.creator, video.Meta{Caption: "bench #kurz", Visibility: "public"}, size)
	if err != nil {
		tb.Fatal(err)
	}
	if _, vid, err := svc.WriteUpload(ctx, p.creator, up.ID, 0, io.NewSectionReader(f, 0, size-1)); err != nil || vid != nil {
		tb.Fatalf("upload all but the last byte: %v %v", vid, err)
	}
	last := io.NewSectionReader(f, size-1, 1)

	cpu0 := cpuTime()
	start := time.Now()
	_, vid, err := svc.WriteUpload(ctx, p.creator, up.ID, size-1, last)
	if err != nil || vid == nil {
		tb.Fatalf("finish upload: %v %v", vid, err)
	}
	r := run{videoID: vid.ID, finish: time.Since(start)}

	const pollEvery = 5 * time.Millisecond
	type moment struct{ wall, cpu time.Duration }
	readyAt := make(chan moment, 1)
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(pollEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				readyAt <- moment{}
				return
			case <-tick.C:
				row, err := p.app.DB.Videos().ByID(ctx, vid.ID)
				if err == nil && row.State == video.StateReady {
					readyAt <- moment{time.Since(start), cpuTime() - cpu0}
					return
				}
			}
		}
	}()
	ran := p.app.Bus.Drain(ctx, video.JobProcess)
	r.job, r.cpu = time.Since(start), cpuTime()-cpu0
	close(stop)
	m := <-readyAt
	r.ready, r.readyCPU = m.wall, m.cpu
	if r.ready == 0 || r.ready > r.job {
		// The job ended before the watcher's next look: the job's end bounds it from above.
		r.ready, r.readyCPU = r.job, r.cpu
	}
	if ran != 1 {
		tb.Fatalf("ran %d processing jobs, want 1", ran)
	}
	if n, _ := p.app.DB.Jobs().Count(ctx, "failed"); n > 0 {
		tb.Fatalf("%d jobs failed", n)
	}
	return r
}

// renditions lists the names of a video's playable files, and fails unless it is ready.
func (p *pipeline) renditions(tb testing.TB, id string) []string {
	tb.Helper()
	v, err := p.app.Videos.Get(context.Background(), p.creator, id)
	if err != nil {
		tb.Fatal(err)
	}
	if v.State != video.StateReady {
		tb.Fatalf("video %s is %s (%s), want ready", id, v.State, v.FailureReason)
	}
	var names []string
	for _, r := range v.Renditions {
		names = append(names, r.Name)
	}
	return names
}

// playable uploads clip and runs its processing job, checks that it took the path the clip
// is for, and deletes the video again (untimed).
func (p *pipeline) playable(b *testing.B, clip benchClip, path string) run {
	b.Helper()
	r := p.upload(b, path)
	got := p.renditions(b, r.videoID)
	want := []string{"original"}
	if clip.Sideways {
		want = []string{"480p", "720p", "1080p"}
	}
	switch {
	case slices.Equal(got, want):
	case clip.Sideways && len(got) > 0 && got[0] == want[0]:
		// Playable, but the job stopped part way: it ran out of its lease.
		b.Logf("the processing job ended after %v with renditions %v only, want %v", r.job.Round(time.Second), got, want)
	default:
		b.Fatalf("renditions %v, want %v: the clip took the wrong path", got, want)
	}
	b.StopTimer()
	if err := p.app.Videos.Delete(context.Background(), p.creator, r.videoID); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return r
}

// BenchmarkFirstPlayable measures the time from upload complete to the first playable
// rendition (state ready) of 1080x1920 30 fps phone clips of 15 and 60 seconds:
//
//   - upright: H.264/AAC, upright, moov at the end. The fast path: a pure-Go faststart remux,
//     no ffmpeg at all (the engine in the name changes nothing; it is there to show that).
//   - rotated: the same picture coded sideways with a 90° display matrix. The transcode path:
//     ffprobe, the poster, then the 480p rendition makes the video ready; the 720p and 1080p
//     renditions follow in the same job.
//
// ns/op is upload complete to ready. job-s/op is upload complete to the end of the
// processing job (for the transcode path: the whole ladder). finish-ms/op is the part spent
// in the request that carried the last byte. ready-cpu-s/op and job-cpu-s/op are the CPU time
// this process and its ffmpeg children spent over the same spans: on a machine shared with
// other work they show the cost that wall time hides. ffmpeg is started (and its compiled code loaded)
// by an untimed warm-up job first, as on a server that has processed a video since it started.
func BenchmarkFirstPlayable(b *testing.B) {
	for _, engine := range benchEngines {
		for _, clip := range []benchClip{{Seconds: 15}, {Seconds: 60}, {Seconds: 15, Sideways: true}, {Seconds: 60, Sideways: true}} {
			b.Run(engine+"/"+clip.String(), func(b *testing.B) {
				requireEngine(b, engine)
				path := clip.path(b)
				st, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("load average at the start: %s on %d CPUs", loadAverage(), runtime.NumCPU())
				p := newPipeline(b, engine)
				if clip.Sideways {
					warm := time.Now()
					w := p.upload(b, benchClip{Seconds: 1, Short: 180, Sideways: true}.path(b))
					b.Logf("warm-up job (starts ffmpeg, %s): %v", engine, time.Since(warm).Round(time.Millisecond))
					p.renditions(b, w.videoID)
				}
				var total run
				n := 0
				for b.Loop() {
					// The body lives in a function: Go 1.26.8's compiler crashes on a tagless
					// switch with an empty case directly inside a b.Loop loop.
					r := p.playable(b, clip, path)
					total.finish += r.finish
					total.ready += r.ready
					total.job += r.job
					total.cpu += r.cpu
					total.readyCPU += r.readyCPU
					n++
				}
				b.ReportMetric(float64(total.ready.Nanoseconds())/float64(n), "ns/op")
				b.ReportMetric(total.job.Seconds()/float64(n), "job-s/op")
				b.ReportMetric(float64(total.finish.Microseconds())/1000/float64(n), "finish-ms/op")
				b.ReportMetric(total.readyCPU.Seconds()/float64(n), "ready-cpu-s/op")
				b.ReportMetric(total.cpu.Seconds()/float64(n), "job-cpu-s/op")
				b.Logf("load average at the end: %s on %d CPUs", loadAverage(), runtime.NumCPU())
				b.ReportMetric(float64(st.Size())/1e6, "MB")
			})
		}
	}
}

// BenchmarkFaststartClip measures the remux alone on the generated upright clips, file to
// file in the same directory, as the fast path runs it: MB/s is source bytes per second.
func BenchmarkFaststartClip(b *testing.B) {
	for _, clip := range []benchClip{{Seconds: 15}, {Seconds: 60}} {
		b.Run(clip.String(), func(b *testing.B) {
			src, err := os.Open(clip.path(b))
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			st, err := src.Stat()
			if err != nil {
				b.Fatal(err)
			}
			// Copy the source next to the output first: the job reads its own scratch copy too.
			dir := b.TempDir()
			local := filepath.Join(dir, "source")
			copyFile(b, local, src)
			in, err := os.Open(local)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			b.SetBytes(st.Size())
			for b.Loop() {
				out, err := os.Create(filepath.Join(dir, "original.mp4"))
				if err != nil {
					b.Fatal(err)
				}
				if err := mp4.Faststart(out, in, st.Size()); err != nil {
					b.Fatal(err)
				}
				if err := out.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func copyFile(tb testing.TB, dst string, src io.Reader) {
	tb.Helper()
	f, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// childEnv names the clip and engine for the child process of BenchmarkJobPeakMemory.
const (
	childClipEnv   = "KURZ_BENCH_CHILD_CLIP"
	childEngineEnv = "KURZ_BENCH_CHILD_ENGINE"
	childResult    = "kurz-bench-child-result "
)

// childMemory is what the child reports about its own memory, in KiB.
type childMemory struct {
	BeforeJobRSS int64 // VmRSS with the app built and the upload stored, before the job
	JobPeakRSS   int64 // VmHWM after the job, the high-water mark having been reset before it
	FFmpegMaxRSS int64 // largest ffmpeg or ffprobe child process (native engine only)
}

// BenchmarkJobPeakMemory measures the peak resident memory of a process that runs one
// processing job. Each iteration starts this test binary again as a child that builds the
// app, stores the upload, resets its RSS high-water mark (echo 5 > /proc/self/clear_refs),
// runs the job and reads VmHWM from /proc/self/status. A fresh process keeps what earlier
// benchmarks left in this one (heaps, compiled ffmpeg) out of the number.
//
// job-peak-MiB is that high-water mark: the whole process, Go runtime, SQLite and ffmpeg in
// WebAssembly included. before-job-MiB is its resident size just before the job. With the
// system ffmpeg, ffmpeg-MiB is the largest ffmpeg/ffprobe process, which runs beside it.
func BenchmarkJobPeakMemory(b *testing.B) {
	cases := []struct {
		engine string
		clip   benchClip
	}{
		{ffmpeg.EngineWasm, benchClip{Seconds: 15}},
		{ffmpeg.EngineWasm, benchClip{Seconds: 60}},
		{ffmpeg.EngineWasm, benchClip{Seconds: 15, Sideways: true}},
		{ffmpeg.EngineNative, benchClip{Seconds: 15, Sideways: true}},
	}
	for _, c := range cases {
		b.Run(c.engine+"/"+c.clip.String(), func(b *testing.B) {
			requireEngine(b, c.engine)
			path := c.clip.path(b)
			var sum childMemory
			n := 0
			for b.Loop() {
				m := runChild(b, path, c.engine)
				sum.BeforeJobRSS += m.BeforeJobRSS
				sum.JobPeakRSS += m.JobPeakRSS
				sum.FFmpegMaxRSS += m.FFmpegMaxRSS
				n++
			}
			mib := func(kib int64) float64 { return float64(kib) / 1024 / float64(n) }
			b.ReportMetric(mib(sum.JobPeakRSS), "job-peak-MiB")
			b.ReportMetric(mib(sum.BeforeJobRSS), "before-job-MiB")
			if c.engine == ffmpeg.EngineNative {
				b.ReportMetric(mib(sum.FFmpegMaxRSS), "ffmpeg-MiB")
			}
		})
	}
}

func runChild(b *testing.B, clip, engine string) childMemory {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPipelineJobChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childClipEnv+"="+clip, childEngineEnv+"="+engine)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child: %v\n%s\n%s", err, out, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), childResult); ok {
			var m childMemory
			if err := json.Unmarshal([]byte(rest), &m); err != nil {
				b.Fatal(err)
			}
			return m
		}
	}
	b.Fatalf("child printed no result:\n%s", out)
	return childMemory{}
}

// TestPipelineJobChild is the child process of BenchmarkJobPeakMemory; on its own it skips.
func TestPipelineJobChild(t *testing.T) {
	clip := os.Getenv(childClipEnv)
	if clip == "" {
		t.Skip("runs only as the child process of BenchmarkJobPeakMemory")
	}
	p := newPipeline(t, os.Getenv(childEngineEnv))
	ctx := context.Background()
	data, err := os.Open(clip)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	st, err := data.Stat()
	if err != nil {
		t.Fatal(err)
	}
	vid, err := p.app.Videos.UploadWhole(ctx, p.creator, video.Meta{Caption: "bench", Visibility: "public"}, data, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var m childMemory
	m.BeforeJobRSS = procStatus(t, "VmRSS")
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset the RSS high-water mark: %v", err)
	}
	if n := p.app.Bus.Drain(ctx, video.JobProcess); n != 1 {
		t.Fatalf("ran %d jobs, want 1", n)
	}
	m.JobPeakRSS = procStatus(t, "VmHWM")
	if len(p.renditions(t, vid.ID)) == 0 {
		t.Fatal("no rendition")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		t.Fatal(err)
	}
	m.FFmpegMaxRSS = ru.Maxrss // KiB on Linux
	j, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(childResult + string(j))
}

// procStatus reads one "Name: N kB" line of /proc/self/status, in KiB.
func procStatus(tb testing.TB, name string) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					tb.Fatal(err)
				}
				return n
			}
		}
	}
	tb.Fatalf("no %s in /proc/self/status", name)
	return 0
}

// BenchmarkTranscodeSteps splits the transcode path's time to first playable into its ffmpeg
// runs on the rotated 15 s clip: ffprobe, the poster, then the 480p rendition the video
// becomes ready with. decode-only reads the whole clip and throws the frames away, to show how
// much of a rendition is decoding the 1080p source; 480p-superfast is the first rendition with
// a faster x264 preset than the default. The runner is started before timing.
func BenchmarkTranscodeSteps(b *testing.B) {
	for _, engine := range benchEngines {
		b.Run(engine, func(b *testing.B) {
			requireEngine(b, engine)
			ctx := context.Background()
			src := benchClip{Seconds: 15, Sideways: true}.path(b)
			r, err := ffmpeg.New(ctx, ffmpeg.Config{Engine: engine, Concurrency: 1, CacheDir: wazeroCacheDir()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close(ctx) })
			pr, err := r.Probe(ctx, src)
			if err != nil {
				b.Fatal(err)
			}
			first := ffmpeg.Ladder(pr.Width, pr.Height, pr.Rotation)[0]
			faster := first
			faster.Preset = "superfast"
			out := b.TempDir()
			steps := []struct {
				name string
				run  func() error
			}{
				{"probe", func() error { _, err := r.Probe(ctx, src); return err }},
				{"poster", func() error {
					return r.Poster(ctx, src, filepath.Join(out, "poster.jpg"), ffmpeg.PosterTime(pr.Duration), 1280)
				}},
				{"decode-only", func() error {
					_, err := r.Run(ctx, ffmpeg.FFmpeg, []string{"-hide_banner", "-loglevel", "error", "-nostdin",
						"-i", src, "-map", "0:v:0", "-f", "null", "-"}, ffmpeg.ReadOnly(filepath.Dir(src)))
					return err
				}},
				{first.Name + "-" + first.Preset, func() error {
					return r.Transcode(ctx, src, filepath.Join(out, "first.mp4"), first, pr.FrameRate)
				}},
				{faster.Name + "-" + faster.Preset, func() error {
					return r.Transcode(ctx, src, filepath.Join(out, "faster.mp4"), faster, pr.FrameRate)
				}},
			}
			for _, step := range steps {
				b.Run(step.name, func(b *testing.B) {
					cpu0 := cpuTime()
					n := 0
					for b.Loop() {
						if err := step.run(); err != nil {
							b.Fatal(err)
						}
						n++
					}
					b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
				})
			}
		})
	}
}
