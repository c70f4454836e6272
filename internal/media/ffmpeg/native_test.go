package ffmpeg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeTools puts shell scripts named ffmpeg and ffprobe first on PATH. They are not media
// tools: they exercise the os/exec plumbing (version, exit status, stderr, cancellation) on
// machines without ffmpeg, where the media tests of the native engine skip.
func fakeTools(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts stand in for ffmpeg here")
	}
	dir := t.TempDir()
	script := `#!/bin/sh
case "$*" in
  *-version*) echo "ffmpeg version 9.9-fake Copyright (c) the FFmpeg developers"; echo "configuration: none" ;;
  *sleep*) exec sleep 30 ;;
  *) echo "[mov,mp4 @ 0x55] moov atom not found" >&2; echo "$1: Invalid data found when processing input" >&2; exit 183 ;;
esac
`
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestNativeEnginePlumbing(t *testing.T) {
	fakeTools(t)
	ctx := context.Background()
	r, err := New(ctx, Config{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != EngineNative || r.Version() != "9.9-fake" {
		t.Errorf("auto engine chose %q version %q, want native 9.9-fake", r.Kind(), r.Version())
	}

	_, err = r.Run(ctx, FFprobe, []string{"/data/in.mp4"})
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 183 || exit.Program != FFprobe {
		t.Fatalf("err = %v, want ffprobe's exit status 183", err)
	}
	if want := "moov atom not found; /data/in.mp4: Invalid data found when processing input"; exit.Stderr != want {
		t.Errorf("stderr %q, want %q", exit.Stderr, want)
	}

	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = r.Run(cctx, FFmpeg, []string{"sleep"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the process was not killed when its context ended")
	}
}

func TestNewEngineChoice(t *testing.T) {
	ctx := context.Background()
	t.Run("native without ffmpeg on PATH fails", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := New(ctx, Config{Engine: EngineNative}); err == nil || !strings.Contains(err.Error(), "PATH") {
			t.Errorf("err = %v, want a refusal naming PATH", err)
		}
	})
	t.Run("auto without ffmpeg on PATH runs the embedded build", func(t *testing.T) {
		wasmRunner(t) // fill the shared compilation cache first
		t.Setenv("PATH", t.TempDir())
		r, err := New(ctx, Config{CacheDir: testCacheDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(ctx)
		if r.Kind() != EngineWasm {
			t.Errorf("Kind() = %q, want wasm", r.Kind())
		}
	})
	t.Run("wasm is chosen even with ffmpeg on PATH", func(t *testing.T) {
		wasmRunner(t)
		fakeTools(t)
		r, err := New(ctx, Config{Engine: EngineWasm, CacheDir: testCacheDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(ctx)
		if r.Kind() != EngineWasm || !strings.HasPrefix(r.Version(), "n5.1") {
			t.Errorf("Kind() = %q, Version() = %q; want the embedded build", r.Kind(), r.Version())
		}
	})
	t.Run("unknown engine", func(t *testing.T) {
		if _, err := New(ctx, Config{Engine: "gpu"}); err == nil {
			t.Error("New accepted engine \"gpu\"")
		}
	})
}
