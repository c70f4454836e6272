package recsys

import (
	"slices"
	"testing"
)

// TestNotInterestedUndoBringsBack marks a video, a creator and a hashtag not interested,
// then takes each mark back: the profile lists none of them and the creator's videos are
// recommended again. Undoing a mark never made, or one with nothing named, changes nothing
// or is refused.
func TestNotInterestedUndoBringsBack(t *testing.T) {
	w, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	u := w.users[3]
	req := Request{User: u.id, Region: u.region, Language: u.lang, Limit: 50}
	first := r.Recommend(req)
	if len(first) < 3 {
		t.Fatalf("only %d recommendations", len(first))
	}
	badVideo, badCreator := first[0].Video, first[1].Creator
	apply := func(evs ...Event) {
		t.Helper()
		for _, ev := range evs {
			w.seq++
			ev.Seq = w.seq
			if err := r.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	marks := []Event{
		{Kind: NotInterested, User: u.id, Target: TargetVideo, Video: badVideo},
		{Kind: NotInterested, User: u.id, Target: TargetCreator, Creator: badCreator},
		{Kind: NotInterested, User: u.id, Target: TargetHashtag, Hashtag: "pranks"},
	}
	apply(marks...)
	p := r.Profile(u.id, 0)
	if len(p.NotInterestedVideos) != 1 || len(p.NotInterestedCreators) != 1 || !slices.Equal(p.NotInterestedHashtags, []string{"pranks"}) {
		t.Fatalf("marks in the profile: %+v", p)
	}
	byCreator := func() bool {
		for round := 0; round < 5; round++ {
			for _, rec := range r.Recommend(req) {
				if rec.Creator == badCreator {
					return true
				}
			}
		}
		return false
	}
	if byCreator() {
		t.Fatalf("recommended a video by %s, marked not interested", badCreator)
	}

	// Undoing a mark on a hashtag nobody marked (and the model never saw) is a no-op.
	apply(Event{Kind: NotInterestedUndo, User: u.id, Target: TargetHashtag, Hashtag: "never-marked"})
	if p := r.Profile(u.id, 0); len(p.NotInterestedHashtags) != 1 {
		t.Fatalf("undoing an unknown mark changed the marks: %v", p.NotInterestedHashtags)
	}
	for _, m := range marks {
		m.Kind = NotInterestedUndo
		apply(m)
	}
	p = r.Profile(u.id, 0)
	if len(p.NotInterestedVideos)+len(p.NotInterestedCreators)+len(p.NotInterestedHashtags) != 0 {
		t.Fatalf("marks left after undoing each: %+v", p)
	}
	if !byCreator() {
		t.Fatalf("no video by %s comes back after the mark is undone", badCreator)
	}
	// A mark made again after its undo holds again: the log's order decides.
	apply(marks[1])
	if p := r.Profile(u.id, 0); !slices.Equal(p.NotInterestedCreators, []string{badCreator}) {
		t.Fatalf("marking again after an undo: %v", p.NotInterestedCreators)
	}

	w.seq++
	if err := r.Apply(Event{Seq: w.seq, Kind: NotInterestedUndo, User: u.id, Target: TargetHashtag}); err == nil {
		t.Fatal("an undo that names no hashtag was applied")
	}
	if k, err := ParseEventKind("not_interested_undo"); err != nil || k != NotInterestedUndo {
		t.Fatalf("the logged name does not parse back: %v %v", k, err)
	}
}
