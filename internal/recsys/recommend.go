package recsys

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Source names where a recommended video came from.
type Source string

// Candidate sources.
const (
	SourceFollowing    Source = "following"
	SourceCoEngagement Source = "co_engagement"
	SourceEmbedding    Source = "embedding"
	SourceTrending     Source = "trending"
	SourceHashtag      Source = "hashtag"
	SourceExploration  Source = "exploration"
)

// Request asks for a viewer's next videos.
type Request struct {
	// User is the viewer's id; an id the model has never seen gets the cold-start list.
	User string
	// Region and Language are the viewer's, used for regional trending and language match.
	Region, Language string
	// Limit is the list length (default 20, at most 500).
	Limit int
	// NoPersonalisation makes the list use nothing about the viewer but Region and Language:
	// no history, no learned profile, not even the watched list (the caller may still pass
	// Exclude).
	NoPersonalisation bool
	// Self, if set, is the viewer's account as a creator: their own videos are never
	// recommended to them. It is not personalisation and holds with NoPersonalisation too.
	Self string
	// Exclude, if set, is asked about every candidate; returning true drops it. The caller
	// filters blocked and muted creators and videos the viewer may not see with it. It runs
	// under the model's read lock: it must be quick and must not call the Recommender.
	Exclude func(videoID, creatorID string) bool
}

// Recommendation is one video of a list with the reasons it is there.
type Recommendation struct {
	Video   string
	Creator string // empty when the model has not seen the video's video_published event
	Score   float64
	// Source is the candidate source that contributed most (exploration for test-audience
	// slots).
	Source Source
	// Signals are the strongest positive contributions to the score, strongest first.
	Signals []Signal
}

// Signal is one named reason with its contribution to the score.
type Signal struct {
	Name  string
	Value float64
}

const (
	defaultLimit = 20
	maxLimit     = 500
	signalsShown = 3
)

type sourceMask uint8

const (
	maskFollowing sourceMask = 1 << iota
	maskCoEngagement
	maskEmbedding
	maskTrending
	maskHashtag
	maskExploration
)

type candidate struct {
	video   int32
	sources sourceMask
	// retrieved is the embedding match (featEmbedding's value) that embedding retrieval
	// ranked the candidate by, when that source found it; the pre-ranking uses it in place of
	// the ranker's own.
	retrieved float32
	feats     []float32
	score     float64
	logits    [numTasks]float64
}

// Recommend returns the viewer's next videos, best first. It never returns a removed video,
// a video the viewer watched recently or marked not interested, a video by a creator or with
// a hashtag they marked not interested, or anything Exclude rejects. Exploration videos fill
// the last slots (a viewer who stops early sees the best matches first), so a caller that
// asks for more than it shows should keep them in proportion rather than cut the tail. A
// video already measured below the main candidate it would displace gives its slot back.
func (r *Recommender) Recommend(req Request) []Recommendation {
	r.mu.RLock()
	defer r.mu.RUnlock()
	limit := req.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	ls := r.listScratch()
	defer r.lists.Put(ls)
	fc, main, explore := r.candidates(req, limit, ls)
	return r.explain(r.rerank(main, explore, limit), fc)
}

