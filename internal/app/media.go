package app

import (
	"context"
	"sync"

	"kurz/internal/media/ffmpeg"
)

// lazyMedia starts ffmpeg on first use. The embedded WebAssembly build takes a while to
// compile the first time (then it is cached on disk), and a server that never processes a
// video — or a test that never uploads one — should not pay for it at start.
type lazyMedia struct {
	cfg  ffmpeg.Config
	once sync.Once
	r    *ffmpeg.Runner
	err  error
}

func (l *lazyMedia) runner(ctx context.Context) (*ffmpeg.Runner, error) {
	l.once.Do(func() { l.r, l.err = ffmpeg.New(context.WithoutCancel(ctx), l.cfg) })
	return l.r, l.err
}

func (l *lazyMedia) Probe(ctx context.Context, path string) (*ffmpeg.ProbeResult, error) {
	r, err := l.runner(ctx)
	if err != nil {
		return nil, err
	}
	return r.Probe(ctx, path)
}

func (l *lazyMedia) Transcode(ctx context.Context, in, out string, rend ffmpeg.Rendition, fps float64) error {
	r, err := l.runner(ctx)
	if err != nil {
		return err
	}
	return r.Transcode(ctx, in, out, rend, fps)
}

func (l *lazyMedia) Poster(ctx context.Context, in, out string, at float64, maxEdge int) error {
	r, err := l.runner(ctx)
	if err != nil {
		return err
	}
	return r.Poster(ctx, in, out, at, maxEdge)
}

// close stops ffmpeg if it was started.
func (l *lazyMedia) close(ctx context.Context) error {
	if l.r != nil {
		return l.r.Close(ctx)
	}
	return nil
}
