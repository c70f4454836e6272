// Package search finds accounts, hashtags and videos, and lists a hashtag's videos. What a
// viewer may find is asked of policy, exactly as for a single profile or video; the store
// (full-text on SQLite or PostgreSQL) only applies the answer.
package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/video"
)

// Result types, as clients name them.
const (
	TypeAccounts = "accounts"
	TypeHashtags = "hashtags"
	TypeVideos   = "videos"
)

// Orders of a hashtag page.
const (
	SortTop    = "top"    // recent engagement, decayed by age
	SortNewest = "newest" // newest first
)

// Limits bound what a query may cost.
type Limits struct {
	MaxQuery int // characters in a query
	MaxTerms int // words of a query that are searched; the rest are ignored
	MaxDepth int // results reachable by paging through one search, and the newest caption matches ranked
}

// DefaultLimits are sensible limits for an instance.
func DefaultLimits() Limits { return Limits{MaxQuery: 100, MaxTerms: 8, MaxDepth: 1000} }

type index interface {
	Accounts(ctx context.Context, q db.AccountQuery) ([]*db.AccountRow, error)
	Hashtags(ctx context.Context, au db.Audience, prefix string, offset, limit int) ([]db.HashtagRow, error)
	HashtagCount(ctx context.Context, au db.Audience, tag string) (int, error)
	Videos(ctx context.Context, q db.VideoQuery) ([]string, error)
	TaggedTop(ctx context.Context, au db.Audience, tag string, at time.Time, after *db.TopKey, limit int) ([]db.TopRow, error)
	TaggedNewest(ctx context.Context, au db.Audience, tag, afterID string, limit int) ([]string, error)
}

// Videos loads videos for a viewer, asking policy for each; *video.Service implements it.
type Videos interface {
	// GetMany returns those of ids that v may see, in their order, as a page: the videos with
	// what loading them read about their owners, for whoever shows them.
	GetMany(ctx context.Context, v policy.Viewer, ids []string) (*video.Page, error)
}

// Relations tells how a viewer stands to an account; *social.Service implements it.
type Relations interface {
	Relation(ctx context.Context, viewerID, ownerID string) (policy.Relation, error)
}

// Deps are what the service needs, handed over by main.
type Deps struct {
	Index     index
	Videos    Videos
	Relations Relations
	Now       func() time.Time
	Limits    Limits
}

// Service is the search service.
type Service struct{ d Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits()
	}
	return &Service{d: d}
}

// Hashtag is a hashtag and how many of its videos the viewer may see. The count never
// includes a video the viewer could not open.
type Hashtag struct {
	Name   string
	Videos int
}

// Query is a search request.
type Query struct {
	Text   string
	Type   string // TypeAccounts, TypeHashtags, TypeVideos; "" for all three
	Cursor string // a Results.Next cursor; needs Type
	Limit  int    // results per type
}

// Results are what a search found. Only the types searched are non-nil; Next holds, per
// type, the cursor of the following page when there is one.
type Results struct {
	Accounts []*db.AccountRow
	Hashtags []Hashtag
	Videos   []*video.Video
	// VideoPage is the page Videos were loaded as (Videos is VideoPage.Videos, never nil
	// when videos were searched), with their owners, the viewer's relations to them and
	// their comment policies.
	VideoPage *video.Page
	Next      map[string]string
}