// candidates gathers a request's candidates into ls and returns the main ones the ranker
// scored, best first, and the exploration ones, best first. The caller holds the read lock.
func (r *Recommender) candidates(req Request, limit int, ls *listScratch) (fc *featureContext, main, explore []*candidate) {
	u := int32(-1)
	if !req.NoPersonalisation {
		if x, ok := r.userNames.lookup(req.User); ok {
			u = x
		}
	}
	region, _ := r.regionNames.lookup(req.Region)
	lang, _ := r.langNames.lookup(req.Language)
	fc = r.newFeatureContext(u, region, lang)
	ex := r.newExclusion(u, req.Exclude)
	if req.Self != "" {
		if c, ok := r.creatorNames.lookup(req.Self); ok {
			ex.self = c
		}
	}
	if ex.usr != nil {
		ex.watched = ls.markWatched(ex.usr.watched.vals)
	}
	// addChecked adds a candidate whose exclusion was already checked (the top-k sources check
	// it before a video enters their heap); add checks it first. ls.order keeps first-seen
	// order, so that nothing depends on where a candidate is stored.
	addChecked := func(v int32, m sourceMask) *candidate {
		if c := ls.get(v); c != nil {
			c.sources |= m
			return c
		}
		return ls.put(candidate{video: v, sources: m})
	}
	add := func(v int32, m sourceMask) bool {
		if c := ls.get(v); c != nil {
			c.sources |= m
			return true
		}
		if ex.excluded(v) {
			return false
		}
		addChecked(v, m)
		return true
	}

	if u >= 0 {
		usr := &r.users[u]
		if fc.hist != nil {
			fc.hist.index()
		}
		r.followingCandidates(usr, add)
		fc.co, fc.skipped = r.coScores(), r.coScores()
		defer r.scores.Put(fc.co)
		defer r.scores.Put(fc.skipped)
		r.co.scoreAll(&usr.recentPos, fc.co)
		r.co.scoreAll(&usr.recentNeg, fc.skipped)
		for _, v := range topOfScores(fc.co, r.cfg.CoEngagementCandidates, ex) {
			addChecked(v, maskCoEngagement)
		}
		r.hashtagCandidates(usr, add)
		if fc.uvec != nil {
			vs, dots := r.embeddingCandidates(fc.uvec, r.cfg.EmbeddingCandidates, ex)
			for k, v := range vs {
				addChecked(v, maskEmbedding).retrieved = matchFeature(dots[k])
			}
		}
	}
	r.trendingCandidates(region, lang, add)

	// The candidates are all in: pointers into ls.cs stay valid from here on. One backing
	// array holds every candidate's features instead of one allocation each.
	feats := slices.Grow(ls.feats[:0], len(ls.cs)*numFeatures)[:len(ls.cs)*numFeatures]
	ls.feats = feats
	for i := range ls.cs {
		c := &ls.cs[i]
		c.feats = fc.featuresWithoutMatch(c.video, feats[i*numFeatures:i*numFeatures:(i+1)*numFeatures])
	}
	main = r.preRank(ls, limit)
	for _, c := range main {
		c.feats[featEmbedding] = fc.match(c.video)
		r.rankScore(c)
	}
	sortCandidates(main)

	// Exploration candidates are gathered after the pre-ranking and never pass through it;
	// a main candidate it cut is still in ls, so exploration does not take it either.
	if want := int(math.Floor(r.explorationShare() * float64(limit))); want > 0 {
		for _, v := range r.explorationCandidates(want, func(v int32) bool {
			return ls.get(v) != nil || ex.excluded(v)
		}) {
			c := &candidate{video: v, sources: maskExploration}
			r.score(fc, c, nil)
			explore = append(explore, c)
		}
		sortCandidates(explore)
	}
	return fc, main, explore
}

func sortCandidates(cs []*candidate) {
	slices.SortFunc(cs, func(a, b *candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.video, b.video)
	})
}

// score fills a candidate's features and the weighted sum of the ranker's predictions.
func (r *Recommender) score(fc *featureContext, c *candidate, buf []float32) {
	c.feats = fc.features(c.video, buf)
	r.rankScore(c)
}

// rankScore fills the ranker's logits and the score of a candidate whose features are in.
func (r *Recommender) rankScore(c *candidate) {
	c.logits = r.rank.logits(c.feats, c.video, r.videos[c.video].creator)
	c.score = r.blend(c.video, &c.logits)
}

// blend is the score of video v from the ranker's task logits: the weighted sum of the
// predictions, plus the popularity prior.
func (r *Recommender) blend(v int32, logits *[numTasks]float64) float64 {
	w := r.taskWeights()
	s := 0.0
	for t, z := range logits {
		s += w[t] * sigmoid(z)
	}
	if pw := r.cfg.PopularityWeight; pw > 0 {
		s += pw * r.popularity(v)
	}
	return s
}

