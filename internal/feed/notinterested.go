package feed

import (
	"context"
	"errors"
	"strings"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
)

// UndoNotInterested takes back one of the viewer's "not interested" marks: on a video (by
// id), a creator (by username) or a hashtag. Like the mark, the undoing enters the event
// log (not_interested_undo), so the recommender, the feed fallbacks and the viewer's
// export all see it. A mark the viewer does not have is not found, and nothing is logged.
func (s *Service) UndoNotInterested(ctx context.Context, v policy.Viewer, target, name string) error {
	if v.Anonymous() {
		return errs.Unauthenticated("login_required", "log in to do this")
	}
	row := &db.EventRow{Kind: "not_interested_undo", AccountID: v.AccountID, Target: target}
	notMarked := errs.E(errs.KindNotFound, "not_marked",
		"you have no \"not interested\" mark on this "+target+"; GET /api/v1/me/interests lists your marks")
	switch target {
	case "video":
		if !id.Valid(name) {
			return notMarked
		}
		row.VideoID = name
	case "creator":
		a, err := s.d.Accounts.ByUsername(ctx, name)
		if errors.Is(err, db.ErrNotFound) {
			return notMarked
		}
		if err != nil {
			return errs.Internal(err)
		}
		row.CreatorID = a.ID
	case "hashtag":
		tag := strings.ToLower(strings.TrimPrefix(name, "#"))
		if tag == "" || len(tag) > 100 {
			return errs.Invalid("name", "invalid_hashtag", "name the hashtag whose mark you take back")
		}
		row.Hashtag = tag
	default:
		return errs.Invalid("target", "invalid_target", "a \"not interested\" mark is on a video, a creator or a hashtag")
	}
	creators, videos, hashtags, err := s.d.Feeds.Marks(ctx, v.AccountID)
	if err != nil {
		return errs.Internal(err)
	}
	marked := map[string]bool{"video": videos[row.VideoID], "creator": creators[row.CreatorID], "hashtag": hashtags[row.Hashtag]}
	if !marked[target] {
		return notMarked
	}
	row.At = s.d.Now()
	row.ClientAt = row.At
	if _, err := s.d.Events.Append(ctx, []*db.EventRow{row}); err != nil {
		return errs.Internal(err)
	}
	s.poke()
	return nil
}
