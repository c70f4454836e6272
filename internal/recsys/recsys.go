// Package recsys is kurz's For You recommender: it learns online from the engagement log
// (co-engagement, embeddings, trending, a multi-task ranker), turns candidates from several
// sources into a ranked, re-ranked and explained list, and snapshots its state for restarts.
package recsys

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// ErrOutOfOrder is returned by Apply for an event whose sequence number is not above the last
// applied one, e.g. when a replay overlaps the snapshot it started from.
var ErrOutOfOrder = errors.New("recsys: event sequence number not above the last applied")

// Recommender is the in-process model. Apply and ApplyBatch must be called from one
// goroutine (they take the write lock); Recommend, WriteSnapshot and Seq may be called from
// many at once.
type Recommender struct {
	mu  sync.RWMutex
	cfg Config

	seq     uint64 // last applied sequence number
	applied uint64 // events applied, for periodic sweeps
	now     int64  // latest event time, ms

	userNames, videoNames, creatorNames, hashtagNames, regionNames, langNames names

	users    []user
	videos   []video
	creators []creator
	hashtags []hashtag

	co       coEngagement
	userEmb  *table
	videoEmb *table
	rank     ranker
	trending []topList // by region index; index 0 (the empty region) is every region
	// trendingLang is trending by the videos' language index, across regions; index 0
	// (no language) stays empty.
	trendingLang []topList
	pool         []int32 // exploration pool in order of entry; left videos are compacted lazily
	poolDead     int
	totals       totals

	// cursor walks the exploration pool across requests, so that consecutive viewers get
	// different new videos and each one reaches its test audience. It is serving state, not
	// model state: it is not in snapshots.
	cursor atomic.Uint64
	// freshCursor walks the young end of the pool (see Config.FreshWindow) the same way,
	// and fresh counts what that walk handed out.
	freshCursor atomic.Uint64
	fresh       freshLane

	// ann indexes the video vectors for embedding retrieval in a large catalogue (ann.go).
	// It is serving state too, built in the background.
	ann         atomic.Pointer[annIndex]
	annBuilding atomic.Bool
	annMin      int // catalogue size from which the index is used; 0 means annMinRows

	scores sync.Pool // *coScores, per-request accumulators (serving state)
	lists  sync.Pool // *listScratch, per-request candidate sets
	// dotBufs holds *[]float32 buffers for the dot products of embedding retrieval.
	dotBufs sync.Pool
}

type totals struct {
	impressions, positives float64
	watchSum, watchN       float64
	// owed is the exploration backlog: impressions still owed to pool videos.
	owed float64
	// recentImpressions is a forward-decayed impression count (log2, half-life
	// ExplorationHorizon): the supply exploration can draw on.
	recentImpressions float64
}

type user struct {
	recentPos, recentNeg, watched                ring
	notVideos, notCreators, notHashtags, follows sortedSet
	creatorAff, hashtagAff                       affinity
	views                                        uint32
	region, lang                                 int32
	view                                         view
}

// view is the viewer's current video: its features are frozen when it opens and joined with
// the outcome when it closes (the next video, a skip), which is how the ranker learns
// without seeing its own future.
type view struct {
	video                                                 int32 // -1 when no view is open
	watchMS                                               int64
	completed, looped, liked, shared, followed, commented bool
	skipped, notInterested, positive                      bool
	negs                                                  []int32   // sampled unwatched videos
	feats                                                 []float32 // numFeatures per example: the video, then negs
}

const (
	stageTest  = 0 // in its guaranteed test audience
	stageBoost = 1 // graduated to a wider exploration round
	stageDone  = 2 // out of exploration: it earns reach through the other sources
)

type video struct {
	creator                           int32 // -1 unknown
	hashtags                          []int32
	durationMS                        int64
	region, lang                      int32 // 0 unknown
	publishedMS                       int64
	removed                           bool
	stage                             uint8
	impressions, positives, completes float32
	likes, shares, follows, negatives float32
	watchSum, watchN                  float32
	trend                             float64
}

type creator struct{ recent ring }

