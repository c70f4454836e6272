package ffmpeg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Program names one of the two tools the runner can start.
type Program string

// The programs a Runner runs.
const (
	FFmpeg  Program = "ffmpeg"
	FFprobe Program = "ffprobe"
)

// Engine kinds, as reported by Runner.Kind and accepted by Config.Engine.
const (
	EngineAuto   = "auto"
	EngineNative = "native"
	EngineWasm   = "wasm"
)

// Config says how to build a Runner.
type Config struct {
	// Engine is EngineAuto (or empty) to use ffmpeg and ffprobe from PATH when both are there
	// and the embedded WebAssembly build otherwise; EngineNative or EngineWasm force one.
	Engine string

	// Concurrency bounds how many ffmpeg/ffprobe runs execute at once; the rest wait their
	// turn. Zero or less means GOMAXPROCS, because each WebAssembly run uses one core.
	Concurrency int

	// CacheDir keeps the machine code wazero compiles from the embedded build, so only the
	// first process start pays for compilation. Empty keeps it in memory for this process.
	// Only the wasm engine uses it.
	CacheDir string
}

// Mount gives a WebAssembly run access to one host directory, at the same absolute path
// inside the sandbox, so the same arguments work for both engines. Native runs ignore mounts:
// the system binary sees the whole filesystem.
type Mount struct {
	Dir      string
	ReadOnly bool
}

// ReadOnly mounts dir for reading only.
func ReadOnly(dir string) Mount { return Mount{Dir: dir, ReadOnly: true} }

// Writable mounts dir for reading and writing.
func Writable(dir string) Mount { return Mount{Dir: dir} }

// Output is what a run wrote. Stderr keeps only its last stderrLimit bytes.
type Output struct {
	Stdout []byte
	Stderr []byte
}

// ExitError reports a run that ended with a non-zero exit status.
type ExitError struct {
	Program Program
	Code    int
	Stderr  string // the end of what the program wrote to stderr, trimmed
}

func (e *ExitError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("%s exited with status %d", e.Program, e.Code)
	}
	return fmt.Sprintf("%s exited with status %d: %s", e.Program, e.Code, e.Stderr)
}

// engine is one way of starting the programs: os/exec or wazero.
type engine interface {
	run(ctx context.Context, prog Program, args []string, mounts []Mount, stdout, stderr io.Writer) (exitCode int, err error)
	close(ctx context.Context) error
}

// Runner runs ffmpeg and ffprobe with a bounded number of concurrent runs. It is safe for
// concurrent use; build one per process and share it, since the wasm engine compiles the
// embedded build once per Runner.
type Runner struct {
	kind    string
	version string
	engine  engine
	slots   chan struct{}
}

// New builds a Runner. With the wasm engine this compiles the embedded build, which takes
// seconds the first time and well under one with a warm Config.CacheDir.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	n := cfg.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r := &Runner{slots: make(chan struct{}, n)}

	switch cfg.Engine {
	case "", EngineAuto:
		if eng, ok := lookNative(); ok {
			r.kind, r.engine = EngineNative, eng
		}
	case EngineNative:
		eng, ok := lookNative()
		if !ok {
			return nil, errors.New("ffmpeg: engine native: ffmpeg and ffprobe must both be on PATH")
		}
		r.kind, r.engine = EngineNative, eng
	case EngineWasm:
	default:
		return nil, fmt.Errorf("ffmpeg: unknown engine %q (want %s, %s or %s)", cfg.Engine, EngineAuto, EngineNative, EngineWasm)
	}
	if r.engine == nil {
		eng, err := newWasmEngine(ctx, cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("ffmpeg: start embedded build: %w", err)
		}
		r.kind, r.engine = EngineWasm, eng
	}

	out, err := r.Run(ctx, FFmpeg, []string{"-hide_banner", "-version"})
	if err != nil {
		_ = r.engine.close(ctx)
		return nil, fmt.Errorf("ffmpeg: read version (%s): %w", r.kind, err)
	}
	r.version = parseVersion(out.Stdout)
	return r, nil
}

func lookNative() (engine, bool) {
	ffmpeg, err := exec.LookPath(string(FFmpeg))
	if err != nil {
		return nil, false
	}
	ffprobe, err := exec.LookPath(string(FFprobe))
	if err != nil {
		return nil, false
	}
	return &nativeEngine{paths: map[Program]string{FFmpeg: ffmpeg, FFprobe: ffprobe}}, true
}