// Search runs a query for a viewer. The whole query must be 1 to MaxQuery characters; a query
// without a single letter or digit is valid and finds nothing.
func (s *Service) Search(ctx context.Context, v policy.Viewer, q Query) (*Results, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return nil, errs.Invalid("q", "query_required", "type something to search for")
	}
	if n := utf8.RuneCountInString(text); n > s.d.Limits.MaxQuery {
		return nil, errs.Invalid("q", "query_too_long", fmt.Sprintf("a search can have at most %d characters (this has %d)", s.d.Limits.MaxQuery, n))
	}
	types := []string{TypeAccounts, TypeHashtags, TypeVideos}
	switch q.Type {
	case "":
		if q.Cursor != "" {
			return nil, errs.Invalid("cursor", "cursor_needs_type", "send the type the cursor came with (accounts, hashtags or videos)")
		}
	case TypeAccounts, TypeHashtags, TypeVideos:
		types = []string{q.Type}
	default:
		return nil, errs.Invalid("type", "invalid_type", "type must be accounts, hashtags or videos")
	}
	at, offset := s.d.Now(), 0
	if q.Cursor != "" {
		c, err := s.decode(q.Cursor, q.Type)
		if err != nil {
			return nil, err
		}
		at, offset = time.UnixMilli(c.At).UTC(), c.Offset
	}
	limit := min(q.Limit, s.d.Limits.MaxDepth-offset)
	out := &Results{Next: map[string]string{}}
	if limit <= 0 {
		return out, nil
	}
	// Fetch one more than asked to know whether another page exists.
	more := func(typ string, n int) {
		if n > limit && offset+limit < s.d.Limits.MaxDepth {
			out.Next[typ] = encode(cursor{Type: typ, At: at.UnixMilli(), Offset: offset + limit})
		}
	}
	au := audience(v)
	for _, typ := range types {
		switch typ {
		case TypeAccounts:
			rows, err := s.d.Index.Accounts(ctx, db.AccountQuery{ViewerID: v.AccountID, UsernamePrefix: UsernamePrefix(text, 24),
				NameTerms: Terms(text, s.d.Limits.MaxTerms), Before: at, Offset: offset, Limit: limit + 1})
			if err != nil {
				return nil, errs.Internal(fmt.Errorf("search accounts: %w", err))
			}
			more(typ, len(rows))
			if out.Accounts, err = s.findable(ctx, v, rows[:min(len(rows), limit)]); err != nil {
				return nil, err
			}
		case TypeHashtags:
			rows, err := s.d.Index.Hashtags(ctx, au, HashtagPrefix(text, 100), offset, limit+1)
			if err != nil {
				return nil, errs.Internal(fmt.Errorf("search hashtags: %w", err))
			}
			more(typ, len(rows))
			out.Hashtags = []Hashtag{}
			for _, r := range rows[:min(len(rows), limit)] {
				out.Hashtags = append(out.Hashtags, Hashtag{Name: r.Tag, Videos: r.Videos})
			}
		case TypeVideos:
			ids, err := s.d.Index.Videos(ctx, db.VideoQuery{Audience: au, Terms: Terms(text, s.d.Limits.MaxTerms), Before: at,
				Pool: s.d.Limits.MaxDepth, Offset: offset, Limit: limit + 1})
			if err != nil {
				return nil, errs.Internal(fmt.Errorf("search videos: %w", err))
			}
			more(typ, len(ids))
			if out.VideoPage, err = s.load(ctx, v, ids[:min(len(ids), limit)]); err != nil {
				return nil, err
			}
			out.Videos = out.VideoPage.Videos
		}
	}
	return out, nil
}

// audience asks policy which videos v may discover, with probe videos for each relation,
// so search never disagrees with opening a video. Discovery uses no staff powers: a
// moderator finds what everyone finds (removed videos and suspended accounts never appear).
func audience(v policy.Viewer) db.Audience {
	pv := policy.Viewer{AccountID: v.AccountID, Role: policy.RoleUser}
	au := db.Audience{ViewerID: v.AccountID}
	const someoneElse = "someone else" // never an account ID
	sees := func(owner, visibility string, ready bool, state policy.State, rel policy.Relation) bool {
		return policy.VideoDecision(pv, policy.ViewVideo, policy.Video{OwnerID: owner, Visibility: visibility,
			Ready: ready, OwnerState: state}, rel) == nil
	}
	for _, st := range []string{video.StateUploading, video.StateQueued, video.StateProcessing, video.StateReady, video.StateFailed} {
		if sees(someoneElse, "public", st == video.StateReady, policy.StateActive, policy.Relation{}) {
			au.States = append(au.States, st)
		}
	}
	for _, st := range []policy.State{policy.StateActive, policy.StateSuspended, policy.StateDeleting} {
		if sees(someoneElse, "public", true, st, policy.Relation{}) {
			au.OwnerStates = append(au.OwnerStates, string(st))
		}
	}
	for _, vis := range []string{"public", "followers", "private"} {
		if sees(someoneElse, vis, true, policy.StateActive, policy.Relation{}) {
			au.Stranger = append(au.Stranger, vis)
		}
		if sees(someoneElse, vis, true, policy.StateActive, policy.Relation{Follower: true}) {
			au.Follower = append(au.Follower, vis)
		}
		if !v.Anonymous() && sees(v.AccountID, vis, true, policy.StateActive, policy.Relation{}) {
			au.Own = append(au.Own, vis)
		}
	}
	return au
}

