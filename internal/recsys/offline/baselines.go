package offline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// randomModel ranks unseen items in a random order fixed by the seed and the user.
type randomModel struct {
	seed  uint64
	items int
}

func (m *randomModel) fit(_ context.Context, ts *trainSet) error {
	m.items = len(ts.items)
	return nil
}

func (m *randomModel) recommend(user int32, k int, seen map[int32]bool) []int32 {
	rng := rand.New(rand.NewPCG(m.seed, uint64(user)+1))
	perm := rng.Perm(m.items)
	out := make([]int32, 0, k)
	for _, i := range perm {
		if len(out) == k {
			break
		}
		if !seen[int32(i)] {
			out = append(out, int32(i))
		}
	}
	return out
}

// popularModel ranks by the number of positive training interactions, then by all
// interactions, so that ties among rarely liked items still prefer widely watched ones.
type popularModel struct {
	order []int32
}

func (m *popularModel) fit(_ context.Context, ts *trainSet) error {
	m.order = popularityOrder(ts)
	return nil
}

func popularityOrder(ts *trainSet) []int32 {
	pos := make([]int, len(ts.items))
	all := make([]int, len(ts.items))
	for k, r := range ts.rows {
		i := ts.rowItem[k]
		all[i]++
		if r.Positive {
			pos[i]++
		}
	}
	order := make([]int32, len(ts.items))
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if pos[x] != pos[y] {
			return pos[x] > pos[y]
		}
		return all[x] > all[y]
	})
	return order
}

func (m *popularModel) recommend(_ int32, k int, seen map[int32]bool) []int32 {
	return firstUnseen(m.order, k, seen, nil)
}

// firstUnseen appends to out the first items of order that are neither seen nor already in out.
func firstUnseen(order []int32, k int, seen map[int32]bool, out []int32) []int32 {
	in := make(map[int32]bool, len(out))
	for _, i := range out {
		in[i] = true
	}
	for _, i := range order {
		if len(out) >= k {
			break
		}
		if !seen[i] && !in[i] {
			out = append(out, i)
		}
	}
	return out
}

// positivesByUser lists each user's positive training items.
func positivesByUser(ts *trainSet) [][]int32 {
	pos := make([][]int32, len(ts.users))
	for k, r := range ts.rows {
		if r.Positive {
			u := ts.rowUser[k]
			pos[u] = append(pos[u], ts.rowItem[k])
		}
	}
	for u := range pos {
		pos[u] = dedupe(pos[u])
	}
	return pos
}

func dedupe(items []int32) []int32 {
	seen := make(map[int32]bool, len(items))
	out := items[:0]
	for _, i := range items {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// itemKNNModel is item-based collaborative filtering with cosine similarity over positive
// interactions, keeping each item's strongest neighbours.
type itemKNNModel struct {
	neighbours int
	pos        [][]int32
	nbr        [][]neighbour
	popular    []int32
	popRank    []int32
}

type neighbour struct {
	item int32
	sim  float32
}

func (m *itemKNNModel) fit(ctx context.Context, ts *trainSet) error {
	m.pos = positivesByUser(ts)
	m.popular = popularityOrder(ts)
	m.popRank = rankOf(m.popular)
	n := len(ts.items)
	count := make([]float64, n)
	co := make([]map[int32]float64, n)
	for u, items := range m.pos {
		if u%256 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("item-knn: %w", err)
			}
		}
		for _, i := range items {
			count[i]++
			if co[i] == nil {
				co[i] = map[int32]float64{}
			}
			for _, j := range items {
				if i != j {
					co[i][j]++
				}
			}
		}
	}
	m.nbr = make([][]neighbour, n)
	for i := range co {
		list := make([]neighbour, 0, len(co[i]))
		for j, c := range co[i] {
			list = append(list, neighbour{j, float32(c / math.Sqrt(count[i]*count[j]))})
		}
		sort.Slice(list, func(a, b int) bool {
			if list[a].sim != list[b].sim {
				return list[a].sim > list[b].sim
			}
			return list[a].item < list[b].item
		})
		if m.neighbours > 0 && len(list) > m.neighbours {
			list = list[:m.neighbours]
		}
		m.nbr[i] = list
	}
	return nil
}

func rankOf(order []int32) []int32 {
	r := make([]int32, len(order))
	for pos, i := range order {
		r[i] = int32(pos)
	}
	return r
}

