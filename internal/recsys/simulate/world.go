package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The hidden world: topics, creators, videos and viewers with tastes the server never sees.
// The server only learns what a real platform would: sign-ups, captions with hashtags,
// durations, and what each viewer watched, skipped, liked and followed.

// topic is a hidden subject. Its hashtags are what creators tend to write in captions about
// it; several topics share some (a real catalogue's tags are ambiguous).
type topic struct {
	name string
	tags []string
}

var topicList = []topic{
	{"cooking", []string{"recipe", "foodtok", "cooking", "easyrecipe"}},
	{"fitness", []string{"gym", "workout", "fitness", "gymtok"}},
	{"gaming", []string{"gaming", "gamer", "minecraft", "speedrun"}},
	{"music", []string{"music", "cover", "guitar", "singing"}},
	{"dance", []string{"dance", "dancechallenge", "choreography", "dancer"}},
	{"comedy", []string{"comedy", "funny", "skit", "relatable"}},
	{"pets", []string{"pets", "dogsoftiktok", "catsoftiktok", "puppy"}},
	{"travel", []string{"travel", "wanderlust", "roadtrip", "backpacking"}},
	{"fashion", []string{"fashion", "ootd", "style", "outfit"}},
	{"tech", []string{"tech", "gadgets", "coding", "programming"}},
	{"science", []string{"science", "learnontiktok", "physics", "space"}},
	{"diy", []string{"diy", "homedecor", "crafts", "woodworking"}},
	{"sports", []string{"football", "basketball", "sports", "skateboarding"}},
	{"art", []string{"art", "drawing", "painting", "digitalart"}},
	{"books", []string{"booktok", "books", "reading", "bookreview"}},
	{"cars", []string{"cars", "carsoftiktok", "jdm", "restoration"}},
	{"gardening", []string{"gardening", "plants", "planttok", "growyourown"}},
	{"beauty", []string{"makeup", "skincare", "beauty", "grwm"}},
	{"history", []string{"history", "historytok", "ancient", "ww2"}},
	{"finance", []string{"money", "investing", "personalfinance", "budget"}},
	{"film", []string{"movies", "filmtok", "review", "cinema"}},
	{"outdoors", []string{"hiking", "camping", "nature", "fishing"}},
	{"parenting", []string{"momlife", "parenting", "toddler", "dadlife"}},
	{"magic", []string{"magic", "magictrick", "illusion", "cardtrick"}},
}

// bridgeTags are shared by two topics each.
var bridgeTags = map[string][2]string{
	"lifehacks": {"diy", "tech"},
	"asmr":      {"cooking", "art"},
	"challenge": {"dance", "fitness"},
	"adventure": {"travel", "outdoors"},
	"cute":      {"pets", "parenting"},
	"tutorial":  {"beauty", "art"},
	"review":    {"tech", "film"},
	"storytime": {"comedy", "history"},
}

// genericTags say nothing about the subject.
var genericTags = []string{"fyp", "foryou", "viral", "foryoupage", "trending", "explore", "new"}

var captionWords = []string{"day", "trying", "this", "again", "finally", "wait", "for", "it", "part", "my", "first",
	"time", "you", "asked", "so", "here", "is", "how", "I", "did", "the", "best", "quick", "one", "never", "doing", "that"}

type creator struct {
	username string
	id       string // kurz account id, once signed up
	token    string
	topics   [2]int // main and second topic
	quality  float64
	fresh    bool // joins during the simulation
	joinAt   time.Time
}

type video struct {
	id       string // kurz video id, once inserted
	creator  int
	topic    int
	quality  float64
	duration time.Duration
	caption  string
	tags     []string
	at       time.Time // upload time
}

type viewer struct {
	username  string
	id, token string
	arm       arm
	taste     []float64 // affinity per topic in [0,1]; the favourite topic has 1
	patience  float64
	arriveAt  time.Time
	rng       *rand.Rand
}

