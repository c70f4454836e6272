package offline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

type lmf struct {
	dim, epochs int
	lr, reg     float64
	wpop        float64
	P, Q        [][]float64
	bu, bi      []float64
	b           float64
	npos        []float64
}

func env(k string, d float64) float64 {
	if v := os.Getenv(k); v != "" {
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return d
}

func (m *lmf) fit(_ context.Context, ts *trainSet) error {
	rng := rand.New(rand.NewPCG(1, 2))
	nu, ni := len(ts.users), len(ts.items)
	m.P = make([][]float64, nu)
	m.Q = make([][]float64, ni)
	for u := range m.P {
		m.P[u] = make([]float64, m.dim)
		for d := range m.P[u] {
			m.P[u][d] = rng.NormFloat64() * 0.05
		}
	}
	for i := range m.Q {
		m.Q[i] = make([]float64, m.dim)
		for d := range m.Q[i] {
			m.Q[i][d] = rng.NormFloat64() * 0.05
		}
	}
	m.bu = make([]float64, nu)
	m.bi = make([]float64, ni)
	m.npos = make([]float64, ni)
	for k, r := range ts.rows {
		if r.Positive {
			m.npos[ts.rowItem[k]]++
		}
	}
	idx := rng.Perm(len(ts.rows))
	for e := 0; e < m.epochs; e++ {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, k := range idx {
			u, i := ts.rowUser[k], ts.rowItem[k]
			y := 0.0
			if ts.rows[k].Positive {
				y = 1
			}
			x := m.b + m.bu[u] + m.bi[i]
			for d := 0; d < m.dim; d++ {
				x += m.P[u][d] * m.Q[i][d]
			}
			g := 1/(1+math.Exp(-x)) - y
			m.b -= m.lr * g
			m.bu[u] -= m.lr * (g + m.reg*m.bu[u])
			m.bi[i] -= m.lr * (g + m.reg*m.bi[i])
			for d := 0; d < m.dim; d++ {
				pu, qi := m.P[u][d], m.Q[i][d]
				m.P[u][d] -= m.lr * (g*qi + m.reg*pu)
				m.Q[i][d] -= m.lr * (g*pu + m.reg*qi)
			}
		}
	}
	return nil
}

func (m *lmf) recommend(u int32, k int, seen map[int32]bool) []int32 {
	s := make([]float64, len(m.Q))
	for i := range s {
		x := m.bi[i]
		for d := 0; d < m.dim; d++ {
			x += m.P[u][d] * m.Q[i][d]
		}
		s[i] = x + m.wpop*math.Log1p(m.npos[i])
	}
	return topDense(s, k, seen)
}

func TestZZLMF(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	D := "/work/shared/datasets/kuairec/"
	tr, _ := readInteractionsFile(D + "train.txt")
	va, _ := readInteractionsFile(D + os.Getenv("HELD"))
	ts := newTrainSet(tr, va)
	users, truths := heldOut(ts, va)
	m := &lmf{dim: int(env("DIM", 32)), epochs: int(env("EP", 10)), lr: env("LR", 0.02), reg: env("REG", 0.01)}
	m.fit(context.Background(), ts)
	for _, w := range []float64{0, 0.1, 0.3, 1} {
		m.wpop = w
		s, _, _ := evaluate(context.Background(), m, ts, users, truths, 20, false)
		fmt.Printf("wpop %v R10 %.4f R20 %.4f N10 %.4f N20 %.4f cov %.3f neg %.4f\n", w, s.Recall10, s.RecallK, s.NDCG10, s.NDCGK, s.Coverage, s.NegativeShare)
	}
}