// popularity is the prior PopularityWeight weighs: ln(1 + trend score).
func (r *Recommender) popularity(v int32) float64 {
	return math.Log1p(math.Exp2(trendAt(r.videos[v].trend, r.now, r.halfLifeMS())))
}

// preRank returns the main candidates the full ranker scores: every one by a creator the
// viewer follows, and of the others the best PreRankCandidates (never fewer than twice the
// list) by a cheap estimate of the ranker's score. The estimate leaves out the two inputs
// that cost a cache miss per candidate, nearly half of scoring one: the viewer's embedding
// match (it takes the one embedding retrieval computed for its own candidates, 0 for the
// others) and the learned per-video and per-creator biases. And it is linear: each task's
// prediction moves with its slope w·p·(1-p) at the average candidate of the list, the
// first-order expansion explain uses too, so a candidate costs a dot product of its features
// instead of four sigmoids. On both offline data sets and the synthetic world the best 100
// by this estimate held every main video of the full ranker's lists. The candidates'
// features except the match must be in.
func (r *Recommender) preRank(ls *listScratch, limit int) []*candidate {
	main := ls.main[:0]
	keep := max(r.cfg.PreRankCandidates, 2*limit)
	if r.cfg.PreRankCandidates <= 0 || len(ls.cs) <= keep {
		for i := range ls.cs {
			main = append(main, &ls.cs[i])
		}
		ls.main = main
		return main
	}
	pre := ls.pre[:0]
	var mean [numFeatures]float64
	for i := range ls.cs {
		c := &ls.cs[i]
		if c.sources&maskFollowing != 0 || c.feats[featFollowing] == 1 {
			main = append(main, c)
			continue
		}
		c.feats[featEmbedding] = c.retrieved
		for f, x := range c.feats {
			mean[f] += float64(x)
		}
		pre = append(pre, preRanked{video: c.video, at: int32(i)})
	}
	for f := range mean {
		mean[f] /= float64(max(len(pre), 1))
	}
	beta := r.preWeights(&mean)
	for k := range pre {
		pre[k].score = r.preScore(&beta, &ls.cs[pre[k].at])
	}
	if len(pre) > keep {
		partitionBest(pre, keep)
		pre = pre[:keep]
	}
	for _, p := range pre {
		main = append(main, &ls.cs[p.at])
	}
	ls.main, ls.pre = main, pre
	return main
}

// preWeights returns the weight of each feature in the pre-ranking score of candidates whose
// features average mean: the sum over tasks of the task's weight, its prediction's slope at
// mean, and the ranker's weight of the feature.
func (r *Recommender) preWeights(mean *[numFeatures]float64) [numFeatures]float64 {
	var beta [numFeatures]float64
	tw := r.taskWeights()
	for t, z := range r.rank.featureLogits64(mean) {
		p := sigmoid(z)
		slope := tw[t] * p * (1 - p)
		for f := range beta {
			beta[f] += slope * r.rank.w[t][f]
		}
	}
	return beta
}

// preScore is a candidate's pre-ranking score with the weights of preWeights.
func (r *Recommender) preScore(beta *[numFeatures]float64, c *candidate) float64 {
	s := 0.0
	for f, x := range c.feats {
		s += beta[f] * float64(x)
	}
	if pw := r.cfg.PopularityWeight; pw > 0 {
		s += pw * r.popularity(c.video)
	}
	return s
}

// preRanked is a candidate's pre-ranking score and where it is in the candidate set.
type preRanked struct {
	score float64
	video int32
	at    int32
}

func (a preRanked) better(b preRanked) bool {
	return a.score > b.score || (a.score == b.score && a.video < b.video)
}

// partitionBest reorders ps so that its n best (ties to the lower video) come first, in no
// particular order: Hoare's selection (Wirth's variant), linear on average, where sorting
// every candidate only to keep some cost more than it saved.
func partitionBest(ps []preRanked, n int) {
	if n <= 0 || n >= len(ps) {
		return
	}
	k := n - 1 // the position of the n-th best
	lo, hi := 0, len(ps)-1
	for lo < hi {
		x := ps[k]
		i, j := lo, hi
		for i <= j {
			for ps[i].better(x) {
				i++
			}
			for x.better(ps[j]) {
				j--
			}
			if i <= j {
				ps[i], ps[j] = ps[j], ps[i]
				i++
				j--
			}
		}
		if j < k {
			lo = i
		}
		if k < i {
			hi = j
		}
	}
}

