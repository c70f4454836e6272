package recsys

import (
	"math"
	"sort"
)

// coEngagement counts, for each video, how often its positive viewers also engaged positively
// with other videos (within each viewer's recent positives). It is the item-to-item source:
// "people who finished this also finished that", updated on every positive engagement.
type coEngagement struct {
	capacity int
	alpha    float64
	nbr      [][]int32   // per video: neighbour videos, ascending (binary-searchable)
	cnt      [][]float32 // per video: co-engagement counts, parallel to nbr
	total    []float32   // per video: positive engagements (the normaliser)
	// normFrom and normTo cache total^(1-alpha) and total^alpha, the two halves of the
	// similarity's denominator.
	normFrom, normTo []float32
}

func (c *coEngagement) grow(n int) {
	for len(c.nbr) < n {
		c.nbr = append(c.nbr, nil)
		c.cnt = append(c.cnt, nil)
		c.total = append(c.total, 0)
		c.normFrom = append(c.normFrom, 0)
		c.normTo = append(c.normTo, 0)
	}
}

// addPair strengthens the link from a to b. A full list evicts its weakest link when the new
// one is at least as strong, keeping the heavy hitters.
func (c *coEngagement) addPair(a, b int32, w float32) {
	nb, cn := c.nbr[a], c.cnt[a]
	k := sort.Search(len(nb), func(i int) bool { return nb[i] >= b })
	if k < len(nb) && nb[k] == b {
		cn[k] += w
		return
	}
	if len(nb) >= c.capacity {
		weakest := 0
		for i := 1; i < len(cn); i++ {
			if cn[i] < cn[weakest] {
				weakest = i
			}
		}
		if w < cn[weakest] {
			return
		}
		nb = append(nb[:weakest], nb[weakest+1:]...)
		cn = append(cn[:weakest], cn[weakest+1:]...)
		if weakest < k {
			k--
		}
	}
	nb = append(nb, 0)
	cn = append(cn, 0)
	copy(nb[k+1:], nb[k:])
	copy(cn[k+1:], cn[k:])
	nb[k], cn[k] = b, w
	c.nbr[a], c.cnt[a] = nb, cn
}

// engage records that a viewer engaged positively with v after the videos in recent.
func (c *coEngagement) engage(v int32, recent *ring, w float32) {
	c.total[v] += w
	t := float64(c.total[v])
	c.normFrom[v] = float32(math.Pow(t, 1-c.alpha))
	c.normTo[v] = float32(math.Pow(t, c.alpha))
	recent.each(func(j int32) {
		if j != v {
			c.addPair(v, j, w)
			c.addPair(j, v, w)
		}
	})
}

// sim is the similarity of b to a (a is what the viewer engaged with, b the candidate):
// count/(total(a)^(1-alpha)·total(b)^alpha), the cosine at alpha 0.5.
func (c *coEngagement) sim(a, b int32, count float32) float64 {
	d := float64(c.normFrom[a]) * float64(c.normTo[b])
	if d <= 0 {
		return 0
	}
	return float64(count) / d
}

// scoreOne sums the similarity of candidate v to every video in recent (a feature lookup).
func (c *coEngagement) scoreOne(v int32, recent *ring) float64 {
	s := 0.0
	recent.each(func(j int32) {
		nb := c.nbr[j]
		k := sort.Search(len(nb), func(i int) bool { return nb[i] >= v })
		if k < len(nb) && nb[k] == v {
			s += c.sim(j, v, c.cnt[j][k])
		}
	})
	return s
}

// scoreAll accumulates the similarity of every neighbour of the videos in recent into out
// (the candidate source, and the feature of every candidate of a list); the values equal
// scoreOne's, summed in the same order.
func (c *coEngagement) scoreAll(recent *ring, out *coScores) {
	recent.each(func(j int32) {
		for k, x := range c.nbr[j] {
			out.add(x, c.sim(j, x, c.cnt[j][k]))
		}
	})
}

// coScores accumulates co-engagement scores for one request. A list's neighbours number in
// the thousands (50 recent videos × 128 neighbours), and a map cost more to fill and read
// than the rest of the source did, so the values sit in a dense array by video with the list
// of videos touched: reading is an index, and ranking and clearing cost what was touched.
// Requests take them from a pool (recsPool) and leave them cleared.
type coScores struct {
	val     []float64
	in      []bool
	touched []int32
}

func (s *coScores) add(v int32, x float64) {
	if !s.in[v] {
		s.in[v] = true
		s.touched = append(s.touched, v)
	}
	s.val[v] += x
}

// of is v's score (0 for a video no recent video links to).
func (s *coScores) of(v int32) float64 { return s.val[v] }

// reset clears what the request touched and makes room for n videos.
func (s *coScores) reset(n int) {
	for _, v := range s.touched {
		s.val[v], s.in[v] = 0, false
	}
	s.touched = s.touched[:0]
	if len(s.val) < n {
		s.val = make([]float64, n+n/8)
		s.in = make([]bool, len(s.val))
	}
}

func (c *coEngagement) forget(v int32) {
	c.nbr[v], c.cnt[v], c.total[v], c.normFrom[v], c.normTo[v] = nil, nil, 0, 0, 0
}
