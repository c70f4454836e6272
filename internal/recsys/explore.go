package recsys

import "math"

// plausibleAgainst returns the exploration candidates that could still engage viewers as
// well as alt, the main candidate an exploration slot would displace: the optimistic end of
// their engagement rate reaches alt's smoothed rate. This is the optimism of a bandit (UCB).
// A video is not judged before its first judgeAfter impressions, the same point where the
// flop rule may first end its test: a new upload's guaranteed audience is not cut short by
// one or two early skips. One whose impressions already show it below what the viewer would
// otherwise get gives the slot back to the main list. The share of a list
// exploration takes therefore shrinks when the pool holds only well-measured, middling
// videos. With no alternative every candidate qualifies.
func (r *Recommender) plausibleAgainst(explore []*candidate, alt *candidate) []*candidate {
	if alt == nil {
		return explore
	}
	bar := r.engagementRate(&r.videos[alt.video])
	out := make([]*candidate, 0, len(explore))
	for _, c := range explore {
		vid := &r.videos[c.video]
		if vid.impressions < r.judgeAfter() || optimisticRate(float64(vid.positives), float64(vid.impressions)) >= bar {
			out = append(out, c)
		}
	}
	return out
}

// optimisticRate is the upper end of the 95% Wilson score interval of a rate of k in n with
// continuity correction (Newcombe 1998), which unlike the plain Wilson bound stays wide for
// a handful of impressions: one skip in one view is no evidence against a video.
func optimisticRate(k, n float64) float64 {
	if n <= 0 || k >= n {
		return 1
	}
	const z = 1.96
	p := max(k/n, 0)
	return min(1, (2*n*p+z*z+z*math.Sqrt(z*z-1/n+4*n*p*(1-p)-(4*p-2))+1)/(2*(n+z*z)))
}
