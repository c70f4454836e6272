package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"kurz/internal/analytics"
	"kurz/internal/errs"
)

var analyticsOperations = []operation{
	{method: "get", path: "/api/v1/me/analytics", summary: "Your creator analytics over ?days=7, 28 (default) or 90 UTC days ending today: totals, views and follower growth per day, traffic by feed, top videos", tag: "analytics", auth: true, response: "AccountAnalytics", status: "200"},
	{method: "get", path: "/api/v1/videos/{id}/analytics", summary: "One of your videos' analytics over ?days=7, 28 (default) or 90: views, average watch time, completion rate, views per day, traffic by feed, and its retention curve since upload; only its creator may read them", tag: "analytics", auth: true, response: "VideoAnalytics", status: "200", errors: []string{"404"}},
}

func analyticsSchemas() map[string]any {
	integer := map[string]any{"type": "integer"}
	number := map[string]any{"type": "number"}
	date := map[string]any{"type": "string", "format": "date", "description": "a UTC day, YYYY-MM-DD"}
	totals := obj([]string{"views", "plays", "watch_ms", "avg_watch_ms", "completes", "completion_rate", "likes", "shares", "comments"}, map[string]any{
		"views":    map[string]any{"type": "integer", "description": "plays started (play_start), as on the public counter"},
		"plays":    map[string]any{"type": "integer", "description": "watch sessions, counted from any watch event"},
		"watch_ms": integer, "avg_watch_ms": map[string]any{"type": "integer", "description": "watch time per play"},
		"completes":       integer,
		"completion_rate": map[string]any{"type": "number", "description": "completions per play, 0 to 1"},
		"likes":           map[string]any{"type": "integer", "description": "likes less unlikes"}, "shares": integer, "comments": integer,
	})
	dayProps := map[string]any{"date": date, "views": integer, "plays": integer, "watch_ms": integer, "completes": integer,
		"likes": integer, "shares": integer, "comments": integer}
	accountDay := map[string]any{"followers_gained": integer, "followers_lost": integer}
	for k, v := range dayProps {
		accountDay[k] = v
	}
	days := func(props map[string]any) map[string]any {
		return map[string]any{"type": "array", "description": "every day of the window, oldest first", "items": obj([]string{"date", "views", "plays"}, props)}
	}
	traffic := map[string]any{"type": "array", "description": "plays by the feed they started from (for_you, following, trending, profile, hashtag, search, direct or other), most first",
		"items": obj([]string{"feed", "plays", "share"}, map[string]any{"feed": str(""), "plays": integer, "share": map[string]any{"type": "number", "description": "of all plays, 0 to 1"}})}
	window := map[string]any{"days": integer, "from": date, "to": date}
	account := map[string]any{"totals": totals, "per_day": days(accountDay), "traffic": traffic,
		"followers": obj([]string{"gained", "lost", "net"}, map[string]any{"gained": integer, "lost": integer, "net": integer}),
		"top_videos": map[string]any{"type": "array", "description": "most viewed in the window", "items": obj([]string{"id", "totals"}, map[string]any{
			"id": str(""), "caption": str(""), "duration_ms": integer, "totals": totals})}}
	video := map[string]any{"totals": totals, "per_day": days(dayProps), "traffic": traffic,
		"video": obj([]string{"id"}, map[string]any{"id": str(""), "caption": str(""), "duration_ms": integer, "created_at": timeSchema}),
		"retention": obj([]string{"plays", "points"}, map[string]any{
			"plays": map[string]any{"type": "integer", "description": "plays of known duration the curve is drawn from, since upload"},
			"points": map[string]any{"type": "array", "description": "21 points: the share of plays still watching at 0%, 5%, … 100% of the video",
				"items": obj([]string{"percent", "share"}, map[string]any{"percent": integer, "share": number})}})}
	for k, v := range window {
		account[k], video[k] = v, v
	}
	return map[string]any{
		"AccountAnalytics": obj([]string{"days", "from", "to", "totals", "followers", "per_day", "traffic", "top_videos"}, account),
		"VideoAnalytics":   obj([]string{"days", "from", "to", "video", "totals", "per_day", "traffic", "retention"}, video),
	}
}

func (s *Server) routesAnalytics() {
	s.handle("GET /api/v1/me/analytics", loggedIn, s.getMyAnalytics)
	s.handle("GET /api/v1/videos/{id}/analytics", loggedIn, s.getVideoAnalytics)
}

type totalsJSON struct {
	Views          int64   `json:"views"`
	Plays          int64   `json:"plays"`
	WatchMS        int64   `json:"watch_ms"`
	AvgWatchMS     int64   `json:"avg_watch_ms"`
	Completes      int64   `json:"completes"`
	CompletionRate float64 `json:"completion_rate"`
	Likes          int64   `json:"likes"`
	Shares         int64   `json:"shares"`
	Comments       int64   `json:"comments"`
}

type dayJSON struct {
	Date      string `json:"date"`
	Views     int64  `json:"views"`
	Plays     int64  `json:"plays"`
	WatchMS   int64  `json:"watch_ms"`
	Completes int64  `json:"completes"`
	Likes     int64  `json:"likes"`
	Shares    int64  `json:"shares"`
	Comments  int64  `json:"comments"`
}

type accountDayJSON struct {
	dayJSON
	FollowersGained int64 `json:"followers_gained"`
	FollowersLost   int64 `json:"followers_lost"`
}

