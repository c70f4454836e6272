package recsys

import (
	"fmt"
	"slices"
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
		// In one batch, as the feed asks when the page's first candidates are not dismissed.
		n := 0
		for _, d := range r.Dismissed("heavy", ids[2500:3000]) {
			if d {
				n++
			}
		}
		if n != 0 {
			b.Fatalf("%d of videos never watched dismissed", n)
		}
	}
}

// Dismissed answers by name from the model's own record of each video: watched, marked,
// by a marked creator or with a marked hashtag; the viewer's own videos and videos the
// model does not know are not dismissed; and after the state is replaced (a rebuild
// adopted after an erasure), where the same index means another video, it follows.
func TestDismissed(t *testing.T) {
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
			creator := "maker-" + v
			if v == "e" {
				creator = "viewer"
			}
			apply(Event{Kind: VideoPublished, Video: v, Creator: creator, DurationMS: 10000, Hashtags: []string{"tag-" + v}})
		}
		for _, v := range watched {
			apply(Event{Kind: Impression, User: "viewer", Video: v})
		}
		apply(Event{Kind: NotInterested, User: "viewer", Video: "c", Target: TargetCreator, Creator: "maker-c"})
		apply(Event{Kind: NotInterested, User: "viewer", Target: TargetHashtag, Hashtag: "tag-f"})
		return r
	}
	all := []string{"a", "b", "c", "d", "e", "f", "unknown"}
	got := func(r *Recommender) string {
		out := ""
		for i, d := range r.Dismissed("viewer", all) {
			if d {
				out += all[i]
			}
		}
		return out
	}
	r := build([]string{"a", "b", "c", "d", "e", "f"}, "a", "e")
	if g := got(r); g != "acf" {
		t.Fatalf("dismissed %q, want a (watched), c (its creator marked) and f (its hashtag marked); not e (the viewer's own)", g)
	}
	// The rebuild saw the videos in another order and the viewer watch b instead.
	if err := r.Adopt(build([]string{"f", "e", "d", "c", "b", "a"}, "b")); err != nil {
		t.Fatal(err)
	}
	if g := got(r); g != "bcf" {
		t.Fatalf("after the model was replaced: dismissed %q, want b, c and f", g)
	}
	if slices.Contains(r.Dismissed("stranger", all), true) {
		t.Fatal("a viewer the model never saw has dismissed something")
	}
}
