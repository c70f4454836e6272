package ffmpeg

import (
	"context"
	"errors"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunnerReportsEngine(t *testing.T) {
	r := wasmRunner(t)
	if r.Kind() != EngineWasm {
		t.Errorf("Kind() = %q, want %q", r.Kind(), EngineWasm)
	}
	// go-ffmpreg v0.6.22 embeds ffmpeg n5.1.10.
	if !strings.HasPrefix(r.Version(), "n5.1") {
		t.Errorf("Version() = %q, want the embedded n5.1.x", r.Version())
	}
}

// The embedded build must have everything the ladder asks for; a go-ffmpreg upgrade that
// drops one of them has to fail here, not in production.
func TestEmbeddedBuildHasTheCodecsTheLadderNeeds(t *testing.T) {
	r := wasmRunner(t)
	list := func(what string) string {
		out, err := r.Run(context.Background(), FFmpeg, []string{"-hide_banner", what})
		if err != nil {
			t.Fatalf("ffmpeg %s: %v", what, err)
		}
		return string(out.Stdout)
	}
	has := func(listing, name string) bool {
		for _, line := range strings.Split(listing, "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[1] == name {
				return true
			}
		}
		return false
	}
	encoders, decoders, muxers, filters := list("-encoders"), list("-decoders"), list("-muxers"), list("-filters")
	for _, e := range []string{"libx264", "aac", "mjpeg"} {
		if !has(encoders, e) {
			t.Errorf("no %s encoder", e)
		}
	}
	for _, d := range []string{"h264", "hevc", "aac"} {
		if !has(decoders, d) {
			t.Errorf("no %s decoder", d)
		}
	}
	for _, m := range []string{"mp4", "image2"} {
		if !has(muxers, m) {
			t.Errorf("no %s muxer", m)
		}
	}
	for _, f := range []string{"scale", "fps", "transpose", "setsar"} {
		if !has(filters, f) {
			t.Errorf("no %s filter", f)
		}
	}
}

func TestProbeGoodClips(t *testing.T) {
	// Expected values are the clips' descriptions in shared/media/README.md.
	tests := []struct {
		file                   string
		codec                  string
		width, height          int
		rotation               int
		fps                    float64 // 0: not checked (variable)
		audio                  bool
		minSeconds, maxSeconds float64
	}{
		{"portrait-h264-aac.mp4", "h264", 720, 1280, 0, 30, true, 3.9, 4.1},
		{"moov-at-end.mp4", "h264", 720, 1280, 0, 30, true, 3.9, 4.1},
		{"rotated90-hevc.mov", "hevc", 1280, 720, 90, 30, true, 2.9, 3.1},
		{"no-audio.mp4", "h264", 0, 0, 0, 0, false, 0.5, 60},
		{"fps60.mp4", "h264", 0, 0, 0, 60, true, 0.5, 60},
		// The README says "A/V in sync", but the clip carries no audio track.
		{"vfr.mp4", "h264", 0, 0, 0, 0, false, 0.5, 60},
		{"uhd-hevc.mp4", "hevc", 2160, 3840, 0, 0, false, 0.9, 1.1},
	}
	engines(t, func(t *testing.T, r *Runner) {
		for _, tt := range tests {
			t.Run(tt.file, func(t *testing.T) {
				p, err := r.Probe(context.Background(), clip(t, tt.file))
				if err != nil {
					t.Fatalf("Probe: %v", err)
				}
				if !p.HasVideo || p.VideoCodec != tt.codec {
					t.Errorf("video %v %q, want %q", p.HasVideo, p.VideoCodec, tt.codec)
				}
				if tt.width != 0 && (p.Width != tt.width || p.Height != tt.height) {
					t.Errorf("size %dx%d, want %dx%d", p.Width, p.Height, tt.width, tt.height)
				}
				if p.Rotation != tt.rotation {
					t.Errorf("rotation %d, want %d", p.Rotation, tt.rotation)
				}
				if w, h := p.DisplaySize(); w >= h {
					t.Errorf("display size %dx%d, want portrait", w, h)
				}
				if tt.fps != 0 && math.Abs(p.FrameRate-tt.fps) > 0.01 {
					t.Errorf("frame rate %v, want %v", p.FrameRate, tt.fps)
				}
				if p.HasAudio != tt.audio || (tt.audio && p.AudioCodec != "aac") {
					t.Errorf("audio %v %q, want %v aac", p.HasAudio, p.AudioCodec, tt.audio)
				}
				if s := p.Duration.Seconds(); s < tt.minSeconds || s > tt.maxSeconds {
					t.Errorf("duration %v, want %v..%vs", p.Duration, tt.minSeconds, tt.maxSeconds)
				}
				if p.Bitrate <= 0 || p.PixelFormat == "" || p.FrameRate <= 0 {
					t.Errorf("bitrate %d, pixel format %q, frame rate %v: want all known", p.Bitrate, p.PixelFormat, p.FrameRate)
				}
			})
		}
		t.Run("profiles are named on every engine", func(t *testing.T) {
			p, err := r.Probe(context.Background(), clip(t, "portrait-h264-aac.mp4"))
			if err != nil {
				t.Fatal(err)
			}
			if p.VideoProfile != "High" || p.AudioProfile != "LC" {
				t.Errorf("profiles %q/%q, want High/LC", p.VideoProfile, p.AudioProfile)
			}
		})
	})
}

