package httpapi

import (
	"context"
	"maps"
	"net/http"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/feed"
	"kurz/internal/lang"
	"kurz/internal/policy"
	"kurz/internal/video"
)

var feedOperations = []operation{
	{method: "get", path: "/api/v1/feed/{name}", summary: "A feed: for_you (personalised unless switched off), following (newest from accounts you follow) or trending (regional, in your language first); each item says why it is there. A first page left empty while videos you watched recently or marked not interested were left out has caught_up and a notice saying so", tag: "feed", response: "FeedItem", paginated: true, status: "200", errors: []string{"401", "404"}},
	{method: "post", path: "/api/v1/feed/refresh", summary: "Refresh For You: forget what was learned about you", tag: "feed", auth: true, status: "204"},
	{method: "post", path: "/api/v1/events", summary: "Send watch events in batches (impression, play_start, progress, complete, loop, skip, replay, not_interested); each has a unique key and is logged once", tag: "feed", request: "EventBatch", response: "EventResult", status: "200", errors: []string{"413", "429"}},
	{method: "get", path: "/api/v1/ranking", summary: "The main ranking parameters of For You and their weights (public)", tag: "feed", response: "Object", status: "200"},
}

func feedSchemas() map[string]any {
	return map[string]any{
		"FeedItem": map[string]any{"allOf": []any{ref("Video"), obj([]string{"reason"}, map[string]any{
			"reason": obj([]string{"source", "text"}, map[string]any{"source": str("following, co_engagement, embedding, trending, hashtag or exploration"),
				"text": str("why you are seeing this, in words"), "signals": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}})})}},
		"EventBatch": obj([]string{"events"}, map[string]any{"events": map[string]any{"type": "array", "items": obj([]string{"kind", "key", "at"}, map[string]any{
			"kind": str(""), "key": str("idempotency key, 8–64 of A-Z a-z 0-9 _ -, unique per event; begin it with the time, as a UUIDv7 does (the web client: milliseconds in 12 hex digits, then 80 random bits), so keys sent together sit together in the server's key index"), "at": timeSchema, "video_id": str(""),
			"target": str("not_interested: video, creator or hashtag"), "hashtag": str(""), "feed": str("where it was watched"),
			"watch_ms": map[string]any{"type": "integer"}, "position_ms": map[string]any{"type": "integer"}, "loops": map[string]any{"type": "integer"}})}}),
		"EventResult": obj([]string{"accepted"}, map[string]any{"accepted": map[string]any{"type": "integer"}, "duplicates": map[string]any{"type": "integer"}}),
	}
}

func (s *Server) routesFeed() {
	s.handle("GET /api/v1/feed/{name}", anyone, s.getFeed)
	s.handle("POST /api/v1/feed/refresh", loggedIn, s.refreshFeed)
	s.handle("POST /api/v1/events", anyone, s.postEvents)
	s.handle("GET /api/v1/ranking", anyone, s.ranking)
}

func (s *Server) feedViewer(r *http.Request, c *call) feed.Viewer {
	v := feed.Viewer{Viewer: c.viewer(), Region: s.d.Config.Region}
	if c.p != nil {
		v.Personalised = c.p.Account.Personalised
		v.Region = c.p.Account.Region
	}
	v.Language = callerLanguage(r, c)
	return v
}

