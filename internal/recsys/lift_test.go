package recsys

import (
	"fmt"
	"testing"
)

// A viewer who finishes the cooking videos of one creator and swipes past the gaming videos
// of another, all tagged #fyp: the affinity features must favour cooking and its creator,
// count the swipes against gaming and its creator, and make nothing of #fyp.
func TestAffinityLiftsCountSkipsAndIgnoreUbiquitousTags(t *testing.T) {
	r := newTestRecommender(t, DefaultConfig())
	seq := uint64(0)
	apply := func(ev Event) {
		seq++
		ev.Seq, ev.TimeMS = seq, 1_700_000_000_000+int64(seq)*1000
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(id, creator string, tags ...string) {
		apply(Event{Kind: VideoPublished, Video: id, Creator: creator, Hashtags: tags, DurationMS: 20000})
	}
	for k := 0; k < 8; k++ {
		publish(fmt.Sprint("cook", k), "chef", "fyp", "cooking")
		publish(fmt.Sprint("game", k), "gamer", "fyp", "gaming")
	}
	publish("cook-new", "chef", "cooking")
	publish("game-new", "gamer", "gaming")
	publish("fyp-new", "someone", "fyp")
	for k := 0; k < 6; k++ {
		apply(Event{Kind: Impression, User: "viewer", Video: fmt.Sprint("cook", k)})
		apply(Event{Kind: Complete, User: "viewer", Video: fmt.Sprint("cook", k), WatchMS: 20000})
		apply(Event{Kind: Impression, User: "viewer", Video: fmt.Sprint("game", k)})
		apply(Event{Kind: Skip, User: "viewer", Video: fmt.Sprint("game", k), WatchMS: 1500})
	}

	feats := func(video string) (creator, hashtags float64) {
		r.mu.RLock()
		defer r.mu.RUnlock()
		u, _ := r.userNames.lookup("viewer")
		v, _ := r.videoNames.lookup(video)
		x := r.newFeatureContext(u, 0, 0).features(v, nil)
		return float64(x[featCreatorAffinity]), float64(x[featHashtagAffinity])
	}
	cookC, cookH := feats("cook-new")
	gameC, gameH := feats("game-new")
	fypC, fypH := feats("fyp-new")
	t.Logf("cooking %.2f/%.2f, gaming %.2f/%.2f, #fyp only %.2f/%.2f (creator/hashtags)", cookC, cookH, gameC, gameH, fypC, fypH)
	if cookC <= 0.5 || cookH <= 0.5 {
		t.Errorf("the creator and hashtag of six finished videos lift by %.2f and %.2f, want clearly positive", cookC, cookH)
	}
	if gameC >= -0.5 || gameH >= -0.5 {
		t.Errorf("the creator and hashtag of six skipped videos lift by %.2f and %.2f, want clearly negative", gameC, gameH)
	}
	if fypC != 0 || fypH > 0.2 || fypH < -0.2 || fypH*fypH >= cookH*cookH/4 {
		t.Errorf("an unknown creator and a hashtag on everything the viewer saw lift by %.2f and %.2f, want about 0", fypC, fypH)
	}

	// A reset forgets the learned part: no lift survives it.
	apply(Event{Kind: ProfileReset, User: "viewer"})
	if c, h := feats("cook-new"); c != 0 || h != 0 {
		t.Errorf("after a reset the cooking lifts are %.2f/%.2f, want 0", c, h)
	}
}

// BenchmarkApplyWorld replays a mid-sized log (20,000 videos, 3,000 viewers, 300,000 events);
// the affinity lifts are computed at every view it opens.
func BenchmarkApplyWorld(b *testing.B) {
	w := newWorld(3, 20000, 3000, 50)
	evs := append(w.publishAll(), w.sessions(300000)...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		applyAll(b, newTestRecommender(b, DefaultConfig()), evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
