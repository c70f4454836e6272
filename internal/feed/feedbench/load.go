package feedbench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what a load run measured.
type Result struct {
	Calls, Errors int
	FirstError    error
	Elapsed       time.Duration
	Latencies     []time.Duration // sorted
}

// Rate is calls per second.
func (r Result) Rate() float64 { return float64(r.Calls) / r.Elapsed.Seconds() }

// Percentile returns the latency below which p (0..1) of the calls finished.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(int(p*float64(len(r.Latencies))), len(r.Latencies)-1)]
}

// Load calls do from workers goroutines until n calls were made or limit has passed,
// whichever comes first, so a run is bounded in count and in time.
func Load(ctx context.Context, workers, n int, limit time.Duration, do func(ctx context.Context, worker, call int) error) Result {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	t0 := time.Now()
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, min(n/workers+1, 1<<16))
			errors := 0
			var first error
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				c0 := time.Now()
				err := do(ctx, wk, i)
				if ctx.Err() != nil {
					break // cut off by the time limit: neither a result nor an error
				}
				if err != nil {
					errors++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(c0))
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errors
			if res.FirstError == nil {
				res.FirstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(t0)
	res.Calls = len(res.Latencies)
	slices.Sort(res.Latencies)
	return res
}

// NewClient is an HTTP client for a load run: keep-alive with a connection per worker.
func NewClient(workers int) *http.Client {
	tr := &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers, IdleConnTimeout: time.Minute,
		DisableCompression: true, ForceAttemptHTTP2: false}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// CheckLoopback refuses any base URL that is not on this machine: load is only ever aimed
// at a server the benchmark started itself.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("feedbench: refusing to send load to %q: only loopback addresses", host)
	}
	return nil
}

// Memory reads the process's resident set size and its peak from /proc (0 elsewhere).
func Memory() (rss, peak int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "kB")), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

// ResetPeak restarts the peak resident set size (VmHWM) from the current one, so a peak
// reported later leaves out the seeding.
func ResetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
