package recsys

import (
	"math"
	"sort"
)

// rng is SplitMix64: tiny, fast and fully determined by its seed, which the recommender
// derives from the config seed and the event's sequence number.
type rng struct{ s uint64 }

func newRNG(parts ...uint64) *rng {
	r := &rng{s: 0x9e3779b97f4a7c15}
	for _, p := range parts {
		r.s ^= p
		r.next()
	}
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0,n); n must be positive.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns a value in [0,1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// normal returns a standard normal value (Box-Muller; one value per call keeps it stateless).
func (r *rng) normal() float64 {
	u1 := r.float()
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*r.float())
}

// ring keeps the latest values, oldest first, up to its capacity.
type ring struct {
	vals []int32
	head int // index of the oldest value once full
	cap  int
}

func (r *ring) push(v int32) {
	if r.cap <= 0 {
		return
	}
	if len(r.vals) < r.cap {
		r.vals = append(r.vals, v)
		return
	}
	r.vals[r.head] = v
	r.head = (r.head + 1) % r.cap
}

// each calls f for every value, oldest first.
func (r *ring) each(f func(v int32)) {
	n := len(r.vals)
	for k := 0; k < n; k++ {
		f(r.vals[(r.head+k)%n])
	}
}

func (r *ring) contains(v int32) bool {
	for _, x := range r.vals {
		if x == v {
			return true
		}
	}
	return false
}

func (r *ring) reset() {
	r.vals = r.vals[:0]
	r.head = 0
}

// sortedSet is a small ordered set of ids (follows, not-interested marks).
type sortedSet []int32

func (s sortedSet) has(v int32) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= v })
	return i < len(s) && s[i] == v
}

func (s *sortedSet) add(v int32) {
	i := sort.Search(len(*s), func(i int) bool { return (*s)[i] >= v })
	if i < len(*s) && (*s)[i] == v {
		return
	}
	*s = append(*s, 0)
	copy((*s)[i+1:], (*s)[i:])
	(*s)[i] = v
}

func (s *sortedSet) remove(v int32) {
	i := sort.Search(len(*s), func(i int) bool { return (*s)[i] >= v })
	if i < len(*s) && (*s)[i] == v {
		*s = append((*s)[:i], (*s)[i+1:]...)
	}
}

// affinity is a viewer's decayed interest in creators or hashtags: a few dozen entries, the
// weakest evicted first. Scores decay with a half-life in event time.
type affinity struct {
	ids    []int32
	scores []float32 // value at time at[i]
	at     []int64
}

const (
	affinityCap      = 64
	affinityHalfLife = 7 * 24 * 3600 * 1000 // ms
)

func decayed(score float32, at, now int64) float64 {
	if now <= at {
		return float64(score)
	}
	return float64(score) * math.Exp2(-float64(now-at)/affinityHalfLife)
}

func (a *affinity) get(id int32, now int64) float64 {
	for k, x := range a.ids {
		if x == id {
			return decayed(a.scores[k], a.at[k], now)
		}
	}
	return 0
}

func (a *affinity) add(id int32, w float64, now int64) {
	for k, x := range a.ids {
		if x == id {
			a.scores[k] = float32(decayed(a.scores[k], a.at[k], now) + w)
			a.at[k] = now
			return
		}
	}
	if len(a.ids) < affinityCap {
		a.ids = append(a.ids, id)
		a.scores = append(a.scores, float32(w))
		a.at = append(a.at, now)
		return
	}
	weakest, ws := -1, math.Inf(1)
	for k := range a.ids {
		if s := decayed(a.scores[k], a.at[k], now); s < ws {
			weakest, ws = k, s
		}
	}
	if w > ws {
		a.ids[weakest], a.scores[weakest], a.at[weakest] = id, float32(w), now
	}
}

// top returns up to n ids by decayed score, strongest first (ties to the lower id).
func (a *affinity) top(n int, now int64) []int32 {
	idx := make([]int, len(a.ids))
	for k := range idx {
		idx[k] = k
	}
	sort.Slice(idx, func(x, y int) bool {
		sx, sy := decayed(a.scores[idx[x]], a.at[idx[x]], now), decayed(a.scores[idx[y]], a.at[idx[y]], now)
		if sx != sy {
			return sx > sy
		}
		return a.ids[idx[x]] < a.ids[idx[y]]
	})
	out := make([]int32, 0, n)
	for _, k := range idx {
		if len(out) == n {
			break
		}
		out = append(out, a.ids[k])
	}
	return out
}

func (a *affinity) reset() {
	a.ids, a.scores, a.at = a.ids[:0], a.scores[:0], a.at[:0]
}

// names interns string ids into dense indexes in order of first appearance, which is what
// makes every later iteration order a function of the log.
type names struct {
	idx  map[string]int32
	list []string
}

func newNames() names { return names{idx: map[string]int32{}} }

func (n *names) lookup(s string) (int32, bool) {
	i, ok := n.idx[s]
	return i, ok
}

func (n *names) intern(s string) (int32, bool) {
	if i, ok := n.idx[s]; ok {
		return i, false
	}
	i := int32(len(n.list))
	n.idx[s] = i
	n.list = append(n.list, s)
	return i, true
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// log2AddExp2 returns log2(2^a + 2^b) without overflow.
func log2AddExp2(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log2(1+math.Exp2(b-a))
}