func (r *Recommender) taskWeights() [numTasks]float64 {
	return [numTasks]float64{r.cfg.WatchWeight, r.cfg.LikeWeight, r.cfg.ShareWeight, r.cfg.FollowWeight}
}

// exclusion answers "may this video be shown to this viewer".
type exclusion struct {
	r       *Recommender
	usr     *user
	watched []bool // by video, when a request marked the viewer's watched videos (see markWatched)
	self    int32  // the viewer as a creator, -1 for none
	caller  func(videoID, creatorID string) bool
}

func (r *Recommender) newExclusion(u int32, caller func(string, string) bool) *exclusion {
	ex := &exclusion{r: r, caller: caller, self: -1}
	if u >= 0 {
		ex.usr = &r.users[u]
	}
	return ex
}

func (ex *exclusion) excluded(v int32) bool {
	vid := &ex.r.videos[v]
	if vid.removed || (vid.creator >= 0 && vid.creator == ex.self) {
		return true
	}
	if usr := ex.usr; usr != nil {
		if (ex.watched != nil && ex.watched[v]) || (ex.watched == nil && slices.Contains(usr.watched.vals, v)) || usr.notVideos.has(v) {
			return true
		}
		if vid.creator >= 0 && usr.notCreators.has(vid.creator) {
			return true
		}
		for _, h := range vid.hashtags {
			if usr.notHashtags.has(h) {
				return true
			}
		}
	}
	if ex.caller != nil {
		c := ""
		if vid.creator >= 0 {
			c = ex.r.creatorNames.list[vid.creator]
		}
		return ex.caller(ex.r.videoNames.list[v], c)
	}
	return false
}

func (r *Recommender) followingCandidates(usr *user, add func(int32, sourceMask) bool) {
	n := 0
	// Newest videos of each followed creator, round-robin so that one prolific creator
	// does not fill the source.
	for depth := 0; depth < creatorRecent && n < r.cfg.FollowingCandidates; depth++ {
		progressed := false
		for _, c := range usr.follows {
			rc := &r.creators[c].recent
			if depth >= len(rc.vals) {
				continue
			}
			progressed = true
			if n >= r.cfg.FollowingCandidates {
				break
			}
			v := rc.vals[(rc.head+len(rc.vals)-1-depth)%len(rc.vals)]
			if add(v, maskFollowing) {
				n++
			}
		}
		if !progressed {
			break
		}
	}
}

func (r *Recommender) hashtagCandidates(usr *user, add func(int32, sourceMask) bool) {
	tags := usr.hashtagAff.top(3, r.now)
	if len(tags) == 0 {
		return
	}
	per := max(r.cfg.HashtagCandidates/len(tags), 1)
	for _, h := range tags {
		if usr.notHashtags.has(h) {
			continue
		}
		rc := &r.hashtags[h].recent
		n := 0
		for k := len(rc.vals) - 1; k >= 0 && n < per; k-- {
			v := rc.vals[(rc.head+k)%len(rc.vals)]
			if !sortedSet(r.videos[v].hashtags).has(h) {
				continue // its creator took the hashtag off (VideoUpdated)
			}
			if add(v, maskHashtag) {
				n++
			}
		}
	}
}

