package recsys

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func snapshotBytes(tb testing.TB, r *Recommender) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := r.WriteSnapshot(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func requestsFor(w *world) []Request {
	var reqs []Request
	for u := 0; u < len(w.users); u += 7 {
		reqs = append(reqs, Request{User: w.users[u].id, Region: w.users[u].region, Language: w.users[u].lang, Limit: 20})
	}
	reqs = append(reqs, Request{User: "never-seen", Region: "de", Limit: 20})
	return reqs
}

func TestSameLogGivesSameStateAndLists(t *testing.T) {
	w, evs := smallWorld(t)
	a := newTestRecommender(t, DefaultConfig())
	b := newTestRecommender(t, DefaultConfig())
	applyAll(t, a, evs)
	applyAll(t, b, evs)
	if !bytes.Equal(snapshotBytes(t, a), snapshotBytes(t, b)) {
		t.Fatal("two replays of one log produced different snapshots")
	}
	for _, req := range requestsFor(w) {
		ra, rb := a.Recommend(req), b.Recommend(req)
		if len(ra) == 0 {
			t.Fatalf("no recommendations for %s", req.User)
		}
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("lists for %s differ:\n%v\n%v", req.User, ra, rb)
		}
	}
}

func TestSnapshotRestartReplaysTail(t *testing.T) {
	w, evs := smallWorld(t)
	half := len(evs) / 2
	full := newTestRecommender(t, DefaultConfig())
	applyAll(t, full, evs[:half])
	snap := snapshotBytes(t, full)
	if !bytes.Equal(snap, snapshotBytes(t, full)) {
		t.Fatal("writing the same state twice gave different bytes")
	}

	restarted := newTestRecommender(t, DefaultConfig())
	if err := restarted.ReadSnapshot(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if got, want := restarted.Seq(), evs[half-1].Seq; got != want {
		t.Fatalf("restored Seq = %d, want %d", got, want)
	}
	if !bytes.Equal(snapshotBytes(t, restarted), snap) {
		t.Fatal("snapshot round trip changed the state")
	}
	// A replay that overlaps the snapshot is refused event by event, not silently re-applied.
	if err := restarted.Apply(evs[half-1]); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("re-applying a covered event: err = %v, want ErrOutOfOrder", err)
	}
	applyAll(t, full, evs[half:])
	applyAll(t, restarted, evs[half:])
	if !bytes.Equal(snapshotBytes(t, full), snapshotBytes(t, restarted)) {
		t.Fatal("snapshot + tail differs from the full replay")
	}
	for _, req := range requestsFor(w) {
		if a, b := full.Recommend(req), restarted.Recommend(req); !reflect.DeepEqual(a, b) {
			t.Fatalf("lists for %s differ after restart", req.User)
		}
	}
}

func TestSnapshotRejectsCorruptionAndOtherConfig(t *testing.T) {
	_, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs[:5000])
	snap := snapshotBytes(t, r)

	other := DefaultConfig()
	other.EmbeddingDim = 16
	if err := newTestRecommender(t, other).ReadSnapshot(bytes.NewReader(snap)); !errors.Is(err, ErrSnapshotConfig) {
		t.Fatalf("other config: err = %v, want ErrSnapshotConfig", err)
	}
	flipped := bytes.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	fresh := newTestRecommender(t, DefaultConfig())
	if err := fresh.ReadSnapshot(bytes.NewReader(flipped)); err == nil {
		t.Fatal("a corrupted snapshot was accepted")
	}
	if err := fresh.ReadSnapshot(bytes.NewReader(snap[:len(snap)-9])); err == nil {
		t.Fatal("a truncated snapshot was accepted")
	}
	if fresh.Seq() != 0 {
		t.Fatalf("a failed read changed the state (Seq %d)", fresh.Seq())
	}
}

func TestApplyBatchSkipsRefusedEvents(t *testing.T) {
	_, evs := smallWorld(t)
	one := newTestRecommender(t, DefaultConfig())
	applyAll(t, one, evs[:3000])
	batch := newTestRecommender(t, DefaultConfig())
	mixed := append([]Event{}, evs[:1500]...)
	mixed = append(mixed, evs[10], Event{Seq: evs[1499].Seq + 1}) // a replayed and an invalid event
	mixed = append(mixed, evs[1500:3000]...)
	n, err := batch.ApplyBatch(mixed)
	if n != 3000 || !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("ApplyBatch applied %d, err %v; want 3000 and ErrOutOfOrder", n, err)
	}
	if !bytes.Equal(snapshotBytes(t, one), snapshotBytes(t, batch)) {
		t.Fatal("a batch reached another state than the same events one by one")
	}
}

