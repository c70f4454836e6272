package recsys

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTopAllowedIsExact checks the deferred exclusion check against the plain answer (sort
// every allowed pair) when few, many and all of the best pairs are excluded, and when there
// are fewer pairs than asked.
func TestTopAllowedIsExact(t *testing.T) {
	_, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	nv := int32(len(r.videos))
	rng := rand.New(rand.NewPCG(3, 4))
	vals := make([]float64, nv)
	for i := range vals {
		vals[i] = float64(rng.IntN(50)) // many ties, so the tie order matters too
	}
	byID := map[string]int32{}
	for v := int32(0); v < nv; v++ {
		byID[r.videoNames.list[v]] = v
	}
	for _, c := range []struct {
		name     string
		n, pairs int
		excluded func(v int32) bool
	}{
		{"none excluded", 20, int(nv), func(int32) bool { return false }},
		{"a few excluded", 20, int(nv), func(v int32) bool { return v%17 == 0 }},
		{"most of the best excluded", 20, int(nv), func(v int32) bool { return vals[v] >= 30 }},
		{"everything excluded", 20, int(nv), func(int32) bool { return true }},
		{"fewer pairs than asked", 50, 30, func(v int32) bool { return v%5 == 0 }},
	} {
		ex := r.newExclusion(-1, func(videoID, _ string) bool { return c.excluded(byID[videoID]) })
		each := func(visit func(d float64, v int32)) {
			for v := int32(0); v < int32(c.pairs); v++ {
				visit(vals[v], v)
			}
		}
		got, _ := topAllowed(c.n, ex, each)
		var want []int32
		for v := int32(0); v < int32(c.pairs); v++ {
			if !r.videos[v].removed && !c.excluded(v) {
				want = append(want, v)
			}
		}
		slices.SortFunc(want, func(a, b int32) int {
			if vals[a] != vals[b] {
				if vals[a] > vals[b] {
					return -1
				}
				return 1
			}
			return int(a - b)
		})
		want = want[:min(len(want), c.n)]
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
}