// findable keeps the accounts policy lets v find: profiles v may view, and not ones v
// blocked (a block hides both ways in search).
func (s *Service) findable(ctx context.Context, v policy.Viewer, rows []*db.AccountRow) ([]*db.AccountRow, error) {
	out := make([]*db.AccountRow, 0, len(rows))
	for _, a := range rows {
		var rel policy.Relation
		if s.d.Relations != nil && !v.Anonymous() && v.AccountID != a.ID {
			var err error
			if rel, err = s.d.Relations.Relation(ctx, v.AccountID, a.ID); err != nil {
				return nil, errs.Internal(err)
			}
		}
		target := policy.Account{ID: a.ID, Role: policy.Role(a.Role), State: policy.State(a.State), Private: a.Private}
		if a.State == string(policy.StateActive) && !rel.Blocking && policy.ProfileDecision(v, target, rel) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// load opens the videos as v, through the video service and so through policy, in one
// batch; a video that went away or became hidden since the index answered is left out.
func (s *Service) load(ctx context.Context, v policy.Viewer, ids []string) (*video.Page, error) {
	p, err := s.d.Videos.GetMany(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	if p.Videos == nil {
		p.Videos = []*video.Video{}
	}
	return p, nil
}

// NormalizeTag reads a hashtag as a client names it ("Dance", "#dance") and returns it as
// stored, or an error when it is not a hashtag the caption parser could produce.
func NormalizeTag(tag string) (string, error) {
	t := strings.TrimPrefix(tag, "#")
	got, _ := video.ParseCaption("#" + t)
	if len(got) != 1 || got[0] != strings.ToLower(t) {
		return "", errs.Invalid("tag", "invalid_hashtag", "a hashtag is 1 to 100 letters, digits or _, and not only digits")
	}
	return got[0], nil
}

// Hashtag returns a hashtag with the number of its videos v may see. A hashtag nobody used
// and one whose every video is hidden from v look the same: a count of 0.
func (s *Service) Hashtag(ctx context.Context, v policy.Viewer, tag string) (Hashtag, error) {
	t, err := NormalizeTag(tag)
	if err != nil {
		return Hashtag{}, err
	}
	n, err := s.d.Index.HashtagCount(ctx, audience(v), t)
	if err != nil {
		return Hashtag{}, errs.Internal(fmt.Errorf("count hashtag: %w", err))
	}
	return Hashtag{Name: t, Videos: n}, nil
}

// HashtagVideos pages through the videos with a hashtag that v may see, by sort (SortTop when
// empty), as a page GetMany loaded. It returns the cursor of the next page, "" on the last.
func (s *Service) HashtagVideos(ctx context.Context, v policy.Viewer, tag, sort, cur string, limit int) (*video.Page, string, error) {
	t, err := NormalizeTag(tag)
	if err != nil {
		return nil, "", err
	}
	if sort == "" {
		sort = SortTop
	}
	if sort != SortTop && sort != SortNewest {
		return nil, "", errs.Invalid("sort", "invalid_sort", "sort must be top or newest")
	}
	var c cursor
	if cur != "" {
		if c, err = s.decode(cur, sort); err != nil {
			return nil, "", err
		}
	}
	au := audience(v)
	var ids []string
	next := ""
	if sort == SortNewest {
		ids, err = s.d.Index.TaggedNewest(ctx, au, t, c.ID, limit+1)
		if err != nil {
			return nil, "", errs.Internal(fmt.Errorf("hashtag videos: %w", err))
		}
		if len(ids) > limit {
			ids = ids[:limit]
			next = encode(cursor{Type: sort, ID: ids[limit-1]})
		}
	} else {
		at := s.d.Now()
		var after *db.TopKey
		if cur != "" {
			at, after = time.UnixMilli(c.At).UTC(), &db.TopKey{Score: c.Score, VideoID: c.ID}
		}
		rows, err := s.d.Index.TaggedTop(ctx, au, t, at, after, limit+1)
		if err != nil {
			return nil, "", errs.Internal(fmt.Errorf("hashtag videos: %w", err))
		}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			next = encode(cursor{Type: sort, At: at.UnixMilli(), Score: last.Score, ID: last.VideoID})
		}
		for _, r := range rows {
			ids = append(ids, r.VideoID)
		}
	}
	p, err := s.load(ctx, v, ids)
	if err != nil {
		return nil, "", err
	}
	return p, next, nil
}

// cursor is where a page ended. Clients get it as opaque base64url text.
type cursor struct {
	Type   string `json:"k"`           // the result type or hashtag sort it belongs to
	At     int64  `json:"t,omitempty"` // snapshot time, Unix milliseconds
	Offset int    `json:"o,omitempty"`
	Score  int64  `json:"s,omitempty"`
	ID     string `json:"i,omitempty"`
}

func encode(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func errCursor() error {
	return errs.Invalid("cursor", "invalid_cursor", "the cursor is not one this server gave out for this list")
}

// decode reads a cursor and checks it belongs to typ and could have come from this server.
func (s *Service) decode(text, typ string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) > 256 || json.Unmarshal(b, &c) != nil || c.Type != typ {
		return c, errCursor()
	}
	now := s.d.Now().UnixMilli()
	switch typ {
	case SortNewest:
		if !id.Valid(c.ID) {
			return c, errCursor()
		}
	case SortTop:
		// A snapshot from the future would make ages negative and scores meaningless.
		if !id.Valid(c.ID) || c.At <= 0 || c.At > now || c.Score < 0 {
			return c, errCursor()
		}
	default:
		if c.At <= 0 || c.At > now || c.Offset <= 0 || c.Offset >= s.d.Limits.MaxDepth {
			return c, errCursor()
		}
	}
	return c, nil
}
