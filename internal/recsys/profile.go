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

// Dismissed reports, for each of videoIDs, whether the viewer asked not to see it ("not
// interested" in the video, its creator or one of its hashtags) or opened it recently, as
// the recommender holds it: for the lists it does not rank itself (Trending, For You's
// fallback), so they keep out what For You keeps out without reading the log. A video the
// model does not know yet, and the viewer's own videos, are not dismissed. It takes the
// read lock once for the whole batch, so checking a page's candidates neither waits behind
// the log's writers once per candidate nor scans the watched memory (up to WatchedMemory
// videos) once per candidate: that cost a page 380 µs for a viewer with a full memory.
func (r *Recommender) Dismissed(userID string, videoIDs []string) []bool {
	out := make([]bool, len(videoIDs))
	r.mu.RLock()
	defer r.mu.RUnlock()
	u, ok := r.userNames.lookup(userID)
	if !ok {
		return out
	}
	usr := &r.users[u]
	self, ok := r.creatorNames.lookup(userID)
	if !ok {
		self = -1
	}
	var watched sortedSet
	if len(usr.watched.vals) > 0 {
		watched = slices.Sorted(slices.Values(usr.watched.vals))
	}
	for i, id := range videoIDs {
		v, ok := r.videoNames.lookup(id)
		if !ok {
			continue
		}
		vid := &r.videos[v]
		if vid.creator >= 0 && vid.creator == self {
			continue
		}
		out[i] = usr.notVideos.has(v) || watched.has(v) || (vid.creator >= 0 && usr.notCreators.has(vid.creator))
		for _, t := range vid.hashtags {
			out[i] = out[i] || usr.notHashtags.has(t)
		}
	}
	return out
}
