package recsys

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestOptimisticRate(t *testing.T) {
	for _, c := range []struct {
		k, n   float64
		lo, hi float64
	}{
		{0, 0, 1, 1},        // never shown: anything is possible
		{3, 3, 1, 1},        // every view positive
		{0, 1, 0.9, 1},      // one skip is no evidence
		{0, 24, 0, 0.2},     // two dozen skips are
		{12, 24, 0.65, 0.8}, // a coin flip could be a 70% video
	} {
		if got := optimisticRate(c.k, c.n); got < c.lo || got > c.hi {
			t.Errorf("optimisticRate(%v, %v) = %.3f, want in [%v, %v]", c.k, c.n, got, c.lo, c.hi)
		}
	}
	for n := 1.0; n <= 200; n++ {
		prev := -1.0
		for k := 0.0; k <= n; k++ {
			got := optimisticRate(k, n)
			if got < k/n || got > 1 || got < prev {
				t.Fatalf("optimisticRate(%v, %v) = %v: below the observed rate, above 1 or not rising with k", k, n, got)
			}
			prev = got
		}
	}
}

// An exploration slot goes to a video that could still be as good as what it displaces: a
// new upload gets it, and so does one with two early skips (its test audience is not cut
// short before judgeAfter impressions); a video that 40 viewers saw and most skipped does
// not, until the main list runs out.
func TestExplorationSkipsVideosMeasuredBelowTheList(t *testing.T) {
	r := newTestRecommender(t, DefaultConfig())
	var seq uint64
	apply := func(ev Event) {
		seq++
		ev.Seq, ev.TimeMS = seq, 1_700_000_000_000+int64(seq)*1000
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	for v := 0; v < 30; v++ {
		id := fmt.Sprintf("hit%d", v)
		apply(Event{Kind: VideoPublished, Video: id, Creator: fmt.Sprintf("c%d", v), DurationMS: 10000})
		for u := 0; u < 40; u++ {
			apply(Event{Kind: Impression, User: fmt.Sprintf("u%d", u), Video: id})
			apply(Event{Kind: Complete, User: fmt.Sprintf("u%d", u), Video: id})
		}
	}
	// Middling: 16 of 40 finished it, above the flop bar so it stays in the pool, but
	// clearly below videos everyone finished.
	apply(Event{Kind: VideoPublished, Video: "skipped", Creator: "s", DurationMS: 10000})
	for u := 0; u < 40; u++ {
		apply(Event{Kind: Impression, User: fmt.Sprintf("u%d", u), Video: "skipped"})
		if u < 16 {
			apply(Event{Kind: Complete, User: fmt.Sprintf("u%d", u), Video: "skipped"})
		} else {
			apply(Event{Kind: Skip, User: fmt.Sprintf("u%d", u), Video: "skipped", WatchMS: 500})
		}
	}
	apply(Event{Kind: VideoPublished, Video: "young", Creator: "y", DurationMS: 10000})
	for u := 0; u < 2; u++ {
		apply(Event{Kind: Impression, User: fmt.Sprintf("u%d", u), Video: "young"})
		apply(Event{Kind: Skip, User: fmt.Sprintf("u%d", u), Video: "young", WatchMS: 500})
	}
	apply(Event{Kind: VideoPublished, Video: "new", Creator: "n", DurationMS: 10000})
	skipped, _ := r.videoNames.lookup("skipped")
	if r.videos[skipped].stage == stageDone {
		t.Fatal("the skipped video left the pool early; the test needs it there")
	}

	sources := func(limit int) map[string]Source {
		out := map[string]Source{}
		for _, rec := range r.Recommend(Request{User: "observer", Limit: limit}) {
			out[rec.Video] = rec.Source
		}
		return out
	}
	got := sources(20)
	if got["new"] != SourceExploration {
		t.Errorf("new upload: source %q, want an exploration slot", got["new"])
	}
	if got["young"] != SourceExploration {
		t.Errorf("a video with two early skips: source %q, want its guaranteed exploration slot", got["young"])
	}
	if got["skipped"] == SourceExploration {
		t.Errorf("a video 24 of 40 viewers skipped took an exploration slot from videos everyone finished")
	}
	// With more slots than candidates nothing is displaced, and it is shown.
	if _, ok := sources(40)["skipped"]; !ok {
		t.Errorf("with the lists exhausted the middling video is not shown at all")
	}
}

// A new upload on an instance with a backlog of untested videos meets its first viewers in
// the next lists, through the fresh lane, instead of waiting for the pool's cursor to come
// round the backlog; once it is older than FreshWindow it waits its turn like the others.
func TestFreshUploadJumpsTheExplorationBacklog(t *testing.T) {
	for _, window := range []time.Duration{time.Hour, 0} {
		cfg := DefaultConfig()
		cfg.FreshWindow = window
		r := newTestRecommender(t, cfg)
		var seq uint64
		clock := int64(1_700_000_000_000)
		apply := func(ev Event) {
			seq++
			ev.Seq, ev.TimeMS = seq, clock
			if err := r.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		for v := range 2000 { // the backlog: untested videos, published two hours ago
			apply(Event{Kind: VideoPublished, Video: fmt.Sprintf("old%d", v), Creator: fmt.Sprintf("c%d", v%50), DurationMS: 10000})
		}
		clock += (2 * time.Hour).Milliseconds()
		apply(Event{Kind: VideoPublished, Video: "new", Creator: "newcomer", DurationMS: 10000})

		lists, shownIn := 20, 0
		for i := range lists {
			for _, rec := range r.Recommend(Request{User: fmt.Sprintf("viewer%d", i), Limit: 10}) {
				if rec.Video == "new" {
					if rec.Source != SourceExploration {
						t.Errorf("window %v: the new upload came from %q, want an exploration slot", window, rec.Source)
					}
					shownIn++
				}
			}
		}
		switch {
		case window > 0 && shownIn != lists:
			t.Errorf("window %v: the new upload is in %d of %d lists, want every one (it is the only video in the fresh lane)", window, shownIn, lists)
		case window == 0 && shownIn != 0:
			t.Errorf("lane off: the new upload is in %d lists before the cursor reached it", shownIn)
		}

		// Past the window it is just one of the pool.
		clock += (2 * time.Hour).Milliseconds()
		apply(Event{Kind: VideoPublished, Video: "later", Creator: "c1", DurationMS: 10000})
		late := 0
		for i := range lists {
			for _, rec := range r.Recommend(Request{User: fmt.Sprintf("late%d", i), Limit: 10}) {
				if rec.Video == "new" {
					late++
				}
			}
		}
		if window > 0 && late != 0 {
			t.Errorf("window %v: four hours after publication the upload still jumps the queue (%d lists)", window, late)
		}
	}
}

// A creator's own videos never come back to them, whether or not personalisation is on,
// and from every source (here trending and exploration, the two a stranger's list has).
func TestSelfIsNeverRecommended(t *testing.T) {
	r := newTestRecommender(t, DefaultConfig())
	var seq uint64
	apply := func(ev Event) {
		seq++
		ev.Seq, ev.TimeMS = seq, 1_700_000_000_000+int64(seq)*1000
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	for v := range 40 {
		c := fmt.Sprintf("c%d", v%4)
		apply(Event{Kind: VideoPublished, Video: fmt.Sprintf("v%d", v), Creator: c, DurationMS: 10000})
		for u := range 3 {
			apply(Event{Kind: Impression, User: fmt.Sprintf("u%d", u), Video: fmt.Sprintf("v%d", v)})
			apply(Event{Kind: Like, User: fmt.Sprintf("u%d", u), Video: fmt.Sprintf("v%d", v)})
		}
	}
	for _, off := range []bool{false, true} {
		recs := r.Recommend(Request{User: "c1", Self: "c1", Limit: 40, NoPersonalisation: off})
		if len(recs) < 20 {
			t.Fatalf("personalisation off %v: only %d videos, the test needs a full list", off, len(recs))
		}
		for _, rec := range recs {
			if rec.Creator == "c1" {
				t.Errorf("personalisation off %v: c1 was recommended their own video %s (source %s)", off, rec.Video, rec.Source)
			}
		}
		// Without Self the same list has c1's videos: the test can fail.
		mine := 0
		for _, rec := range r.Recommend(Request{User: "c1", Limit: 40, NoPersonalisation: off}) {
			if rec.Creator == "c1" {
				mine++
			}
		}
		if mine == 0 {
			t.Errorf("personalisation off %v: without Self no video of c1 is in the list, so the check above proves nothing", off)
		}
	}
}

// The trending source takes TrendingCandidates in all: the viewer's region first, then
// everyone's, not that many from each list.
func TestTrendingCapIsTheSources(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrendingCandidates = 30
	r := newTestRecommender(t, cfg)
	region := r.region("se")
	for v := range int32(100) {
		r.trending[region].ids = append(r.trending[region].ids, v)
		r.trending[0].ids = append(r.trending[0].ids, 1000+v)
	}
	var got []int32
	r.trendingCandidates(region, 0, func(v int32, _ sourceMask) bool { got = append(got, v); return true })
	if len(got) != 30 || got[0] != 0 || got[29] != 29 {
		t.Errorf("with a region: %d candidates from %v to %v, want the region's first 30", len(got), got[0], got[len(got)-1])
	}
	got = got[:0]
	skipOdd := func(v int32, _ sourceMask) bool {
		if v%2 == 1 {
			return false
		}
		got = append(got, v)
		return true
	}
	r.trendingCandidates(region, 0, skipOdd) // half the region's are excluded: 50 left, 30 taken
	if len(got) != 30 {
		t.Errorf("with exclusions: %d candidates, want 30", len(got))
	}
	got = got[:0]
	r.trending[region].ids = r.trending[region].ids[:10]
	r.trendingCandidates(region, 0, func(v int32, _ sourceMask) bool { got = append(got, v); return true })
	if len(got) != 30 || got[10] != 1000 {
		t.Errorf("short regional list: %d candidates, the 11th %v, want 30 filled from everyone's from 1000", len(got), got[min(10, len(got)-1)])
	}
}

// With a language, at most half the trending candidates come from what trends in it, the
// rest from the region's list and then everyone's; a video that trends is listed under its
// language, and leaves that list when its language changes.
func TestTrendingInTheViewersLanguage(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrendingCandidates = 30
	r := newTestRecommender(t, cfg)
	region, lang := r.region("se"), r.lang("sv")
	for v := range int32(100) {
		r.trendingLang[lang].ids = append(r.trendingLang[lang].ids, 2000+v)
		r.trending[region].ids = append(r.trending[region].ids, v)
		r.trending[0].ids = append(r.trending[0].ids, 1000+v)
	}
	var got []int32
	r.trendingCandidates(region, lang, func(v int32, _ sourceMask) bool { got = append(got, v); return true })
	if len(got) != 30 || got[0] != 2000 || got[14] != 2014 || got[15] != 0 || got[29] != 14 {
		t.Fatalf("with a language: %v, want 2000-2014 then 0-14", got)
	}

	// Learning: a positive on a published Swedish video lists it under Swedish.
	w, evs := smallWorld(t)
	r = newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	ev := w.next(VideoPublished)
	ev.Video, ev.Creator, ev.Language, ev.DurationMS = "svensk", "c1", "sv", 10000
	if err := r.Apply(ev); err != nil {
		t.Fatal(err)
	}
	ev = w.next(Like)
	ev.User, ev.Video = "fan", "svensk"
	if err := r.Apply(ev); err != nil {
		t.Fatal(err)
	}
	v, _ := r.videoNames.lookup("svensk")
	sv, _ := r.langNames.lookup("sv")
	if !slices.Contains(r.trendingLang[sv].ids, v) {
		t.Fatalf("the liked Swedish video is not in Swedish trending: %v", r.trendingLang[sv].ids)
	}
	ev = w.next(VideoUpdated)
	ev.Video, ev.Language = "svensk", "no"
	if err := r.Apply(ev); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(r.trendingLang[sv].ids, v) {
		t.Fatal("the video stayed in Swedish trending after its language changed")
	}
	// The lists survive a snapshot.
	restored := newTestRecommender(t, DefaultConfig())
	if err := restored.ReadSnapshot(bytes.NewReader(snapshotBytes(t, r))); err != nil {
		t.Fatal(err)
	}
	if len(restored.trendingLang) != len(r.trendingLang) {
		t.Fatalf("%d language trending lists after a snapshot, want %d", len(restored.trendingLang), len(r.trendingLang))
	}
	for l := range r.trendingLang {
		if !slices.Equal(restored.trendingLang[l].ids, r.trendingLang[l].ids) {
			t.Fatalf("language %d's trending list after a snapshot: %v, want %v", l, restored.trendingLang[l].ids, r.trendingLang[l].ids)
		}
	}
	if !bytes.Equal(snapshotBytes(t, restored), snapshotBytes(t, r)) {
		t.Fatal("the restored recommender writes another snapshot")
	}
}
