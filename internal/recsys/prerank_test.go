package recsys

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// A viewer who follows two creators gets a list whose main candidates the pre-ranking cut to
// PreRankCandidates: every candidate by a followed creator still reaches the full ranker,
// whether the following source brought it or another one did, the others kept are the best
// by the pre-ranking's estimate, and exploration still has its candidates.
func TestPreRankKeepsFollowedAndExplorationAndCutsTheRest(t *testing.T) {
	const keep, limit = 30, 10
	w, evs := smallWorld(t)
	cfg := DefaultConfig()
	cfg.PreRankCandidates = keep
	// Fewer than the followed creators' videos, so that some of them come from other sources.
	cfg.FollowingCandidates = 4
	r := newTestRecommender(t, cfg)
	applyAll(t, r, evs)
	viewer := w.users[0].id
	for _, c := range []string{"c3", "c5"} {
		ev := w.next(Follow)
		ev.User, ev.Creator = viewer, c
		applyAll(t, r, []Event{ev})
	}

	r.mu.RLock()
	defer r.mu.RUnlock()
	ls := r.listScratch()
	defer r.lists.Put(ls)
	_, main, explore := r.candidates(Request{User: viewer, Limit: limit}, limit, ls)

	u, _ := r.userNames.lookup(viewer)
	usr := &r.users[u]
	followed := func(c *candidate) bool {
		cr := r.videos[c.video].creator
		return c.sources&maskFollowing != 0 || (cr >= 0 && usr.follows.has(cr))
	}
	kept := map[*candidate]bool{}
	for _, c := range main {
		kept[c] = true
	}
	var others []*candidate
	protected, viaOtherSource := 0, 0
	for i := range ls.cs {
		c := &ls.cs[i]
		if !followed(c) {
			others = append(others, c)
			continue
		}
		protected++
		if c.sources&maskFollowing == 0 {
			viaOtherSource++
		}
		if !kept[c] {
			t.Errorf("video %s by a followed creator was cut", r.videoNames.list[c.video])
		}
	}
	if viaOtherSource == 0 || len(others) <= keep {
		t.Fatalf("%d followed candidates from other sources, %d others: the world does not exercise the stage", viaOtherSource, len(others))
	}
	if got, want := len(main), protected+keep; got != want {
		t.Fatalf("the ranker scored %d of %d candidates, want the %d followed plus %d", got, len(ls.cs), protected, keep)
	}

	// The others kept are the best by the pre-ranking's estimate, whose weights come from
	// their average features (with the match embedding retrieval saw).
	var mean [numFeatures]float64
	for _, c := range others {
		for f, x := range c.feats {
			if f == featEmbedding {
				x = c.retrieved
			}
			mean[f] += float64(x) / float64(len(others))
		}
	}
	beta := r.preWeights(&mean)
	pre := func(c *candidate) float64 {
		x := *c
		x.feats = slices.Clone(c.feats)
		x.feats[featEmbedding] = c.retrieved
		return r.preScore(&beta, &x)
	}
	slices.SortFunc(others, func(a, b *candidate) int {
		if c := cmp.Compare(pre(b), pre(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.video, b.video)
	})
	for k, c := range others {
		if kept[c] != (k < keep) {
			t.Errorf("pre-ranked %d of %d: kept %v", k+1, len(others), kept[c])
		}
	}

	if len(explore) == 0 {
		t.Fatal("no exploration candidates with the pre-ranking on")
	}
	for _, c := range explore {
		if c.sources != maskExploration || kept[c] {
			t.Errorf("exploration candidate %s went through the main list", r.videoNames.list[c.video])
		}
	}
}

func TestPartitionBestPutsTheBestFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	better := func(a, b preRanked) int {
		switch {
		case a.better(b):
			return -1
		case b.better(a):
			return 1
		}
		return 0
	}
	for trial := range 300 {
		size := rng.IntN(60)
		ps := make([]preRanked, size)
		for i := range ps {
			// Few distinct scores, so that ties (broken by video) are common.
			ps[i] = preRanked{score: float64(rng.IntN(8)), video: int32(rng.IntN(1000)*size + i), at: int32(i)}
		}
		want := slices.Clone(ps)
		slices.SortFunc(want, better)
		n := rng.IntN(size + 2)
		partitionBest(ps, n)
		got := slices.Clone(ps[:min(n, size)])
		slices.SortFunc(got, better)
		if !slices.Equal(got, want[:min(n, size)]) {
			t.Fatalf("trial %d: the first %d of %d after partitionBest are %v, want %v", trial, n, size, got, want[:min(n, size)])
		}
		slices.SortFunc(ps, better)
		if !slices.Equal(ps, want) {
			t.Fatalf("trial %d: partitionBest lost or duplicated entries", trial)
		}
	}
}
