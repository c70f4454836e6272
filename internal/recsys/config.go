package recsys

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Config holds every tunable of the recommender. The server and the offline evaluation use
// the same struct and the same defaults (DefaultConfig); each field says what it trades off.
type Config struct {
	// Seed keys every pseudo-random choice (negative sampling, embedding initialisation), so
	// that two replicas replaying the same log reach the same state.
	Seed uint64

	// --- Engagement signals ---

	// PositiveWatchRatio is the watch ratio (play time over duration) from which a view counts
	// as a positive engagement even without a like. Default 0.8.
	PositiveWatchRatio float64
	// SkipWatchRatio is the watch ratio below which a skip counts as a negative. Default 0.3.
	SkipWatchRatio float64
	// RecentPositives is how many of a viewer's latest positive engagements seed co-engagement
	// candidates and update the co-engagement table. Default 50.
	RecentPositives int
	// RecentNegatives is how many skips and "not interested" videos are kept to push similar
	// videos down. Default 50.
	RecentNegatives int
	// WatchedMemory is how many recently watched videos are never shown again. Default 2000.
	WatchedMemory int

	// --- Co-engagement (item to item) ---

	// NeighboursPerVideo caps each video's co-engagement list; the weakest neighbour is
	// evicted when a new one arrives. Default 128.
	NeighboursPerVideo int
	// CoEngagementAlpha shapes the similarity c(a,b)/(n(a)^(1-alpha) n(b)^alpha) of candidate
	// b to a watched video a: 0.5 is the cosine, higher values discount candidates that are
	// popular anyway (trending already brings those). Default 0.8, chosen on validation data.
	CoEngagementAlpha float64

	// --- Embeddings (learned online from implicit feedback) ---

	// EmbeddingDim is the length of user and video vectors. Default 32.
	EmbeddingDim int
	// EmbeddingLearningRate and EmbeddingL2 are the SGD step and weight decay. Defaults 0.05
	// and 0.002.
	EmbeddingLearningRate float64
	EmbeddingL2           float64
	// EmbeddingNegatives is the number of sampled videos each positive is ranked above.
	// Default 4.
	EmbeddingNegatives int
	// EmbeddingReplay is how many of the viewer's recent positives are replayed with each
	// new positive, adding SGD steps without a second pass over the log. Default 8.
	EmbeddingReplay int
	// MinOccurrences is Monolith's frequency filter: an ID gets an embedding (and a learned
	// bias) only after this many events, so one-off IDs do not bloat the tables. Default 3.
	MinOccurrences int
	// ExpireAfter drops the embedding of an ID not seen for this long (event time). Default 30 days.
	ExpireAfter time.Duration
	// ExpiryEvery is how many applied events pass between expiry sweeps. Default 100000.
	ExpiryEvery int

	// --- Trending ---

	// TrendHalfLife is the half-life of the decayed engagement score behind trending.
	// Default 6h.
	TrendHalfLife time.Duration
	// TrendingSize is how many videos each region's trending list keeps. Default 300.
	TrendingSize int

	// --- Exploration ---

	// TestAudience is how many impressions a new video is guaranteed through exploration
	// before it has to earn its reach. Default 100.
	TestAudience int
	// GraduationRate is the smoothed engagement rate (completions, likes, shares per
	// impression) a video needs after its test audience to get a second, wider exploration
	// round of BoostAudience impressions. Defaults 0.3 and 1000.
	GraduationRate float64
	BoostAudience  int
	// Exploration takes the share of each list that the backlog of owed test-audience
	// impressions needs to be served within about ExplorationHorizon at the recent
	// impression rate, never less than ExplorationMinShare and never more than
	// ExplorationShare (the bound). Graduated videos in their wider round share these slots. A young instance or a burst of uploads gets up to the bound; a steady state
	// where uploads are tested as fast as they arrive gets little more than the minimum.
	// Defaults 0.5, 0.05 and 24h. The bound of 0.5 is what it takes, on the offline data
	// sets, for the lists to cover the catalogue as widely as a random ranking does. A slot
	// is only a ceiling: it goes back to the main list when no pool video could plausibly
	// engage as well as the one it would displace (see plausibleAgainst).
	ExplorationShare    float64
	ExplorationMinShare float64
	ExplorationHorizon  time.Duration
	// FreshWindow is how long after it enters the pool a video still in its test audience
	// gets the first exploration slot of every list, round-robin with the other videos this
	// young: a new upload meets its first viewers within minutes rather than waiting for the
	// pool's cursor to come round a backlog of untested videos. 0 turns it off. Default 1h.
	FreshWindow time.Duration

	// --- Ranking ---

	// Task weights combine the ranker's predictions: expected watch ratio (capped at 2, so
	// its prediction is in [0,1]), like, share and follow probabilities. Defaults 1, 1, 2, 2.
	WatchWeight, LikeWeight, ShareWeight, FollowWeight float64
	// RankerLearningRate is the AdaGrad step of the online ranker's feature weights.
	// Default 0.05.
	RankerLearningRate float64
	// RankerIDLearningRate is the AdaGrad step of its per-video and per-creator biases (the
	// Monolith ID tables). It is smaller because each ID sees few examples and a large step
	// lets a handful of views swing a video's score. Default 0.01.
	RankerIDLearningRate float64
	// RankerNegatives is how many unwatched videos are sampled as negatives per closed view,
	// so the ranker learns what a viewer did not pick, not only how a shown video did.
	// Default 3.
	RankerNegatives int
	// RankerNegativeWeight is the loss weight of each sampled negative. Default 1.
	RankerNegativeWeight float64
	// QualityPrior is the pseudo-count of impressions at the global engagement rate used to
	// smooth a video's rates. Default 10.
	QualityPrior float64
	// PopularityWeight adds weight·ln(1 + trend score) to every candidate's score: a prior
	// for how much engagement a video gathers overall, beside the ranker's estimate of how
	// a viewer engages once it is shown. Logs whose held-out engagement follows the
	// overall counts (KuaiRec) want it; fast-moving tastes (KuaiRand) do not. Default 0.
	PopularityWeight float64

	// --- Candidates and re-ranking ---

	// Per-source candidate caps.
	CoEngagementCandidates, EmbeddingCandidates, TrendingCandidates int
	FollowingCandidates, HashtagCandidates                          int
	// PreRankCandidates is how many of a list's candidates the full ranker scores, besides
	// those by creators the viewer follows, which it always scores: a cheap estimate of the
	// ranker's score (linear, without the viewer's embedding match and the learned
	// per-video and per-creator biases) keeps the best this many, and never fewer than
	// twice the list length. Exploration is chosen apart and never cut. 0 scores every
	// candidate. Default 250, of the 500 to 900 candidates a list has.
	PreRankCandidates int
	// HashtagRepeatPenalty spreads a list across topics: a candidate's score is multiplied by
	// (1-penalty) for each earlier list item that shares its most repeated hashtag. Default
	// 0.05 (the fifth video of one hashtag needs a score 19% higher to keep its place).
	HashtagRepeatPenalty float64
}

