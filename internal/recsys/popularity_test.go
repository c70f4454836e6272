package recsys

import (
	"fmt"
	"testing"
)

// PopularityWeight adds a prior that grows with a video's overall engagement: the video
// 30 viewers finished gains more than the one 3 viewers finished, and with a large weight it
// leads the list although its rate per impression is lower.
func TestPopularityWeightFavoursWidelyEngagedVideos(t *testing.T) {
	build := func(weight float64) map[string]Recommendation {
		cfg := DefaultConfig()
		cfg.TestAudience, cfg.ExplorationMinShare, cfg.PopularityWeight = 0, 0, weight
		r := newTestRecommender(t, cfg)
		var seq uint64
		apply := func(ev Event) {
			seq++
			ev.Seq, ev.TimeMS = seq, 1_700_000_000_000
			if err := r.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		view := func(video string, users, completes int) {
			apply(Event{Kind: VideoPublished, Video: video, Creator: video, DurationMS: 10000})
			for u := 0; u < users; u++ {
				user := fmt.Sprintf("%s-u%d", video, u)
				apply(Event{Kind: Impression, User: user, Video: video})
				if u < completes {
					apply(Event{Kind: Complete, User: user, Video: video})
				} else {
					apply(Event{Kind: Skip, User: user, Video: video, WatchMS: 500})
				}
			}
		}
		view("wide", 60, 30)
		view("narrow", 3, 3)
		out := map[string]Recommendation{}
		for k, rec := range r.Recommend(Request{User: "newcomer", Limit: 10}) {
			if k == 0 {
				out["first"] = rec
			}
			out[rec.Video] = rec
		}
		return out
	}
	plain, weighted := build(0), build(5)
	for _, v := range []string{"wide", "narrow"} {
		if _, ok := plain[v]; !ok {
			t.Fatalf("%s missing from the list without the prior", v)
		}
		if _, ok := weighted[v]; !ok {
			t.Fatalf("%s missing from the list with the prior", v)
		}
	}
	gainWide := weighted["wide"].Score - plain["wide"].Score
	gainNarrow := weighted["narrow"].Score - plain["narrow"].Score
	if gainNarrow <= 0 || gainWide <= gainNarrow {
		t.Errorf("prior gains: wide %.3f, narrow %.3f; want both positive and wide's larger", gainWide, gainNarrow)
	}
	if weighted["first"].Video != "wide" {
		t.Errorf("with a large popularity weight the list starts with %q, want the widely engaged video", weighted["first"].Video)
	}
	bad := DefaultConfig()
	bad.PopularityWeight = -1
	if err := bad.Validate(); err == nil {
		t.Error("a negative PopularityWeight passed Validate")
	}
}
