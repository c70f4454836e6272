package feed

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"kurz/internal/errs"
	"kurz/internal/policy"
	"kurz/internal/recsys"
)

// Item is one video of a feed with why it is there.
type Item struct {
	VideoID string
	Source  string // following, co_engagement, embedding, trending, hashtag, exploration, newest
	Reason  string // a short sentence for "why am I seeing this"
	Signals []recsys.Signal
}

// Page is a page of a feed.
type Page struct {
	Items        []Item
	Next         string
	Personalised bool
	// Dismissed counts the videos left out because the viewer watched them recently or
	// marked them "not interested": an empty page with some says the viewer is caught up,
	// not that there is nothing.
	Dismissed int
}

// Viewer is who the feed is for.
type Viewer struct {
	policy.Viewer
	Personalised bool // the account's switch; false for anonymous viewers
	Region       string
	Language     string
}

// maxServed bounds the cursor: it remembers this many served videos so pages never repeat.
const maxServed = 300

// hashID is the 64-bit FNV-1a hash of id, written out so that it does not allocate: the
// recommender asks about hundreds of candidates per page.
func hashID(id string) uint64 {
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime64
	}
	return h
}

// servedCursor keeps the videos already served, as 8-byte hashes.
func decodeServed(c string) (map[uint64]bool, []uint64, error) {
	out := map[uint64]bool{}
	if c == "" {
		return out, nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b)%8 != 0 || len(b) > 8*maxServed {
		return nil, nil, errs.Invalid("cursor", "invalid_cursor", "the cursor is not one this server gave out")
	}
	var order []uint64
	for i := 0; i < len(b); i += 8 {
		h := binary.BigEndian.Uint64(b[i:])
		out[h] = true
		order = append(order, h)
	}
	return out, order, nil
}