func TestApplyRejectsBadEvents(t *testing.T) {
	r := newTestRecommender(t, DefaultConfig())
	for _, ev := range []Event{
		{Seq: 1},
		{Seq: 1, Kind: Like, Video: "v"},
		{Seq: 1, Kind: Like, User: "u"},
		{Seq: 1, Kind: Follow, User: "u"},
		{Seq: 1, Kind: NotInterested, User: "u", Target: TargetHashtag},
	} {
		if err := r.Apply(ev); err == nil {
			t.Errorf("Apply(%+v) succeeded", ev)
		}
	}
	if err := r.Apply(Event{Seq: 5, Kind: Impression, User: "u", Video: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(Event{Seq: 5, Kind: Like, User: "u", Video: "v"}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("same seq again: err = %v", err)
	}
}

func TestNeverShowsWatchedOrNotInterested(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	u := w.users[3]
	req := Request{User: u.id, Region: u.region, Language: u.lang, Limit: 50}
	first := r.Recommend(req)
	if len(first) < 3 {
		t.Fatalf("only %d recommendations", len(first))
	}
	// Mark the first video, the second one's creator and a hashtag of the third not interested.
	badVideo := first[0].Video
	badCreator := first[1].Creator
	var badTag string
	for v := range w.videos {
		if w.videos[v].id == first[2].Video {
			badTag = topicTag(w.videos[v].topics[0])
		}
	}
	for _, ev := range []Event{
		{Kind: NotInterested, User: u.id, Target: TargetVideo, Video: badVideo},
		{Kind: NotInterested, User: u.id, Target: TargetCreator, Creator: badCreator},
		{Kind: NotInterested, User: u.id, Target: TargetHashtag, Hashtag: badTag},
	} {
		w.seq++
		ev.Seq = w.seq
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	watched := map[string]bool{}
	for _, ev := range evs {
		if ev.User == u.id && ev.Video != "" {
			watched[ev.Video] = true
		}
	}
	videoTags := map[string][]string{}
	for _, v := range w.videos {
		for _, tp := range v.topics {
			videoTags[v.id] = append(videoTags[v.id], topicTag(tp))
		}
	}
	for round := 0; round < 5; round++ {
		for _, rec := range r.Recommend(req) {
			switch {
			case watched[rec.Video]:
				t.Fatalf("recommended %s, which the viewer watched", rec.Video)
			case rec.Video == badVideo:
				t.Fatalf("recommended %s, marked not interested", rec.Video)
			case rec.Creator == badCreator:
				t.Fatalf("recommended %s by %s, a creator marked not interested", rec.Video, rec.Creator)
			case slices.Contains(videoTags[rec.Video], badTag):
				t.Fatalf("recommended %s tagged %s, marked not interested", rec.Video, badTag)
			}
		}
	}
	// The caller's exclusion (blocks, mutes, visibility) is applied to every source.
	blocked := first[5].Creator
	for _, rec := range r.Recommend(Request{User: u.id, Limit: 50, Exclude: func(_, c string) bool { return c == blocked }}) {
		if rec.Creator == blocked {
			t.Fatalf("recommended %s by excluded creator %s", rec.Video, blocked)
		}
	}
}

func TestNoCreatorTwiceInARow(t *testing.T) {
	// Few creators, so that a list without the rule would repeat them.
	w := newWorld(11, 300, 60, 6)
	w.creators = 4
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, append(w.publishAll(), w.sessions(15000)...))
	checked := 0
	for _, u := range w.users {
		recs := r.Recommend(Request{User: u.id, Limit: 30})
		for k := 1; k < len(recs); k++ {
			if recs[k].Creator != "" && recs[k].Creator == recs[k-1].Creator {
				t.Fatalf("%s: positions %d and %d are both by %s", u.id, k-1, k, recs[k].Creator)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d adjacent pairs checked", checked)
	}
}

func TestColdStartGetsTrendingAndExploration(t *testing.T) {
	_, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	recs := r.Recommend(Request{User: "brand-new", Region: "fr", Language: "fr", Limit: 20})
	if len(recs) != 20 {
		t.Fatalf("cold start got %d videos, want 20", len(recs))
	}
	sources := map[Source]int{}
	for _, rec := range recs {
		sources[rec.Source]++
		if len(rec.Signals) == 0 {
			t.Errorf("%s has no explanation", rec.Video)
		}
	}
	if sources[SourceTrending] == 0 || sources[SourceExploration] == 0 {
		t.Fatalf("cold start sources %v, want trending and exploration", sources)
	}
	for s := range sources {
		if s != SourceTrending && s != SourceExploration {
			t.Fatalf("cold start used personal source %s", s)
		}
	}
}

func TestNewVideoReachesTestAudience(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	fresh := Event{Kind: VideoPublished, Video: "fresh-upload", Creator: "newcomer", Hashtags: []string{"topic3"}, DurationMS: 20000}
	w.seq++
	fresh.Seq = w.seq
	if err := r.Apply(fresh); err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, u := range w.users {
		for _, rec := range r.Recommend(Request{User: u.id, Limit: 20}) {
			if rec.Video == "fresh-upload" {
				shown++
				if rec.Source != SourceExploration {
					t.Errorf("new video came from %s, want exploration", rec.Source)
				}
			}
		}
	}
	if shown == 0 {
		t.Fatal("a new video with no engagement never got an exploration slot")
	}
}

func TestExplorationGraduation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TestAudience = 20
	r := newTestRecommender(t, cfg)
	seq := uint64(0)
	apply := func(ev Event) {
		seq++
		ev.Seq = seq
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	apply(Event{Kind: VideoPublished, Video: "hit", Creator: "a", DurationMS: 10000})
	apply(Event{Kind: VideoPublished, Video: "flop", Creator: "b", DurationMS: 10000})
	for u := 0; u < cfg.TestAudience; u++ {
		user := "u" + string(rune('a'+u))
		apply(Event{Kind: Impression, User: user, Video: "hit"})
		apply(Event{Kind: Complete, User: user, Video: "hit"})
		apply(Event{Kind: Like, User: user, Video: "hit"})
		apply(Event{Kind: Impression, User: user, Video: "flop"})
		apply(Event{Kind: Skip, User: user, Video: "flop", WatchMS: 500})
	}
	hit, _ := r.videoNames.lookup("hit")
	flop, _ := r.videoNames.lookup("flop")
	if got := r.videos[hit].stage; got != stageBoost {
		t.Errorf("well-received video is in stage %d, want the wider round (%d)", got, stageBoost)
	}
	if got := r.videos[flop].stage; got != stageDone {
		t.Errorf("skipped video is in stage %d, want out of exploration (%d)", got, stageDone)
	}
}

// topicShare is the share of a list whose videos carry topic t.
func topicShare(w *world, recs []Recommendation, t int) float64 {
	if len(recs) == 0 {
		return 0
	}
	idx := map[string]int{}
	for v := range w.videos {
		idx[w.videos[v].id] = v
	}
	n := 0
	for _, rec := range recs {
		if slices.Contains(w.videos[idx[rec.Video]].topics, t) {
			n++
		}
	}
	return float64(n) / float64(len(recs))
}

func TestLearnsATasteWithinAFewSwipes(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	const topic = 5
	req := Request{User: "newcomer", Limit: 20}
	before := topicShare(w, r.Recommend(req), topic)
	for _, v := range w.byTopic[topic][:4] {
		for _, k := range []EventKind{Impression, Complete, Like} {
			ev := w.next(k)
			ev.User, ev.Video = "newcomer", w.videos[v].id
			if err := r.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := topicShare(w, r.Recommend(req), topic)
	t.Logf("topic share before %.2f, after 4 liked videos %.2f", before, after)
	if after < 0.4 || after < 2*before {
		t.Fatalf("topic share went from %.2f to %.2f after four likes, want at least 0.4 and double", before, after)
	}

	// Refresh forgets the learned taste.
	ev := w.next(ProfileReset)
	ev.User = "newcomer"
	if err := r.Apply(ev); err != nil {
		t.Fatal(err)
	}
	reset := r.Recommend(req)
	for _, rec := range reset {
		if rec.Source == SourceCoEngagement || rec.Source == SourceHashtag || rec.Source == SourceEmbedding {
			t.Fatalf("after a reset %s still came from %s", rec.Video, rec.Source)
		}
	}
	if got := topicShare(w, reset, topic); got >= after {
		t.Fatalf("topic share after reset %.2f, want below %.2f", got, after)
	}
}

func TestPersonalisationOffIgnoresTheViewer(t *testing.T) {
	w, evs := smallWorld(t)
	a := newTestRecommender(t, DefaultConfig())
	b := newTestRecommender(t, DefaultConfig())
	applyAll(t, a, evs)
	applyAll(t, b, evs)
	// Two viewers with different histories get the same list (each on its own replica, so
	// that the exploration cursor is in the same place).
	la := a.Recommend(Request{User: w.users[1].id, Region: "de", Language: "de", NoPersonalisation: true})
	lb := b.Recommend(Request{User: w.users[2].id, Region: "de", Language: "de", NoPersonalisation: true})
	if len(la) == 0 || !reflect.DeepEqual(la, lb) {
		t.Fatalf("personalisation off depends on the viewer:\n%v\n%v", la, lb)
	}
	for _, rec := range la {
		if rec.Source != SourceTrending && rec.Source != SourceExploration {
			t.Fatalf("personalisation off used source %s", rec.Source)
		}
		for _, s := range rec.Signals {
			if strings.Contains(s.Name, "affinity") || s.Name == "similar_to_liked" || s.Name == "taste_match" || s.Name == "following" {
				t.Fatalf("personalisation off explained %s with personal signal %s", rec.Video, s.Name)
			}
		}
	}
	// The region changes the list: regional trending comes first.
	lc := a.Recommend(Request{User: w.users[1].id, Region: "br", Language: "pt", NoPersonalisation: true})
	if reflect.DeepEqual(videosOf(la), videosOf(lc)) {
		t.Fatal("regions de and br got the same list")
	}
}

func videosOf(recs []Recommendation) []string {
	out := make([]string, len(recs))
	for k, r := range recs {
		out[k] = r.Video
	}
	return out
}

func TestExplanationsNameSourceAndSignals(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	sources := map[Source]bool{}
	for _, u := range w.users[:30] {
		for _, rec := range r.Recommend(Request{User: u.id}) {
			sources[rec.Source] = true
			if rec.Source == "" || len(rec.Signals) == 0 {
				t.Fatalf("%s lacks an explanation: %+v", rec.Video, rec)
			}
			for k := 1; k < len(rec.Signals); k++ {
				if rec.Signals[k].Value > rec.Signals[k-1].Value {
					t.Fatalf("signals not strongest first: %+v", rec.Signals)
				}
			}
		}
	}
	// Viewers with a history get personal sources; trending is the cold-start test's job.
	for _, s := range []Source{SourceCoEngagement, SourceExploration} {
		if !sources[s] {
			t.Errorf("no recommendation came from %s (saw %v)", s, sources)
		}
	}
	for s := range sources {
		switch s {
		case SourceFollowing, SourceCoEngagement, SourceEmbedding, SourceTrending, SourceHashtag, SourceExploration:
		default:
			t.Errorf("unknown source %q", s)
		}
	}
}

func TestFollowedCreatorsAreACandidateSource(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	ev := w.next(Follow)
	ev.User, ev.Creator = "follower", "c3"
	if err := r.Apply(ev); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range r.Recommend(Request{User: "follower", Limit: 50}) {
		if rec.Creator == "c3" && rec.Source == SourceFollowing {
			found = true
		}
	}
	if !found {
		t.Fatal("no video of a followed creator came from the following source")
	}
}

func TestExplorationShareFollowsTheBacklog(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TestAudience = 5
	cfg.BoostAudience = 0
	r := newTestRecommender(t, cfg)
	w := newWorld(5, 200, 40, 8)
	applyAll(t, r, w.publishAll())
	countExplore := func() int {
		n := 0
		for _, rec := range r.Recommend(Request{User: "observer", Limit: 20}) {
			if rec.Source == SourceExploration {
				n++
			}
		}
		return n
	}
	// Every video still owes its whole test audience: exploration takes the bound (10 of 20;
	// one fewer when the creator rule drops a back-to-back pair).
	if got := countExplore(); got < 9 || got > 10 {
		t.Fatalf("with a full backlog %d exploration slots, want the bound of 10", got)
	}
	// Once every video has had its test audience, only the minimum share is left.
	for v := range w.videos {
		for u := 0; u < cfg.TestAudience; u++ {
			applyAll(t, r, w.view(u%len(w.users), v))
		}
	}
	applyAll(t, r, w.sessions(2000))
	if got, want := countExplore(), 0; got != want {
		t.Fatalf("with no backlog %d exploration slots, want %d (the pool is empty)", got, want)
	}
	// A new upload makes a small backlog: the minimum share (one slot in 20) serves it.
	applyAll(t, r, []Event{func() Event {
		ev := w.next(VideoPublished)
		ev.Video, ev.Creator = "late-upload", "c1"
		return ev
	}()})
	if got, want := countExplore(), 1; got != want {
		t.Fatalf("with one new video %d exploration slots, want %d", got, want)
	}
}

func TestRecommendWhileApplying(t *testing.T) {
	// Run under -race: one goroutine applies the log while two serve requests.
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs[:len(evs)/2])
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		// Batches, as the server applies its log: one write lock per batch.
		defer close(done)
		tail := evs[len(evs)/2:]
		for len(tail) > 0 {
			n := min(500, len(tail))
			if _, err := r.ApplyBatch(tail[:n]); err != nil {
				errs <- err
				return
			}
			tail = tail[n:]
		}
	}()
	served := make(chan int, 2)
	for g := 0; g < 2; g++ {
		go func(g int) {
			n := 0
			for k := 0; ; k++ {
				select {
				case <-done:
					served <- n
					return
				default:
				}
				u := w.users[(k*2+g)%len(w.users)]
				if len(r.Recommend(Request{User: u.id, Limit: 20})) > 0 {
					n++
				}
			}
		}(g)
	}
	total := <-served + <-served
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if total == 0 {
		t.Fatal("no request was served while applying")
	}
	if r.Seq() != evs[len(evs)-1].Seq {
		t.Fatalf("Seq %d after the log, want %d", r.Seq(), evs[len(evs)-1].Seq)
	}
}
