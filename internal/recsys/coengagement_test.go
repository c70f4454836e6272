package recsys

import (
	"math/rand/v2"
	"testing"
)

// The list path reads co-engagement from the dense accumulator and a single view's features
// from scoreOne: both must give the same value, bit for bit, or a video would rank
// differently in a list than its explanation says.
func TestScoreAllEqualsScoreOne(t *testing.T) {
	const videos = 500
	rng := rand.New(rand.NewPCG(1, 2))
	c := coEngagement{capacity: 16, alpha: 0.5}
	c.grow(videos)
	for range 200 { // viewers engaging with a few videos each
		recent := &ring{cap: 8}
		for range 12 {
			v := int32(rng.IntN(videos))
			c.engage(v, recent, float32(1+rng.IntN(3)))
			recent.push(v)
		}
	}
	recent := &ring{cap: 6}
	for _, v := range []int32{3, 77, 3, 140, 9, 400, 12} { // a repeat, and a wrap
		recent.push(v)
	}
	s := &coScores{}
	for round := range 2 { // the second round reuses the accumulator after a reset
		s.reset(videos)
		c.scoreAll(recent, s)
		nonzero := 0
		for v := range int32(videos) {
			want := c.scoreOne(v, recent)
			if got := s.of(v); got != want {
				t.Fatalf("round %d, video %d: accumulator %v, scoreOne %v", round, v, got, want)
			}
			if want != 0 {
				nonzero++
				if !s.in[v] {
					t.Fatalf("video %d has a score but is not in the touched list", v)
				}
			}
		}
		if nonzero == 0 || len(s.touched) < nonzero {
			t.Fatalf("round %d: %d touched for %d scored videos", round, len(s.touched), nonzero)
		}
	}
	s.reset(videos * 2)
	if len(s.touched) != 0 || len(s.val) < videos*2 {
		t.Fatalf("reset left %d touched and room for %d", len(s.touched), len(s.val))
	}
	for v := range s.val {
		if s.val[v] != 0 || s.in[v] {
			t.Fatalf("reset left video %d set", v)
		}
	}
}
