package offline

import (
	"context"
	"fmt"
	"sort"
)

// trainSet is the training data with dense ids, in the order the models learn it.
type trainSet struct {
	users    []string // dense user id → name; includes users seen only in the held-out data
	items    []string // dense item id → name; only items met in training (the catalogue)
	userIdx  map[string]int32
	itemIdx  map[string]int32
	rows     []Interaction // chronological
	rowUser  []int32
	rowItem  []int32
	seen     []map[int32]bool // per user: items met in training, never ranked for them
	nTrained int              // users with at least one training row
}

func newTrainSet(train, heldOut []Interaction) *trainSet {
	ts := &trainSet{userIdx: map[string]int32{}, itemIdx: map[string]int32{}}
	ts.rows = chronological(train)
	for _, r := range ts.rows {
		u := ts.user(r.User)
		i, ok := ts.itemIdx[r.Item]
		if !ok {
			i = int32(len(ts.items))
			ts.itemIdx[r.Item] = i
			ts.items = append(ts.items, r.Item)
		}
		ts.rowUser = append(ts.rowUser, u)
		ts.rowItem = append(ts.rowItem, i)
	}
	ts.nTrained = len(ts.users)
	for _, r := range heldOut {
		ts.user(r.User)
	}
	ts.seen = make([]map[int32]bool, len(ts.users))
	for k := range ts.rows {
		u := ts.rowUser[k]
		if ts.seen[u] == nil {
			ts.seen[u] = map[int32]bool{}
		}
		ts.seen[u][ts.rowItem[k]] = true
	}
	return ts
}

func (ts *trainSet) user(name string) int32 {
	u, ok := ts.userIdx[name]
	if !ok {
		u = int32(len(ts.users))
		ts.userIdx[name] = u
		ts.users = append(ts.users, name)
	}
	return u
}

// model is one recommender under evaluation.
type model interface {
	fit(ctx context.Context, ts *trainSet) error
	// recommend returns up to k catalogue items for user, best first, never one in seen.
	recommend(user int32, k int, seen map[int32]bool) []int32
}

// heldOut groups held-out rows per user, dropping items the user met in training.
func heldOut(ts *trainSet, rows []Interaction) (users []int32, truths map[int32]*truth) {
	truths = map[int32]*truth{}
	unknown := map[string]int32{}
	for _, r := range rows {
		u := ts.userIdx[r.User]
		i, ok := ts.itemIdx[r.Item]
		if !ok {
			// An item first met in the held-out period cannot be ranked by any model, yet it
			// still counts against recall: give it an id outside the catalogue.
			if i, ok = unknown[r.Item]; !ok {
				i = -1 - int32(len(unknown))
				unknown[r.Item] = i
			}
		}
		if ts.seen[u][i] {
			continue
		}
		t := truths[u]
		if t == nil {
			t = &truth{positive: map[int32]bool{}, watchGain: map[int32]float64{}, negative: map[int32]bool{}}
			truths[u] = t
		}
		if r.Positive {
			t.positive[i] = true
			delete(t.negative, i)
			g := 1.0
			if wr := r.WatchRatio(); wr >= 0 {
				g = min(wr, 2)
			}
			t.watchGain[i] = max(t.watchGain[i], g)
		} else if !t.positive[i] {
			t.negative[i] = true
		}
	}
	for u, t := range truths {
		if len(t.positive) > 0 {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(a, b int) bool { return users[a] < users[b] })
	return users, truths
}

// scores are the averages over evaluated users.
type scores struct {
	Model                       string
	Users                       int
	Recall10, RecallK           float64
	NDCG10, NDCGK               float64
	WatchNDCG10, WatchNDCGK     float64
	Coverage                    float64
	NegativeShare               float64
	HasWatch                    bool
	FitSeconds, RecommendMillis float64
}

// evaluate ranks for every held-out user with a positive and averages the metrics.
func evaluate(ctx context.Context, m model, ts *trainSet, users []int32, truths map[int32]*truth, k int, hasWatch bool) (scores, [][]int32, error) {
	var s scores
	lists := make([][]int32, 0, len(users))
	for n, u := range users {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return s, nil, fmt.Errorf("evaluate: %w", err)
			}
		}
		t := truths[u]
		ranked := m.recommend(u, k, ts.seen[u])
		if len(ranked) > k {
			ranked = ranked[:k]
		}
		lists = append(lists, ranked)
		gain, ideal := binaryGain(t.positive)
		s.Recall10 += recallAt(ranked, t.positive, 10)
		s.RecallK += recallAt(ranked, t.positive, k)
		s.NDCG10 += ndcgAt(ranked, gain, ideal, 10)
		s.NDCGK += ndcgAt(ranked, gain, ideal, k)
		if hasWatch {
			wg, wideal := weightedGain(t.watchGain)
			s.WatchNDCG10 += ndcgAt(ranked, wg, wideal, 10)
			s.WatchNDCGK += ndcgAt(ranked, wg, wideal, k)
		}
		s.NegativeShare += negativeShareAt(ranked, t.negative, k)
	}
	if n := float64(len(users)); n > 0 {
		s.Recall10 /= n
		s.RecallK /= n
		s.NDCG10 /= n
		s.NDCGK /= n
		s.WatchNDCG10 /= n
		s.WatchNDCGK /= n
		s.NegativeShare /= n
	}
	s.Users = len(users)
	s.HasWatch = hasWatch
	s.Coverage = coverage(lists, len(ts.items))
	return s, lists, nil
}
