package ffmpeg

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// go test -run '^$' -bench . -benchtime 3x ./internal/media/ffmpeg
//
// The transcode benchmarks report x_realtime: seconds of clip transcoded per second of wall
// time (above 1 is faster than playback).

func BenchmarkTranscodeFirstRendition(b *testing.B) {
	for _, eng := range []struct {
		name   string
		runner func(testing.TB) *Runner
	}{{EngineWasm, wasmRunner}, {EngineNative, nativeRunner}} {
		for _, file := range []string{"portrait-h264-aac.mp4", "rotated90-hevc.mov"} {
			for _, preset := range []string{DefaultPreset, "superfast"} {
				b.Run(eng.name+"/"+file+"/"+preset, func(b *testing.B) {
					r := eng.runner(b)
					benchmarkTranscode(b, r, clip(b, file), preset)
				})
			}
		}
	}
}

func benchmarkTranscode(b *testing.B, r *Runner, in, preset string) {
	ctx := context.Background()
	p, err := r.Probe(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	rend := Ladder(p.Width, p.Height, p.Rotation)[0]
	rend.Preset = preset
	out := filepath.Join(b.TempDir(), rend.Name+".mp4")
	var n int
	start := time.Now()
	for b.Loop() {
		if err := r.Transcode(ctx, in, out, rend, p.FrameRate); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(p.Duration.Seconds()*float64(n)/time.Since(start).Seconds(), "x_realtime")
}

func BenchmarkProbe(b *testing.B) {
	ctx := context.Background()
	in := clip(b, "rotated90-hevc.mov")
	b.Run(EngineWasm, func(b *testing.B) {
		r := wasmRunner(b)
		for b.Loop() {
			if _, err := r.Probe(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(EngineNative, func(b *testing.B) {
		r := nativeRunner(b)
		for b.Loop() {
			if _, err := r.Probe(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNewWasmRunner measures a process start: "cold" compiles the embedded build into an
// empty cache directory (seconds; one iteration is enough), "warm" loads it from the cache.
func BenchmarkNewWasmRunner(b *testing.B) {
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			r, err := New(ctx, Config{Engine: EngineWasm, CacheDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			_ = r.Close(ctx)
		}
	})
	b.Run("warm", func(b *testing.B) {
		wasmRunner(b) // fills the shared cache if this is the first use
		for b.Loop() {
			r, err := New(ctx, Config{Engine: EngineWasm, CacheDir: testCacheDir()})
			if err != nil {
				b.Fatal(err)
			}
			_ = r.Close(ctx)
		}
	})
}
