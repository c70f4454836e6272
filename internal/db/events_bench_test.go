package db_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// BenchmarkEventsAppend is the store's part of issue 5's ingestion row: 8 clients append
// batches of 100 events (impression, play_start, progress, complete about random videos,
// by signed-in viewers), each acknowledged after its commit. b.N is the number of batches.
// It reports events/s and this process's CPU per event; the database server's CPU is not
// in it (on PostgreSQL, watch the backends with top or pidstat).
//
//	go test -run '^$' -bench EventsAppend -benchtime 2000x ./internal/db/
func BenchmarkEventsAppend(b *testing.B) {
	for _, e := range testkit.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			d := e.Open(b)
			ctx := context.Background()
			ids := id.NewGenerator()
			creator := newAccount(ids, "creator")
			if err := d.Accounts().Create(ctx, creator); err != nil {
				b.Fatal(err)
			}
			var videos, viewers []string
			for i := range 1000 {
				videos = append(videos, addVideo(b, d, ids, creator.ID, fmt.Sprintf("clip %d", i)))
			}
			for i := range 100 {
				a := newAccount(ids, fmt.Sprintf("viewer%d", i))
				if err := d.Accounts().Create(ctx, a); err != nil {
					b.Fatal(err)
				}
				viewers = append(viewers, a.ID)
			}
			kinds := []string{"impression", "play_start", "progress", "complete"}
			var keys atomic.Int64
			batch := func(n int) []*db.EventRow {
				now := time.Now()
				k := keys.Add(int64(n)) - int64(n)
				viewer := viewers[k/int64(n)%int64(len(viewers))]
				rows := make([]*db.EventRow, n)
				for i := range rows {
					rows[i] = &db.EventRow{At: now, ClientAt: now, Kind: kinds[i%len(kinds)], AccountID: viewer, SessionID: "s-" + viewer,
						IdemKey: fmt.Sprintf("bench-%d-%08x", k+int64(i), uint32((k+int64(i))*2654435761)), VideoID: videos[(int(k)+i/4*7)%len(videos)],
						CreatorID: creator.ID, Feed: "for_you", WatchMS: 5000, PositionMS: 5000, DurationMS: 10000}
				}
				return rows
			}
			const clients, perBatch = 8, 100
			var next atomic.Int64
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			t0 := time.Now()
			var wg sync.WaitGroup
			var failed atomic.Value
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if n, err := d.Events().Append(ctx, batch(perBatch)); err != nil || n != perBatch {
							failed.CompareAndSwap(nil, fmt.Errorf("added %d of %d: %v", n, perBatch, err))
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(t0)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			events := float64(b.N * perBatch)
			b.ReportMetric(events/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/events, "client-cpu-µs/event")
		})
	}
}