// callerLanguage is the language the caller watches in: the account's choice in Settings,
// else the browser's first (Accept-Language), for visitors and for accounts that left it
// to the browser.
func callerLanguage(r *http.Request, c *call) string {
	if c.p != nil && c.p.Account.Language != "" {
		return c.p.Account.Language
	}
	return lang.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

type reasonJSON struct {
	Source  string       `json:"source"`
	Text    string       `json:"text"`
	Signals []signalJSON `json:"signals,omitempty"`
}

type signalJSON struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

type feedItemJSON struct {
	videoJSON
	Reason reasonJSON `json:"reason"`
}

type feedPageJSON struct {
	Items        []feedItemJSON `json:"items"`
	NextCursor   string         `json:"next_cursor,omitempty"`
	Personalised bool           `json:"personalised"`
	Notice       string         `json:"notice,omitempty"`
	// CaughtUp marks an empty first page for which the feed left out videos the viewer
	// watched recently or marked "not interested"; Notice then says so in words.
	CaughtUp bool `json:"caught_up,omitempty"`
}

func (s *Server) getFeed(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := s.limit(r)
	if err != nil {
		return err
	}
	v := s.feedViewer(r, c)
	cursor := r.URL.Query().Get("cursor")
	// The feed decides on the videos it places through the same batched load that renders
	// them, so a page reads its videos once.
	vp := &video.Page{Owners: map[string]*db.AccountRow{}, Relations: map[string]policy.Relation{}, WhoCanComment: map[string]string{}}
	vids := map[string]*video.Video{} // vp.Videos by ID, across the loads
	load := func(ctx context.Context, ids []string) (map[string]feed.Loaded, error) {
		p, err := s.d.Videos.GetMany(ctx, c.viewer(), ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]feed.Loaded, len(p.Videos))
		for _, vid := range p.Videos {
			out[vid.ID] = feed.Loaded{Owner: vid.OwnerID, Hashtags: vid.Hashtags}
			vids[vid.ID] = vid
			vp.WhoCanComment[vid.ID] = p.WhoCanComment[vid.ID]
		}
		maps.Copy(vp.Owners, p.Owners)
		maps.Copy(vp.Relations, p.Relations)
		return out, nil
	}
	var page *feed.Page
	switch r.PathValue("name") {
	case "for_you":
		page, err = s.d.Feed.ForYou(r.Context(), v, cursor, limit, load)
	case "following":
		after := ""
		if cursor != "" {
			if after, _, err = s.page(r); err != nil {
				return err
			}
		}
		page, err = s.d.Feed.Following(r.Context(), v, after, limit)
	case "trending":
		page, err = s.d.Feed.Trending(r.Context(), v, cursor, limit, load)
	default:
		return errs.NotFound("feed (try for_you, following or trending)")
	}
	if err != nil {
		return err
	}
	out := feedPageJSON{Items: []feedItemJSON{}, NextCursor: page.Next, Personalised: page.Personalised}
	if r.PathValue("name") == "for_you" && !page.Personalised {
		out.Notice = "Personalisation is off: this feed uses only your region and language, not your activity."
	}
	if len(page.Items) == 0 && page.Dismissed > 0 && cursor == "" {
		out.CaughtUp = true
		out.Notice = "You have seen these videos recently or said you are not interested in them. New videos will show up here as people post them."
	}
	// Following hands over IDs only: its videos are loaded here, in one batch, with the same
	// decision as Get for each.
	var missing []string
	for _, it := range page.Items {
		if vids[it.VideoID] == nil {
			missing = append(missing, it.VideoID)
		}
	}
	if len(missing) > 0 {
		if _, err := load(r.Context(), missing); err != nil {
			return err
		}
	}
	var shown []*video.Video
	var reasons []reasonJSON
	for _, it := range page.Items {
		vid := vids[it.VideoID]
		if vid == nil {
			continue
		}
		reason := reasonJSON{Source: it.Source, Text: it.Reason}
		for _, sg := range it.Signals {
			reason.Signals = append(reason.Signals, signalJSON{Name: sg.Name, Value: sg.Value})
		}
		shown, reasons = append(shown, vid), append(reasons, reason)
	}
	for i, vj := range s.pageOut(r.Context(), c, vp, shown) {
		out.Items = append(out.Items, feedItemJSON{videoJSON: vj, Reason: reasons[i]})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) refreshFeed(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Feed.Reset(r.Context(), c.viewer()); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Events []struct {
			Kind       string    `json:"kind"`
			Key        string    `json:"key"`
			At         time.Time `json:"at"`
			VideoID    string    `json:"video_id"`
			Target     string    `json:"target"`
			Hashtag    string    `json:"hashtag"`
			Feed       string    `json:"feed"`
			WatchMS    int64     `json:"watch_ms"`
			PositionMS int64     `json:"position_ms"`
			Loops      int64     `json:"loops"`
		} `json:"events"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody)*4, &in); err != nil {
		return err
	}
	batch := make([]feed.ClientEvent, len(in.Events))
	for i, e := range in.Events {
		batch[i] = feed.ClientEvent{Kind: e.Kind, Key: e.Key, At: e.At, VideoID: e.VideoID, Target: e.Target, Hashtag: e.Hashtag,
			Feed: e.Feed, WatchMS: e.WatchMS, PositionMS: e.PositionMS, Loops: e.Loops}
	}
	session := "ip:" + c.client.IP
	if c.p != nil {
		session = "s:" + c.p.Session.ID
	}
	n, err := s.d.Feed.Record(r.Context(), s.feedViewer(r, c), session, batch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"accepted": n, "duplicates": len(batch) - n})
	return nil
}

func (s *Server) ranking(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, s.d.Feed.Ranking())
	return nil
}