type hashtag struct{ recent ring }

const (
	creatorRecent = 32
	hashtagRecent = 256
)

// New returns an empty recommender.
func New(cfg Config) (*Recommender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Recommender{cfg: cfg}
	r.init()
	return r, nil
}

func (r *Recommender) init() {
	cfg := r.cfg
	r.userNames, r.videoNames, r.creatorNames = newNames(), newNames(), newNames()
	r.hashtagNames, r.regionNames, r.langNames = newNames(), newNames(), newNames()
	r.regionNames.intern("")
	r.langNames.intern("")
	r.trending = []topList{{}}
	r.trendingLang = []topList{{}}
	r.co = coEngagement{capacity: cfg.NeighboursPerVideo, alpha: cfg.CoEngagementAlpha}
	r.userEmb = newTable(cfg.EmbeddingDim, cfg.MinOccurrences, false)
	r.videoEmb = newTable(cfg.EmbeddingDim, cfg.MinOccurrences, false)
	r.rank = newRanker(cfg)
	r.totals.recentImpressions = noTrend
}

// Config returns the configuration the recommender runs with.
func (r *Recommender) Config() Config { return r.cfg }

// Seq is the sequence number of the last applied event: a snapshot covers the log up to it.
func (r *Recommender) Seq() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.seq
}

// ViewerContext is the region and language the recommender last learned for a viewer from
// the log ("" for unknown): the context its ranker trains with.
func (r *Recommender) ViewerContext(userID string) (region, language string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u, ok := r.userNames.lookup(userID)
	if !ok {
		return "", ""
	}
	return r.regionNames.list[r.users[u].region], r.langNames.list[r.users[u].lang]
}

func (r *Recommender) halfLifeMS() float64 { return float64(r.cfg.TrendHalfLife.Milliseconds()) }

func (r *Recommender) horizonMS() float64 { return float64(r.cfg.ExplorationHorizon.Milliseconds()) }

// explorationShare is the share of a list exploration gets now: the backlog of owed
// impressions over the recent supply (impressions in about one horizon), within the bounds.
func (r *Recommender) explorationShare() float64 {
	supply := math.Exp2(trendAt(r.totals.recentImpressions, r.now, r.horizonMS()))
	need := r.cfg.ExplorationShare
	if supply > 0 {
		need = r.totals.owed / supply
	}
	return min(max(need, r.cfg.ExplorationMinShare), r.cfg.ExplorationShare)
}

// Apply updates the model with one event. The resulting state depends only on the events
// applied and the config.
func (r *Recommender) Apply(ev Event) error {
	if err := ev.validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applyLocked(&ev)
}

