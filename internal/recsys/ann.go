package recsys

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Embedding retrieval reads every video vector: at 100,000 videos of 32 floats that is
// 12.8 MB per For You request, so it was bound by memory bandwidth, not arithmetic, and it
// alone capped a 2-core server at a few hundred requests a second. Past annMinRows vectors
// it goes through an inverted-file index instead (IVF, as in FAISS): the vectors are grouped
// by k-means, and a request reads only the groups nearest the viewer's vector, about a
// tenth of the catalogue. Retrieval ranks by dot products with the vectors as they were at
// the build; the ranker then scores the candidates with the current ones.
//
// The index is a cache, not model state: it is built in the background from a copy of the
// vectors, replaced after annMaxAge, and never in snapshots, so Apply stays deterministic.
// Vectors that got a row after the build (new videos) are read in full on every request
// until the next one, so a new video can be retrieved at once. A vector that moved since
// the build is retrieved by where it was, for at most annMaxAge.

const (
	annMinRows = 20_000          // below this a full scan is cheap enough and exact
	annLists   = 256             // groups
	annShare   = 10              // a request reads at least 1/annShare of the vectors…
	annPerWant = 20              // …and at least this many per candidate it wants
	annSample  = 16_384          // vectors the k-means iterations learn from
	annIters   = 6               // k-means iterations
	annMaxAge  = 2 * time.Minute // rebuild after this
)

// annGroup holds a group's videos and a copy of their vectors as they were at the build,
// side by side, so that reading a group is a sequential scan: reading the table's rows in
// group order instead was a cache miss per vector and cost nearly what the full scan did.
type annGroup struct {
	videos []int32
	vecs   []float32
}

type annIndex struct {
	tbl         *table    // the table it was built from; a snapshot load or adoption replaces it
	builtAt     time.Time // when the copy was taken
	slots       int       // slots [0, slots) were assigned; later ones are read in full
	centres     []float32 // annLists centres of the augmented vectors, dim+1 each
	half        []float32 // |centre|²/2
	norm        float32   // the largest vector norm at the build (M)
	groups      []annGroup
	liveAtBuild int
}

// annFor returns the index to use for t, starting a rebuild in the background when there is
// none or it is old. nil means scan everything.
func (r *Recommender) annFor(t *table) *annIndex {
	min := r.annMin
	if min == 0 {
		min = annMinRows
	}
	if t.rows() < min {
		return nil
	}
	idx := r.ann.Load()
	if idx != nil && idx.tbl != t {
		idx = nil
	}
	if (idx == nil || time.Since(idx.builtAt) > annMaxAge) && r.annBuilding.CompareAndSwap(false, true) {
		// Called under the read lock: the copy is taken after it is released.
		go func() {
			defer r.annBuilding.Store(false)
			r.buildANN()
		}()
	}
	return idx
}

// buildANN copies the video vectors under the read lock and builds the index from the copy.
func (r *Recommender) buildANN() {
	r.mu.RLock()
	t := r.videoEmb
	dim := t.dim
	ids := append([]int32(nil), t.ids...)
	vals := append([]float32(nil), t.vals...)
	r.mu.RUnlock()
	idx := newANN(t, dim, ids, vals, time.Now())
	if idx != nil {
		r.ann.Store(idx)
	}
}

