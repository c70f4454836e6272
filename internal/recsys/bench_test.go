package recsys

import (
	"bytes"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The scale the feed must handle on a 2-core server: 100k videos, 10k viewers and a log of
// 1M events. Run with
//
//	go test -run '^$' -bench AtScale -benchtime 2000x ./internal/recsys/
func BenchmarkAtScale(b *testing.B) {
	w := newWorld(2026, 100_000, 10_000, 200)
	evs := append(w.publishAll(), w.sessions(1_000_000-len(w.videos))...)
	r := newTestRecommender(b, DefaultConfig())
	start := time.Now()
	c0, _ := cpuTime()
	applyAll(b, r, evs)
	load := time.Since(start)
	c1, _ := cpuTime()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("loaded %d events in %v (%.1f µs/event wall, %.1f µs/event CPU): heap %d MiB, RSS %s",
		len(evs), load.Round(time.Millisecond), float64(load.Microseconds())/float64(len(evs)),
		float64((c1-c0).Microseconds())/float64(len(evs)), ms.HeapAlloc>>20, rss())

	var snap bytes.Buffer
	t0 := time.Now()
	if err := r.WriteSnapshot(&snap); err != nil {
		b.Fatal(err)
	}
	wrote := time.Since(t0)
	t0 = time.Now()
	if err := newTestRecommender(b, DefaultConfig()).ReadSnapshot(bytes.NewReader(snap.Bytes())); err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot %d MiB: written in %v, read in %v", snap.Len()>>20, wrote.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	snap = bytes.Buffer{}

	reqs := make([]Request, 0, len(w.users))
	for _, u := range w.users {
		reqs = append(reqs, Request{User: u.id, Region: u.region, Language: u.lang, Limit: 20})
	}

	b.Run("Recommend", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		c0, _ := cpuTime()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			r.Recommend(reqs[i%len(reqs)])
			lat = append(lat, time.Since(t0))
		}
		reportCPU(b, c0)
		reportPercentiles(b, lat)
	})

	b.Run("RecommendWhileApplying", func(b *testing.B) {
		// Two request goroutines (the 2 cores) while one goroutine applies new events in
		// batches, the way the server runs.
		tail := w.sessions(200_000)
		stop := make(chan struct{})
		var applier sync.WaitGroup
		applier.Add(1)
		go func() {
			// Batches of 256, as the server applies its log.
			defer applier.Done()
			for len(tail) > 0 {
				select {
				case <-stop:
					return
				default:
				}
				n := min(256, len(tail))
				if _, err := r.ApplyBatch(tail[:n]); err != nil {
					b.Error(err)
					return
				}
				tail = tail[n:]
			}
		}()
		var mu sync.Mutex
		var lat []time.Duration
		var next sync.Mutex
		i := 0
		b.SetParallelism(1)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				next.Lock()
				req := reqs[i%len(reqs)]
				i++
				next.Unlock()
				t0 := time.Now()
				r.Recommend(req)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		close(stop)
		applier.Wait()
		reportPercentiles(b, lat)
	})

	b.Run("Apply", func(b *testing.B) {
		more := w.sessions(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		c0, _ := cpuTime()
		for i := 0; i < b.N; i++ {
			if err := r.Apply(more[i]); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})

	// Viewers at the end of a long binge: 2,000 views each (WatchedMemory), so every
	// candidate is checked against a full watched memory.
	b.Run("RecommendHeavyViewer", func(b *testing.B) {
		heavy := make([]Request, 0, 20)
		var binge []Event
		for u := range 20 {
			for range r.cfg.WatchedMemory {
				binge = append(binge, w.view(u, w.rng.IntN(len(w.videos)))...)
			}
			heavy = append(heavy, reqs[u])
		}
		applyAll(b, r, binge)
		b.ReportAllocs()
		b.ResetTimer()
		c0, _ := cpuTime()
		for i := 0; i < b.N; i++ {
			r.Recommend(heavy[i%len(heavy)])
		}
		reportCPU(b, c0)
	})
}

// reportCPU reports the process CPU time per operation since c0 (all goroutines).
func reportCPU(b *testing.B, c0 time.Duration) {
	if c1, ok := cpuTime(); ok && b.N > 0 {
		b.ReportMetric(float64((c1-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(q float64) float64 {
		return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// rss reads the process's resident set size from /proc (Linux); "n/a" elsewhere.
func rss() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if kb, err := strconv.Atoi(f[0]); err == nil {
					return strconv.Itoa(kb>>10) + " MiB"
				}
			}
		}
	}
	return "n/a"
}
