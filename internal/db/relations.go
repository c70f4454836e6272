package db

import (
	"context"
	"slices"
)

// RelationsOf is Relation for many others at once: how viewer stands to each of them, by
// their ID, in one query per batch of maxBatch. Others with no relation at all get the zero
// RelationRow, as Relation gives it. A feed page reads its creators' relations this way.
func (s *Social) RelationsOf(ctx context.Context, viewer string, others []string) (map[string]RelationRow, error) {
	others = slices.Compact(slices.Sorted(slices.Values(others)))
	out := make(map[string]RelationRow, len(others))
	for _, o := range others {
		out[o] = RelationRow{}
	}
	for len(others) > 0 {
		n := min(len(others), maxBatch)
		in, ids := idList(others[:n])
		others = others[n:]
		var args []any
		for range 5 {
			args = append(append(args, viewer), ids...)
		}
		rows, err := s.db.reader().query(ctx, `
			SELECT 'following', followee_id, state FROM follows WHERE follower_id = ? AND followee_id IN (`+in+`)
			UNION ALL SELECT 'followed_by', follower_id, state FROM follows WHERE followee_id = ? AND follower_id IN (`+in+`)
			UNION ALL SELECT 'blocking', blocked_id, '' FROM blocks WHERE blocker_id = ? AND blocked_id IN (`+in+`)
			UNION ALL SELECT 'blocked_by', blocker_id, '' FROM blocks WHERE blocked_id = ? AND blocker_id IN (`+in+`)
			UNION ALL SELECT 'muting', muted_id, '' FROM mutes WHERE muter_id = ? AND muted_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var kind, other, state string
			if err := rows.Scan(&kind, &other, &state); err != nil {
				rows.Close()
				return nil, err
			}
			r := out[other]
			switch kind {
			case "following":
				r.Following = state
			case "followed_by":
				r.FollowedBy = state
			case "blocking":
				r.Blocking = true
			case "blocked_by":
				r.BlockedBy = true
			case "muting":
				r.Muting = true
			}
			out[other] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