// trendingCandidates takes up to TrendingCandidates: at most half of them from what trends
// in the viewer's language (across regions), then from the viewer's region's list, then
// from everyone's. The cap is the source's, as for the other sources: it used to apply to
// each list, which gave a viewer with a region nearly twice as many trending candidates to
// score as one without.
func (r *Recommender) trendingCandidates(region, lang int32, add func(int32, sourceMask) bool) {
	type part struct {
		list *topList
		max  int
	}
	all := r.cfg.TrendingCandidates
	parts := make([]part, 0, 3)
	if lang > 0 {
		parts = append(parts, part{&r.trendingLang[lang], all / 2})
	}
	if region > 0 {
		parts = append(parts, part{&r.trending[region], all})
	}
	parts = append(parts, part{&r.trending[0], all})
	n := 0
	for _, p := range parts {
		taken := 0
		for _, v := range p.list.ids {
			if n >= all {
				return
			}
			if taken >= p.max {
				break
			}
			if add(v, maskTrending) {
				n++
				taken++
			}
		}
	}
}

// embeddingCandidates returns the n videos whose vectors have the largest dot product with
// the viewer's, and those products: from every vector in a small catalogue, from the groups
// of the index that best match the viewer in a large one (see ann.go).
func (r *Recommender) embeddingCandidates(uvec []float32, n int, ex *exclusion) ([]int32, []float64) {
	t := r.videoEmb
	dim := t.dim
	uvec = uvec[:dim]
	idx := r.annFor(t)
	buf, _ := r.dotBufs.Get().(*[]float32)
	if buf == nil {
		buf = new([]float32)
	}
	defer r.dotBufs.Put(buf)
	return topAllowed(n, ex, func(visit func(d float64, v int32)) {
		rows := func(from int) {
			*buf = dots(*buf, t.vals[from*dim:len(t.ids)*dim], uvec)
			for k, d := range *buf {
				if v := t.ids[from+k]; v >= 0 {
					visit(float64(d), v)
				}
			}
		}
		if idx == nil {
			rows(0)
			return
		}
		for _, c := range idx.probe(uvec, dim, n) {
			g := &idx.groups[c]
			*buf = dots(*buf, g.vecs, uvec)
			for i, v := range g.videos {
				visit(float64((*buf)[i]), v)
			}
		}
		// Rows added since the build are in no group yet.
		rows(idx.slots)
	})
}

// dots returns u·row for every len(u)-long row of m, in out's storage. It runs gonum's
// assembly kernel: retrieval reads thousands of vectors per request, and the plain loop of
// dot was three times slower per vector.
func dots(out, m, u []float32) []float32 {
	n := len(m) / len(u)
	out = slices.Grow(out[:0], n)[:n]
	if n > 0 {
		blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: n, Cols: len(u), Stride: len(u), Data: m[:n*len(u)]},
			blas32.Vector{N: len(u), Inc: 1, Data: u}, 0, blas32.Vector{N: n, Inc: 1, Data: out})
	}
	return out
}

// exclusionSlack is how many more than asked topAllowed keeps before it checks exclusions.
const exclusionSlack = 32

// topAllowed returns the videos and values of the n best (value, video) pairs that each
// visits, best first (ties to the lower video), leaving out excluded videos. It checks exclusions only for the
// n+exclusionSlack best, not for every pair that enters the heap on the way: a scan that
// meets the best pairs first (the index reads its best groups first) admits nearly every
// pair early, and checking each one cost more than the scan. Should more than the slack of
// those be excluded, it scans again checking every admission, so the result is always
// exactly the n best allowed.
func topAllowed(n int, ex *exclusion, each func(visit func(d float64, v int32))) ([]int32, []float64) {
	h := newTopK(n + exclusionSlack)
	each(func(d float64, v int32) {
		if h.admits(d, v) {
			h.push(d, v)
		}
	})
	full := len(h.ids) == h.n
	h.sortBest()
	// The allowed ones are compacted into the heap's own storage.
	out, vals := h.ids[:0], h.vals[:0]
	for k, v := range h.ids {
		if len(out) == n {
			return out, vals
		}
		if !ex.excluded(v) {
			out, vals = append(out, v), append(vals, h.vals[k])
		}
	}
	if !full {
		return out, vals // every pair was seen
	}
	h = newTopK(n)
	each(func(d float64, v int32) {
		if h.admits(d, v) && !ex.excluded(v) {
			h.push(d, v)
		}
	})
	h.sortBest()
	return h.ids, h.vals
}