// ApplyBatch applies events in order under one write lock, which is much cheaper than one
// Apply per event while requests hold read locks (each write waits for the readers in
// flight). Events that Apply would refuse are skipped; the returned error joins the reasons
// (errors.Is finds ErrOutOfOrder among them). It returns how many events were applied.
func (r *Recommender) ApplyBatch(evs []Event) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	n := 0
	for k := range evs {
		err := evs[k].validate()
		if err == nil {
			err = r.applyLocked(&evs[k])
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (r *Recommender) applyLocked(ev *Event) error {
	if ev.Seq <= r.seq {
		return fmt.Errorf("%w: %d after %d", ErrOutOfOrder, ev.Seq, r.seq)
	}
	r.seq = ev.Seq
	r.applied++
	if ev.TimeMS > r.now {
		r.now = ev.TimeMS
	}
	r.apply(ev)
	if r.applied%uint64(r.cfg.ExpiryEvery) == 0 {
		r.expire()
	}
	return nil
}

func (r *Recommender) apply(ev *Event) {
	switch ev.Kind {
	case VideoPublished:
		r.publish(ev)
		return
	case VideoRemoved:
		if v, ok := r.videoNames.lookup(ev.Video); ok {
			r.remove(v)
		}
		return
	case VideoUpdated:
		if v, ok := r.videoNames.lookup(ev.Video); ok {
			r.update(v, ev)
		}
		return
	}
	u := r.user(ev.User)
	if ev.Region != "" {
		r.users[u].region = r.region(ev.Region)
	}
	if ev.Language != "" {
		r.users[u].lang = r.lang(ev.Language)
	}
	switch ev.Kind {
	case Follow:
		c := r.creator(ev.Creator)
		usr := &r.users[u]
		usr.follows.add(c)
		usr.creatorAff.add(c, 3, r.now)
		if ev.Video != "" {
			v := r.video(ev.Video)
			r.videos[v].follows++
			if usr.view.video == v {
				usr.view.followed = true
				r.positive(u, v, 2)
			}
		}
		return
	case Unfollow:
		if c, ok := r.creatorNames.lookup(ev.Creator); ok {
			r.users[u].follows.remove(c)
		}
		return
	case NotInterested:
		r.notInterested(u, ev)
		return
	case NotInterestedUndo:
		r.interestedAgain(u, ev)
		return
	case ProfileReset:
		r.resetProfile(u)
		return
	}

	v := r.video(ev.Video)
	vid := &r.videos[v]
	if ev.DurationMS > 0 && vid.durationMS == 0 {
		vid.durationMS = ev.DurationMS
	}
	if r.users[u].view.video != v {
		r.closeView(u, ev.Seq)
		r.openView(u, v, ev.Seq)
	}
	usr := &r.users[u]
	vw := &usr.view
	switch ev.Kind {
	case Progress:
		vw.watchMS = max(vw.watchMS, ev.WatchMS, ev.PositionMS)
	case Complete:
		vw.completed = true
		vw.watchMS = max(vw.watchMS, ev.WatchMS, vid.durationMS)
		vid.completes++
		r.positive(u, v, 1)
	case Loop, Replay:
		vw.looped = true
		r.positive(u, v, 0.5)
	case Skip:
		vw.skipped = true
		vw.watchMS = max(vw.watchMS, ev.WatchMS, ev.PositionMS)
		r.closeView(u, ev.Seq)
	case Like:
		if !vw.liked {
			vw.liked = true
			vid.likes++
		}
		r.positive(u, v, 1)
	case Unlike:
		if vw.liked {
			vw.liked = false
		}
		if vid.likes > 0 {
			vid.likes--
		}
	case Share:
		if !vw.shared {
			vw.shared = true
			vid.shares++
		}
		r.positive(u, v, 2)
	case Comment:
		vw.commented = true
		r.positive(u, v, 1)
	}
}

func (r *Recommender) user(id string) int32 {
	u, created := r.userNames.intern(id)
	if created {
		r.users = append(r.users, user{
			recentPos: ring{cap: r.cfg.RecentPositives},
			recentNeg: ring{cap: r.cfg.RecentNegatives},
			watched:   ring{cap: r.cfg.WatchedMemory},
			view:      view{video: -1},
		})
	}
	return u
}

func (r *Recommender) creator(id string) int32 {
	c, created := r.creatorNames.intern(id)
	if created {
		r.creators = append(r.creators, creator{recent: ring{cap: creatorRecent}})
	}
	return c
}

func (r *Recommender) hashtag(id string) int32 {
	h, created := r.hashtagNames.intern(id)
	if created {
		r.hashtags = append(r.hashtags, hashtag{recent: ring{cap: hashtagRecent}})
	}
	return h
}

func (r *Recommender) region(id string) int32 {
	g, created := r.regionNames.intern(id)
	if created {
		r.trending = append(r.trending, topList{})
	}
	return g
}

func (r *Recommender) lang(id string) int32 {
	l, created := r.langNames.intern(id)
	if created {
		r.trendingLang = append(r.trendingLang, topList{})
	}
	return l
}

// video returns the index of a video, registering it on first sight. A video first met in
// a viewer event (its video_published was not seen) counts as published then.
func (r *Recommender) video(id string) int32 {
	v, created := r.videoNames.intern(id)
	if created {
		r.videos = append(r.videos, video{creator: -1, publishedMS: r.now, trend: noTrend})
		r.co.grow(len(r.videos))
		r.pool = append(r.pool, v)
		r.totals.owed += float64(r.cfg.TestAudience)
	}
	return v
}

func (r *Recommender) publish(ev *Event) {
	v := r.video(ev.Video)
	vid := &r.videos[v]
	if ev.Creator != "" {
		c := r.creator(ev.Creator)
		if vid.creator != c {
			vid.creator = c
			r.creators[c].recent.push(v)
		}
	}
	for _, name := range ev.Hashtags {
		h := r.hashtag(name)
		if !sortedSet(vid.hashtags).has(h) {
			hs := sortedSet(vid.hashtags)
			hs.add(h)
			vid.hashtags = hs
			r.hashtags[h].recent.push(v)
		}
	}
	if ev.DurationMS > 0 {
		vid.durationMS = ev.DurationMS
	}
	if ev.Region != "" {
		vid.region = r.region(ev.Region)
	}
	if ev.Language != "" {
		if l := r.lang(ev.Language); l != vid.lang {
			r.trendingLang[vid.lang].remove(v)
			vid.lang = l
		}
	}
	vid.publishedMS = r.now
}

// update replaces a video's hashtags and language. A hashtag it gains lists it among that
// hashtag's recent videos, as publishing does; one it loses keeps it in that list until it
// ages out, and hashtagCandidates skips it there.
func (r *Recommender) update(v int32, ev *Event) {
	vid := &r.videos[v]
	var tags sortedSet
	for _, name := range ev.Hashtags {
		h := r.hashtag(name)
		if !tags.has(h) {
			tags.add(h)
		}
		if !sortedSet(vid.hashtags).has(h) {
			r.hashtags[h].recent.push(v)
		}
	}
	vid.hashtags = tags
	if l := r.lang(ev.Language); l != vid.lang {
		r.trendingLang[vid.lang].remove(v) // it joins the new language's list as it trends
		vid.lang = l
	}
}

func (r *Recommender) remove(v int32) {
	vid := &r.videos[v]
	if vid.removed {
		return
	}
	vid.removed = true
	r.leavePool(v)
	r.trendingLang[vid.lang].remove(v)
	for g := range r.trending {
		r.trending[g].remove(v)
	}
	r.videoEmb.drop(v)
	r.rank.videoBias.drop(v)
	r.co.forget(v)
}

// owedTo is how many test-audience impressions the pool still owes video vid. Only the test
// audience is a guarantee that sizes exploration; a graduated video's wider round shares the
// slots that guarantee opens.
func (r *Recommender) owedTo(vid *video) float64 {
	if vid.stage != stageTest {
		return 0
	}
	return max(float64(r.cfg.TestAudience)-float64(vid.impressions), 0)
}

func (r *Recommender) leavePool(v int32) {
	vid := &r.videos[v]
	if vid.stage == stageDone {
		return
	}
	r.totals.owed = max(r.totals.owed-r.owedTo(vid), 0)
	vid.stage = stageDone
	r.poolDead++
	if r.poolDead > 64 && r.poolDead > len(r.pool)/2 {
		live := r.pool[:0]
		for _, x := range r.pool {
			if r.videos[x].stage != stageDone {
				live = append(live, x)
			}
		}
		r.pool = live
		r.poolDead = 0
	}
}

func (r *Recommender) openView(u, v int32, seq uint64) {
	usr := &r.users[u]
	vid := &r.videos[v]
	usr.view = view{video: v, negs: usr.view.negs[:0], feats: usr.view.feats[:0]}
	usr.views++
	usr.watched.push(v)
	if vid.stage != stageDone && r.owedTo(vid) >= 1 {
		r.totals.owed = max(r.totals.owed-1, 0)
	}
	vid.impressions++
	r.totals.impressions++
	r.totals.recentImpressions = log2AddExp2(r.totals.recentImpressions, float64(r.now)/r.horizonMS())
	r.userEmb.touch(u, r.now, r.initVector(1, u))
	r.videoEmb.touch(v, r.now, r.initVector(2, v))
	r.rank.videoBias.touch(v, r.now, nil)
	if vid.creator >= 0 {
		r.rank.creatorBias.touch(vid.creator, r.now, nil)
	}
	r.progressExploration(v)

	// Freeze the ranker's view of this video and of a few videos the viewer did not get,
	// before this view changes anything.
	fc := r.newFeatureContext(u, usr.region, usr.lang)
	usr.view.feats = fc.features(v, usr.view.feats)
	rg := newRNG(r.cfg.Seed, seq, 0x7a11)
	for k := 0; k < r.cfg.RankerNegatives && len(r.videos) > 1; k++ {
		j := int32(rg.intn(len(r.videos)))
		if j == v || r.videos[j].removed {
			continue
		}
		usr.view.negs = append(usr.view.negs, j)
		usr.view.feats = fc.features(j, usr.view.feats)
	}
}

// judgeAfter is how many impressions a video in exploration has before its rate may count
// against it: a quarter of its test audience, at least 10.
func (r *Recommender) judgeAfter() float32 { return float32(max(10, r.cfg.TestAudience/4)) }

// progressExploration moves a video through its exploration stages as impressions arrive.
func (r *Recommender) progressExploration(v int32) {
	vid := &r.videos[v]
	switch {
	case vid.stage != stageDone && vid.impressions >= r.judgeAfter() &&
		wilsonUpper(float64(vid.positives), float64(vid.impressions)) < r.cfg.GraduationRate:
		// A clear flop stops taking exploration slots before its whole test audience: even
		// the optimistic end of its 95% interval is below the bar.
		r.leavePool(v)
	case vid.stage == stageTest && vid.impressions >= float32(r.cfg.TestAudience):
		if r.cfg.BoostAudience > 0 && r.engagementRate(vid) >= r.cfg.GraduationRate {
			vid.stage = stageBoost
		} else {
			r.leavePool(v)
		}
	case vid.stage == stageBoost && vid.impressions >= float32(r.cfg.TestAudience+r.cfg.BoostAudience):
		r.leavePool(v)
	}
}

// wilsonUpper is the upper end of the 95% Wilson score interval of a rate of k in n.
func wilsonUpper(k, n float64) float64 {
	if n <= 0 {
		return 1
	}
	const z = 1.96
	p := min(k/n, 1)
	return (p + z*z/(2*n) + z*math.Sqrt(p*(1-p)/n+z*z/(4*n*n))) / (1 + z*z/n)
}

// engagementRate is the video's positive engagements per impression, smoothed towards the
// global rate.
func (r *Recommender) engagementRate(vid *video) float64 {
	prior := (r.totals.positives + 1) / (r.totals.impressions + 2)
	a := r.cfg.QualityPrior
	return (float64(vid.positives) + a*prior) / (float64(vid.impressions) + a)
}

// positive applies a positive engagement at once (so the next request already reflects it),
// once per view; later signals of the same view only add to trending.
func (r *Recommender) positive(u, v int32, w float64) {
	usr := &r.users[u]
	vid := &r.videos[v]
	hl := r.halfLifeMS()
	vid.trend = log2AddExp2(vid.trend, float64(r.now)/hl+math.Log2(w))
	score := func(x int32) float64 { return r.videos[x].trend }
	r.trending[0].update(v, r.cfg.TrendingSize, score)
	if vid.lang > 0 {
		r.trendingLang[vid.lang].update(v, r.cfg.TrendingSize, score)
	}
	if vid.region > 0 {
		r.trending[vid.region].update(v, r.cfg.TrendingSize, score)
	}
	if usr.view.video == v && usr.view.positive {
		return
	}
	if usr.view.video == v {
		usr.view.positive = true
	}
	vid.positives++
	r.totals.positives++
	r.co.engage(v, &usr.recentPos, 1)
	usr.recentPos.push(v)
	if vid.creator >= 0 {
		usr.creatorAff.add(vid.creator, 1, r.now)
	}
	for _, h := range vid.hashtags {
		usr.hashtagAff.add(h, 1, r.now)
	}
}

// closeView joins the open view's frozen features with its outcome and learns from it.
func (r *Recommender) closeView(u int32, seq uint64) {
	usr := &r.users[u]
	vw := &usr.view
	v := vw.video
	if v < 0 {
		return
	}
	vid := &r.videos[v]
	ratio, known := -1.0, false
	if vid.durationMS > 0 && vw.watchMS > 0 {
		ratio, known = min(float64(vw.watchMS)/float64(vid.durationMS), 2), true
	}
	switch {
	case vw.looped:
		ratio, known = max(ratio, 1.5), true
	case vw.completed:
		ratio, known = max(ratio, 1), true
	case vw.skipped && !known:
		ratio, known = 0, true
	}
	if !vw.positive && !vw.notInterested && known && ratio >= r.cfg.PositiveWatchRatio {
		r.positive(u, v, 0.5)
	}
	negative := !vw.positive && (vw.notInterested || (vw.skipped && ratio < r.cfg.SkipWatchRatio))
	if negative {
		usr.recentNeg.push(v)
		vid.negatives++
	}
	if known {
		vid.watchSum += float32(ratio)
		vid.watchN++
		r.totals.watchSum += ratio
		r.totals.watchN++
	}

	var labels [numTasks]float64
	var mask [numTasks]bool
	labels[taskWatch], mask[taskWatch] = min(ratio, 1), known
	labels[taskLike], mask[taskLike] = b2f(vw.liked), true
	labels[taskShare], mask[taskShare] = b2f(vw.shared), true
	labels[taskFollow], mask[taskFollow] = b2f(vw.followed), true
	if vw.notInterested {
		labels[taskWatch], mask[taskWatch] = 0, true
	}
	r.rank.train(vw.feats[:numFeatures], v, vid.creator, labels, mask, 1)
	var zero [numTasks]float64
	all := [numTasks]bool{true, true, true, true}
	for k, j := range vw.negs {
		r.rank.train(vw.feats[(k+1)*numFeatures:(k+2)*numFeatures], j, r.videos[j].creator, zero, all, r.cfg.RankerNegativeWeight)
	}

	rg := newRNG(r.cfg.Seed, seq, 0xe3b)
	switch {
	case vw.positive:
		w := 0.5 + 0.5*max(ratio, 0) + b2f(vw.liked) + b2f(vw.shared) + b2f(vw.followed)
		r.trainEmbedding(u, v, min(w, 3), true, rg)
		// Replay a few earlier positives of this viewer: one pass over a stream is
		// little training for a factorisation, and recent history is what the vector
		// should explain.
		if n := len(usr.recentPos.vals); n > 1 {
			for k := 0; k < r.cfg.EmbeddingReplay; k++ {
				j := usr.recentPos.vals[rg.intn(n)]
				if j != v {
					r.trainEmbedding(u, j, 1, true, rg)
				}
			}
		}
	case negative:
		r.trainEmbedding(u, v, 0.5, false, rg)
	}
	vw.video = -1
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (r *Recommender) notInterested(u int32, ev *Event) {
	usr := &r.users[u]
	switch ev.Target {
	case TargetVideo:
		v := r.video(ev.Video)
		usr.notVideos.add(v)
		if usr.view.video == v {
			usr.view.notInterested = true
			return
		}
		usr.recentNeg.push(v)
		r.videos[v].negatives++
	case TargetCreator:
		usr.notCreators.add(r.creator(ev.Creator))
	case TargetHashtag:
		usr.notHashtags.add(r.hashtag(ev.Hashtag))
	}
}

// interestedAgain takes back a not_interested mark. Names the model never interned were
// never marked, so looking them up (not interning) leaves the state as it was.
func (r *Recommender) interestedAgain(u int32, ev *Event) {
	usr := &r.users[u]
	switch ev.Target {
	case TargetVideo:
		if v, ok := r.videoNames.lookup(ev.Video); ok {
			usr.notVideos.remove(v)
			if usr.view.video == v {
				usr.view.notInterested = false // not yet learned from: nothing to fade
			}
		}
	case TargetCreator:
		if c, ok := r.creatorNames.lookup(ev.Creator); ok {
			usr.notCreators.remove(c)
		}
	case TargetHashtag:
		if h, ok := r.hashtagNames.lookup(ev.Hashtag); ok {
			usr.notHashtags.remove(h)
		}
	}
}

func (r *Recommender) resetProfile(u int32) {
	usr := &r.users[u]
	usr.recentPos.reset()
	usr.recentNeg.reset()
	usr.creatorAff.reset()
	usr.hashtagAff.reset()
	usr.view = view{video: -1}
	r.userEmb.drop(u)
}

func (r *Recommender) expire() {
	cutoff := r.now - r.cfg.ExpireAfter.Milliseconds()
	if cutoff <= 0 {
		return
	}
	r.userEmb.expire(cutoff)
	r.videoEmb.expire(cutoff)
	r.rank.videoBias.expire(cutoff)
	r.rank.creatorBias.expire(cutoff)
	young := r.now - r.cfg.FreshWindow.Milliseconds()
	r.fresh.forget(func(v int32) bool { return int(v) >= len(r.videos) || r.videos[v].publishedMS < young })
}

// initVector fills a new embedding row from a generator keyed by the row's owner, so the
// initial value does not depend on when the owner was admitted.
func (r *Recommender) initVector(kind uint64, id int32) func([]float32) {
	return func(row []float32) {
		rg := newRNG(r.cfg.Seed, kind, uint64(id))
		for k := range row {
			row[k] = float32(0.1 * rg.normal())
		}
	}
}

// userVector is the viewer's learned vector plus the mean vector of what they recently
// engaged with positively. The second part lets a new viewer's taste show after a few
// swipes, before their own vector has learned anything (or exists: frequency filtering).
func (r *Recommender) userVector(u int32, buf []float32) []float32 {
	buf = buf[:0]
	n := 0
	r.users[u].recentPos.each(func(v int32) {
		s := r.videoEmb.slot(v)
		if s < 0 {
			return
		}
		if len(buf) == 0 {
			buf = append(buf, make([]float32, r.cfg.EmbeddingDim)...)
		}
		for k, x := range r.videoEmb.row(s) {
			buf[k] += x
		}
		n++
	})
	for k := range buf {
		buf[k] /= float32(n)
	}
	if s := r.userEmb.slot(u); s >= 0 {
		if len(buf) == 0 {
			buf = append(buf, make([]float32, r.cfg.EmbeddingDim)...)
		}
		for k, x := range r.userEmb.row(s) {
			buf[k] += x
		}
	}
	if len(buf) == 0 {
		return nil
	}
	return buf
}

// trainEmbedding is one BPR step: the viewer's vector moves so that v ranks above (or, for a
// negative, below) a few sampled videos.
func (r *Recommender) trainEmbedding(u, v int32, w float64, positive bool, rg *rng) {
	su, sv := r.userEmb.slot(u), r.videoEmb.slot(v)
	if su < 0 || sv < 0 || len(r.videoEmb.ids) < 2 {
		return
	}
	lr, l2 := float32(r.cfg.EmbeddingLearningRate), float32(r.cfg.EmbeddingL2)
	p, q := r.userEmb.row(su), r.videoEmb.row(sv)
	// The score uses the whole user vector (learned part plus recent mean); only the learned
	// part and the two videos move.
	full := r.userVector(u, nil)
	for k := 0; k < r.cfg.EmbeddingNegatives; k++ {
		sj := int32(rg.intn(len(r.videoEmb.ids)))
		if sj == sv || r.videoEmb.ids[sj] < 0 {
			continue
		}
		o := r.videoEmb.row(sj)
		hi, lo := q, o
		if !positive {
			hi, lo = o, q
		}
		x := 0.0
		for d := range full {
			x += float64(full[d] * (hi[d] - lo[d]))
		}
		g := float32(w * sigmoid(-x))
		for d := range p {
			pd, fd := p[d], full[d]
			p[d] += lr * (g*(hi[d]-lo[d]) - l2*pd)
			hi[d] += lr * (g*fd - l2*hi[d])
			lo[d] += lr * (-g*fd - l2*lo[d])
		}
	}
}