type trafficJSON struct {
	Feed  string  `json:"feed"`
	Plays int64   `json:"plays"`
	Share float64 `json:"share"`
}

type followersJSON struct {
	Gained int64 `json:"gained"`
	Lost   int64 `json:"lost"`
	Net    int64 `json:"net"`
}

type topVideoJSON struct {
	ID         string     `json:"id"`
	Caption    string     `json:"caption"`
	DurationMS int64      `json:"duration_ms"`
	Totals     totalsJSON `json:"totals"`
}

type accountAnalyticsJSON struct {
	Days      int              `json:"days"`
	From      string           `json:"from"`
	To        string           `json:"to"`
	Totals    totalsJSON       `json:"totals"`
	Followers followersJSON    `json:"followers"`
	PerDay    []accountDayJSON `json:"per_day"`
	Traffic   []trafficJSON    `json:"traffic"`
	Top       []topVideoJSON   `json:"top_videos"`
}

type retentionPointJSON struct {
	Percent int     `json:"percent"`
	Share   float64 `json:"share"`
}

type videoAnalyticsJSON struct {
	Days  int    `json:"days"`
	From  string `json:"from"`
	To    string `json:"to"`
	Video struct {
		ID         string    `json:"id"`
		Caption    string    `json:"caption"`
		DurationMS int64     `json:"duration_ms"`
		CreatedAt  time.Time `json:"created_at"`
	} `json:"video"`
	Totals    totalsJSON    `json:"totals"`
	PerDay    []dayJSON     `json:"per_day"`
	Traffic   []trafficJSON `json:"traffic"`
	Retention struct {
		Plays  int64                `json:"plays"`
		Points []retentionPointJSON `json:"points"`
	} `json:"retention"`
}

// analyticsDays reads ?days; the service says which windows exist.
func analyticsDays(r *http.Request) (int, error) {
	v := r.URL.Query().Get("days")
	if v == "" {
		return 28, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.Invalid("days", "invalid_days", "days must be 7, 28 or 90")
	}
	return n, nil
}

const dateLayout = "2006-01-02"

func totalsOut(t analytics.Totals) totalsJSON {
	return totalsJSON{Views: t.Views, Plays: t.Plays, WatchMS: t.WatchMS, AvgWatchMS: t.AvgWatchMS, Completes: t.Completes,
		CompletionRate: t.CompletionRate, Likes: t.Likes, Shares: t.Shares, Comments: t.Comments}
}

func dayOut(d analytics.Day) dayJSON {
	return dayJSON{Date: d.Date.Format(dateLayout), Views: d.Views, Plays: d.Plays, WatchMS: d.WatchMS, Completes: d.Completes,
		Likes: d.Likes, Shares: d.Shares, Comments: d.Comments}
}

func trafficOut(fs []analytics.Feed) []trafficJSON {
	out := make([]trafficJSON, len(fs))
	for i, f := range fs {
		out[i] = trafficJSON{Feed: f.Feed, Plays: f.Plays, Share: f.Share}
	}
	return out
}

func (s *Server) getMyAnalytics(w http.ResponseWriter, r *http.Request, c *call) error {
	days, err := analyticsDays(r)
	if err != nil {
		return err
	}
	o, err := s.d.Analytics.Account(r.Context(), c.viewer(), days)
	if err != nil {
		return err
	}
	out := accountAnalyticsJSON{Days: o.Days, From: o.From.Format(dateLayout), To: o.To.Format(dateLayout), Totals: totalsOut(o.Totals),
		Followers: followersJSON{Gained: o.Follows, Lost: o.Unfollows, Net: o.Follows - o.Unfollows},
		PerDay:    make([]accountDayJSON, len(o.PerDay)), Traffic: trafficOut(o.Traffic), Top: make([]topVideoJSON, len(o.Top))}
	for i, d := range o.PerDay {
		out.PerDay[i] = accountDayJSON{dayJSON: dayOut(d), FollowersGained: d.Follows, FollowersLost: d.Unfollows}
	}
	for i, t := range o.Top {
		out.Top[i] = topVideoJSON{ID: t.VideoID, Caption: t.Caption, DurationMS: t.DurationMS, Totals: totalsOut(t.Totals)}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getVideoAnalytics(w http.ResponseWriter, r *http.Request, c *call) error {
	days, err := analyticsDays(r)
	if err != nil {
		return err
	}
	rep, err := s.d.Analytics.Video(r.Context(), c.viewer(), r.PathValue("id"), days)
	if err != nil {
		return err
	}
	out := videoAnalyticsJSON{Days: rep.Days, From: rep.From.Format(dateLayout), To: rep.To.Format(dateLayout), Totals: totalsOut(rep.Totals),
		PerDay: make([]dayJSON, len(rep.PerDay)), Traffic: trafficOut(rep.Traffic)}
	out.Video.ID, out.Video.Caption, out.Video.DurationMS, out.Video.CreatedAt = rep.VideoID, rep.Caption, rep.DurationMS, rep.CreatedAt
	for i, d := range rep.PerDay {
		out.PerDay[i] = dayOut(d)
	}
	out.Retention.Plays = rep.RetentionPlays
	out.Retention.Points = make([]retentionPointJSON, len(rep.Retention))
	for b, share := range rep.Retention {
		out.Retention.Points[b] = retentionPointJSON{Percent: b * 5, Share: share}
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}
