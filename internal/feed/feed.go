// Package feed assembles what a viewer watches: the personalised For You feed from the
// in-process recommender, the Following feed and the regional Trending feed. It owns the
// engagement event log's ingestion (validation, deduplication, rates) and keeps the
// recommender in step with the log, so an acknowledged event reaches it within a second.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/recsys"
)

type eventStore interface {
	Append(ctx context.Context, rows []*db.EventRow) (int, error)
	Since(ctx context.Context, after int64, limit int) ([]*db.EventRow, error)
	// Subjects reads together what deciding on the videos of a batch needs.
	Subjects(ctx context.Context, viewerID string, videoIDs []string) (map[string]*db.EventSubject, error)
}

type accountStore interface {
	ByID(ctx context.Context, id string) (*db.AccountRow, error)
	ByUsername(ctx context.Context, username string) (*db.AccountRow, error) // naming a creator's mark to undo
}

type feedStore interface {
	Following(ctx context.Context, viewerID, after string, limit int) ([]string, error)
	Trending(ctx context.Context, region string, now time.Time, madeBeforeReady time.Duration) ([]db.TrendingVideo, error)
	Hidden(ctx context.Context, viewerID string) (map[string]bool, error)
	Marks(ctx context.Context, viewerID string) (creators, videos, hashtags map[string]bool, err error)
}

// Limits are the named limits on event ingestion.
type Limits struct {
	MaxBatch      int
	MaxPast       time.Duration // how old a client timestamp may be
	MaxFuture     time.Duration // how far ahead of the server clock
	EventsPerMin  int           // per session
	MaxLoops      int64         // watch time may reach duration × this
	RecsysEnabled bool
}

// Deps are what the service needs.
type Deps struct {
	Events   eventStore
	Accounts accountStore
	Feeds    feedStore
	Recsys   recsys.Config
	Now      func() time.Time
	Limits   Limits
	Region   string
	Log      *slog.Logger
	// Settings holds the log's generation (see snapshot.go); nil keeps it in memory.
	Settings  settingsStore
	Snapshots SnapshotOptions
	// TrendingRefresh is how long a region's Trending ranking serves before it is computed
	// again; 0 computes it for every request.
	TrendingRefresh time.Duration
	// MadeBeforeReady is the longest a video can have been made (its upload begun) before
	// it became ready: an unfinished upload's lifetime and a processing backlog. Trending
	// reads videos by ID from the window's start less this.
	MadeBeforeReady time.Duration
}

// Service is the feed service.
type Service struct {
	d    Deps
	rec  *recsys.Recommender
	wake chan struct{}

	// mu orders the following of the log: the model, what it covers and its generation.
	mu           sync.Mutex
	seq          int64  // last log seq applied
	gen          string // generation of the log the model learned from
	genCheckedAt time.Time
	snapSeq      uint64    // model seq of the newest snapshot
	snapAt       time.Time // when it was written (or the service started)
	snapFailedAt time.Time // the last failed scheduled write, to retry only a minute later

	startOnce  sync.Once
	snapMu     sync.Mutex  // snapshot files: writes against an erasure's removal
	rebuildMu  sync.Mutex  // one rebuild at a time
	rebuilding atomic.Bool // a rebuild runs in the background
	genCheck   atomic.Bool // an erasure here changed the generation: check it at once

	rateMu sync.Mutex
	rates  map[string]*rate
	ready  chan struct{}

	rank rankings // the Trending tab's, per region; Run stops their background work
}

type rate struct {
	windowStart time.Time
	n           int
}

// New returns the service with an empty recommender; Run fills it from the log.
func New(d Deps) (*Service, error) {
	rec, err := recsys.New(d.Recsys)
	if err != nil {
		return nil, err
	}
	if d.Settings == nil {
		d.Settings = &memSettings{m: map[string]string{}}
	}
	return &Service{d: d, rec: rec, wake: make(chan struct{}, 1), rates: map[string]*rate{}, ready: make(chan struct{}),
		rank:   rankings{region: map[string]*rankingSlot{}},
		snapAt: time.Now()}, nil
}

// Recommender is the model, for tools that inspect it.
func (s *Service) Recommender() *recsys.Recommender { return s.rec }

