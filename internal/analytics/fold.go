package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"kurz/internal/db"
)

// Buckets is the number of points of a retention curve: 0%, 5%, … 100% of the duration.
const Buckets = db.RetentionBuckets

// A play is one viewing of one video by one player (a session, or an account when the
// event has no session). It begins with play_start or replay, or with the first watch
// event of a video the player is not already playing; it ends with skip, when the player
// turns to another video, or when it has been idle for PlayTTL. Its furthest position
// and its watch time only grow; what they gain is added to the aggregates as it comes, so
// a play spread over many batches is counted once.

// watchKinds are the events that belong to a play.
var watchKinds = map[string]bool{"play_start": true, "replay": true, "progress": true, "complete": true, "loop": true, "skip": true}

// feedIndex places each feed traffic is counted by in db.VideoDayRow.ByFeed; anything
// else counts as "other", the last.
var feedIndex = func() map[string]int {
	m := map[string]int{}
	for i, f := range db.AnalyticsFeeds {
		m[f] = i
	}
	return m
}()

// DayOf is the UTC day of t, in days since 1970-01-01.
func DayOf(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}

// DayStart is the first instant of a day numbered as DayOf numbers them.
func DayStart(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

// Bucket is the retention bucket a position reaches: how many whole 5% steps of the
// duration it has passed, 20 at the end. A duration of 0 has no buckets (-1).
func Bucket(positionMS, durationMS int64) int {
	if durationMS <= 0 {
		return -1
	}
	if positionMS <= 0 {
		return 0
	}
	if positionMS >= durationMS {
		return Buckets - 1
	}
	return int(positionMS * (Buckets - 1) / durationMS)
}

// viewerKey names the player of an event: a hash, so that the short-lived play state does
// not hold session ids or addresses. "" when the event has neither session nor account.
func viewerKey(e *db.EventRow) string {
	k := ""
	switch {
	case e.SessionID != "":
		k = "s:" + e.SessionID
	case e.AccountID != "":
		k = "a:" + e.AccountID
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:16])
}

// folder accumulates what one batch adds.
type folder struct {
	days      map[[2]any]*db.VideoDayRow  // (video, day)
	retention map[string]*db.RetentionRow // by video
	followers map[[2]any]*db.FollowerDayRow
	plays     map[string]*db.PlayRow // in progress, nil once ended
	touched   map[string]bool
	ttl       time.Duration
}

// Fold returns the db.FoldFunc of creator analytics: it turns a batch of events into what
// they add to the aggregates. A play idle for longer than playTTL before an event of its
// player has ended. It is deterministic: the same events and plays give the same delta.
func Fold(playTTL time.Duration) db.FoldFunc {
	return func(ctx context.Context, events []*db.EventRow, load db.PlayLoader) (*db.AnalyticsDelta, error) {
		return fold(ctx, events, load, playTTL)
	}
}

func fold(ctx context.Context, events []*db.EventRow, load db.PlayLoader, playTTL time.Duration) (*db.AnalyticsDelta, error) {
	var viewers []string
	seen := map[string]bool{}
	for _, e := range events {
		if !watchKinds[e.Kind] || e.VideoID == "" {
			continue
		}
		if k := viewerKey(e); k != "" && !seen[k] {
			seen[k] = true
			viewers = append(viewers, k)
		}
	}
	sort.Strings(viewers)
	plays, err := load(ctx, viewers)
	if err != nil {
		return nil, err
	}
	f := &folder{days: map[[2]any]*db.VideoDayRow{}, retention: map[string]*db.RetentionRow{},
		followers: map[[2]any]*db.FollowerDayRow{}, plays: plays, touched: map[string]bool{}, ttl: playTTL}
	for _, e := range events {
		f.apply(e)
	}
	return f.delta(), nil
}

func (f *folder) day(e *db.EventRow) *db.VideoDayRow {
	k := [2]any{e.VideoID, DayOf(e.At)}
	r := f.days[k]
	if r == nil {
		r = &db.VideoDayRow{VideoID: e.VideoID, CreatorID: e.CreatorID, Day: DayOf(e.At)}
		f.days[k] = r
	}
	return r
}

func (f *folder) follower(accountID string, at time.Time) *db.FollowerDayRow {
	k := [2]any{accountID, DayOf(at)}
	r := f.followers[k]
	if r == nil {
		r = &db.FollowerDayRow{AccountID: accountID, Day: DayOf(at)}
		f.followers[k] = r
	}
	return r
}

