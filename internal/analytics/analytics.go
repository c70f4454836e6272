// Package analytics is creator analytics: a tailer folds the engagement event log into
// aggregates per video and day (views, watch time, completions, likes, shares, comments,
// traffic by feed), a retention histogram per video and follower growth per account, and
// the service reads them back for a video's owner. The aggregates hold no viewer ids.
package analytics

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
)

// Store is what the service needs from the database.
type Store interface {
	Fold(ctx context.Context, limit int, playTTL time.Duration, fold db.FoldFunc) (int, error)
	Pending(ctx context.Context) (bool, error)
	CreatorDays(ctx context.Context, creatorID string, from, to int64) ([]db.DayTotals, error)
	VideoDays(ctx context.Context, creatorID, videoID string, from, to int64) ([]db.DayTotals, error)
	CreatorFeeds(ctx context.Context, creatorID string, from, to int64) ([]db.FeedPlays, error)
	VideoFeeds(ctx context.Context, creatorID, videoID string, from, to int64) ([]db.FeedPlays, error)
	TopVideos(ctx context.Context, creatorID string, from, to int64, limit int) ([]db.VideoTotals, error)
	Retention(ctx context.Context, creatorID, videoID string) ([db.RetentionBuckets]int64, error)
	FollowerDays(ctx context.Context, accountID string, from, to int64) ([]db.FollowerDayRow, error)
	EraseAccount(ctx context.Context, accountID string) error
}

type videoStore interface {
	ByID(ctx context.Context, id string) (*db.VideoRow, error)
}

// Windows are the numbers of days a report may cover.
var Windows = []int{7, 28, 90}

// Deps are what the service needs.
type Deps struct {
	Store  Store
	Videos videoStore
	Now    func() time.Time
	Log    *slog.Logger
	// Batch is how many events one fold transaction takes; PlayTTL how long (in log time)
	// a play may be idle before it counts as ended; Poll how often an idle tailer looks for
	// events.
	Batch   int
	PlayTTL time.Duration
	Poll    time.Duration
	// TopVideos is how many videos the account overview lists.
	TopVideos int
}

// Service folds the log and answers analytics questions.
type Service struct {
	d Deps
}

// New returns the service; Run keeps its aggregates in step with the log.
func New(d Deps) *Service {
	if d.Batch <= 0 {
		d.Batch = 1000
	}
	if d.PlayTTL <= 0 {
		d.PlayTTL = 6 * time.Hour
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	if d.TopVideos <= 0 {
		d.TopVideos = 10
	}
	return &Service{d: d}
}

// Run folds new events as they arrive until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for {
		n, err := s.step(ctx)
		if err != nil && ctx.Err() == nil {
			s.d.Log.Warn("analytics could not fold the event log", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.d.Poll):
		}
	}
}