// world is every hidden fact of one run, drawn from the seed.
type world struct {
	topics   []topic
	creators []creator
	videos   []video
	viewers  []viewer
	t0       time.Time
}

// buildWorld draws the catalogue and the viewers. t0 is when the first viewer arrives; the
// established catalogue was uploaded over the week before it, and fresh creators join
// during the first three quarters of span.
func buildWorld(o Options, t0 time.Time) *world {
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	w := &world{topics: topicList[:o.Topics], t0: t0}
	K := len(w.topics)

	nFresh := int(math.Round(float64(o.Creators) * o.FreshCreators))
	for c := 0; c < o.Creators; c++ {
		cr := creator{username: fmt.Sprintf("sim_creator_%04d", c), quality: rng.NormFloat64() * 0.5}
		cr.topics[0] = rng.IntN(K)
		cr.topics[1] = rng.IntN(K)
		if c >= o.Creators-nFresh {
			cr.fresh = true
			cr.joinAt = t0.Add(-6*time.Hour + time.Duration(rng.Float64()*(float64(o.Span)*0.75+float64(6*time.Hour))))
		} else {
			cr.joinAt = t0.Add(-30*24*time.Hour + time.Duration(rng.Float64()*float64(20*24*time.Hour)))
		}
		w.creators = append(w.creators, cr)
	}
	// Fresh creators bring few videos each (about a quarter of an established creator's).
	nFreshVideos := 0
	if nFresh > 0 {
		nFreshVideos = max(int(math.Round(float64(o.Videos)*float64(nFresh)/float64(o.Creators)/4)), nFresh)
	}
	for k := 0; k < o.Videos; k++ {
		var c int
		var at time.Time
		if k < nFreshVideos {
			c = o.Creators - nFresh + k%nFresh
			at = w.creators[c].joinAt.Add(time.Duration(rng.Float64() * float64(3*time.Hour)))
			if k < nFresh {
				at = w.creators[c].joinAt.Add(time.Minute) // each fresh creator's first upload
			}
		} else {
			c = rng.IntN(max(o.Creators-nFresh, 1))
			at = t0.Add(-time.Duration(rng.Float64() * float64(7*24*time.Hour)))
		}
		cr := &w.creators[c]
		v := video{creator: c, at: at}
		switch p := rng.Float64(); {
		case p < 0.75:
			v.topic = cr.topics[0]
		case p < 0.9:
			v.topic = cr.topics[1]
		default:
			v.topic = rng.IntN(K)
		}
		v.quality = cr.quality + rng.NormFloat64()*0.8
		// Durations are log-normal around 18 s, as short-video catalogues are.
		d := math.Exp(math.Log(18) + rng.NormFloat64()*0.6)
		v.duration = time.Duration(min(max(d, 5), 180) * float64(time.Second)).Round(time.Millisecond)
		v.tags = w.drawTags(rng, v.topic)
		v.caption = drawCaption(rng, v.tags)
		w.videos = append(w.videos, v)
	}

	arms := o.arms()
	for u := 0; u < o.Users; u++ {
		vw := viewer{username: fmt.Sprintf("sim_viewer_%05d", u), arm: arms[u%len(arms)],
			rng: rand.New(rand.NewPCG(o.Seed, uint64(u)+1<<32))}
		// Arrivals are spread over the span; the three arms interleave so that each meets
		// the platform at the same ages.
		vw.arriveAt = t0.Add(time.Duration(float64(o.Span) * float64(u) / float64(max(o.Users, 1))))
		vw.taste = drawTaste(rng, K)
		vw.patience = rng.NormFloat64() * 0.4
		w.viewers = append(w.viewers, vw)
	}
	return w
}

