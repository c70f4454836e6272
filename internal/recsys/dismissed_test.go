package recsys

import (
	"fmt"
	"testing"
)

// BenchmarkDismissed is the Trending tab's check of one page's candidates (500, its depth)
// for a viewer whose watched memory is full (2,000 videos).
//
//	go test -run '^$' -bench Dismissed ./internal/recsys/
func BenchmarkDismissed(b *testing.B) {
	r := newTestRecommender(b, DefaultConfig())
	var seq uint64
	apply := func(ev Event) {
		seq++
		ev.Seq, ev.TimeMS = seq, int64(seq)*1000
		if err := r.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("video%05d", i)
		apply(Event{Kind: VideoPublished, Video: ids[i], Creator: fmt.Sprintf("creator%d", i%50), DurationMS: 10000, Hashtags: []string{"a", "b"}})
	}
	for i := range 2000 {
		apply(Event{Kind: Impression, User: "heavy", Video: ids[i]})
	}
	b.ResetTimer()
	for range b.N {
		check, n := r.Dismissed("heavy"), 0
		for _, id := range ids[2500:3000] {
			if check(id, "creator1", []string{"a", "b"}) {
				n++
			}
		}
		if n != 0 {
			b.Fatalf("%d of videos never watched dismissed", n)
		}
	}
}

// Dismissed answers by name, also when the model's state is replaced under a check that
// is in use (a rebuild adopted after an erasure), where the same index means another video.
func TestDismissedFollowsAnAdoptedModel(t *testing.T) {
	build := func(order []string, watched ...string) *Recommender {
		r := newTestRecommender(t, DefaultConfig())
		var seq uint64
		apply := func(ev Event) {
			seq++
			ev.Seq, ev.TimeMS = seq, int64(seq)*1000
			if err := r.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range order {
			apply(Event{Kind: VideoPublished, Video: v, Creator: "maker-" + v, DurationMS: 10000, Hashtags: []string{"tag-" + v}})
		}
		for _, v := range watched {
			apply(Event{Kind: Impression, User: "viewer", Video: v})
		}
		apply(Event{Kind: NotInterested, User: "viewer", Video: "c", Target: TargetCreator, Creator: "maker-c"})
		return r
	}
	r := build([]string{"a", "b", "c", "d"}, "a")
	check := r.Dismissed("viewer")
	got := func() string {
		out := ""
		for _, v := range []string{"a", "b", "c", "d"} {
			if check(v, "maker-"+v, []string{"tag-" + v}) {
				out += v
			}
		}
		return out
	}
	if g := got(); g != "ac" {
		t.Fatalf("dismissed %q, want a (watched) and c (its creator marked)", g)
	}
	// The rebuild saw the videos in another order and the viewer watch b instead.
	if err := r.Adopt(build([]string{"d", "c", "b", "a"}, "b")); err != nil {
		t.Fatal(err)
	}
	if g := got(); g != "bc" {
		t.Fatalf("after the model was replaced: dismissed %q, want b and c", g)
	}
	if r.Dismissed("stranger")("a", "maker-a", nil) {
		t.Fatal("a viewer the model never saw has dismissed something")
	}
}