// servingOnly names the settings that shape lists as they are served and never what the
// model learns from the log: the task weights, the popularity prior, the candidate caps,
// the pre-ranking cut, the hashtag spread and the bounds of the exploration share. A
// snapshot stays valid when only they change, so an operator can retune the ranking
// without a rebuild from the log. TestServingSettingsLeaveTheModelAlone replays a log
// with each of them changed and compares the state written.
var servingOnly = []string{"WatchWeight", "LikeWeight", "ShareWeight", "FollowWeight", "PopularityWeight",
	"CoEngagementCandidates", "EmbeddingCandidates", "TrendingCandidates", "FollowingCandidates", "HashtagCandidates",
	"PreRankCandidates", "HashtagRepeatPenalty", "ExplorationShare", "ExplorationMinShare"}

// learningKey is the config as far as the model's state depends on it: every setting
// but the serving-only ones. Snapshots carry it.
func (c Config) learningKey() string {
	v := reflect.ValueOf(&c).Elem()
	for _, name := range servingOnly {
		v.FieldByName(name).SetZero()
	}
	return fmt.Sprintf("%+v", c)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Seed:                   1,
		PositiveWatchRatio:     0.8,
		SkipWatchRatio:         0.3,
		RecentPositives:        50,
		RecentNegatives:        50,
		WatchedMemory:          2000,
		NeighboursPerVideo:     128,
		CoEngagementAlpha:      0.8,
		EmbeddingDim:           32,
		EmbeddingLearningRate:  0.05,
		EmbeddingL2:            0.002,
		EmbeddingNegatives:     4,
		EmbeddingReplay:        8,
		MinOccurrences:         3,
		ExpireAfter:            30 * 24 * time.Hour,
		ExpiryEvery:            100000,
		TrendHalfLife:          6 * time.Hour,
		TrendingSize:           300,
		TestAudience:           100,
		GraduationRate:         0.3,
		BoostAudience:          1000,
		ExplorationShare:       0.5,
		ExplorationMinShare:    0.05,
		ExplorationHorizon:     24 * time.Hour,
		FreshWindow:            time.Hour,
		WatchWeight:            1,
		LikeWeight:             1,
		ShareWeight:            2,
		FollowWeight:           2,
		RankerLearningRate:     0.05,
		RankerIDLearningRate:   0.01,
		RankerNegatives:        3,
		RankerNegativeWeight:   1,
		QualityPrior:           10,
		PopularityWeight:       0,
		CoEngagementCandidates: 300,
		EmbeddingCandidates:    200,
		TrendingCandidates:     200,
		FollowingCandidates:    100,
		HashtagCandidates:      100,
		PreRankCandidates:      250,
		HashtagRepeatPenalty:   0.05,
	}
}

