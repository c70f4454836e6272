package auth

import (
	"context"
	"sync"
	"time"

	"kurz/internal/db"
)

// touches are the sessions used since the last write of their "last seen", waiting to be
// written together: a signed-in request is a read, and on SQLite a write in its path both
// waits for the single writer and empties every reader's page cache.
type touches struct {
	mu      sync.Mutex
	pending map[string]db.SessionTouch // by session ID
}

func (t *touches) add(id string, seen, expires time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[string]db.SessionTouch{}
	}
	t.pending[id] = db.SessionTouch{ID: id, LastSeen: seen, Expires: expires}
}

func (t *touches) take() []db.SessionTouch {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]db.SessionTouch, 0, len(t.pending))
	for _, tc := range t.pending {
		out = append(out, tc)
	}
	t.pending = nil
	return out
}

// touchEvery is how often the sessions' "last seen" is written.
const touchEvery = 5 * time.Second

// Run writes the sessions' "last seen" every few seconds until ctx ends, and once more then.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(touchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushTouches(context.WithoutCancel(ctx)); err != nil {
				s.d.Log.Warn("write sessions' last seen", "err", err)
			}
			return
		case <-tick.C:
			if err := s.FlushTouches(ctx); err != nil {
				s.d.Log.Warn("write sessions' last seen", "err", err)
			}
		}
	}
}

// FlushTouches writes the "last seen" of the sessions used since the last flush, in one
// transaction.
func (s *Service) FlushTouches(ctx context.Context) error {
	ts := s.touches.take()
	if len(ts) == 0 {
		return nil
	}
	return s.d.Sessions.TouchMany(ctx, ts)
}
