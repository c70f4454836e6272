package recsys

import (
	"math"
	"slices"
)

// Profile is what the recommender holds about one viewer, read without changing anything:
// the part it learned from watching (which a profile reset forgets) and the viewer's own
// choices (which a reset keeps). It exists so a person can read their profile in words.
type Profile struct {
	// Known is false when the recommender has never seen the viewer; everything else is
	// then empty.
	Known bool

	// Learned: forgotten by a reset (ProfileReset).
	Hashtags []Interest // strongest first
	Creators []Interest // creator ids, strongest first
	// RecentPositives and RecentNegatives count the recent videos the viewer engaged with
	// (watched through, liked, shared...) or turned away from; candidates come from what
	// similar viewers did with them.
	RecentPositives, RecentNegatives int
	// TasteVector says whether the viewer has a learned taste vector (an embedding: a list
	// of numbers that places them near videos like the ones they watch to the end).
	TasteVector bool

	// Choices: kept by a reset.
	NotInterestedVideos   []string
	NotInterestedCreators []string
	NotInterestedHashtags []string
	Follows               int

	// Kept by a reset too: what keeps videos from coming back, and context.
	Watched  int    // videos remembered as seen, so they are not recommended again
	Views    int    // videos opened since the recommender first saw the viewer
	Region   string // the region and language the viewer's app reported last
	Language string
}

// Interest is one learned affinity: a hashtag or a creator, its decayed score and the
// score in words.
type Interest struct {
	Name     string
	Score    float64
	Strength string // Strong, Some or Slight
}

// Strength words. A positive engagement adds 1 to the creator and to each hashtag of the
// video (a follow adds 3 to the creator), and scores halve every week without more.
const (
	Strong = "strong" // about four or more recent engagements
	Some   = "some"   // about one and a half to four
	Slight = "slight" // less: a trace that is fading
)

// strength puts a decayed affinity score in words.
func strength(score float64) string {
	switch {
	case score >= 4:
		return Strong
	case score >= 1.5:
		return Some
	default:
		return Slight
	}
}

// Profile describes the viewer's state, with up to limit learned hashtags and creators
// each (limit <= 0 means all). Scores decay to the time of the latest event applied.
func (r *Recommender) Profile(userID string, limit int) Profile {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u, ok := r.userNames.lookup(userID)
	if !ok {
		return Profile{}
	}
	usr := &r.users[u]
	p := Profile{
		Known:           true,
		RecentPositives: len(usr.recentPos.vals),
		RecentNegatives: len(usr.recentNeg.vals),
		TasteVector:     r.userEmb.slot(u) >= 0,
		Follows:         len(usr.follows),
		Watched:         len(usr.watched.vals),
		Views:           int(usr.views),
		Region:          r.regionNames.list[usr.region],
		Language:        r.langNames.list[usr.lang],
	}
	p.Hashtags = r.interests(&usr.hashtagAff, r.hashtagNames.list, limit)
	p.Creators = r.interests(&usr.creatorAff, r.creatorNames.list, limit)
	for _, v := range usr.notVideos {
		p.NotInterestedVideos = append(p.NotInterestedVideos, r.videoNames.list[v])
	}
	for _, c := range usr.notCreators {
		p.NotInterestedCreators = append(p.NotInterestedCreators, r.creatorNames.list[c])
	}
	for _, h := range usr.notHashtags {
		p.NotInterestedHashtags = append(p.NotInterestedHashtags, r.hashtagNames.list[h])
	}
	return p
}

func (r *Recommender) interests(a *affinity, names []string, limit int) []Interest {
	n := len(a.ids)
	if limit > 0 {
		n = min(n, limit)
	}
	var out []Interest
	for _, id := range a.top(n, r.now) {
		s := a.get(id, r.now)
		// A score rounded to two places is all a person needs, and it keeps the
		// description stable between two reads of the same state.
		out = append(out, Interest{Name: names[id], Score: math.Round(s*100) / 100, Strength: strength(s)})
	}
	return out
}

// Dismissed returns a check of whether the viewer asked not to see a video ("not
// interested" in it, its creator or one of its hashtags) or opened it recently, as the
// recommender holds it: for the lists it does not rank itself (Trending, For You's
// fallback), so every feed keeps those out alike without reading the log. The check takes
// the read lock for each call and looks the viewer up again, so it follows the model as it
// learns, or as it is replaced after an erasure. It is for one request at a time: on its
// first call it keeps a sorted copy of the viewer's recently opened videos (up to
// WatchedMemory), as a scan of them per candidate cost a page 380 µs for a viewer with a
// full memory.
func (r *Recommender) Dismissed(userID string) func(videoID, creatorID string, hashtags []string) bool {
	var watched sortedSet
	gen, copied := uint64(0), false
	return func(videoID, creatorID string, hashtags []string) bool {
		r.mu.RLock()
		defer r.mu.RUnlock()
		u, ok := r.userNames.lookup(userID)
		if !ok {
			return false
		}
		usr := &r.users[u]
		if !copied || gen != r.gen {
			watched = slices.Sorted(slices.Values(usr.watched.vals))
			gen, copied = r.gen, true
		}
		if v, ok := r.videoNames.lookup(videoID); ok && (usr.notVideos.has(v) || watched.has(v)) {
			return true
		}
		if c, ok := r.creatorNames.lookup(creatorID); ok && usr.notCreators.has(c) {
			return true
		}
		for _, h := range hashtags {
			if t, ok := r.hashtagNames.lookup(h); ok && usr.notHashtags.has(t) {
				return true
			}
		}
		return false
	}
}