// drawTaste gives a viewer two to four liked topics with random weights; the favourite
// scores 1, other liked topics less, the rest 0.
func drawTaste(rng *rand.Rand, K int) []float64 {
	n := 2
	switch p := rng.Float64(); {
	case p > 0.8:
		n = 4
	case p > 0.4:
		n = 3
	}
	n = min(n, K)
	taste := make([]float64, K)
	best := 0.0
	for _, t := range rng.Perm(K)[:n] {
		taste[t] = 0.3 + rng.ExpFloat64()
		best = max(best, taste[t])
	}
	for t := range taste {
		taste[t] /= best
	}
	return taste
}

// drawTags writes 0 to 3 hashtags: half of them about the topic, the rest generic, shared
// with another topic, or about another topic altogether (bait and mislabels).
func (w *world) drawTags(rng *rand.Rand, t int) []string {
	n := 0
	switch p := rng.Float64(); {
	case p < 0.15:
		n = 0
	case p < 0.45:
		n = 1
	case p < 0.8:
		n = 2
	default:
		n = 3
	}
	var tags []string
	for len(tags) < n {
		var tag string
		switch p := rng.Float64(); {
		case p < 0.5:
			own := w.topics[t].tags
			tag = own[rng.IntN(len(own))]
		case p < 0.6:
			tag = bridgeOf(w.topics[t].name, rng)
			if tag == "" {
				tag = genericTags[rng.IntN(len(genericTags))]
			}
		case p < 0.88:
			tag = genericTags[rng.IntN(len(genericTags))]
		default:
			other := w.topics[rng.IntN(len(w.topics))].tags
			tag = other[rng.IntN(len(other))]
		}
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	return tags
}

func bridgeOf(topicName string, rng *rand.Rand) string {
	var mine []string
	for tag, pair := range bridgeTags {
		if pair[0] == topicName || pair[1] == topicName {
			mine = append(mine, tag)
		}
	}
	if len(mine) == 0 {
		return ""
	}
	slices.Sort(mine) // map order is random; the draw must not be
	return mine[rng.IntN(len(mine))]
}

func drawCaption(rng *rand.Rand, tags []string) string {
	words := make([]string, 0, 8)
	for k := 3 + rng.IntN(5); k > 0; k-- {
		words = append(words, captionWords[rng.IntN(len(captionWords))])
	}
	for _, t := range tags {
		words = append(words, "#"+t)
	}
	return strings.Join(words, " ")
}

// outcome is what one viewer did with one video.
type outcome struct {
	watch     time.Duration // play time, loops included
	ratio     float64       // share of the video watched, at most 1
	completed bool
	looped    bool
	liked     bool
	followed  bool
}

// watch decides how a viewer reacts to a video. Interest grows with the viewer's taste for
// the video's topic and with its quality, and falls with its length; a hooked viewer
// watches to the end (sometimes twice), the others swipe away early. likedCreator counts
// the viewer's earlier likes of the video's creator: a second like makes a follow likely.
func (vw *viewer) watch(v *video, likedCreator int) outcome {
	rng := vw.rng
	d := v.duration
	z := 3.5*vw.taste[v.topic] - 2.2 + 0.5*v.quality + vw.patience -
		0.45*math.Log(d.Seconds()/18) + rng.NormFloat64()*0.7
	p := 1 / (1 + math.Exp(-z))
	var o outcome
	if rng.Float64() < p {
		o.completed, o.ratio, o.watch = true, 1, d
		if rng.Float64() < 0.3*p {
			o.looped, o.watch = true, 2*d
		}
		o.liked = rng.Float64() < 0.4*p*p
		if o.liked {
			chance := 0.03
			if likedCreator >= 1 {
				chance = 0.4
			}
			o.followed = rng.Float64() < chance
		}
		return o
	}
	o.ratio = math.Pow(rng.Float64(), 1.5) * (0.25 + 0.6*p)
	o.watch = max(time.Duration(o.ratio*float64(d)), 400*time.Millisecond).Round(time.Millisecond)
	o.ratio = min(float64(o.watch)/float64(d), 1)
	return o
}
