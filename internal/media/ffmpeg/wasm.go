//go:build !nowasm

package ffmpeg

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"time"

	"codeberg.org/gruf/go-ffmpreg/embed"
	"codeberg.org/gruf/go-ffmpreg/wasm"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// wasmEngine runs the ffmpeg 5.1 WebAssembly build embedded by go-ffmpreg on wazero. One
// compiled module serves every run; each run instantiates it afresh, so runs share nothing.
type wasmEngine struct {
	runtime wazero.Runtime
	module  wazero.CompiledModule
	cache   wazero.CompilationCache
}

func newWasmEngine(ctx context.Context, cacheDir string) (_ *wasmEngine, err error) {
	e := &wasmEngine{}
	defer func() {
		if err != nil {
			_ = e.close(ctx)
		}
	}()

	// Cancellation is checked in the module's clock instead of with WithCloseOnContextDone:
	// that option instruments every loop of the compiled code and made x264 several times slower.
	cfg := wazero.NewRuntimeConfig()
	if cacheDir != "" {
		if e.cache, err = wazero.NewCompilationCacheWithDir(cacheDir); err != nil {
			return nil, fmt.Errorf("compilation cache in %s: %w", cacheDir, err)
		}
		cfg = cfg.WithCompilationCache(e.cache)
	}
	if e.runtime, err = wasm.NewRuntime(ctx, cfg); err != nil {
		return nil, fmt.Errorf("wazero runtime: %w", err)
	}
	// Compiling 20 MB of WebAssembly is the slow part of a cold start; use every core for it.
	cctx := experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0))
	if e.module, err = e.runtime.CompileModule(cctx, embed.B()); err != nil {
		return nil, fmt.Errorf("compile embedded ffmpeg: %w", err)
	}
	return e, nil
}

// exitCancelled is the exit code a run reports when its context ends mid-run.
const exitCancelled = sys.ExitCodeContextCanceled

func (e *wasmEngine) run(ctx context.Context, prog Program, args []string, mounts []Mount, stdout, stderr io.Writer) (int, error) {
	code, err := wasm.Run(ctx, e.runtime, e.module, wasm.Args{
		Name:   string(prog),
		Args:   args,
		Stdout: stdout,
		Stderr: stderr,
		Config: func(mc wazero.ModuleConfig) wazero.ModuleConfig {
			return mc.
				WithFSConfig(fsConfig(mounts)).
				WithSysWalltime().
				WithNanotime(cancellableNanotime(ctx), 1).
				WithSysNanosleep()
		},
	})
	if err != nil {
		return 0, err
	}
	return int(code), nil
}

// cancellableNanotime is the module's monotonic clock. ffmpeg reads it once per step of its
// transcode loop, which makes it the place to stop a run whose context has ended: exiting
// from a host function unwinds the module cleanly.
func cancellableNanotime(ctx context.Context) sys.Nanotime {
	start := time.Now()
	return func() int64 {
		if ctx.Err() != nil {
			panic(sys.NewExitError(exitCancelled))
		}
		return int64(time.Since(start))
	}
}

// fsConfig mounts each directory at its own path. A directory named both read-only and
// writable is mounted writable once.
func fsConfig(mounts []Mount) wazero.FSConfig {
	writable := map[string]bool{}
	var order []string
	for _, m := range mounts {
		dir := filepath.Clean(m.Dir)
		w, seen := writable[dir]
		if !seen {
			order = append(order, dir)
		}
		writable[dir] = w || !m.ReadOnly
	}
	fs := wazero.NewFSConfig()
	for _, dir := range order {
		if writable[dir] {
			fs = fs.WithDirMount(dir, dir)
		} else {
			fs = fs.WithReadOnlyDirMount(dir, dir)
		}
	}
	return fs
}

func (e *wasmEngine) close(ctx context.Context) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if e.module != nil {
		keep(e.module.Close(ctx))
	}
	if e.runtime != nil {
		keep(e.runtime.Close(ctx))
	}
	if e.cache != nil {
		keep(e.cache.Close(ctx))
	}
	return first
}
