package feed

import (
	"context"
	"sync"
	"time"

	"kurz/internal/db"
)

// The Trending tab ranks every public video of the region's last two weeks
// (db.Feeds.Trending). That read is too big for every request, so a region's ranking is
// computed at most once per Deps.TrendingRefresh and shared by every request; the viewer's
// language only reorders it, from lists made with it. Pages carry the videos they served,
// as For You's do, so a ranking that changes between two pages repeats nothing.

// trendingDepth is how much of a ranking is kept, for the region and for each language:
// all a viewer can page through (maxServed) and some for videos a viewer may not see.
const trendingDepth = maxServed + 200

// ranking is one region's Trending order at one time.
type ranking struct {
	ids    []string            // the region's best, best first
	langs  []string            // the language of each of ids
	byLang map[string][]string // each language's best, best first
	at     time.Time
}

// each calls fn with the ranking's videos in the order a viewer of the language sees them:
// those in it first, then the rest of the region. It stops when fn returns false.
func (r *ranking) each(language string, fn func(id string, inLanguage bool) bool) {
	if language != "" {
		for _, id := range r.byLang[language] {
			if !fn(id, true) {
				return
			}
		}
	}
	for i, id := range r.ids {
		if language != "" && r.langs[i] == language {
			continue
		}
		if !fn(id, false) {
			return
		}
	}
}

func newRanking(all []db.TrendingVideo, at time.Time) *ranking {
	r := &ranking{byLang: map[string][]string{}, at: at}
	for _, v := range all {
		if len(r.ids) < trendingDepth {
			r.ids, r.langs = append(r.ids, v.ID), append(r.langs, v.Language)
		}
		if v.Language != "" && len(r.byLang[v.Language]) < trendingDepth {
			r.byLang[v.Language] = append(r.byLang[v.Language], v.ID)
		}
	}
	return r
}

// rankings holds the newest ranking of each region. Regions come from accounts and the
// instance's settings, not from requests, so the map stays small.
type rankings struct {
	mu      sync.Mutex
	region  map[string]*rankingSlot
	stopped bool           // the service stopped: no more background work
	running sync.WaitGroup // rankings computed in the background
}

// goBackground runs fn in the background unless the service has stopped, and reports
// whether it does. Adding to the group under the lock that stop takes keeps every Add
// before stop's Wait.
func (rs *rankings) goBackground(fn func()) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.stopped {
		return false
	}
	rs.running.Add(1)
	go func() {
		defer rs.running.Done()
		fn()
	}()
	return true
}

// stop waits for the rankings being computed in the background and starts no more.
func (rs *rankings) stop() {
	rs.mu.Lock()
	rs.stopped = true
	rs.mu.Unlock()
	rs.running.Wait()
}

type rankingSlot struct {
	mu         sync.Mutex // held while a ranking is computed for a request, so one request computes it
	r          *ranking
	refreshing bool // a ranking is being computed in the background
}

// staleRefreshes is how many TrendingRefresh periods old a ranking may be and still serve
// while the next one is computed: the first request after a quiet spell of a few minutes
// does not wait either.
const staleRefreshes = 10

// trending returns the region's ranking. One younger than TrendingRefresh is served as it
// is. One up to staleRefreshes times that old is served too while a new one is computed in
// the background, so no request waits for the read (a region of 100,000 videos takes a good
// part of a second on SQLite). Without one, or with an older one, the request computes it.
func (s *Service) trending(ctx context.Context, region string) (*ranking, error) {
	s.rank.mu.Lock()
	slot := s.rank.region[region]
	if slot == nil {
		slot = &rankingSlot{}
		s.rank.region[region] = slot
	}
	s.rank.mu.Unlock()
	now, every := s.d.Now(), s.d.TrendingRefresh
	if every <= 0 {
		return s.computeRanking(ctx, region, now)
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if r := slot.r; r != nil && !now.Before(r.at) {
		if age := now.Sub(r.at); age < every {
			return r, nil
		} else if age < staleRefreshes*every {
			if !slot.refreshing {
				bg := context.WithoutCancel(ctx)
				slot.refreshing = s.rank.goBackground(func() { s.refreshTrending(bg, slot, region) })
			}
			return r, nil
		}
	}
	r, err := s.computeRanking(ctx, region, now)
	if err != nil {
		return nil, err
	}
	slot.r = r
	return r, nil
}

// computeRanking reads and ranks the region's videos as of now.
func (s *Service) computeRanking(ctx context.Context, region string, now time.Time) (*ranking, error) {
	all, err := s.d.Feeds.Trending(ctx, region, now, s.d.MadeBeforeReady)
	if err != nil {
		return nil, err
	}
	return newRanking(all, now), nil
}

// refreshTrending computes a region's ranking in the background and swaps it in, unless a
// request computed a newer one meanwhile.
func (s *Service) refreshTrending(ctx context.Context, slot *rankingSlot, region string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := s.computeRanking(ctx, region, s.d.Now())
	slot.mu.Lock()
	defer slot.mu.Unlock()
	slot.refreshing = false
	if err != nil {
		s.d.Log.Warn("trending: computing the ranking", "region", region, "err", err)
		return
	}
	if slot.r == nil || r.at.After(slot.r.at) {
		slot.r = r
	}
}
