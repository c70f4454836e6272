package offline

import (
	"context"
	"fmt"
	"strings"

	"kurz/internal/recsys"
)

// kurzModel is the production recommender behind the harness: training rows become the
// events the server would log, applied in time order through the same Apply.
type kurzModel struct {
	cfg recsys.Config
	rec *recsys.Recommender
	ts  *trainSet
}

// newKurzModel builds the model from the default config plus `Name=value` overrides.
func newKurzModel(sets []string) (*kurzModel, error) {
	cfg := recsys.DefaultConfig()
	for _, s := range sets {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: want Name=value", s)
		}
		if err := cfg.Set(name, value); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &kurzModel{cfg: cfg}, nil
}

func (m *kurzModel) fit(ctx context.Context, ts *trainSet) error {
	rec, err := recsys.New(m.cfg)
	if err != nil {
		return err
	}
	m.rec, m.ts = rec, ts
	var seq uint64
	apply := func(ev recsys.Event) error {
		seq++
		ev.Seq = seq
		return rec.Apply(ev)
	}
	for n, row := range ts.rows {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("kurz: %w", err)
			}
		}
		for _, ev := range rowEvents(row) {
			if err := apply(ev); err != nil {
				return fmt.Errorf("kurz: row %d: %w", n+1, err)
			}
		}
	}
	return nil
}

// rowEvents translates one logged interaction into the events the server would have seen.
// KuaiRand rows are explicit: a like, or a hate (not interested), after the watch progress.
// Plain rows say only whether the video was mostly watched: a completion or a skip.
func rowEvents(row Interaction) []recsys.Event {
	base := recsys.Event{TimeMS: row.TimeMS, User: row.User, Video: row.Item, DurationMS: max(row.DurationMS, 0)}
	at := func(k recsys.EventKind) recsys.Event {
		ev := base
		ev.Kind = k
		return ev
	}
	evs := []recsys.Event{at(recsys.Impression)}
	if row.WatchMS > 0 {
		p := at(recsys.Progress)
		p.WatchMS = row.WatchMS
		evs = append(evs, p)
	}
	switch {
	case row.Explicit && row.Positive:
		evs = append(evs, at(recsys.Like))
	case row.Explicit:
		ni := at(recsys.NotInterested)
		ni.Target = recsys.TargetVideo
		evs = append(evs, ni)
	case row.Positive:
		evs = append(evs, at(recsys.Complete))
	default:
		evs = append(evs, at(recsys.Skip))
	}
	if row.Share {
		evs = append(evs, at(recsys.Share))
	}
	if row.Comment {
		evs = append(evs, at(recsys.Comment))
	}
	// is_follow has no creator id in the data, so it cannot become a follow event.
	return evs
}

func (m *kurzModel) recommend(user int32, k int, seen map[int32]bool) []int32 {
	recs := m.rec.Recommend(recsys.Request{
		User:  m.ts.users[user],
		Limit: k,
		Exclude: func(videoID, _ string) bool {
			i, ok := m.ts.itemIdx[videoID]
			return !ok || seen[i]
		},
	})
	out := make([]int32, 0, len(recs))
	for _, r := range recs {
		out = append(out, m.ts.itemIdx[r.Video])
	}
	return out
}