// CatchUp folds every event logged so far; tests and tools call it to wait for freshness.
func (s *Service) CatchUp(ctx context.Context) error {
	for {
		n, err := s.step(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

func (s *Service) step(ctx context.Context) (int, error) {
	pending, err := s.d.Store.Pending(ctx)
	if err != nil || !pending {
		return 0, err
	}
	return s.d.Store.Fold(ctx, s.d.Batch, s.d.PlayTTL, Fold(s.d.PlayTTL))
}

// EraseAccount drops the aggregates of an account's videos and followers, for erasure.
func (s *Service) EraseAccount(ctx context.Context, accountID string) error {
	return s.d.Store.EraseAccount(ctx, accountID)
}

// Totals are sums over a window.
type Totals struct {
	Views, Plays, WatchMS, Completes, Likes, Shares, Comments int64
	// AvgWatchMS is watch time per play; CompletionRate completions per play, at most 1.
	AvgWatchMS     int64
	CompletionRate float64
}

// Day is one day of a report.
type Day struct {
	Date                                                      time.Time
	Views, Plays, WatchMS, Completes, Likes, Shares, Comments int64
	Follows, Unfollows                                        int64
}

// Feed is the traffic from one feed.
type Feed struct {
	Feed  string
	Plays int64
	Share float64 // of all plays in the window
}

// Window is the range a report covers: Days whole UTC days ending with today.
type Window struct {
	Days     int
	From, To time.Time // first instant of the first day, first instant of the last
	from, to int64
}

// Overview is an account's report.
type Overview struct {
	Window
	Totals
	Follows, Unfollows int64
	PerDay             []Day
	Traffic            []Feed
	Top                []TopVideo
}

// TopVideo is one of the account's most viewed videos in the window.
type TopVideo struct {
	VideoID    string
	Caption    string
	DurationMS int64
	Totals
}

// Report is one video's report.
type Report struct {
	Window
	Totals
	VideoID    string
	Caption    string
	DurationMS int64
	CreatedAt  time.Time
	PerDay     []Day
	Traffic    []Feed
	// Retention is the share of plays still watching at 0%, 5%, … 100% of the video, over
	// its whole life; RetentionPlays is how many plays it is drawn from.
	Retention      [Buckets]float64
	RetentionPlays int64
}

// window checks the number of days asked for.
func (s *Service) window(days int) (Window, error) {
	ok := false
	for _, w := range Windows {
		ok = ok || days == w
	}
	if !ok {
		return Window{}, errs.Invalid("days", "invalid_days", "days must be 7, 28 or 90")
	}
	to := DayOf(s.d.Now())
	from := to - int64(days) + 1
	return Window{Days: days, From: DayStart(from), To: DayStart(to), from: from, to: to}, nil
}

func totals(t db.DayTotals) Totals {
	out := Totals{Views: t.Views, Plays: t.Plays, WatchMS: t.WatchMS, Completes: t.Completes, Likes: t.Likes, Shares: t.Shares, Comments: t.Comments}
	if t.Plays > 0 {
		out.AvgWatchMS = t.WatchMS / t.Plays
		out.CompletionRate = min(1, float64(t.Completes)/float64(t.Plays))
	}
	return out
}

// perDay lays the days of the window out in order, with zeros where nothing happened.
func perDay(w Window, days []db.DayTotals, followers []db.FollowerDayRow) ([]Day, db.DayTotals) {
	out := make([]Day, w.Days)
	for i := range out {
		out[i].Date = DayStart(w.from + int64(i))
	}
	var sum db.DayTotals
	for _, d := range days {
		i := d.Day - w.from
		if i < 0 || i >= int64(len(out)) {
			continue
		}
		o := &out[i]
		o.Views, o.Plays, o.WatchMS, o.Completes, o.Likes, o.Shares, o.Comments = d.Views, d.Plays, d.WatchMS, d.Completes, d.Likes, d.Shares, d.Comments
		sum.Views += d.Views
		sum.Plays += d.Plays
		sum.WatchMS += d.WatchMS
		sum.Completes += d.Completes
		sum.Likes += d.Likes
		sum.Shares += d.Shares
		sum.Comments += d.Comments
	}
	for _, f := range followers {
		if i := f.Day - w.from; i >= 0 && i < int64(len(out)) {
			out[i].Follows, out[i].Unfollows = f.Follows, f.Unfollows
		}
	}
	return out, sum
}

func traffic(feeds []db.FeedPlays) []Feed {
	var all int64
	for _, f := range feeds {
		all += f.Plays
	}
	out := make([]Feed, 0, len(feeds))
	for _, f := range feeds {
		if f.Plays <= 0 {
			continue
		}
		out = append(out, Feed{Feed: f.Feed, Plays: f.Plays, Share: float64(f.Plays) / float64(all)})
	}
	return out
}

// Account is the viewer's own overview over the last days.
func (s *Service) Account(ctx context.Context, v policy.Viewer, days int) (*Overview, error) {
	if err := policy.AnalyticsDecision(v, policy.ViewAnalytics, v.AccountID); err != nil {
		return nil, err
	}
	w, err := s.window(days)
	if err != nil {
		return nil, err
	}
	dayRows, err := s.d.Store.CreatorDays(ctx, v.AccountID, w.from, w.to)
	if err != nil {
		return nil, errs.Internal(err)
	}
	followers, err := s.d.Store.FollowerDays(ctx, v.AccountID, w.from, w.to)
	if err != nil {
		return nil, errs.Internal(err)
	}
	feeds, err := s.d.Store.CreatorFeeds(ctx, v.AccountID, w.from, w.to)
	if err != nil {
		return nil, errs.Internal(err)
	}
	top, err := s.d.Store.TopVideos(ctx, v.AccountID, w.from, w.to, s.d.TopVideos)
	if err != nil {
		return nil, errs.Internal(err)
	}
	o := &Overview{Window: w, Traffic: traffic(feeds), Top: []TopVideo{}}
	var sum db.DayTotals
	o.PerDay, sum = perDay(w, dayRows, followers)
	o.Totals = totals(sum)
	for _, f := range followers {
		o.Follows += f.Follows
		o.Unfollows += f.Unfollows
	}
	for _, t := range top {
		row, err := s.d.Videos.ByID(ctx, t.VideoID)
		if errors.Is(err, db.ErrNotFound) {
			continue // deleted since: its numbers still count in the totals
		}
		if err != nil {
			return nil, errs.Internal(err)
		}
		o.Top = append(o.Top, TopVideo{VideoID: t.VideoID, Caption: row.Caption, DurationMS: row.DurationMS, Totals: totals(t.DayTotals)})
	}
	return o, nil
}

// Video is one video's report over the last days, for its owner.
func (s *Service) Video(ctx context.Context, v policy.Viewer, videoID string, days int) (*Report, error) {
	// Anonymous callers are asked to log in before anything is looked up.
	if err := policy.AnalyticsDecision(v, policy.ViewAnalytics, ""); errs.Is(err, errs.KindUnauthenticated) {
		return nil, err
	}
	w, err := s.window(days)
	if err != nil {
		return nil, err
	}
	if !id.Valid(videoID) {
		return nil, errs.NotFound("video")
	}
	row, err := s.d.Videos.ByID(ctx, videoID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("video")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	if err := policy.AnalyticsDecision(v, policy.ViewAnalytics, row.AccountID); err != nil {
		return nil, err
	}
	dayRows, err := s.d.Store.VideoDays(ctx, row.AccountID, videoID, w.from, w.to)
	if err != nil {
		return nil, errs.Internal(err)
	}
	feeds, err := s.d.Store.VideoFeeds(ctx, row.AccountID, videoID, w.from, w.to)
	if err != nil {
		return nil, errs.Internal(err)
	}
	hist, err := s.d.Store.Retention(ctx, row.AccountID, videoID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	r := &Report{Window: w, VideoID: row.ID, Caption: row.Caption, DurationMS: row.DurationMS, CreatedAt: row.CreatedAt,
		Traffic: traffic(feeds)}
	var sum db.DayTotals
	r.PerDay, sum = perDay(w, dayRows, nil)
	r.Totals = totals(sum)
	r.RetentionPlays, r.Retention = Curve(hist)
	return r, nil
}

// Curve turns a retention histogram into shares of plays: point b is the share of plays
// whose furthest position reached b × 5% of the duration.
func Curve(hist [Buckets]int64) (int64, [Buckets]float64) {
	var out [Buckets]float64
	plays := hist[0]
	if plays <= 0 {
		return 0, out
	}
	for b, n := range hist {
		out[b] = min(1, float64(n)/float64(plays))
	}
	return plays, out
}