// dot is the inner product of two vectors of equal length, with four accumulators so the
// loop is not one long dependency chain.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// topOfScores returns the n best-scored videos not excluded, ties to the lower video.
func topOfScores(s *coScores, n int, ex *exclusion) []int32 {
	vs, _ := topAllowed(n, ex, func(visit func(d float64, v int32)) {
		for _, v := range s.touched {
			visit(s.val[v], v)
		}
	})
	return vs
}

// listScratch is one request's candidate set: the candidates in first-seen order, found
// by video through a dense index (a map cost more than scoring them did), with the feature
// arena and the ranking slice. Requests take it from a pool (Recommender.lists) and it is
// cleared by what the last one touched; nothing returned to the caller points into it.
type listScratch struct {
	slot    []int32 // by video: 1 + its index in cs, 0 when not a candidate
	cs      []candidate
	feats   []float32
	main    []*candidate
	pre     []preRanked // the pre-ranking's scores, when it cuts
	watched []bool      // by video: in the viewer's watched memory (up to WatchedMemory of them)
	marked  []int32     // what watched has set, to clear it
}

// markWatched marks the viewer's watched videos and returns the marks by video: a map of
// up to WatchedMemory (2,000) entries cost more to build per request than every lookup.
func (ls *listScratch) markWatched(vals []int32) []bool {
	for _, v := range vals {
		ls.watched[v] = true
	}
	ls.marked = append(ls.marked[:0], vals...)
	return ls.watched
}

func (ls *listScratch) get(v int32) *candidate {
	if k := ls.slot[v]; k > 0 {
		return &ls.cs[k-1]
	}
	return nil
}

func (ls *listScratch) put(c candidate) *candidate {
	ls.cs = append(ls.cs, c)
	ls.slot[c.video] = int32(len(ls.cs))
	return &ls.cs[len(ls.cs)-1]
}

// listScratch takes a cleared candidate set with room for every video from the pool; the
// caller puts it back when the request is done.
func (r *Recommender) listScratch() *listScratch {
	ls, _ := r.lists.Get().(*listScratch)
	if ls == nil {
		ls = &listScratch{}
	}
	for _, c := range ls.cs {
		ls.slot[c.video] = 0
	}
	for _, v := range ls.marked {
		ls.watched[v] = false
	}
	ls.cs, ls.marked = ls.cs[:0], ls.marked[:0]
	clear(ls.main[:cap(ls.main)]) // no pointers kept into a candidate set being reused
	if n := len(r.videos); len(ls.slot) < n {
		ls.slot = make([]int32, n+n/8)
		ls.watched = make([]bool, len(ls.slot))
	}
	return ls
}

// coScores takes an accumulator from the pool, cleared and with room for every video; the
// caller puts it back when the request is done.
func (r *Recommender) coScores() *coScores {
	s, _ := r.scores.Get().(*coScores)
	if s == nil {
		s = &coScores{}
	}
	s.reset(len(r.videos))
	return s
}