func (m *itemKNNModel) recommend(user int32, k int, seen map[int32]bool) []int32 {
	score := map[int32]float64{}
	for _, j := range m.pos[user] {
		for _, nb := range m.nbr[j] {
			score[nb.item] += float64(nb.sim)
		}
	}
	out := topScored(score, k, seen, m.popRank)
	return firstUnseen(m.popular, k, seen, out)
}

// topScored returns the k best-scoring unseen items, ties broken by popularity rank.
func topScored(score map[int32]float64, k int, seen map[int32]bool, popRank []int32) []int32 {
	type cand struct {
		item  int32
		score float64
	}
	cands := make([]cand, 0, len(score))
	for i, s := range score {
		if !seen[i] && s > 0 {
			cands = append(cands, cand{i, s})
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if popRank[cands[a].item] != popRank[cands[b].item] {
			return popRank[cands[a].item] < popRank[cands[b].item]
		}
		return cands[a].item < cands[b].item
	})
	if len(cands) > k {
		cands = cands[:k]
	}
	out := make([]int32, len(cands))
	for n, c := range cands {
		out[n] = c.item
	}
	return out
}

// bprModel is matrix factorisation trained with Bayesian Personalised Ranking (Rendle et al.
// 2009) on positive interactions, with uniformly sampled negatives and an item bias.
type bprModel struct {
	dim    int
	epochs int
	lr     float64
	reg    float64
	seed   uint64
	user   [][]float64
	item   [][]float64
	bias   []float64
}

func (m *bprModel) fit(ctx context.Context, ts *trainSet) error {
	rng := rand.New(rand.NewPCG(m.seed, 0xb9b))
	pos := positivesByUser(ts)
	nItems := len(ts.items)
	isPos := make([]map[int32]bool, len(pos))
	type pair struct{ u, i int32 }
	var pairs []pair
	for u, items := range pos {
		isPos[u] = make(map[int32]bool, len(items))
		for _, i := range items {
			isPos[u][i] = true
			pairs = append(pairs, pair{int32(u), i})
		}
	}
	initVec := func() []float64 {
		v := make([]float64, m.dim)
		for d := range v {
			v[d] = rng.NormFloat64() * 0.1
		}
		return v
	}
	m.user = make([][]float64, len(ts.users))
	for u := range m.user {
		m.user[u] = initVec()
	}
	m.item = make([][]float64, nItems)
	for i := range m.item {
		m.item[i] = initVec()
	}
	m.bias = make([]float64, nItems)
	if len(pairs) == 0 || nItems < 2 {
		return nil
	}
	for epoch := 0; epoch < m.epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bpr: %w", err)
		}
		for range pairs {
			p := pairs[rng.IntN(len(pairs))]
			j := int32(rng.IntN(nItems))
			for tries := 0; isPos[p.u][j] && tries < 20; tries++ {
				j = int32(rng.IntN(nItems))
			}
			if isPos[p.u][j] {
				continue
			}
			wu, hi, hj := m.user[p.u], m.item[p.i], m.item[j]
			x := m.bias[p.i] - m.bias[j]
			for d := range wu {
				x += wu[d] * (hi[d] - hj[d])
			}
			g := 1 / (1 + math.Exp(x)) // d/dx log sigmoid(x)
			m.bias[p.i] += m.lr * (g - m.reg*m.bias[p.i])
			m.bias[j] += m.lr * (-g - m.reg*m.bias[j])
			for d := range wu {
				u, a, b := wu[d], hi[d], hj[d]
				wu[d] += m.lr * (g*(a-b) - m.reg*u)
				hi[d] += m.lr * (g*u - m.reg*a)
				hj[d] += m.lr * (-g*u - m.reg*b)
			}
		}
	}
	return nil
}

func (m *bprModel) recommend(user int32, k int, seen map[int32]bool) []int32 {
	wu := m.user[user]
	score := make([]float64, len(m.item))
	for i, h := range m.item {
		x := m.bias[i]
		for d := range wu {
			x += wu[d] * h[d]
		}
		score[i] = x
	}
	return topDense(score, k, seen)
}

// topDense returns the k best unseen items of a dense score vector, ties to the lower id.
func topDense(score []float64, k int, seen map[int32]bool) []int32 {
	idx := make([]int32, 0, len(score))
	for i := range score {
		if !seen[int32(i)] {
			idx = append(idx, int32(i))
		}
	}
	sort.Slice(idx, func(a, b int) bool {
		if score[idx[a]] != score[idx[b]] {
			return score[idx[a]] > score[idx[b]]
		}
		return idx[a] < idx[b]
	})
	if len(idx) > k {
		idx = idx[:k]
	}
	return idx
}
