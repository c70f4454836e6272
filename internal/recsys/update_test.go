package recsys

import (
	"slices"
	"testing"
)

// VideoUpdated replaces a video's hashtags and language without making it new: the
// hashtag source stops offering it for a hashtag it lost and offers it for one it gained.
func TestVideoUpdatedReplacesHashtagsAndLanguage(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	apply := func(ev Event) {
		t.Helper()
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	ev := w.next(VideoPublished)
	ev.Video, ev.Creator, ev.Hashtags, ev.DurationMS = "edited", "c1", []string{"cats", "pets"}, 10000
	apply(ev)
	v, _ := r.videoNames.lookup("edited")
	published := r.videos[v].publishedMS

	ev = w.next(VideoUpdated)
	ev.Video, ev.Hashtags, ev.Language = "edited", []string{"dogs", "pets"}, "de"
	apply(ev)
	vid := r.videos[v]
	var tags []string
	for _, h := range vid.hashtags {
		tags = append(tags, r.hashtagNames.list[h])
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"dogs", "pets"}) || r.langNames.list[vid.lang] != "de" || vid.publishedMS != published {
		t.Fatalf("after the update: hashtags %v, language %q, published %d (was %d)", tags, r.langNames.list[vid.lang], vid.publishedMS, published)
	}

	offered := func(tag string) bool {
		t.Helper()
		u := r.user("fan-of-" + tag)
		r.users[u].hashtagAff.add(r.hashtag(tag), 5, r.now)
		found := false
		r.hashtagCandidates(&r.users[u], func(c int32, _ sourceMask) bool {
			found = found || c == v
			return true
		})
		return found
	}
	if offered("cats") || !offered("dogs") || !offered("pets") {
		t.Fatalf("offered for cats %v (want false), dogs %v, pets %v (want true)", offered("cats"), offered("dogs"), offered("pets"))
	}

	// An update for a video never published is ignored; one with no language clears it.
	ev = w.next(VideoUpdated)
	ev.Video, ev.Hashtags = "never-published", []string{"x"}
	apply(ev)
	if _, ok := r.videoNames.lookup("never-published"); ok {
		t.Fatal("an update registered an unknown video")
	}
	ev = w.next(VideoUpdated)
	ev.Video, ev.Hashtags = "edited", []string{"dogs"}
	apply(ev)
	if r.videos[v].lang != 0 {
		t.Fatalf("language after an update without one: %q", r.langNames.list[r.videos[v].lang])
	}
}