// newANN builds an index over the live slots (ids[s] >= 0) of vals.
func newANN(t *table, dim int, ids []int32, vals []float32, now time.Time) *annIndex {
	var live []int32
	for s, id := range ids {
		if id >= 0 {
			live = append(live, int32(s))
		}
	}
	if len(live) < annLists {
		return nil
	}
	// Largest inner product becomes nearest neighbour (Bachrach et al., 2014): each vector
	// gets one more coordinate, sqrt(M² - |v|²) with M the largest norm, so every augmented
	// vector has norm M, and the query is scaled to norm M with a 0 there. The groups are
	// then plain k-means (L2) groups of the augmented vectors.
	var m2 float64
	for _, s := range live {
		m2 = max(m2, sqnorm(vals[int(s)*dim:int(s+1)*dim]))
	}
	ad := dim + 1
	aug := func(s int32, out []float32) []float32 {
		v := vals[int(s)*dim : int(s+1)*dim]
		out = append(out[:0], v...)
		return append(out, float32(math.Sqrt(max(m2-sqnorm(v), 0))))
	}
	// The sample and the first centres are spread evenly over the slots, so a build is
	// deterministic given the vectors.
	step := max(1, len(live)/annSample)
	var sample [][]float32
	for i := 0; i < len(live); i += step {
		sample = append(sample, aug(live[i], nil))
	}
	centres := make([]float32, annLists*ad)
	for c := 0; c < annLists; c++ {
		copy(centres[c*ad:(c+1)*ad], sample[c*len(sample)/annLists])
	}
	half := make([]float32, annLists) // |c|²/2
	sums := make([]float64, annLists*ad)
	counts := make([]int, annLists)
	for it := 0; it < annIters; it++ {
		halves(centres, ad, half)
		clear(sums)
		clear(counts)
		for _, v := range sample {
			c := nearestCentre(centres, half, ad, v)
			counts[c]++
			for k, x := range v {
				sums[c*ad+k] += float64(x)
			}
		}
		for c := 0; c < annLists; c++ {
			if counts[c] == 0 {
				continue // keeps its centre
			}
			for k := 0; k < ad; k++ {
				centres[c*ad+k] = float32(sums[c*ad+k] / float64(counts[c]))
			}
		}
	}
	halves(centres, ad, half)
	idx := &annIndex{tbl: t, builtAt: now, slots: len(ids), centres: centres, half: half, norm: float32(math.Sqrt(m2)),
		groups: make([]annGroup, annLists), liveAtBuild: len(live)}
	buf := make([]float32, 0, ad)
	for _, s := range live {
		buf = aug(s, buf)
		c := nearestCentre(centres, half, ad, buf)
		g := &idx.groups[c]
		g.videos = append(g.videos, ids[s])
		g.vecs = append(g.vecs, buf[:dim]...)
	}
	return idx
}

// nearestCentre is the centre nearest to v: the largest v·c - |c|²/2.
func nearestCentre(centres, half []float32, ad int, v []float32) int {
	best, bestScore := 0, float32(math.Inf(-1))
	for c := range half {
		if d := dot(v, centres[c*ad:(c+1)*ad]) - half[c]; d > bestScore {
			best, bestScore = c, d
		}
	}
	return best
}

func halves(centres []float32, ad int, half []float32) {
	for c := range half {
		half[c] = float32(sqnorm(centres[c*ad:(c+1)*ad]) / 2)
	}
}

func sqnorm(v []float32) float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	return n
}

// probe returns the groups to read for the query vector u, best first: enough of them to
// hold want vectors, more in order, at least annLists/annShare of the catalogue.
func (idx *annIndex) probe(u []float32, dim, want int) []int {
	type scored struct {
		c int
		d float32
	}
	// The query scaled to norm M, augmented with 0: its distance order to the centres is
	// that of u·c - |c|²/2 after the scaling.
	scale := float32(0)
	if n := sqnorm(u); n > 0 {
		scale = idx.norm / float32(math.Sqrt(n))
	}
	ad := dim + 1
	all := make([]scored, annLists)
	for c := range all {
		all[c] = scored{c, scale*dot(u, idx.centres[c*ad:c*ad+dim]) - idx.half[c]}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.d != b.d {
			return cmp.Compare(b.d, a.d)
		}
		return a.c - b.c
	})
	need := max(idx.liveAtBuild/annShare, annPerWant*want)
	var out []int
	for _, g := range all {
		if need <= 0 {
			break
		}
		out = append(out, g.c)
		need -= len(idx.groups[g.c].videos)
	}
	return out
}