func TestProbeAudioOnly(t *testing.T) {
	engines(t, func(t *testing.T, r *Runner) {
		p, err := r.Probe(context.Background(), clip(t, "audio-only.m4a"))
		if err != nil {
			t.Fatalf("Probe: %v", err)
		}
		if p.HasVideo || !p.HasAudio || p.AudioCodec != "aac" {
			t.Errorf("got video %v, audio %v %q; want audio only", p.HasVideo, p.HasAudio, p.AudioCodec)
		}
	})
}

func TestProbeRefusesBrokenFiles(t *testing.T) {
	tests := []struct{ file, reason string }{
		{"truncated.mp4", "incomplete"},
		{"text.mp4", "invalid data"},
		{"jpeg-renamed.mp4", "still image"},
		{"empty.mp4", "empty"},
	}
	engines(t, func(t *testing.T, r *Runner) {
		for _, tt := range tests {
			t.Run(tt.file, func(t *testing.T) {
				path := clip(t, tt.file)
				p, err := r.Probe(context.Background(), path)
				var ue *UndecodableError
				if !errors.As(err, &ue) || !errors.Is(err, ErrUndecodable) {
					t.Fatalf("Probe = %+v, %v; want an *UndecodableError", p, err)
				}
				if !strings.Contains(strings.ToLower(ue.Reason), tt.reason) {
					t.Errorf("reason %q does not mention %q", ue.Reason, tt.reason)
				}
				if strings.Contains(ue.Reason, filepath.Dir(path)) {
					t.Errorf("reason %q leaks the server path", ue.Reason)
				}
			})
		}
	})
}

func TestProbeMissingFileIsNotUndecodable(t *testing.T) {
	_, err := wasmRunner(t).Probe(context.Background(), filepath.Join(t.TempDir(), "gone.mp4"))
	if err == nil || errors.Is(err, ErrUndecodable) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a not-exist error that is not ErrUndecodable", err)
	}
}

