package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle limits attempts per key (an IP or an account) with a token bucket: n attempts
// per window, refilled evenly. It lives in the process; with several replicas each
// replica counts alone, which multiplies the limit by the replica count.
type Throttle struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// NewThrottle allows n attempts per window per key.
func NewThrottle(n int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{limit: rate.Limit(float64(n) / window.Seconds()), burst: n, buckets: map[string]*bucket{}, now: now}
}

// Allow takes one attempt for key. When none is left it returns false and how long until
// the next one.
func (t *Throttle) Allow(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.buckets) > 10000 {
		t.sweep(now)
	}
	b, ok := t.buckets[key]
	if !ok {
		b = &bucket{l: rate.NewLimiter(t.limit, t.burst)}
		t.buckets[key] = b
	}
	b.seen = now
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets that have refilled completely; they hold no information.
func (t *Throttle) sweep(now time.Time) {
	full := time.Duration(float64(t.burst) / float64(t.limit) * float64(time.Second))
	for k, b := range t.buckets {
		if now.Sub(b.seen) > full {
			delete(t.buckets, k)
		}
	}
}
