package httpapi

import (
	"net/http"

	"kurz/internal/search"
)

var searchOperations = []operation{
	{method: "get", path: "/api/v1/search", summary: "Search, as the viewer may see: q (1 to 100 characters) finds accounts by username or display-name prefix, hashtags by prefix with the number of their videos you can see, and videos by caption words (ranked, the last word may be a prefix). type=accounts, hashtags or videos searches one type; without it, all three. limit is per type; a next_cursors entry pages one type (send it with its type)", tag: "search", response: "SearchResults", status: "200"},
	{method: "get", path: "/api/v1/hashtags/{tag}", summary: "A hashtag and how many of its videos you can see (0 for a hashtag nobody used)", tag: "search", response: "Hashtag", status: "200"},
	{method: "get", path: "/api/v1/hashtags/{tag}/videos", summary: "Videos with a hashtag that you can see: sort=top (recent engagement: likes + 2·comments + 3·shares, decayed by age; the default) or sort=newest", tag: "search", response: "Video", paginated: true, status: "200"},
}

func searchSchemas() map[string]any {
	array := func(item string) map[string]any { return map[string]any{"type": "array", "items": ref(item)} }
	return map[string]any{
		"Hashtag": obj([]string{"name", "video_count"}, map[string]any{"name": str("lower case, without #"),
			"video_count": map[string]any{"type": "integer", "description": "videos with the hashtag that you can see"}}),
		"SearchResults": obj(nil, map[string]any{
			"accounts": array("Account"), "hashtags": array("Hashtag"), "videos": array("Video"),
			"next_cursors": map[string]any{"type": "object", "description": "per type, the cursor of its next page; absent on the last",
				"additionalProperties": map[string]any{"type": "string"}}}),
	}
}

func (s *Server) routesSearch() {
	s.handle("GET /api/v1/search", anyone, s.search)
	s.handle("GET /api/v1/hashtags/{tag}", anyone, s.hashtag)
	s.handle("GET /api/v1/hashtags/{tag}/videos", anyone, s.hashtagVideos)
}

type hashtagJSON struct {
	Name       string `json:"name"`
	VideoCount int    `json:"video_count"`
}

// searchJSON holds only the types searched: an absent section was not asked for, an empty
// one found nothing.
type searchJSON struct {
	Accounts    *[]accountJSON    `json:"accounts,omitempty"`
	Hashtags    *[]hashtagJSON    `json:"hashtags,omitempty"`
	Videos      *[]videoJSON      `json:"videos,omitempty"`
	NextCursors map[string]string `json:"next_cursors,omitempty"`
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := s.limit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := s.d.Search.Search(r.Context(), c.viewer(), search.Query{Text: q.Get("q"), Type: q.Get("type"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	out := searchJSON{NextCursors: res.Next}
	if res.Accounts != nil {
		accounts := s.accountRowsOut(res.Accounts)
		out.Accounts = &accounts
	}
	if res.Hashtags != nil {
		tags := make([]hashtagJSON, len(res.Hashtags))
		for i, h := range res.Hashtags {
			tags[i] = hashtagJSON{Name: h.Name, VideoCount: h.Videos}
		}
		out.Hashtags = &tags
	}
	if res.VideoPage != nil {
		vids := s.pageOut(r.Context(), c, res.VideoPage, res.VideoPage.Videos)
		out.Videos = &vids
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) hashtag(w http.ResponseWriter, r *http.Request, c *call) error {
	h, err := s.d.Search.Hashtag(r.Context(), c.viewer(), r.PathValue("tag"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hashtagJSON{Name: h.Name, VideoCount: h.Videos})
	return nil
}

func (s *Server) hashtagVideos(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := s.limit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	vp, next, err := s.d.Search.HashtagVideos(r.Context(), c.viewer(), r.PathValue("tag"), q.Get("sort"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := list[videoJSON]{Items: s.pageOut(r.Context(), c, vp, vp.Videos), NextCursor: next}
	writeJSON(w, http.StatusOK, out)
	return nil
}
