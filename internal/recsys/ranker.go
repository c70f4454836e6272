package recsys

import "math"

// The ranker predicts, for a viewer and a video, four outcomes of showing it: the watch ratio
// (capped at 1: the share of the video watched), a like, a share and a follow. Each is a logistic
// model over the features below plus Monolith-style learned biases per video and per
// creator, trained online with AdaGrad from closed views (and sampled unwatched videos as
// negatives). The list score is the weighted sum of the four predictions (Config.*Weight).

const (
	taskWatch = iota
	taskLike
	taskShare
	taskFollow
	numTasks
)

const (
	featBias = iota
	featTrend
	featEngagementRate
	featWatchTime
	featCoEngagement
	featSkippedSimilar
	featEmbedding
	featCreatorAffinity
	featHashtagAffinity
	featFollowing
	featLanguage
	featRegion
	featFresh
	featNewVideo
	numFeatures
)

// featureNames are the names shown in "why you are seeing this".
var featureNames = [numFeatures]string{
	featBias:            "baseline",
	featTrend:           "trending",
	featEngagementRate:  "engagement_rate",
	featWatchTime:       "watch_time",
	featCoEngagement:    "similar_to_liked",
	featSkippedSimilar:  "similar_to_skipped",
	featEmbedding:       "taste_match",
	featCreatorAffinity: "creator_affinity",
	featHashtagAffinity: "hashtag_affinity",
	featFollowing:       "following",
	featLanguage:        "language",
	featRegion:          "region",
	featFresh:           "fresh",
	featNewVideo:        "new_video",
}

type ranker struct {
	lr          float64
	idLR        float64 // step of the per-video and per-creator biases
	w           [numTasks][numFeatures]float64
	g2          [numTasks][numFeatures]float64
	videoBias   *table
	creatorBias *table
}

func newRanker(cfg Config) ranker {
	return ranker{
		lr:          cfg.RankerLearningRate,
		idLR:        cfg.RankerIDLearningRate,
		videoBias:   newTable(numTasks, cfg.MinOccurrences, true),
		creatorBias: newTable(numTasks, cfg.MinOccurrences, true),
	}
}

// logits returns the per-task logits of a feature vector for video v by creator c.
func (k *ranker) logits(x []float32, v, c int32) [numTasks]float64 {
	z := k.featureLogits(x)
	vs, cs := k.videoBias.slot(v), k.creatorBias.slot(c)
	for t := range z {
		if vs >= 0 {
			z[t] += float64(k.videoBias.row(vs)[t])
		}
		if cs >= 0 {
			z[t] += float64(k.creatorBias.row(cs)[t])
		}
	}
	return z
}

// featureLogits returns the per-task logits of a feature vector without the per-video and
// per-creator biases.
func (k *ranker) featureLogits(x []float32) [numTasks]float64 {
	var z [numTasks]float64
	for t := range z {
		s := 0.0
		for f, xf := range x {
			s += k.w[t][f] * float64(xf)
		}
		z[t] = s
	}
	return z
}

// featureLogits64 is featureLogits of a vector in float64, such as an average.
func (k *ranker) featureLogits64(x *[numFeatures]float64) [numTasks]float64 {
	var z [numTasks]float64
	for t := range z {
		for f, xf := range x {
			z[t] += k.w[t][f] * xf
		}
	}
	return z
}

const adagradEps = 1e-6

// train takes one AdaGrad step of logistic loss for the tasks in mask.
func (k *ranker) train(x []float32, v, c int32, y [numTasks]float64, mask [numTasks]bool, weight float64) {
	z := k.logits(x, v, c)
	vs, cs := k.videoBias.slot(v), k.creatorBias.slot(c)
	for t := range z {
		if !mask[t] {
			continue
		}
		g := weight * (sigmoid(z[t]) - y[t])
		for f, xf := range x {
			gf := g * float64(xf)
			if gf == 0 {
				continue
			}
			k.g2[t][f] += gf * gf
			k.w[t][f] -= k.lr * gf / math.Sqrt(k.g2[t][f]+adagradEps)
		}
		if vs >= 0 {
			adagradStep(k.videoBias.row(vs), k.videoBias.accRow(vs), t, g, k.idLR)
		}
		if cs >= 0 {
			adagradStep(k.creatorBias.row(cs), k.creatorBias.accRow(cs), t, g, k.idLR)
		}
	}
}