// The phone case end to end: a portrait clip stored sideways in HEVC, with a GPS position and
// the phone's model in its tags, becomes an upright H.264 High/AAC 480p MP4 with its index in
// front, a keyframe every two seconds and none of those tags; its poster is upright too.
func TestTranscodeRotatedHEVC(t *testing.T) {
	engines(t, func(t *testing.T, r *Runner) {
		ctx := context.Background()
		dir := t.TempDir()
		src := filepath.Join(dir, "upload.mov")
		// Stream copy keeps the display matrix; the tags stand in for what a phone writes.
		_, err := r.Run(ctx, FFmpeg, []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
			"-i", clip(t, "rotated90-hevc.mov"), "-map", "0", "-c", "copy",
			"-metadata", "location=+52.5200+013.4050/", "-metadata", "com.apple.quicktime.model=iPhone 15",
			"-movflags", "+use_metadata_tags", src},
			ReadOnly(mediaDir(t)), Writable(dir))
		if err != nil {
			t.Fatalf("prepare tagged upload: %v", err)
		}
		var srcTags struct {
			Format struct{ Tags map[string]string } `json:"format"`
		}
		probeJSONOf(t, r, src, &srcTags, "-show_format")
		if srcTags.Format.Tags["location"] == "" {
			t.Fatalf("the prepared upload has no location tag to strip: %v", srcTags.Format.Tags)
		}

		p, err := r.Probe(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rotation != 90 {
			t.Fatalf("upload rotation %d, want 90", p.Rotation)
		}
		ladder := Ladder(p.Width, p.Height, p.Rotation)
		if len(ladder) == 0 || ladder[0].Name != "480p" {
			t.Fatalf("ladder %+v, want 480p first", ladder)
		}
		out := filepath.Join(dir, "out", "480p.mp4")
		if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := r.Transcode(ctx, src, out, ladder[0], p.FrameRate); err != nil {
			t.Fatalf("Transcode: %v", err)
		}

		got, err := r.Probe(ctx, out)
		if err != nil {
			t.Fatalf("probe the rendition: %v", err)
		}
		if got.VideoCodec != "h264" || got.VideoProfile != "High" || got.PixelFormat != "yuv420p" {
			t.Errorf("video %s %s %s, want h264 High yuv420p", got.VideoCodec, got.VideoProfile, got.PixelFormat)
		}
		if !got.HasAudio || got.AudioCodec != "aac" || got.AudioChannels != 2 {
			t.Errorf("audio %v %s %d channels, want stereo aac", got.HasAudio, got.AudioCodec, got.AudioChannels)
		}
		if got.Width != 480 || got.Height != 854 || got.Rotation != 0 {
			t.Errorf("rendition %dx%d turned %d, want upright 480x854", got.Width, got.Height, got.Rotation)
		}
		if math.Abs(got.Duration.Seconds()-p.Duration.Seconds()) > 0.1 {
			t.Errorf("duration %v, source %v", got.Duration, p.Duration)
		}

		if boxes := topLevelBoxes(t, out); slices.Index(boxes, "moov") > slices.Index(boxes, "mdat") {
			t.Errorf("boxes %v: moov after mdat, not faststart", boxes)
		}

		var detail struct {
			Streams []struct {
				CodecType    string            `json:"codec_type"`
				Tags         map[string]string `json:"tags"`
				SideDataList []map[string]any  `json:"side_data_list"`
			} `json:"streams"`
			Format struct{ Tags map[string]string } `json:"format"`
		}
		probeJSONOf(t, r, out, &detail, "-show_format", "-show_streams")
		for k := range detail.Format.Tags {
			if !slices.Contains([]string{"major_brand", "minor_version", "compatible_brands"}, k) {
				t.Errorf("rendition keeps container tag %s=%q", k, detail.Format.Tags[k])
			}
		}
		for _, s := range detail.Streams {
			for k, v := range s.Tags {
				switch k {
				case "handler_name", "vendor_id", "language":
				case "encoder":
					// The MP4 sample entry names the encoder that wrote it: ours, not the phone's.
					if !strings.HasPrefix(v, "Lavc") || strings.Contains(v, "libx265") {
						t.Errorf("%s stream keeps the source's encoder %q", s.CodecType, v)
					}
				default:
					t.Errorf("%s stream keeps tag %s=%q", s.CodecType, k, v)
				}
			}
			for _, sd := range s.SideDataList {
				if rot, ok := sd["rotation"].(float64); ok && rot != 0 {
					t.Errorf("%s stream keeps a rotation of %v", s.CodecType, rot)
				}
			}
		}

		var frames struct {
			Packets []struct {
				PTSTime string `json:"pts_time"`
				Flags   string `json:"flags"`
			} `json:"packets"`
		}
		probeJSONOf(t, r, out, &frames, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags")
		var keys []float64
		for _, pk := range frames.Packets {
			if strings.HasPrefix(pk.Flags, "K") {
				keys = append(keys, parseFloat(pk.PTSTime))
			}
		}
		// A 3 s clip: keyframes at 0 s and 2 s.
		if len(keys) < 2 || keys[0] > 0.05 || math.Abs(keys[1]-2) > 0.05 {
			t.Errorf("keyframes at %v s, want 0 and 2", keys)
		}

		poster := filepath.Join(dir, "out", "poster.jpg")
		if err := r.Poster(ctx, src, poster, PosterTime(p.Duration), 640); err != nil {
			t.Fatalf("Poster: %v", err)
		}
		f, err := os.Open(poster)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := jpeg.Decode(f)
		if err != nil {
			t.Fatalf("poster is not a JPEG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 360 || b.Dy() != 640 {
			t.Errorf("poster %dx%d, want upright 360x640", b.Dx(), b.Dy())
		}
	})
}

// A poster never upscales: asking for more than the source has gives the source's size.
func TestPosterKeepsSmallSourcesAtTheirSize(t *testing.T) {
	r := wasmRunner(t)
	out := filepath.Join(t.TempDir(), "poster.jpg")
	if err := r.Poster(context.Background(), clip(t, "portrait-h264-aac.mp4"), out, 1, 4000); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := jpeg.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 720 || cfg.Height != 1280 {
		t.Errorf("poster %dx%d, want the source's 720x1280", cfg.Width, cfg.Height)
	}
}

func TestRunFailureIsExitError(t *testing.T) {
	r := wasmRunner(t)
	dir := t.TempDir()
	_, err := r.Run(context.Background(), FFmpeg, []string{"-hide_banner", "-loglevel", "error",
		"-i", filepath.Join(dir, "missing.mp4"), filepath.Join(dir, "out.mp4")}, Writable(dir))
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code == 0 || exit.Program != FFmpeg {
		t.Fatalf("err = %v, want an *ExitError from ffmpeg", err)
	}
	if !strings.Contains(exit.Stderr, "No such file") {
		t.Errorf("stderr %q does not say what failed", exit.Stderr)
	}
}

// Only mounted directories exist inside the sandbox, and read-only mounts stay read-only.
func TestWasmSeesOnlyItsMounts(t *testing.T) {
	r := wasmRunner(t)
	ctx := context.Background()
	in := clip(t, "portrait-h264-aac.mp4")
	if _, err := r.Run(ctx, FFprobe, []string{"-loglevel", "error", in}); err == nil {
		t.Error("ffprobe read a clip from a directory that was not mounted")
	}
	ro := t.TempDir()
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", in, "-t", "0.2", "-c", "copy"}
	if _, err := r.Run(ctx, FFmpeg, append(args, filepath.Join(ro, "copy.mp4")), ReadOnly(mediaDir(t)), ReadOnly(ro)); err == nil {
		t.Error("ffmpeg wrote into a read-only mount")
	}
	if _, err := os.Stat(filepath.Join(ro, "copy.mp4")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file appeared in the read-only mount: %v", err)
	}
	if _, err := r.Run(ctx, FFmpeg, append(args, filepath.Join(ro, "copy.mp4")), ReadOnly(mediaDir(t)), Writable(ro)); err != nil {
		t.Errorf("ffmpeg could not write into a writable mount: %v", err)
	}
}

func TestRunRejectsRelativeMounts(t *testing.T) {
	_, err := wasmRunner(t).Run(context.Background(), FFprobe, []string{"-version"}, ReadOnly("media"))
	if err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("err = %v, want a refusal of the relative mount", err)
	}
}

// Cancelling a run stops the WebAssembly module mid-transcode, and a run that cannot get a
// slot in the pool gives up when its context ends.
func TestRunCancellationAndPool(t *testing.T) {
	wasmRunner(t) // skips without the embedded build, and fills the compilation cache
	r, err := New(context.Background(), Config{Engine: EngineWasm, CacheDir: testCacheDir(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })

	dir := t.TempDir()
	in := clip(t, "uhd-hevc.mp4")
	// Looping the input makes a transcode that would run for minutes.
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-stream_loop", "-1", "-i", in,
		"-c:v", "libx264", "-preset", "medium", "-f", "mp4", filepath.Join(dir, "long.mp4")}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx, FFmpeg, args, ReadOnly(mediaDir(t)), Writable(dir))
		done <- err
	}()
	// Wait until the long run holds the only slot.
	for len(r.slots) == 0 {
		time.Sleep(10 * time.Millisecond)
	}

	waitCtx, waitCancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer waitCancel()
	_, err = r.Run(waitCtx, FFprobe, []string{"-version"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "slot") {
		t.Errorf("second run with the pool full: %v, want a deadline while waiting for a slot", err)
	}

	time.Sleep(300 * time.Millisecond) // let the transcode get going
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled run returned %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop after its context was cancelled")
	}

	// The slot is free again.
	if _, err := r.Run(context.Background(), FFprobe, []string{"-version"}); err != nil {
		t.Errorf("run after cancellation: %v", err)
	}
}