// parseVersion takes "n5.1.10" from "ffmpeg version n5.1.10 Copyright ...".
func parseVersion(out []byte) string {
	line, _, _ := bytes.Cut(out, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) >= 3 && fields[0] == "ffmpeg" && fields[1] == "version" {
		return fields[2]
	}
	return strings.TrimSpace(string(line))
}

// Kind says which engine runs the programs: EngineNative or EngineWasm.
func (r *Runner) Kind() string { return r.kind }

// Version is the ffmpeg version string, e.g. "n5.1.10" for the embedded build.
func (r *Runner) Version() string { return r.version }

// Close releases the compiled module and runtime. Runs must have finished.
func (r *Runner) Close(ctx context.Context) error { return r.engine.close(ctx) }

// Run runs prog with args once a slot in the pool is free. mounts name the directories a
// WebAssembly run may touch; give inputs read-only and the output directory writable. A
// non-zero exit is an *ExitError; a cancelled ctx stops the run and returns ctx's error.
func (r *Runner) Run(ctx context.Context, prog Program, args []string, mounts ...Mount) (Output, error) {
	if prog != FFmpeg && prog != FFprobe {
		return Output{}, fmt.Errorf("ffmpeg: unknown program %q", prog)
	}
	for _, m := range mounts {
		if !filepath.IsAbs(m.Dir) {
			return Output{}, fmt.Errorf("ffmpeg: mount %q: directory must be absolute", m.Dir)
		}
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return Output{}, fmt.Errorf("ffmpeg: wait for a %s slot: %w", prog, ctx.Err())
	}
	defer func() { <-r.slots }()

	var stdout bytes.Buffer
	stderr := tailBuffer{limit: stderrLimit}
	code, err := r.engine.run(ctx, prog, args, mounts, &stdout, &stderr)
	out := Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctx.Err() != nil {
		return out, fmt.Errorf("ffmpeg: %s: %w", prog, ctx.Err())
	}
	if err != nil {
		return out, fmt.Errorf("ffmpeg: %s (%s): %w", prog, r.kind, err)
	}
	if code != 0 {
		return out, &ExitError{Program: prog, Code: code, Stderr: trimMessage(out.Stderr)}
	}
	return out, nil
}

// Transcode writes one rendition of in to out.
func (r *Runner) Transcode(ctx context.Context, in, out string, rend Rendition, fps float64) error {
	_, err := r.Run(ctx, FFmpeg, RenditionArgs(in, out, rend, fps), ioMounts(in, out)...)
	if err != nil {
		return fmt.Errorf("transcode %s to %s: %w", filepath.Base(in), rend.Name, err)
	}
	return nil
}

// Poster writes one JPEG frame of in, taken at atSeconds, to out.
func (r *Runner) Poster(ctx context.Context, in, out string, atSeconds float64, maxEdge int) error {
	_, err := r.Run(ctx, FFmpeg, PosterArgs(in, out, atSeconds, maxEdge), ioMounts(in, out)...)
	if err != nil {
		return fmt.Errorf("poster of %s: %w", filepath.Base(in), err)
	}
	return nil
}

// ioMounts mounts the input's directory read-only and the output's writable. ffmpeg reopens
// the output to move the moov box to the front (+faststart), so it needs read access there too.
func ioMounts(in, out string) []Mount {
	return []Mount{ReadOnly(filepath.Dir(in)), Writable(filepath.Dir(out))}
}

// stderrLimit bounds the stderr kept per run; errors are at its end.
const stderrLimit = 64 << 10

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	limit int
	buf   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte { return t.buf }

// trimMessage turns ffmpeg's stderr into a one-line message: the last few non-empty lines,
// without the "[mov,mp4,... @ 0x1234]" context prefixes that only matter to ffmpeg developers.
func trimMessage(stderr []byte) string {
	const maxLines, maxLen = 4, 400
	var lines []string
	for _, line := range strings.Split(string(stderr), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			if i := strings.Index(line, "] "); i > 0 && strings.Contains(line[:i], " @ ") {
				line = strings.TrimSpace(line[i+2:])
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	msg := strings.Join(lines, "; ")
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "…"
	}
	return msg
}