func adagradStep(row, acc []float32, t int, g, lr float64) {
	acc[t] += float32(g * g)
	row[t] -= float32(lr * g / math.Sqrt(float64(acc[t])+adagradEps))
}

// featureContext holds what features need about one viewer, gathered once per request or
// per view.
type featureContext struct {
	r      *Recommender
	u      int32 // -1: nobody (personalisation off, or unknown viewer)
	usr    *user
	region int32
	lang   int32
	uvec   []float32
	// co and skipped are the co-engagement scores of every video linked to the viewer's
	// recent positives and recent negatives, when a request scores a whole list.
	co, skipped *coScores
	hist        *history // the viewer's recent views, for the affinity features
	prior       float64
	watchPrior  float64
	now         int64
}

func (r *Recommender) newFeatureContext(u int32, region, lang int32) *featureContext {
	fc := &featureContext{r: r, u: u, region: region, lang: lang, now: r.now}
	fc.prior = (r.totals.positives + 1) / (r.totals.impressions + 2)
	fc.watchPrior = (r.totals.watchSum + 0.5) / (r.totals.watchN + 1)
	if u >= 0 {
		fc.usr = &r.users[u]
		fc.uvec = r.userVector(u, nil)
		fc.hist = r.history(fc.usr, fc.prior)
	}
	return fc
}

// The creator and hashtag affinity features are lifts: how much likelier than usual the
// viewer was to engage positively with this creator's videos, or with videos carrying this
// hashtag, among their recent views — the log-odds of (positives + a·rate) / (views + a)
// minus the log-odds of rate, where rate is the viewer's own positive rate, pulled towards
// everyone's while they have few views.
// Counting views as well as positives lets swipes past a creator or a topic count against it,
// and makes a hashtag found on every kind of video (#fyp) worth about nothing to a viewer who
// has seen many, where a count of positives alone grows with exposure.
const (
	historyViews = 100 // the most recent views that inform the lifts
	liftPrior    = 2.0 // views at the viewer's rate that every lift starts from
	ratePrior    = 10  // views at everyone's rate that the viewer's rate starts from
)

// history is a viewer's recent views, newest first, each with whether it was positive. It
// reaches back to the oldest positive still remembered (so every positive inside it is known,
// and a profile reset, which forgets the positives, also empties it) and leaves out the view
// still open, whose outcome is not known yet.
type history struct {
	r        *Recommender
	videos   []int32
	positive []bool
	rate     float64 // smoothed share of positive views
	// Per creator and per hashtag counts, built when a whole list is scored; a single view's
	// features scan the few entries instead.
	creators, hashtags map[int32][2]float64
}

func (r *Recommender) history(usr *user, prior float64) *history {
	if len(usr.recentPos.vals) == 0 {
		return nil
	}
	pos := make(map[int32]bool, len(usr.recentPos.vals))
	usr.recentPos.each(func(v int32) { pos[v] = true })
	h := &history{r: r}
	w := &usr.watched
	n, left, positives := len(w.vals), len(pos), 0
	for k := n - 1; k >= 0 && left > 0 && len(h.videos) < historyViews; k-- {
		v := w.vals[(w.head+k)%n]
		if v == usr.view.video {
			continue
		}
		p := pos[v]
		if p {
			delete(pos, v) // a video watched twice counts its positive once
			left--
			positives++
		}
		h.videos = append(h.videos, v)
		h.positive = append(h.positive, p)
	}
	h.rate = (float64(positives) + ratePrior*prior) / (float64(len(h.videos)) + ratePrior)
	return h
}

// index builds the per creator and per hashtag counts, for scoring many candidates.
func (h *history) index() {
	h.creators, h.hashtags = map[int32][2]float64{}, map[int32][2]float64{}
	for k, v := range h.videos {
		p := b2f(h.positive[k])
		vid := &h.r.videos[v]
		if vid.creator >= 0 {
			c := h.creators[vid.creator]
			h.creators[vid.creator] = [2]float64{c[0] + p, c[1] + 1}
		}
		for _, t := range vid.hashtags {
			c := h.hashtags[t]
			h.hashtags[t] = [2]float64{c[0] + p, c[1] + 1}
		}
	}
}

