package recsys

import (
	"slices"
	"testing"
	"time"
)

// TestProfileDescribesWhatWasLearnedAndResetForgetsIt builds a viewer who loves one
// hashtag and one creator, likes another video once and marks things not interested, then
// checks the profile in words and what a reset forgets and keeps.
func TestProfileDescribesWhatWasLearnedAndResetForgetsIt(t *testing.T) {
	r := newTestRecommender(t, DefaultConfig())
	var seq uint64
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	apply := func(ev Event) {
		t.Helper()
		seq++
		at += 1000
		ev.Seq, ev.TimeMS = seq, at
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"v1", "v2", "v3", "v4", "v5"} {
		apply(Event{Kind: VideoPublished, Video: v, Creator: "cook", Hashtags: []string{"pasta"}, DurationMS: 10000})
	}
	apply(Event{Kind: VideoPublished, Video: "w1", Creator: "runner", Hashtags: []string{"marathon"}, DurationMS: 10000})
	apply(Event{Kind: VideoPublished, Video: "x1", Creator: "prank", Hashtags: []string{"prank"}, DurationMS: 10000})

	if p := r.Profile("ann", 0); p.Known || len(p.Hashtags) != 0 {
		t.Fatalf("an unseen viewer has a profile: %+v", p)
	}
	for _, v := range []string{"v1", "v2", "v3", "v4", "v5"} {
		apply(Event{Kind: PlayStart, User: "ann", Video: v, Region: "de", Language: "de"})
		apply(Event{Kind: Complete, User: "ann", Video: v, WatchMS: 10000})
	}
	apply(Event{Kind: PlayStart, User: "ann", Video: "w1"})
	apply(Event{Kind: Like, User: "ann", Video: "w1"})
	apply(Event{Kind: NotInterested, User: "ann", Target: TargetCreator, Creator: "prank"})
	apply(Event{Kind: NotInterested, User: "ann", Target: TargetHashtag, Hashtag: "prank"})
	apply(Event{Kind: NotInterested, User: "ann", Target: TargetVideo, Video: "x1"})
	apply(Event{Kind: Follow, User: "ann", Creator: "runner"})
	apply(Event{Kind: PlayStart, User: "bob", Video: "x1"})

	p := r.Profile("ann", 10)
	if !p.Known || p.Region != "de" || p.Language != "de" || p.Views != 6 || p.Watched != 6 || p.Follows != 1 {
		t.Fatalf("profile: %+v", p)
	}
	if len(p.Hashtags) != 2 || p.Hashtags[0].Name != "pasta" || p.Hashtags[0].Strength != Strong || p.Hashtags[1].Name != "marathon" || p.Hashtags[1].Strength == Strong {
		t.Fatalf("hashtags: %+v", p.Hashtags)
	}
	// The follow adds to the runner, five watched-through videos to the cook.
	if len(p.Creators) != 2 || p.Creators[0].Name != "cook" || p.Creators[0].Strength != Strong || p.Creators[1].Name != "runner" {
		t.Fatalf("creators: %+v", p.Creators)
	}
	if p.RecentPositives != 6 || p.RecentNegatives != 1 {
		t.Fatalf("recent positives %d, negatives %d", p.RecentPositives, p.RecentNegatives)
	}
	if !slices.Equal(p.NotInterestedCreators, []string{"prank"}) || !slices.Equal(p.NotInterestedHashtags, []string{"prank"}) ||
		!slices.Equal(p.NotInterestedVideos, []string{"x1"}) {
		t.Fatalf("not interested: %+v", p)
	}
	if top := r.Profile("ann", 1); len(top.Hashtags) != 1 || top.Hashtags[0].Name != "pasta" {
		t.Fatalf("limit 1: %+v", top.Hashtags)
	}
	if other := r.Profile("bob", 0); len(other.Hashtags) != 0 || len(other.NotInterestedVideos) != 0 || other.Views != 1 {
		t.Fatalf("another viewer's profile shows ann's state: %+v", other)
	}

	// Scores fade with time: a month later, the same engagements are only a trace.
	apply(Event{Kind: VideoPublished, Video: "late", Creator: "someone", DurationMS: 1000})
	at += (30 * 24 * time.Hour).Milliseconds()
	apply(Event{Kind: VideoPublished, Video: "later", Creator: "someone", DurationMS: 1000})
	if faded := r.Profile("ann", 0); faded.Hashtags[0].Strength != Slight || faded.Hashtags[0].Score >= p.Hashtags[0].Score {
		t.Fatalf("a month-old interest is still %+v", faded.Hashtags[0])
	}

	apply(Event{Kind: ProfileReset, User: "ann"})
	after := r.Profile("ann", 0)
	if len(after.Hashtags) != 0 || len(after.Creators) != 0 || after.RecentPositives != 0 || after.RecentNegatives != 0 || after.TasteVector {
		t.Fatalf("the reset left learned state: %+v", after)
	}
	if len(after.NotInterestedCreators) != 1 || len(after.NotInterestedHashtags) != 1 || len(after.NotInterestedVideos) != 1 || after.Follows != 1 {
		t.Fatalf("the reset dropped the viewer's own choices: %+v", after)
	}
}