// reach adds to the retention histogram the buckets a play passes moving from one
// furthest position to a further one.
func (f *folder) reach(p *db.PlayRow, fromBucket, toBucket int) {
	if fromBucket >= toBucket {
		return
	}
	r := f.retention[p.VideoID]
	if r == nil {
		r = &db.RetentionRow{VideoID: p.VideoID, CreatorID: p.CreatorID}
		f.retention[p.VideoID] = r
	}
	for b := fromBucket + 1; b <= toBucket; b++ {
		r.Plays[b]++
	}
}

func (f *folder) apply(e *db.EventRow) {
	switch e.Kind {
	case "follow", "unfollow":
		// creator_id is the account followed.
		if e.CreatorID == "" {
			return
		}
		r := f.follower(e.CreatorID, e.At)
		if e.Kind == "follow" {
			r.Follows++
		} else {
			r.Unfollows++
		}
		return
	}
	if e.VideoID == "" || e.CreatorID == "" {
		return
	}
	switch e.Kind {
	case "like":
		f.day(e).Likes++
	case "unlike":
		f.day(e).Likes--
	case "share":
		f.day(e).Shares++
	case "comment":
		f.day(e).Comments++
	}
	if !watchKinds[e.Kind] {
		return
	}
	d := f.day(e)
	switch e.Kind {
	case "play_start":
		d.Views++
	case "complete":
		d.Completes++
	}
	key := viewerKey(e)
	if key == "" {
		return
	}
	p := f.plays[key]
	if p == nil || p.VideoID != e.VideoID || e.Kind == "play_start" || e.Kind == "replay" || e.At.Sub(p.LastAt) > f.ttl {
		p = &db.PlayRow{Viewer: key, AccountID: e.AccountID, VideoID: e.VideoID, CreatorID: e.CreatorID, DurationMS: e.DurationMS}
		f.plays[key] = p
		d.Plays++
		feed, known := feedIndex[e.Feed]
		if !known {
			feed = len(db.AnalyticsFeeds) - 1
		}
		d.ByFeed[feed]++
		f.reach(p, -1, Bucket(0, p.DurationMS))
	}
	f.touched[key] = true
	if p.DurationMS == 0 && e.DurationMS > 0 {
		// The duration became known after the play began: count the play from here.
		p.DurationMS = e.DurationMS
		f.reach(p, -1, Bucket(p.FurthestMS, p.DurationMS))
	}
	p.LastAt = e.At
	furthest, watched := max(p.FurthestMS, e.PositionMS), max(p.WatchMS, e.WatchMS)
	switch e.Kind {
	case "complete", "loop":
		furthest = max(furthest, p.DurationMS)
		watched = max(watched, p.DurationMS)
	case "progress", "skip":
		// A client that does not count watch time still says how far it got.
		watched = max(watched, e.PositionMS)
	}
	f.reach(p, Bucket(p.FurthestMS, p.DurationMS), Bucket(furthest, p.DurationMS))
	d.WatchMS += watched - p.WatchMS
	p.FurthestMS, p.WatchMS = furthest, watched
	if e.Kind == "skip" {
		f.plays[key] = nil
	}
}

// delta lists the batch's additions in a fixed order, so that two tailers write rows in
// the same order and cannot deadlock each other.
func (f *folder) delta() *db.AnalyticsDelta {
	out := &db.AnalyticsDelta{}
	for _, r := range f.days {
		out.VideoDays = append(out.VideoDays, *r)
	}
	// In key order (creator, day, video): the same for every tailer, and a forward walk
	// through the b-tree.
	sort.Slice(out.VideoDays, func(i, j int) bool {
		a, b := out.VideoDays[i], out.VideoDays[j]
		if a.CreatorID != b.CreatorID {
			return a.CreatorID < b.CreatorID
		}
		return a.Day < b.Day || (a.Day == b.Day && a.VideoID < b.VideoID)
	})
	for _, r := range f.retention {
		out.Retention = append(out.Retention, *r)
	}
	sort.Slice(out.Retention, func(i, j int) bool {
		a, b := out.Retention[i], out.Retention[j]
		return a.CreatorID < b.CreatorID || (a.CreatorID == b.CreatorID && a.VideoID < b.VideoID)
	})
	for _, r := range f.followers {
		out.FollowerDays = append(out.FollowerDays, *r)
	}
	sort.Slice(out.FollowerDays, func(i, j int) bool {
		a, b := out.FollowerDays[i], out.FollowerDays[j]
		return a.AccountID < b.AccountID || (a.AccountID == b.AccountID && a.Day < b.Day)
	})
	keys := make([]string, 0, len(f.touched))
	for k := range f.touched {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := f.plays[k]; p != nil {
			out.Plays = append(out.Plays, *p)
		} else {
			out.EndedPlays = append(out.EndedPlays, k)
		}
	}
	return out
}