func (h *history) lift(c [2]float64) float64 {
	return logit((c[0]+liftPrior*h.rate)/(c[1]+liftPrior)) - logit(h.rate)
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// lifts returns the creator lift and the sum of the hashtag lifts of a video.
func (h *history) lifts(vid *video) (creator, hashtags float64) {
	if h.creators == nil { // scan: cheaper than indexing for the few videos of one view
		var cc [2]float64
		hc := make([][2]float64, len(vid.hashtags))
		for k, v := range h.videos {
			p := b2f(h.positive[k])
			seen := &h.r.videos[v]
			if vid.creator >= 0 && seen.creator == vid.creator {
				cc[0], cc[1] = cc[0]+p, cc[1]+1
			}
			for i, t := range vid.hashtags {
				if sortedSet(seen.hashtags).has(t) {
					hc[i][0], hc[i][1] = hc[i][0]+p, hc[i][1]+1
				}
			}
		}
		if cc[1] > 0 {
			creator = h.lift(cc)
		}
		for _, c := range hc {
			if c[1] > 0 {
				hashtags += h.lift(c)
			}
		}
		return creator, hashtags
	}
	if c, ok := h.creators[vid.creator]; ok && vid.creator >= 0 {
		creator = h.lift(c)
	}
	for _, t := range vid.hashtags {
		if c, ok := h.hashtags[t]; ok {
			hashtags += h.lift(c)
		}
	}
	return creator, hashtags
}

const (
	trendFloor      = -24.0 // log2 of a trend score nobody reached: about 24 half-lives old
	freshHalfLifeMS = 24 * 3600 * 1000
)

// features appends video v's feature vector to out.
func (fc *featureContext) features(v int32, out []float32) []float32 {
	out = fc.featuresWithoutMatch(v, out)
	out[len(out)-numFeatures+featEmbedding] = fc.match(v)
	return out
}

// match is video v's embedding feature: the dot product of the viewer's and the video's
// vectors, 0 when either has none.
func (fc *featureContext) match(v int32) float32 {
	if s := fc.r.videoEmb.slot(v); s >= 0 && fc.uvec != nil {
		return matchFeature(float64(dot(fc.uvec, fc.r.videoEmb.row(s))))
	}
	return 0
}

// matchFeature scales a dot product of embeddings to the embedding feature.
func matchFeature(d float64) float32 { return float32(max(min(d, 8), -8) / 2) }

// featuresWithoutMatch appends video v's feature vector to out with the embedding feature
// left at 0: reading the video's vector is a cache miss per candidate, which the
// pre-ranking does without.
func (fc *featureContext) featuresWithoutMatch(v int32, out []float32) []float32 {
	r := fc.r
	vid := &r.videos[v]
	var x [numFeatures]float64
	x[featBias] = 1
	x[featTrend] = max(trendAt(vid.trend, fc.now, r.halfLifeMS()), trendFloor) / 8
	a := r.cfg.QualityPrior
	rate := (float64(vid.positives) + a*fc.prior) / (float64(vid.impressions) + a)
	x[featEngagementRate] = math.Log(rate/(1-rate)) / 2
	x[featWatchTime] = (float64(vid.watchSum) + a*fc.watchPrior) / (float64(vid.watchN) + a)
	if fc.usr != nil {
		usr := fc.usr
		if fc.co != nil {
			x[featCoEngagement] = math.Log1p(fc.co.of(v))
		} else {
			x[featCoEngagement] = math.Log1p(r.co.scoreOne(v, &usr.recentPos))
		}
		if fc.skipped != nil {
			x[featSkippedSimilar] = math.Log1p(fc.skipped.of(v))
		} else {
			x[featSkippedSimilar] = math.Log1p(r.co.scoreOne(v, &usr.recentNeg))
		}
		if vid.creator >= 0 {
			x[featFollowing] = b2f(usr.follows.has(vid.creator))
		}
		if fc.hist != nil {
			x[featCreatorAffinity], x[featHashtagAffinity] = fc.hist.lifts(vid)
		}
	}
	x[featLanguage] = match(fc.lang, vid.lang)
	x[featRegion] = match(fc.region, vid.region)
	if age := fc.now - vid.publishedMS; vid.publishedMS > 0 && age >= 0 {
		x[featFresh] = math.Exp2(-float64(age) / freshHalfLifeMS)
	}
	if vid.impressions < float32(r.cfg.TestAudience) {
		x[featNewVideo] = 1
	}
	for _, f := range x {
		out = append(out, float32(f))
	}
	return out
}

// match is +1 when both sides are known and equal, -1 when they differ, 0 when unknown.
func match(a, b int32) float64 {
	switch {
	case a <= 0 || b <= 0:
		return 0
	case a == b:
		return 1
	}
	return -1
}
