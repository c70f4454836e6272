package offline

import "math"

// truth is what one user did in the held-out period, restricted to items the user had not met
// in training (those are never ranked, so they cannot be found).
type truth struct {
	// gain of each positive item: 1 for binary relevance; watch-weighted NDCG uses watchGain.
	positive map[int32]bool
	// watchGain is min(play/duration, 2) per positive item, or 1 when the duration is unknown.
	watchGain map[int32]float64
	negative  map[int32]bool
}

// recallAt is the share of the user's positives found in the first k ranked items.
func recallAt(ranked []int32, positive map[int32]bool, k int) float64 {
	if len(positive) == 0 {
		return 0
	}
	hits := 0
	for i, item := range ranked {
		if i >= k {
			break
		}
		if positive[item] {
			hits++
		}
	}
	return float64(hits) / float64(len(positive))
}

// ndcgAt is DCG over the first k ranked items divided by the DCG of the ideal order, with
// log2(rank+1) discount. gain returns an item's gain (0 for irrelevant items); ideal holds the
// gains of all relevant items.
func ndcgAt(ranked []int32, gain func(int32) float64, ideal []float64, k int) float64 {
	dcg := 0.0
	for i, item := range ranked {
		if i >= k {
			break
		}
		if g := gain(item); g > 0 {
			dcg += g / math.Log2(float64(i+2))
		}
	}
	idcg := idealDCG(ideal, k)
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// idealDCG sorts gains in decreasing order (a small insertion sort: lists are short) and sums
// the discounted first k.
func idealDCG(gains []float64, k int) float64 {
	g := append([]float64(nil), gains...)
	for i := 1; i < len(g); i++ {
		for j := i; j > 0 && g[j] > g[j-1]; j-- {
			g[j], g[j-1] = g[j-1], g[j]
		}
	}
	sum := 0.0
	for i := 0; i < len(g) && i < k; i++ {
		sum += g[i] / math.Log2(float64(i+2))
	}
	return sum
}

// negativeShareAt is the share of the first k slots taken by items the user is known to
// dislike. A short list still counts k slots: an empty slot is not a disliked video.
func negativeShareAt(ranked []int32, negative map[int32]bool, k int) float64 {
	if k <= 0 {
		return 0
	}
	n := 0
	for i, item := range ranked {
		if i >= k {
			break
		}
		if negative[item] {
			n++
		}
	}
	return float64(n) / float64(k)
}

// coverage is the share of the catalogue that appears in at least one list.
func coverage(lists [][]int32, catalogue int) float64 {
	if catalogue == 0 {
		return 0
	}
	seen := make(map[int32]bool)
	for _, l := range lists {
		for _, item := range l {
			seen[item] = true
		}
	}
	return float64(len(seen)) / float64(catalogue)
}

// binaryGain adapts a positive set to ndcgAt.
func binaryGain(positive map[int32]bool) (func(int32) float64, []float64) {
	ideal := make([]float64, 0, len(positive))
	for range positive {
		ideal = append(ideal, 1)
	}
	return func(item int32) float64 {
		if positive[item] {
			return 1
		}
		return 0
	}, ideal
}

// weightedGain adapts per-item gains to ndcgAt.
func weightedGain(gains map[int32]float64) (func(int32) float64, []float64) {
	ideal := make([]float64, 0, len(gains))
	for _, g := range gains {
		ideal = append(ideal, g)
	}
	return func(item int32) float64 { return gains[item] }, ideal
}