// explorationCandidates takes up to want videos from the exploration pool, continuing where
// the previous request stopped. The first is an upload (its video_published was seen) still
// in its test audience that entered the pool within FreshWindow, when there is one: a video
// known only from viewer events, as in the offline data sets, is no upload. Without that
// lane a new upload
// joins the end of the pool and waits for the cursor to pass every older untested video,
// which on a young instance or after a burst of uploads is the whole catalogue. The lane
// hands a video out to its first judgeAfter lists only: that is its first audience, the
// point where its rate may first count, and it keeps a burst of requests from giving one
// upload hundreds of slots before their impressions arrive. The rest of its test audience
// comes from the walk.
func (r *Recommender) explorationCandidates(want int, skip func(int32) bool) []int32 {
	n := len(r.pool)
	if n == 0 || want <= 0 {
		return nil
	}
	var out []int32
	if lo := r.freshFrom(); lo < n {
		m := n - lo
		for walked := 0; walked < m && walked < 50; walked++ {
			v := r.pool[lo+int((r.freshCursor.Add(1)-1)%uint64(m))]
			if vid := &r.videos[v]; vid.stage == stageTest && vid.creator >= 0 && !skip(v) && r.fresh.take(v, int32(r.judgeAfter())) {
				out = append(out, v)
				break
			}
		}
	}
	for walked := 0; walked < n && walked < 50*want && len(out) < want; walked++ {
		v := r.pool[int((r.cursor.Add(1)-1)%uint64(n))]
		if r.videos[v].stage == stageDone || skip(v) || slices.Contains(out, v) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// freshLane counts the lists the fresh lane has handed each young video to. It is serving
// state, like the cursors, and forgets videos once they are older than the window.
type freshLane struct {
	mu    sync.Mutex
	given map[int32]int32
}

// take counts one more list for v and reports whether v was still under max.
func (l *freshLane) take(v, max int32) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.given == nil {
		l.given = map[int32]int32{}
	}
	if l.given[v] >= max {
		return false
	}
	l.given[v]++
	return true
}

// forget drops the counts of videos old reports true for.
func (l *freshLane) forget(old func(v int32) bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	maps.DeleteFunc(l.given, func(v, _ int32) bool { return old(v) })
}

// freshFrom is the index of the first pool video that entered within FreshWindow (len(pool)
// when none did or the lane is off). The pool is in order of entry, and a video's
// publication time is when it entered, or later when a viewer event named it before its
// video_published arrived, so the search finds the young end of the pool.
func (r *Recommender) freshFrom() int {
	if r.cfg.FreshWindow <= 0 {
		return len(r.pool)
	}
	since := r.now - r.cfg.FreshWindow.Milliseconds()
	return sort.Search(len(r.pool), func(i int) bool { return r.videos[r.pool[i]].publishedMS >= since })
}

// rerank fills the list greedily: the main candidates first and exploration in the last
// slots (at most len(explore) of them), never two videos of one creator back to back, and
// each hashtag already in the list lowering a candidate's score.
func (r *Recommender) rerank(main, explore []*candidate, limit int) []*candidate {
	out := make([]*candidate, 0, limit)
	used := map[*candidate]bool{}
	tagCount := map[int32]int{}
	keep := 1 - r.cfg.HashtagRepeatPenalty
	pick := func(list []*candidate) *candidate {
		prev := int32(-1)
		if len(out) > 0 {
			prev = r.videos[out[len(out)-1].video].creator
		}
		var best *candidate
		bestScore := math.Inf(-1)
		for _, c := range list {
			if used[c] {
				continue
			}
			if cr := r.videos[c.video].creator; cr >= 0 && cr == prev {
				continue
			}
			if best != nil && c.score <= bestScore {
				break // sorted by score and penalties only lower it
			}
			s := c.score
			repeats := 0
			for _, h := range r.videos[c.video].hashtags {
				repeats = max(repeats, tagCount[h])
			}
			if repeats > 0 {
				s *= math.Pow(max(keep, 0), float64(repeats))
			}
			if s > bestScore {
				best, bestScore = c, s
			}
		}
		return best
	}
	nExplore := min(len(explore), limit)
	for pos := 0; pos < limit; pos++ {
		var c *candidate
		if pos >= limit-nExplore {
			c = pick(r.plausibleAgainst(explore, pick(main)))
		}
		if c == nil {
			c = pick(main)
		}
		if c == nil {
			c = pick(explore)
		}
		if c == nil {
			break
		}
		used[c] = true
		out = append(out, c)
		for _, h := range r.videos[c.video].hashtags {
			tagCount[h]++
		}
	}
	return out
}

// explain turns candidates into recommendations with their source and strongest signals.
// A feature's contribution is its share of each task's logit, weighted by how much the
// task's prediction moves the score at that point (w·p·(1-p)).
func (r *Recommender) explain(cs []*candidate, fc *featureContext) []Recommendation {
	w := r.taskWeights()
	out := make([]Recommendation, 0, len(cs))
	for _, c := range cs {
		var contrib [numFeatures]float64
		for t, z := range c.logits {
			p := sigmoid(z)
			slope := w[t] * p * (1 - p)
			for f := 1; f < numFeatures; f++ {
				contrib[f] += slope * r.rank.w[t][f] * float64(c.feats[f])
			}
		}
		vid := &r.videos[c.video]
		rec := Recommendation{Video: r.videoNames.list[c.video], Score: c.score, Source: r.primarySource(c, &contrib)}
		if vid.creator >= 0 {
			rec.Creator = r.creatorNames.list[vid.creator]
		}
		idx := make([]int, 0, numFeatures)
		for f := 1; f < numFeatures; f++ {
			if contrib[f] > 0 {
				idx = append(idx, f)
			}
		}
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(contrib[b], contrib[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for k, f := range idx {
			if k == signalsShown {
				break
			}
			rec.Signals = append(rec.Signals, Signal{Name: featureNames[f], Value: contrib[f]})
		}
		out = append(out, rec)
	}
	return out
}

// primarySource picks, among the sources that produced a candidate, the one whose own signal
// contributed most to its score.
func (r *Recommender) primarySource(c *candidate, contrib *[numFeatures]float64) Source {
	if c.sources&maskExploration != 0 {
		return SourceExploration
	}
	type option struct {
		m    sourceMask
		s    Source
		feat int
	}
	best, bestVal := Source(""), math.Inf(-1)
	for _, o := range []option{
		{maskFollowing, SourceFollowing, featFollowing},
		{maskCoEngagement, SourceCoEngagement, featCoEngagement},
		{maskHashtag, SourceHashtag, featHashtagAffinity},
		{maskEmbedding, SourceEmbedding, featEmbedding},
		{maskTrending, SourceTrending, featTrend},
	} {
		if c.sources&o.m != 0 && contrib[o.feat] > bestVal {
			best, bestVal = o.s, contrib[o.feat]
		}
	}
	return best
}

// topK keeps the n best (value, id) pairs; ties go to the lower id.
type topK struct {
	n    int
	vals []float64
	ids  []int32
}

func newTopK(n int) *topK {
	room := min(n, 4096) // the sources' caps, up front; a larger n grows as pairs arrive
	return &topK{n: n, vals: make([]float64, 0, room), ids: make([]int32, 0, room)}
}

func (h *topK) less(i, j int) bool { // heap order: worst at the root
	if h.vals[i] != h.vals[j] {
		return h.vals[i] < h.vals[j]
	}
	return h.ids[i] > h.ids[j]
}

// admits reports whether (v, id) would enter the heap.
func (h *topK) admits(v float64, id int32) bool {
	if h.n <= 0 {
		return false
	}
	if len(h.ids) < h.n {
		return true
	}
	return v > h.vals[0] || (v == h.vals[0] && id < h.ids[0])
}

func (h *topK) push(v float64, id int32) {
	if len(h.ids) < h.n {
		h.vals = append(h.vals, v)
		h.ids = append(h.ids, id)
		for i := len(h.ids) - 1; i > 0; {
			p := (i - 1) / 2
			if !h.less(i, p) {
				break
			}
			h.swap(i, p)
			i = p
		}
		return
	}
	h.vals[0], h.ids[0] = v, id
	for i := 0; ; {
		l, rt, m := 2*i+1, 2*i+2, i
		if l < len(h.ids) && h.less(l, m) {
			m = l
		}
		if rt < len(h.ids) && h.less(rt, m) {
			m = rt
		}
		if m == i {
			break
		}
		h.swap(i, m)
		i = m
	}
}

func (h *topK) swap(i, j int) {
	h.vals[i], h.vals[j] = h.vals[j], h.vals[i]
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
}

// sortBest orders the pairs best first in the heap's own storage; h is no heap after.
func (h *topK) sortBest() { sort.Sort((*bestFirst)(h)) }

type bestFirst topK

func (b *bestFirst) Len() int           { return len(b.ids) }
func (b *bestFirst) Less(i, j int) bool { return (*topK)(b).less(j, i) }
func (b *bestFirst) Swap(i, j int)      { (*topK)(b).swap(i, j) }
