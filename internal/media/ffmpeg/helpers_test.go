package ffmpeg

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// mediaDir finds the shared test clips: ../shared/media next to the repository.
func mediaDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "media"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "portrait-h264-aac.mp4")); err != nil {
		tb.Fatalf("test clips missing (want them in ../shared/media beside the repository): %v", err)
	}
	return dir
}

func clip(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(mediaDir(tb), name)
}

// One wasm Runner for the whole test binary: compiling the embedded build is the slow part,
// and the on-disk cache shared by all test runs makes even that fast after the first.
var (
	wasmOnce   sync.Once
	wasmShared *Runner
	wasmErr    error
)

func testCacheDir() string { return filepath.Join(os.TempDir(), "kurz-wazero-cache-test") }

func wasmRunner(tb testing.TB) *Runner {
	tb.Helper()
	if !embeddedBuild {
		tb.Skip("built with -tags nowasm: no embedded ffmpeg")
	}
	wasmOnce.Do(func() {
		start := time.Now()
		wasmShared, wasmErr = New(context.Background(), Config{Engine: EngineWasm, CacheDir: testCacheDir()})
		tb.Logf("wasm runner ready in %v (cache %s)", time.Since(start).Round(time.Millisecond), testCacheDir())
	})
	if wasmErr != nil {
		tb.Fatalf("start wasm runner: %v", wasmErr)
	}
	return wasmShared
}

var (
	nativeOnce   sync.Once
	nativeShared *Runner
	nativeErr    error
)

// nativeRunner skips when ffmpeg is not installed: the wasm engine is always tested.
func nativeRunner(tb testing.TB) *Runner {
	tb.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		tb.Skip("no ffmpeg on PATH; the native engine is tested where it is installed")
	}
	nativeOnce.Do(func() {
		nativeShared, nativeErr = New(context.Background(), Config{Engine: EngineNative})
	})
	if nativeErr != nil {
		tb.Fatalf("start native runner: %v", nativeErr)
	}
	return nativeShared
}

// engines runs f once per engine available: always wasm, native when installed.
func engines(t *testing.T, f func(t *testing.T, r *Runner)) {
	t.Run(EngineWasm, func(t *testing.T) { f(t, wasmRunner(t)) })
	t.Run(EngineNative, func(t *testing.T) { f(t, nativeRunner(t)) })
}

// probeJSONOf runs ffprobe with extra arguments and decodes its JSON output into v.
func probeJSONOf(t *testing.T, r *Runner, path string, v any, args ...string) {
	t.Helper()
	args = append([]string{"-hide_banner", "-loglevel", "error", "-print_format", "json"}, args...)
	out, err := r.Run(context.Background(), FFprobe, append(args, path), ReadOnly(filepath.Dir(path)))
	if err != nil {
		t.Fatalf("ffprobe %v: %v", args, err)
	}
	if err := json.Unmarshal(out.Stdout, v); err != nil {
		t.Fatalf("decode ffprobe output: %v\n%s", err, out.Stdout)
	}
}

// topLevelBoxes lists the MP4 box types at the top of the file, in order.
func topLevelBoxes(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var types []string
	var off int64
	for {
		var hdr [16]byte
		if _, err := f.ReadAt(hdr[:8], off); err == io.EOF {
			return types
		} else if err != nil {
			t.Fatal(err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		if size == 1 {
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				t.Fatal(err)
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size == 0 { // the last box, running to the end of the file
			return append(types, string(hdr[4:8]))
		}
		if size < 8 {
			t.Fatalf("box %q at %d has size %d", hdr[4:8], off, size)
		}
		types = append(types, string(hdr[4:8]))
		off += size
	}
}
