package db

import (
	"context"
	"database/sql"
)

// EventSubject is what deciding whether a viewer may log events about a video needs: the
// video, its owner's account state and how the viewer stands to the owner.
type EventSubject struct {
	Video      *VideoRow // ID, AccountID, Visibility, State, Removed and DurationMS only
	OwnerState string
	Relation   RelationRow // zero for an anonymous viewer and for the owner
}

// subjectChunk is how many videos one lookup reads.
const subjectChunk = 200

// Subjects reads, for each of videoIDs that exists, the video, its owner's state and the
// viewer's relation to the owner, with one query per 200 videos rather than several per
// video, so a batch of events is checked at the cost of a few reads. viewerID is "" for an
// anonymous viewer. Missing videos are absent from the map.
//
// With the video cache on, the videos and their owners come from it (a batch names the
// videos of the feed the viewer just saw, so they are almost always there) and only the
// relations are read, in one query per batch.
func (s *Events) Subjects(ctx context.Context, viewerID string, videoIDs []string) (map[string]*EventSubject, error) {
	if cr := s.db.Videos().cacheRead(ctx); cr.c != nil {
		return s.subjectsCached(ctx, cr, viewerID, videoIDs)
	}
	out := make(map[string]*EventSubject, len(videoIDs))
	r := s.db.reader()
	for start := 0; start < len(videoIDs); start += subjectChunk {
		part := videoIDs[start:min(start+subjectChunk, len(videoIDs))]
		q, args := inList(`SELECT v.id, v.account_id, v.visibility, v.state, v.removed, v.duration_ms, a.state,
			(SELECT state FROM follows WHERE follower_id = ? AND followee_id = v.account_id),
			(SELECT state FROM follows WHERE follower_id = v.account_id AND followee_id = ?),
			(SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = v.account_id),
			(SELECT COUNT(*) FROM blocks WHERE blocker_id = v.account_id AND blocked_id = ?),
			(SELECT COUNT(*) FROM mutes WHERE muter_id = ? AND muted_id = v.account_id)
			FROM videos v JOIN accounts a ON a.id = v.account_id WHERE 1 = 1`, "v.id", part,
			[]any{viewerID, viewerID, viewerID, viewerID, viewerID})
		rows, err := queryAll(ctx, r, func(sc scanner) (*EventSubject, error) {
			v := &VideoRow{}
			sub := &EventSubject{Video: v}
			var f, fb sql.NullString
			var blocking, blockedBy, muting int
			err := sc.Scan(&v.ID, &v.AccountID, &v.Visibility, &v.State, &v.Removed, &v.DurationMS, &sub.OwnerState,
				&f, &fb, &blocking, &blockedBy, &muting)
			if viewerID != "" && viewerID != v.AccountID {
				sub.Relation = RelationRow{Following: f.String, FollowedBy: fb.String, Blocking: blocking > 0, BlockedBy: blockedBy > 0,
					Muting: muting > 0}
			}
			return sub, err
		}, q, args...)
		if err != nil {
			return nil, err
		}
		for _, sub := range rows {
			out[sub.Video.ID] = sub
		}
	}
	return out, nil
}

func (s *Events) subjectsCached(ctx context.Context, cr cacheRead, viewerID string, videoIDs []string) (map[string]*EventSubject, error) {
	vs := s.db.Videos()
	videos, err := vs.videosVia(ctx, cr, videoIDs)
	if err != nil {
		return nil, err
	}
	var owners, others []string
	seen := make(map[string]bool, len(videos))
	for _, v := range videos {
		if seen[v.AccountID] {
			continue
		}
		seen[v.AccountID] = true
		owners = append(owners, v.AccountID)
		if viewerID != "" && v.AccountID != viewerID {
			others = append(others, v.AccountID)
		}
	}
	accounts, err := vs.ownersVia(ctx, cr, owners)
	if err != nil {
		return nil, err
	}
	var rels map[string]RelationRow
	if len(others) > 0 {
		if rels, err = s.db.Social().Relations(ctx, viewerID, others); err != nil {
			return nil, err
		}
	}
	out := make(map[string]*EventSubject, len(videos))
	for id, v := range videos {
		a := accounts[v.AccountID]
		if a == nil {
			continue // the owner went between the two reads: as if the video had
		}
		out[id] = &EventSubject{Video: v, OwnerState: a.State, Relation: rels[v.AccountID]}
	}
	return out, nil
}