// Validate reports the first setting outside its range.
func (c Config) Validate() error {
	type check struct {
		name string
		ok   bool
	}
	for _, ch := range []check{
		{"PositiveWatchRatio", c.PositiveWatchRatio > 0},
		{"SkipWatchRatio", c.SkipWatchRatio >= 0 && c.SkipWatchRatio <= c.PositiveWatchRatio},
		{"RecentPositives", c.RecentPositives > 0},
		{"RecentNegatives", c.RecentNegatives >= 0},
		{"WatchedMemory", c.WatchedMemory >= 0},
		{"NeighboursPerVideo", c.NeighboursPerVideo > 0},
		{"CoEngagementAlpha", c.CoEngagementAlpha >= 0 && c.CoEngagementAlpha <= 1},
		{"EmbeddingDim", c.EmbeddingDim > 0 && c.EmbeddingDim <= 1024},
		{"EmbeddingLearningRate", c.EmbeddingLearningRate >= 0},
		{"EmbeddingL2", c.EmbeddingL2 >= 0},
		{"EmbeddingNegatives", c.EmbeddingNegatives >= 0},
		{"EmbeddingReplay", c.EmbeddingReplay >= 0},
		{"MinOccurrences", c.MinOccurrences >= 1},
		{"ExpireAfter", c.ExpireAfter > 0},
		{"ExpiryEvery", c.ExpiryEvery > 0},
		{"TrendHalfLife", c.TrendHalfLife > 0},
		{"TrendingSize", c.TrendingSize > 0},
		{"TestAudience", c.TestAudience >= 0},
		{"GraduationRate", c.GraduationRate >= 0},
		{"BoostAudience", c.BoostAudience >= 0},
		{"ExplorationShare", c.ExplorationShare >= 0 && c.ExplorationShare <= 1},
		{"ExplorationMinShare", c.ExplorationMinShare >= 0 && c.ExplorationMinShare <= 1},
		{"ExplorationHorizon", c.ExplorationHorizon > 0},
		{"FreshWindow", c.FreshWindow >= 0},
		{"task weights", c.WatchWeight >= 0 && c.LikeWeight >= 0 && c.ShareWeight >= 0 && c.FollowWeight >= 0},
		{"RankerLearningRate", c.RankerLearningRate >= 0 && c.RankerIDLearningRate >= 0},
		{"RankerNegatives", c.RankerNegatives >= 0},
		{"RankerNegativeWeight", c.RankerNegativeWeight >= 0},
		{"QualityPrior", c.QualityPrior > 0},
		{"PopularityWeight", c.PopularityWeight >= 0},
		{"candidate caps", c.CoEngagementCandidates >= 0 && c.EmbeddingCandidates >= 0 && c.TrendingCandidates >= 0 && c.FollowingCandidates >= 0 && c.HashtagCandidates >= 0},
		{"PreRankCandidates", c.PreRankCandidates >= 0},
		{"HashtagRepeatPenalty", c.HashtagRepeatPenalty >= 0 && c.HashtagRepeatPenalty < 1},
	} {
		if !ch.ok {
			return fmt.Errorf("recsys config: %s is out of range", ch.name)
		}
	}
	return nil
}

// Set assigns one field by name from text, e.g. Set("TrendHalfLife", "3h"); it lets the
// offline command and the server's config file override single fields.
func (c *Config) Set(name, value string) error {
	f := reflect.ValueOf(c).Elem().FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, name) })
	if !f.IsValid() {
		return fmt.Errorf("recsys config: no field %q", name)
	}
	switch {
	case f.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(value)
		if err != nil {
			return fmt.Errorf("recsys config: %s: %w", name, err)
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.Float64:
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("recsys config: %s: %w", name, err)
		}
		f.SetFloat(v)
	case f.Kind() == reflect.Int:
		v, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("recsys config: %s: %w", name, err)
		}
		f.SetInt(int64(v))
	case f.Kind() == reflect.Uint64:
		v, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return fmt.Errorf("recsys config: %s: %w", name, err)
		}
		f.SetUint(v)
	default:
		return fmt.Errorf("recsys config: field %s of kind %s cannot be set from text", name, f.Kind())
	}
	return nil
}
