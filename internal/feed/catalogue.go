package feed

import (
	"context"
	"sync"
	"time"

	"kurz/internal/policy"
)

// The For You feed checks each recommended video against the policy before it counts it
// towards a page. Those checks read the video and its owner for every item of every page,
// which made them a fifth of the feed's cost, so they go through a small cache that forgets
// within seconds. A stale answer only changes which videos fill the page: the API checks
// every item again, uncached, before it shows it. Event ingestion, whose answer is final,
// does not use the cache.

// catalogueTTL is how long a cached video or owner state is trusted.
const catalogueTTL = 2 * time.Second

// catalogueMax bounds the cache; past it the cache starts over.
const catalogueMax = 100_000

type cachedVideo struct {
	at         time.Time
	owner      string
	visibility string
	ready      bool
	removed    bool
	hashtags   []string
}

type cachedOwner struct {
	at    time.Time
	state string
}

type catalogue struct {
	mu     sync.Mutex
	videos map[string]cachedVideo
	owners map[string]cachedOwner
}

// prefetch loads the videos among ids that are not cached (or no longer trusted), and
// their owners, in two queries, so that a page's checks cost two queries and not two per
// candidate. A video that does not exist is left out and looked up again, one by one, by
// video, which then reports the error.
func (c *catalogue) prefetch(ctx context.Context, s *Service, ids []string) error {
	now := time.Now()
	var missing []string
	c.mu.Lock()
	for _, id := range ids {
		if v, ok := c.videos[id]; !ok || now.Sub(v.at) >= catalogueTTL {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	rows, err := s.d.Videos.ByIDs(ctx, missing)
	if err != nil {
		return err
	}
	var owners []string
	seen := map[string]bool{}
	c.mu.Lock()
	for _, row := range rows {
		if o, ok := c.owners[row.AccountID]; (!ok || now.Sub(o.at) >= catalogueTTL) && !seen[row.AccountID] {
			seen[row.AccountID] = true
			owners = append(owners, row.AccountID)
		}
	}
	c.mu.Unlock()
	states, err := s.d.Videos.Owners(ctx, owners)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.videos == nil || len(c.videos)+len(rows) > catalogueMax {
		c.videos = map[string]cachedVideo{}
	}
	for id, row := range rows {
		c.videos[id] = cachedVideo{at: now, owner: row.AccountID, visibility: row.Visibility, ready: row.State == "ready",
			removed: row.Removed, hashtags: row.Hashtags}
	}
	if c.owners == nil || len(c.owners)+len(states) > catalogueMax {
		c.owners = map[string]cachedOwner{}
	}
	for id, row := range states {
		c.owners[id] = cachedOwner{at: now, state: row.State}
	}
	return nil
}

func (c *catalogue) video(ctx context.Context, s *Service, id string) (cachedVideo, error) {
	now := time.Now()
	c.mu.Lock()
	v, ok := c.videos[id]
	c.mu.Unlock()
	if ok && now.Sub(v.at) < catalogueTTL {
		return v, nil
	}
	row, err := s.d.Videos.ByID(ctx, id)
	if err != nil {
		return cachedVideo{}, err
	}
	v = cachedVideo{at: now, owner: row.AccountID, visibility: row.Visibility, ready: row.State == "ready", removed: row.Removed,
		hashtags: row.Hashtags}
	c.mu.Lock()
	if c.videos == nil || len(c.videos) >= catalogueMax {
		c.videos = map[string]cachedVideo{}
	}
	c.videos[id] = v
	c.mu.Unlock()
	return v, nil
}

func (c *catalogue) ownerState(ctx context.Context, s *Service, id string) (string, error) {
	now := time.Now()
	c.mu.Lock()
	o, ok := c.owners[id]
	c.mu.Unlock()
	if ok && now.Sub(o.at) < catalogueTTL {
		return o.state, nil
	}
	row, err := s.d.Accounts.ByID(ctx, id)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.owners == nil || len(c.owners) >= catalogueMax {
		c.owners = map[string]cachedOwner{}
	}
	c.owners[id] = cachedOwner{at: now, state: row.State}
	c.mu.Unlock()
	return row.State, nil
}

// feedVisible is the policy's view decision for a video in the viewer's feed, from the
// cache. hidden holds the accounts blocked either way or muted (the feed leaves them out
// anyway), so the viewer's relation to the owner is read only for a followers-only video.
func (s *Service) feedVisible(ctx context.Context, v policy.Viewer, videoID string, hidden map[string]bool) (cachedVideo, bool) {
	vid, err := s.cat.video(ctx, s, videoID)
	if err != nil {
		return vid, false
	}
	if hidden[vid.owner] {
		return vid, false
	}
	state, err := s.cat.ownerState(ctx, s, vid.owner)
	if err != nil {
		return vid, false
	}
	var rel policy.Relation
	if vid.visibility != "public" && !v.Anonymous() && v.AccountID != vid.owner {
		if rel, err = s.d.Relations.Relation(ctx, v.AccountID, vid.owner); err != nil {
			return vid, false
		}
	}
	err = policy.VideoDecision(v, policy.ViewVideo, policy.Video{ID: videoID, OwnerID: vid.owner, Visibility: vid.visibility,
		Ready: vid.ready, Removed: vid.removed, OwnerState: policy.State(state)}, rel)
	return vid, err == nil
}
