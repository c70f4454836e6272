package recsys

import (
	"fmt"
	"testing"
	"time"
)

// TestANNRecall compares embedding retrieval through the index with the full scan it
// replaces, on vectors learned from a synthetic log: the index must find most of the same
// top candidates, and a video whose vector appeared after the build must still be found.
func TestANNRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 300k events")
	}
	w := newWorld(11, 30_000, 3_000, 60)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, append(w.publishAll(), w.sessions(300_000)...))
	// The frequency filter leaves fewer vectors than annMinRows; a smaller catalogue, with
	// fewer vectors per group, is the harder case for the index anyway.
	r.annMin = 10_000
	if rows := r.videoEmb.rows(); rows < r.annMin {
		t.Fatalf("only %d video vectors; the test needs the index in use (%d)", rows, r.annMin)
	}

	// Without an index the first call starts the build and scans everything.
	r.mu.RLock()
	idx := r.annFor(r.videoEmb)
	r.mu.RUnlock()
	if idx != nil {
		t.Fatal("an index existed before any build")
	}
	deadline := time.Now().Add(time.Minute)
	for r.ann.Load() == nil || r.annBuilding.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the index was not built within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}

	const n = 200
	var found, wanted, read, users int
	for _, u := range w.users[:300] {
		r.mu.RLock()
		x, ok := r.userNames.lookup(u.id)
		if !ok || r.userEmb.slot(x) < 0 {
			r.mu.RUnlock()
			continue
		}
		uvec := r.userEmb.row(r.userEmb.slot(x))
		ex := r.newExclusion(-1, nil)
		got, _ := r.embeddingCandidates(uvec, n, ex)
		saved := r.annMin
		r.annMin = 1 << 30 // the full scan
		exact, _ := r.embeddingCandidates(uvec, n, ex)
		r.annMin = saved
		for _, c := range r.ann.Load().probe(uvec[:r.videoEmb.dim], r.videoEmb.dim, n) {
			read += len(r.ann.Load().groups[c].videos)
		}
		r.mu.RUnlock()
		in := map[int32]bool{}
		for _, v := range got {
			in[v] = true
		}
		for _, v := range exact {
			if in[v] {
				found++
			}
		}
		wanted += len(exact)
		users++
	}
	if users < 100 {
		t.Fatalf("only %d users with vectors", users)
	}
	recall := float64(found) / float64(wanted)
	share := float64(read) / float64(users) / float64(r.videoEmb.rows())
	t.Logf("recall@%d %.3f over %d users, reading %.1f%% of %d vectors", n, recall, users, 100*share, r.videoEmb.rows())
	if recall < 0.8 {
		t.Errorf("recall@%d through the index = %.3f, want at least 0.8", n, recall)
	}
	if share > 0.35 {
		t.Errorf("a request read %.0f%% of the vectors; the index should read a fraction", 100*share)
	}

	// A video published and watched after the build has a row outside every group.
	w.videos = append(w.videos, worldVideo{id: "fresh", creator: "c0", topics: []int{0}, durationMS: 20_000})
	fresh := len(w.videos) - 1
	applyAll(t, r, []Event{w.publishEvent(fresh)})
	lover := -1
	for u := range w.users {
		if w.users[u].likes[0] {
			applyAll(t, r, w.view(u, fresh))
			lover = u
		}
	}
	if lover < 0 {
		t.Fatal("nobody loves topic 0")
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, _ := r.videoNames.lookup("fresh")
	s := r.videoEmb.slot(v)
	if s < 0 {
		t.Fatal("the fresh video has no vector")
	}
	if int(s) < r.ann.Load().slots {
		t.Skip(fmt.Sprintf("the fresh video reused slot %d, inside the index", s))
	}
	x, _ := r.userNames.lookup(w.users[lover].id)
	uvec := r.userEmb.row(r.userEmb.slot(x))
	in := false
	got, _ := r.embeddingCandidates(uvec, r.videoEmb.rows(), r.newExclusion(-1, nil))
	for _, c := range got {
		in = in || c == v
	}
	if !in {
		t.Error("a video with a row added after the build is never retrieved")
	}
}