func encodeServed(order []uint64) string {
	if len(order) > maxServed {
		order = order[len(order)-maxServed:]
	}
	b := make([]byte, 8*len(order))
	for i, h := range order {
		binary.BigEndian.PutUint64(b[8*i:], h)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// reasons in words for each candidate source.
var reasonText = map[recsys.Source]string{
	recsys.SourceFollowing:    "From an account you follow",
	recsys.SourceCoEngagement: "People who liked what you liked also liked this",
	recsys.SourceEmbedding:    "Similar to videos you watched to the end",
	recsys.SourceTrending:     "Popular in your region right now",
	recsys.SourceHashtag:      "From a hashtag you watch",
	recsys.SourceExploration:  "A new video we are showing to a first audience",
}

// Loaded is what the feed uses of a video the viewer may see.
type Loaded struct {
	Owner    string
	Hashtags []string
}

// Loader returns those of the videos that the viewer may see, by ID, deciding each as
// showing it would (the authorization policy, uncached). The API passes the video
// service's batch load and then renders what it loaded, so the videos of a page are read
// once, in a few queries, and the feed never counts a video the page could not show.
type Loader func(ctx context.Context, ids []string) (map[string]Loaded, error)

// ForYou is the personalised feed; with the switch off (or for anonymous viewers) it uses
// nothing about the viewer but region and language.
func (s *Service) ForYou(ctx context.Context, v Viewer, cursor string, limit int, load Loader) (*Page, error) {
	served, order, err := decodeServed(cursor)
	if err != nil {
		return nil, err
	}
	personal := v.Personalised && !v.Anonymous()
	hidden := map[string]bool{}
	if !v.Anonymous() {
		if hidden, err = s.d.Feeds.Hidden(ctx, v.AccountID); err != nil {
			return nil, errs.Internal(err)
		}
	}
	// Ask for exactly one page: the recommender places exploration in the last slots, so a
	// longer list cut short would drop it. Items policy hides are refilled from trending.
	req := recsys.Request{User: v.AccountID, Self: v.AccountID, Region: v.Region, Language: v.Language, Limit: limit,
		NoPersonalisation: !personal}
	// The recommender asks Exclude about every candidate, by name; a first page of a viewer
	// who hides nobody needs no callback at all.
	if len(hidden) > 0 || len(served) > 0 {
		req.Exclude = func(videoID, creatorID string) bool {
			return hidden[creatorID] || served[hashID(videoID)]
		}
	}
	if !personal {
		req.User = ""
	}
	page := &Page{Personalised: personal}
	place := func(it Item) {
		page.Items = append(page.Items, it)
		served[hashID(it.VideoID)] = true
		order = append(order, hashID(it.VideoID))
	}
	recs := s.rec.Recommend(req)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.Video
	}
	shown, err := load(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if len(page.Items) == limit {
			break
		}
		if _, ok := shown[r.Video]; !ok {
			continue
		}
		text := reasonText[r.Source]
		if !personal && r.Source != recsys.SourceExploration {
			text = "Popular in your region (personalisation is off)"
		}
		place(Item{VideoID: r.Video, Source: string(r.Source), Reason: text, Signals: r.Signals})
	}
	// A young instance (or a viewer who has seen everything recommended) still gets a full
	// page: trending in the viewer's language and region.
	if len(page.Items) < limit {
		r, err := s.trending(ctx, v.Region)
		if err != nil {
			return nil, errs.Internal(err)
		}
		fresh, _, dismissed := s.undismissed(r, v, served, 500)
		page.Dismissed += dismissed
		before := len(page.Items)
		_, err = s.fill(ctx, page, fresh, limit, load, func(vid string, row Loaded) (Item, bool) {
			if row.Owner == v.AccountID || hidden[row.Owner] {
				return Item{}, false
			}
			return Item{VideoID: vid, Source: "trending", Reason: "Popular in your region right now"}, true
		})
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items[before:] {
			served[hashID(it.VideoID)] = true
			order = append(order, hashID(it.VideoID))
		}
	}
	if len(page.Items) > 0 {
		page.Next = encodeServed(order)
	}
	return page, nil
}

// Following is the newest videos of the accounts the viewer follows, in time order.
func (s *Service) Following(ctx context.Context, v Viewer, after string, limit int) (*Page, error) {
	if v.Anonymous() {
		return nil, errs.Unauthenticated("login_required", "log in to see the accounts you follow")
	}
	ids, err := s.d.Feeds.Following(ctx, v.AccountID, after, limit)
	if err != nil {
		return nil, errs.Internal(err)
	}
	page := &Page{Personalised: false}
	for _, id := range ids {
		page.Items = append(page.Items, Item{VideoID: id, Source: "following", Reason: "From an account you follow"})
	}
	if len(ids) == limit {
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(ids[len(ids)-1]))
	}
	return page, nil
}

// undismissed walks a region's ranking in the order the viewer sees it and returns up to
// n of its videos that were neither served nor dismissed, whether each is in the viewer's
// language, and how many it left out as dismissed: watched recently or marked "not
// interested" (recsys.Dismissed), as For You leaves them out of its own list. They are left
// out before the load, so they neither cost a read nor use up a candidate's place. With
// personalisation off (and for anonymous viewers) nothing about the viewer is used, so
// nothing is dismissed.
func (s *Service) undismissed(rk *ranking, v Viewer, served map[uint64]bool, n int) (ids []string, inLanguage map[string]bool, dismissed int) {
	personal := v.Personalised && !v.Anonymous()
	inLanguage = map[string]bool{}
	var batch []string
	var batchIn []bool
	flush := func() {
		var out []bool
		if personal && len(batch) > 0 {
			out = s.rec.Dismissed(v.AccountID, batch)
		}
		for i, id := range batch {
			switch {
			case out != nil && out[i]:
				dismissed++
			case len(ids) < n:
				ids = append(ids, id)
				inLanguage[id] = batchIn[i]
			}
		}
		batch, batchIn = batch[:0], batchIn[:0]
	}
	rk.each(v.Language, func(id string, in bool) bool {
		if served[hashID(id)] {
			return true
		}
		batch, batchIn = append(batch, id), append(batchIn, in)
		// A batch of what is still missing, usually the only one: one read lock each.
		if len(batch) >= max(n-len(ids), 16) {
			flush()
		}
		return len(ids) < n
	})
	flush()
	return ids, inLanguage, dismissed
}

