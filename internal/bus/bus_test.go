package bus_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kurz/internal/bus"
	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestQueue(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))

			t.Run("a job whose worker died is claimed again after its lease", func(t *testing.T) {
				d := e.Open(t)
				c := &clock{t: time.Now()}
				b := bus.New(d.Jobs(), id.NewGenerator().New, c.now, log)
				b.Register(bus.Kind{Name: "k", Handler: func(context.Context, bus.Job) error { return nil }, Lease: time.Minute})
				if err := b.Enqueue(ctx, "k", map[string]string{"video": "v1"}); err != nil {
					t.Fatal(err)
				}
				first, err := d.Jobs().Claim(ctx, []string{"k"}, c.now(), time.Minute)
				if err != nil || first.Payload != `{"video":"v1"}` {
					t.Fatalf("claim: %v %v", first, err)
				}
				if _, err := d.Jobs().Claim(ctx, []string{"k"}, c.now(), time.Minute); !errors.Is(err, db.ErrNotFound) {
					t.Fatalf("a leased job was claimed twice: %v", err)
				}
				c.advance(2 * time.Minute) // the first worker was killed
				again, err := d.Jobs().Claim(ctx, []string{"k"}, c.now(), time.Minute)
				if err != nil || again.ID != first.ID || again.Attempts != 2 {
					t.Fatalf("reclaim: %+v %v", again, err)
				}
			})

			t.Run("retries with backoff, then gives up and cleans up", func(t *testing.T) {
				d := e.Open(t)
				c := &clock{t: time.Now()}
				b := bus.New(d.Jobs(), id.NewGenerator().New, c.now, log)
				var calls atomic.Int32
				var gaveUp atomic.Int32
				b.Register(bus.Kind{Name: "flaky", MaxAttempts: 3, Handler: func(context.Context, bus.Job) error {
					calls.Add(1)
					return errors.New("temporary")
				}, OnGiveUp: func(context.Context, bus.Job, error) { gaveUp.Add(1) }})
				b.Enqueue(ctx, "flaky", 1)
				if b.Drain(ctx, "flaky") != 1 || calls.Load() != 1 {
					t.Fatal("first attempt did not run")
				}
				if b.Drain(ctx, "flaky") != 0 {
					t.Fatal("retried before its backoff")
				}
				c.advance(bus.Backoff(1))
				b.Drain(ctx, "flaky")
				c.advance(bus.Backoff(2))
				b.Drain(ctx, "flaky")
				if calls.Load() != 3 || gaveUp.Load() != 1 {
					t.Fatalf("calls %d, gave up %d", calls.Load(), gaveUp.Load())
				}
				if n, _ := d.Jobs().Count(ctx, "failed"); n != 1 {
					t.Fatalf("%d failed jobs", n)
				}
				c.advance(time.Hour)
				if b.Drain(ctx, "flaky") != 0 {
					t.Fatal("a failed job ran again")
				}
			})

			t.Run("permanent errors do not retry; success removes the job", func(t *testing.T) {
				d := e.Open(t)
				c := &clock{t: time.Now()}
				b := bus.New(d.Jobs(), id.NewGenerator().New, c.now, log)
				var calls atomic.Int32
				b.Register(bus.Kind{Name: "bad", Handler: func(context.Context, bus.Job) error {
					calls.Add(1)
					return bus.Permanent(errors.New("not a video"))
				}})
				b.Register(bus.Kind{Name: "good", Handler: func(_ context.Context, j bus.Job) error {
					var v int
					return j.Decode(&v)
				}})
				b.Enqueue(ctx, "bad", 1)
				b.Enqueue(ctx, "good", 7)
				b.Drain(ctx, "bad")
				b.Drain(ctx, "good")
				c.advance(time.Hour)
				b.Drain(ctx, "bad")
				if calls.Load() != 1 {
					t.Fatalf("permanent failure ran %d times", calls.Load())
				}
				q, _ := d.Jobs().Count(ctx, "queued")
				f, _ := d.Jobs().Count(ctx, "failed")
				if q != 0 || f != 1 {
					t.Fatalf("queued %d failed %d", q, f)
				}
			})

			t.Run("workers respect their concurrency", func(t *testing.T) {
				d := e.Open(t)
				b := bus.New(d.Jobs(), id.NewGenerator().New, time.Now, log)
				b.SetPollInterval(20 * time.Millisecond)
				var running, peak, done atomic.Int32
				b.Register(bus.Kind{Name: "work", Concurrency: 2, Handler: func(context.Context, bus.Job) error {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(30 * time.Millisecond)
					running.Add(-1)
					done.Add(1)
					return nil
				}})
				for i := 0; i < 8; i++ {
					b.Enqueue(ctx, "work", i)
				}
				rctx, cancel := context.WithCancel(ctx)
				go b.Run(rctx)
				deadline := time.Now().Add(20 * time.Second)
				for done.Load() < 8 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
				if done.Load() != 8 || peak.Load() != 2 {
					t.Fatalf("done %d, peak concurrency %d (want 8, 2)", done.Load(), peak.Load())
				}
			})
		})
	}
}
