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
	var z [numTasks]float64
	vs, cs := k.videoBias.slot(v), k.creatorBias.slot(c)
	for t := range z {
		s := 0.0
		for f, xf := range x {
			s += k.w[t][f] * float64(xf)
		}
		if vs >= 0 {
			s += float64(k.videoBias.row(vs)[t])
		}
		if cs >= 0 {
			s += float64(k.creatorBias.row(cs)[t])
		}
		z[t] = s
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
	r          *Recommender
	u          int32 // -1: nobody (personalisation off, or unknown viewer)
	usr        *user
	region     int32
	lang       int32
	uvec       []float32
	co         map[int32]float64 // precomputed co-engagement scores, when a request has them
	prior      float64
	watchPrior float64
	now        int64
}

func (r *Recommender) newFeatureContext(u int32, region, lang int32) *featureContext {
	fc := &featureContext{r: r, u: u, region: region, lang: lang, now: r.now}
	fc.prior = (r.totals.positives + 1) / (r.totals.impressions + 2)
	fc.watchPrior = (r.totals.watchSum + 0.5) / (r.totals.watchN + 1)
	if u >= 0 {
		fc.usr = &r.users[u]
		fc.uvec = r.userVector(u, nil)
	}
	return fc
}

const (
	trendFloor      = -24.0 // log2 of a trend score nobody reached: about 24 half-lives old
	freshHalfLifeMS = 24 * 3600 * 1000
)

// features appends video v's feature vector to out.
func (fc *featureContext) features(v int32, out []float32) []float32 {
	r := fc.r
	vid := &r.videos[v]
	var x [numFeatures]float64
	x[featBias] = 1
	x[featTrend] = max(trendAt(vid.trend, fc.now, r.halfLifeMS()), trendFloor) / 8
	a := r.cfg.QualityPrior
	rate := (float64(vid.positives) + a*fc.prior) / (float64(vid.impressions) + a)
	x[featEngagementRate] = math.Log(rate/(1-rate)) / 2
	x[featWatchTime] = (float64(vid.watchSum) + a*fc.watchPrior) / (float64(vid.watchN) + a)
	if s := r.videoEmb.slot(v); s >= 0 && fc.uvec != nil {
		d := float64(dot(fc.uvec, r.videoEmb.row(s)))
		x[featEmbedding] = max(min(d, 8), -8) / 2
	}
	if fc.usr != nil {
		usr := fc.usr
		if fc.co != nil {
			x[featCoEngagement] = math.Log1p(fc.co[v])
		} else {
			x[featCoEngagement] = math.Log1p(r.co.scoreOne(v, &usr.recentPos))
		}
		x[featSkippedSimilar] = math.Log1p(r.co.scoreOne(v, &usr.recentNeg))
		if vid.creator >= 0 {
			x[featCreatorAffinity] = math.Log1p(usr.creatorAff.get(vid.creator, fc.now))
			x[featFollowing] = b2f(usr.follows.has(vid.creator))
		}
		h := 0.0
		for _, tag := range vid.hashtags {
			h += usr.hashtagAff.get(tag, fc.now)
		}
		x[featHashtagAffinity] = math.Log1p(h)
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
