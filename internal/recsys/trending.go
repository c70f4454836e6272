package recsys

import "math"

// Trending uses forward decay (Cormode et al. 2009): an engagement at time t adds
// w·2^(t/halfLife) to a video's score, kept as a base-2 logarithm. Scores of all videos then
// decay at the same rate, so their order never changes with time alone and a top list can be
// maintained exactly by updating only the video that was just engaged with.

// noTrend is the log-score of a video nobody engaged with.
var noTrend = math.Inf(-1)

// trendAt converts a stored log-score to log2 of the decayed score at time now.
func trendAt(logScore float64, now int64, halfLifeMS float64) float64 {
	if math.IsInf(logScore, -1) {
		return logScore
	}
	return logScore - float64(now)/halfLifeMS
}

// topList keeps the videos with the highest trend scores, best first.
type topList struct {
	ids []int32
}

// update places v (whose score just rose) in the list, or leaves the list alone if v does
// not make it. score returns the current log-score of any video.
func (l *topList) update(v int32, capacity int, score func(int32) float64) {
	pos := -1
	for k, x := range l.ids {
		if x == v {
			pos = k
			break
		}
	}
	if pos < 0 {
		if len(l.ids) >= capacity {
			if !better(v, l.ids[len(l.ids)-1], score) {
				return
			}
			l.ids = l.ids[:len(l.ids)-1]
		}
		l.ids = append(l.ids, v)
		pos = len(l.ids) - 1
	}
	for pos > 0 && better(l.ids[pos], l.ids[pos-1], score) {
		l.ids[pos], l.ids[pos-1] = l.ids[pos-1], l.ids[pos]
		pos--
	}
}

func (l *topList) remove(v int32) {
	for k, x := range l.ids {
		if x == v {
			l.ids = append(l.ids[:k], l.ids[k+1:]...)
			return
		}
	}
}

// better orders by score, then by the older video (lower index) so ties are deterministic.
func better(a, b int32, score func(int32) float64) bool {
	sa, sb := score(a), score(b)
	if sa != sb {
		return sa > sb
	}
	return a < b
}