// Run loads the newest snapshot and replays the log after it into the recommender, then
// follows the log until ctx ends, saving snapshots on schedule and once more at the end.
func (s *Service) Run(ctx context.Context) {
	s.start(ctx)
	s.mu.Lock()
	t0 := time.Now()
	from := s.seq
	seq, err := s.replay(ctx, s.rec, s.seq)
	s.seq = seq
	s.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		s.d.Log.Warn("recommender could not replay the event log", "err", err)
	} else if seq > from {
		s.d.Log.Info("recommender replayed the event log", "from", from, "to", seq, "took", time.Since(t0).Round(time.Millisecond))
	}
	var rebuilds sync.WaitGroup
	defer func() {
		rebuilds.Wait()
		s.rank.stop()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.snapshotDue(true) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := s.writeSnapshot(sctx); err != nil {
				s.d.Log.Warn("recommender snapshot at shutdown", "err", err)
			}
		}
	}()
	first := true
	for {
		n, err := s.catchUp(ctx)
		if err != nil && ctx.Err() == nil {
			s.d.Log.Warn("recommender could not read the event log", "err", err)
		}
		if first && err == nil && n == 0 {
			first = false
			close(s.ready)
			s.d.Log.Info("recommender ready", "seq", s.Seq())
		}
		if n > 0 {
			continue
		}
		if !first {
			s.mu.Lock()
			if s.snapshotDue(false) && time.Since(s.snapFailedAt) >= time.Minute {
				if err := s.writeSnapshot(ctx); err != nil && ctx.Err() == nil {
					s.d.Log.Warn("recommender snapshot; retrying in a minute", "err", err)
					s.snapFailedAt = time.Now()
				}
			}
			s.mu.Unlock()
			if s.genCheck.Swap(false) || s.genCheckDue() {
				if s.rebuilding.CompareAndSwap(false, true) {
					rebuilds.Add(1)
					go func() {
						defer rebuilds.Done()
						defer s.rebuilding.Store(false)
						if err := s.rebuild(ctx); err != nil && ctx.Err() == nil {
							// The next generation check, in generationPoll, tries again.
							s.d.Log.Warn("recommender rebuild after an erasure", "err", err)
							s.mu.Lock()
							s.genCheckedAt = time.Now()
							s.mu.Unlock()
						}
					}()
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (s *Service) genCheckDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.genCheckedAt) >= generationPoll
}

// Seq is the last log sequence number the recommender has followed.
func (s *Service) Seq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Ready is closed once the recommender has replayed the log as it was at start.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// CatchUp applies every event logged so far, after rebuilding the model if an erasure has
// changed the log; tests and tools call it to wait for freshness.
func (s *Service) CatchUp(ctx context.Context) error {
	s.start(ctx)
	if err := s.rebuild(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, err := s.replay(ctx, s.rec, s.seq)
	s.seq = seq
	return err
}

func (s *Service) catchUp(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, last, err := s.follow(ctx, s.rec, s.seq)
	s.seq = last
	return n, err
}

// logPage is how many log rows are read and applied at once.
const logPage = 5000

// follow applies up to one page of the log after seq to rec and returns how many rows it
// read and the last seq read.
func (s *Service) follow(ctx context.Context, rec *recsys.Recommender, seq int64) (int, int64, error) {
	rows, err := s.d.Events.Since(ctx, seq, logPage)
	if err != nil || len(rows) == 0 {
		return 0, seq, err
	}
	s.apply(rec, toBatch(rows), rows[0].Seq, rows[len(rows)-1].Seq)
	return len(rows), rows[len(rows)-1].Seq, nil
}

func toBatch(rows []*db.EventRow) []recsys.Event {
	batch := make([]recsys.Event, 0, len(rows))
	for _, r := range rows {
		if ev, ok := toRecsys(r); ok {
			batch = append(batch, ev)
		}
	}
	return batch
}

// apply hands one page to the recommender: one batch takes its write lock once, so serving
// is not starved while a long log replays.
func (s *Service) apply(rec *recsys.Recommender, batch []recsys.Event, from, to int64) {
	if len(batch) == 0 {
		return
	}
	if _, err := rec.ApplyBatch(batch); err != nil && !errors.Is(err, recsys.ErrOutOfOrder) {
		s.d.Log.Warn("recommender refused events", "from", from, "to", to, "err", err)
	}
}

// replay applies the whole log after seq to rec and returns the last seq read. The next
// page is read and decoded while the current one is applied: reading is about a third of a
// replay, so on two cores the two overlap.
func (s *Service) replay(ctx context.Context, rec *recsys.Recommender, seq int64) (int64, error) {
	type page struct {
		batch     []recsys.Event
		from, to  int64
		err       error
		exhausted bool
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan page, 2)
	go func() {
		defer close(pages)
		after := seq
		for {
			rows, err := s.d.Events.Since(rctx, after, logPage)
			p := page{err: err, exhausted: len(rows) == 0}
			if err == nil && len(rows) > 0 {
				p.batch, p.from, p.to = toBatch(rows), rows[0].Seq, rows[len(rows)-1].Seq
				after = p.to
			}
			select {
			case pages <- p:
			case <-rctx.Done():
				return
			}
			if p.err != nil || p.exhausted {
				return
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return seq, p.err
		}
		if p.exhausted {
			return seq, nil
		}
		s.apply(rec, p.batch, p.from, p.to)
		seq = p.to
	}
	return seq, ctx.Err()
}

// publishExtra is what a video_published event carries beside its columns. A viewer
// event carries Region and Language when they differ from what the recommender last
// learned for the viewer (see viewerContext).
type publishExtra struct {
	Hashtags []string `json:"hashtags,omitempty"`
	Region   string   `json:"region,omitempty"`
	Language string   `json:"language,omitempty"`
}

func toRecsys(r *db.EventRow) (recsys.Event, bool) {
	kind, err := recsys.ParseEventKind(r.Kind)
	if err != nil {
		return recsys.Event{}, false
	}
	ev := recsys.Event{Seq: uint64(r.Seq), TimeMS: r.At.UnixMilli(), Kind: kind, User: r.AccountID, Video: r.VideoID,
		Creator: r.CreatorID, Hashtag: r.Hashtag, WatchMS: r.WatchMS, PositionMS: r.PositionMS, DurationMS: r.DurationMS}
	switch r.Target {
	case "creator":
		ev.Target = recsys.TargetCreator
	case "hashtag":
		ev.Target = recsys.TargetHashtag
	}
	if r.Extra != "" {
		var x publishExtra
		if json.Unmarshal([]byte(r.Extra), &x) == nil {
			ev.Hashtags, ev.Region, ev.Language = x.Hashtags, x.Region, x.Language
		}
	}
	if ev.User == "" && kind != recsys.VideoPublished && kind != recsys.VideoRemoved && kind != recsys.VideoUpdated {
		return ev, false // anonymous viewing counts views but teaches nobody's profile
	}
	return ev, true
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ClientEvent is one event as a client sends it.
type ClientEvent struct {
	Kind       string
	Key        string // idempotency key
	At         time.Time
	VideoID    string
	Target     string // not_interested: video, creator or hashtag
	Hashtag    string
	Feed       string
	WatchMS    int64
	PositionMS int64
	Loops      int64
}

// Kinds clients send. Likes, follows, comments and shares are recorded by their own
// endpoints, so a client cannot count them twice.
var clientKinds = map[string]bool{"impression": true, "play_start": true, "progress": true, "complete": true, "loop": true,
	"skip": true, "replay": true, "not_interested": true}

// HistoryKinds are the events that make up a viewer's watch history: what they were shown
// and how they watched it, their likes, shares and comments. The event retention deletes
// them once they are old. Follows and "not interested" marks in force, interest resets and
// the catalogue's events stay: a recommender rebuilt from the log gets its follows, marks
// and videos from them. Those taken back long enough ago go with what took them back
// (db.Events.PruneHistory).
var HistoryKinds = []string{"impression", "play_start", "progress", "complete", "loop", "skip", "replay", "like", "unlike",
	"share", "comment"}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

var feeds = map[string]bool{"": true, "for_you": true, "following": true, "trending": true, "profile": true, "hashtag": true,
	"search": true, "direct": true}

// Record validates a batch from a client and appends it. Either the whole batch is valid
// and logged (duplicates skipped), or nothing is. It returns how many events were new.
func (s *Service) Record(ctx context.Context, fv Viewer, sessionKey string, batch []ClientEvent) (int, error) {
	v := fv.Viewer
	if len(batch) == 0 {
		return 0, errs.Invalid("events", "empty_batch", "send at least one event")
	}
	if len(batch) > s.d.Limits.MaxBatch {
		return 0, &errs.Error{Kind: errs.KindTooLarge, Code: "batch_too_large", Field: "events",
			Message: fmt.Sprintf("send at most %d events per batch", s.d.Limits.MaxBatch)}
	}
	now := s.d.Now()
	if err := s.allow(sessionKey, len(batch), now); err != nil {
		return 0, err
	}
	videos, err := s.visibleVideos(ctx, v, batch)
	if err != nil {
		return 0, errs.Internal(err)
	}
	rows := make([]*db.EventRow, 0, len(batch))
	for i, e := range batch {
		bad := func(code, msg string) error {
			return errs.Invalid(fmt.Sprintf("events[%d]", i), code, fmt.Sprintf("event %d: %s", i, msg))
		}
		if !clientKinds[e.Kind] {
			if _, err := recsys.ParseEventKind(e.Kind); err == nil {
				return 0, bad("server_recorded_kind", e.Kind+" events are recorded by their own endpoint (e.g. POST /api/v1/videos/{id}/like)")
			}
			return 0, bad("unknown_kind", fmt.Sprintf("unknown event kind %q", e.Kind))
		}
		if !keyRE.MatchString(e.Key) {
			return 0, bad("invalid_key", "key must be 8 to 64 letters, digits, _ or -, unique per event")
		}
		if e.At.IsZero() || e.At.Before(now.Add(-s.d.Limits.MaxPast)) || e.At.After(now.Add(s.d.Limits.MaxFuture)) {
			return 0, bad("invalid_time", "the event time is missing or too far from now; check the device clock")
		}
		if !feeds[e.Feed] {
			return 0, bad("invalid_feed", "feed must be for_you, following, trending, profile, hashtag, search or direct")
		}
		if e.WatchMS < 0 || e.PositionMS < 0 || e.Loops < 0 {
			return 0, bad("invalid_number", "watch_ms, position_ms and loops cannot be negative")
		}
		row := &db.EventRow{At: now, ClientAt: e.At, Kind: e.Kind, AccountID: v.AccountID, SessionID: sessionKey, IdemKey: e.Key,
			Feed: e.Feed, WatchMS: e.WatchMS, PositionMS: e.PositionMS}
		if e.Kind == "not_interested" && e.Target == "hashtag" {
			tag := strings.ToLower(strings.TrimPrefix(e.Hashtag, "#"))
			if tag == "" || len(tag) > 100 {
				return 0, bad("invalid_hashtag", "name the hashtag you are not interested in")
			}
			row.Target, row.Hashtag = "hashtag", tag
			if v.Anonymous() {
				return 0, bad("login_required", "log in to tell kurz what you are not interested in")
			}
			rows = append(rows, row)
			continue
		}
		vid, ok := videos[e.VideoID]
		if !ok {
			return 0, bad("unknown_video", "the video does not exist or you cannot see it")
		}
		row.VideoID, row.CreatorID, row.DurationMS = vid.ID, vid.AccountID, vid.DurationMS
		loops := max(e.Loops, 1)
		if vid.DurationMS > 0 && e.WatchMS > vid.DurationMS*min(loops, s.d.Limits.MaxLoops)+1000 {
			return 0, bad("invalid_watch_time", "watch_ms is longer than the video times its loops")
		}
		if e.PositionMS > vid.DurationMS+1000 && vid.DurationMS > 0 {
			return 0, bad("invalid_position", "position_ms is past the end of the video")
		}
		if e.Kind == "not_interested" {
			if v.Anonymous() {
				return 0, bad("login_required", "log in to tell kurz what you are not interested in")
			}
			switch e.Target {
			case "", "video":
				row.Target = "video"
			case "creator":
				row.Target = "creator"
			default:
				return 0, bad("invalid_target", "not_interested is about a video, a creator or a hashtag")
			}
		}
		rows = append(rows, row)
	}
	if extra := s.viewerContext(fv); extra != "" {
		rows[0].Extra = extra
	}
	n, err := s.d.Events.Append(ctx, rows)
	if err != nil {
		return 0, errs.Internal(err)
	}
	s.poke()
	return n, nil
}

// viewerContext is the Extra that tells the recommender the viewer's region and language,
// or "" when it already holds them. The ranker trains on the context of each view, as it
// serves with the request's; without this it trained with none. Only changes are logged:
// a batch whose first event was a duplicate, or a log rebuilt after retention dropped the
// event that carried them, is mended by the viewer's next batch.
func (s *Service) viewerContext(v Viewer) string {
	if v.Anonymous() || (v.Region == "" && v.Language == "") {
		return ""
	}
	region, language := s.rec.ViewerContext(v.AccountID)
	if (v.Region == "" || v.Region == region) && (v.Language == "" || v.Language == language) {
		return ""
	}
	b, _ := json.Marshal(publishExtra{Region: v.Region, Language: v.Language})
	return string(b)
}

// visibleVideos decides once for each distinct video of a batch whether the viewer may see
// it, reading the videos, their owners and the viewer's relations to them together, and
// returns the videos the viewer may see, by id.
func (s *Service) visibleVideos(ctx context.Context, v policy.Viewer, batch []ClientEvent) (map[string]*db.VideoRow, error) {
	visible := map[string]*db.VideoRow{}
	var ids []string
	seen := map[string]bool{}
	for _, e := range batch {
		if e.VideoID == "" || seen[e.VideoID] || !id.Valid(e.VideoID) {
			continue
		}
		seen[e.VideoID] = true
		ids = append(ids, e.VideoID)
	}
	if len(ids) == 0 {
		return visible, nil
	}
	subjects, err := s.d.Events.Subjects(ctx, v.AccountID, ids)
	if err != nil {
		return nil, err
	}
	for vid, sub := range subjects {
		var rel policy.Relation
		if !v.Anonymous() && v.AccountID != sub.Video.AccountID {
			rel = relationOf(sub.Relation)
		}
		if decide(v, sub.Video, sub.OwnerState, rel) == nil {
			visible[vid] = sub.Video
		}
	}
	return visible, nil
}

// relationOf is how the viewer stands to a video's owner, as the social service tells it.
func relationOf(r db.RelationRow) policy.Relation {
	return policy.Relation{
		Follower: r.Following == "accepted",
		Pending:  r.Following == "pending",
		Friend:   r.Following == "accepted" && r.FollowedBy == "accepted",
		Blocked:  r.BlockedBy,
		Blocking: r.Blocking,
		Muting:   r.Muting,
	}
}

// decide is whether the viewer may see the video, and so log events about it.
func decide(v policy.Viewer, row *db.VideoRow, ownerState string, rel policy.Relation) error {
	return policy.VideoDecision(v, policy.ViewVideo, policy.Video{ID: row.ID, OwnerID: row.AccountID, Visibility: row.Visibility,
		Ready: row.State == "ready", Removed: row.Removed, OwnerState: policy.State(ownerState)}, rel)
}

// allow bounds events per session per minute.
func (s *Service) allow(key string, n int, now time.Time) error {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if len(s.rates) > 50000 {
		for k, r := range s.rates {
			if now.Sub(r.windowStart) > time.Minute {
				delete(s.rates, k)
			}
		}
	}
	r := s.rates[key]
	if r == nil || now.Sub(r.windowStart) >= time.Minute {
		r = &rate{windowStart: now}
		s.rates[key] = r
	}
	if r.n+n > s.d.Limits.EventsPerMin {
		return errs.TooMany(time.Minute - now.Sub(r.windowStart))
	}
	r.n += n
	return nil
}

// ServerEvent records something the server itself did on a viewer's behalf (a like, a
// follow, a comment, a publish), into the same log.
func (s *Service) ServerEvent(ctx context.Context, kind, accountID, videoID, creatorID string, durationMS int64, extra any) {
	row := &db.EventRow{At: s.d.Now(), ClientAt: s.d.Now(), Kind: kind, AccountID: accountID, VideoID: videoID,
		CreatorID: creatorID, DurationMS: durationMS}
	if extra != nil {
		b, _ := json.Marshal(extra)
		row.Extra = string(b)
	}
	if _, err := s.d.Events.Append(ctx, []*db.EventRow{row}); err != nil {
		s.d.Log.Warn("record server event", "kind", kind, "err", err)
		return
	}
	s.poke()
}

// Published tells the recommender a video can be recommended.
func (s *Service) Published(ctx context.Context, videoID, creatorID string, durationMS int64, hashtags []string, region, language string) {
	s.ServerEvent(ctx, "video_published", "", videoID, creatorID, durationMS, publishExtra{Hashtags: hashtags, Region: region, Language: language})
}

// Updated tells the recommender a published video's hashtags or language changed.
func (s *Service) Updated(ctx context.Context, videoID string, hashtags []string, language string) {
	s.ServerEvent(ctx, "video_updated", "", videoID, "", 0, publishExtra{Hashtags: hashtags, Language: language})
}

// Removed tells the recommender a video must no longer be recommended.
func (s *Service) Removed(ctx context.Context, videoID string) {
	s.ServerEvent(ctx, "video_removed", "", videoID, "", 0, nil)
}

// Ranking describes the main ranking parameters and their weights, for the public ranking
// page (EU Digital Services Act, Art. 27).
func (s *Service) Ranking() map[string]any {
	c := s.rec.Config()
	return map[string]any{
		"summary": "For You picks candidates from accounts you follow, videos liked by people with similar taste, " +
			"videos similar to what you watched to the end, hashtags you watch, regional trends and new uploads, " +
			"then ranks them by predicted watch time, like, share and follow, and spreads creators and hashtags. " +
			"With personalisation off it uses only your region and language.",
		"parameters": c,
		"trending": "The Trending tab: (2·likes + 3·comments + 4·shares) / (views + 10), halved for every day of age, per region, " +
			"with the videos in your language (the one chosen in Settings, else your browser's first) before the others. " +
			"Videos nobody has reacted to yet come after the others, newest first. The trending candidates inside For You use a faster decay: see TrendHalfLife.",
	}
}