// Trending is the regional trending feed, the viewer's language first. Apart from what the
// viewer hides (blocks and mutes) and, with personalisation on, what they dismissed (see
// undismissed), it uses nothing about the viewer but region and language. Its cursor holds
// the videos served so far, so a page continues where the last one stopped even when the
// ranking was computed again in between; after maxServed videos the feed ends.
func (s *Service) Trending(ctx context.Context, v Viewer, cursor string, limit int, load Loader) (*Page, error) {
	if legacyOffset(cursor) {
		cursor = "" // a cursor of the offset pages of an older kurz: start again
	}
	served, order, err := decodeServed(cursor)
	if err != nil {
		return nil, err
	}
	hidden := map[string]bool{}
	if !v.Anonymous() {
		if hidden, err = s.d.Feeds.Hidden(ctx, v.AccountID); err != nil {
			return nil, errs.Internal(err)
		}
	}
	r, err := s.trending(ctx, v.Region)
	if err != nil {
		return nil, errs.Internal(err)
	}
	// Candidates for what is left of maxServed, and the slack of trendingDepth for the
	// videos this viewer may not see or hides.
	page := &Page{}
	ids, inLanguage, dismissed := s.undismissed(r, v, served, trendingDepth-len(order))
	page.Dismissed = dismissed
	rest, err := s.fill(ctx, page, ids, limit, load, func(id string, row Loaded) (Item, bool) {
		if hidden[row.Owner] {
			return Item{}, false
		}
		reason := "Popular in your region right now"
		if inLanguage[id] {
			reason = "Popular in your language and region right now"
		}
		return Item{VideoID: id, Source: "trending", Reason: reason}, true
	})
	if err != nil {
		return nil, err
	}
	for _, it := range page.Items {
		order = append(order, hashID(it.VideoID))
	}
	if len(page.Items) > 0 && rest > 0 && len(order) < maxServed {
		page.Next = encodeServed(order)
	}
	return page, nil
}

// legacyOffset reports whether a cursor is one of the "o<offset>" cursors Trending gave
// out before it carried the videos served.
func legacyOffset(c string) bool {
	if len(c) < 2 || c[0] != 'o' {
		return false
	}
	_, err := strconv.Atoi(c[1:])
	return err == nil
}

// fill adds to page, in order, the videos of ids the viewer may see and keep accepts, until
// the page holds limit. It loads what the page still needs and a quarter more at a time,
// so that a page whose videos are all shown reads little more than them, and returns how
// many of ids it did not reach.
func (s *Service) fill(ctx context.Context, page *Page, ids []string, limit int, load Loader,
	keep func(id string, row Loaded) (Item, bool)) (int, error) {
	for len(ids) > 0 && len(page.Items) < limit {
		need := limit - len(page.Items)
		chunk := ids[:min(len(ids), need+need/4+1)]
		shown, err := load(ctx, chunk)
		if err != nil {
			return 0, err
		}
		for i, id := range chunk {
			if len(page.Items) == limit {
				return len(ids) - i, nil
			}
			row, ok := shown[id]
			if !ok {
				continue
			}
			if it, ok := keep(id, row); ok {
				page.Items = append(page.Items, it)
			}
		}
		ids = ids[len(chunk):]
	}
	return len(ids), nil
}

// Reset forgets the viewer's learned profile ("refresh For You").
func (s *Service) Reset(ctx context.Context, v policy.Viewer) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	s.ServerEvent(ctx, "profile_reset", v.AccountID, "", "", 0, nil)
	return nil
}
