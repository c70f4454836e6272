package recsys

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// world is a synthetic platform for tests and benchmarks: creators who post on a main topic,
// videos tagged with topics, and viewers who love a few topics and skip most of the rest.
type world struct {
	rng       *rand.Rand
	videos    []worldVideo
	byTopic   [][]int
	users     []worldUser
	seq       uint64
	timeMS    int64
	topics    int
	creators  int
	regions   []string
	languages []string
}

type worldVideo struct {
	id, creator string
	topics      []int
	durationMS  int64
}

type worldUser struct {
	id      string
	likes   map[int]bool
	region  string
	lang    string
	watched int
}

func newWorld(seed uint64, videos, users, topics int) *world {
	w := &world{
		rng:       rand.New(rand.NewPCG(seed, 99)),
		topics:    topics,
		creators:  max(videos/20, 2),
		timeMS:    1_700_000_000_000,
		regions:   []string{"de", "fr", "br"},
		languages: []string{"de", "fr", "pt"},
		byTopic:   make([][]int, topics),
	}
	for v := 0; v < videos; v++ {
		c := w.rng.IntN(w.creators)
		main := c % topics
		tv := worldVideo{
			id:         fmt.Sprintf("v%d", v),
			creator:    fmt.Sprintf("c%d", c),
			topics:     []int{main},
			durationMS: int64(5000 + w.rng.IntN(55000)),
		}
		if x := w.rng.IntN(topics); x != main && w.rng.IntN(2) == 0 {
			tv.topics = append(tv.topics, x)
		}
		w.videos = append(w.videos, tv)
		for _, t := range tv.topics {
			w.byTopic[t] = append(w.byTopic[t], v)
		}
	}
	for u := 0; u < users; u++ {
		wu := worldUser{id: fmt.Sprintf("u%d", u), likes: map[int]bool{}}
		for len(wu.likes) < 2 {
			wu.likes[w.rng.IntN(topics)] = true
		}
		g := w.rng.IntN(len(w.regions))
		wu.region, wu.lang = w.regions[g], w.languages[g]
		w.users = append(w.users, wu)
	}
	return w
}

func topicTag(t int) string { return fmt.Sprintf("topic%d", t) }

func (w *world) next(kind EventKind) Event {
	w.seq++
	w.timeMS += 200
	return Event{Seq: w.seq, TimeMS: w.timeMS, Kind: kind}
}

// publishEvent announces video v.
func (w *world) publishEvent(v int) Event {
	tv := w.videos[v]
	ev := w.next(VideoPublished)
	ev.Video, ev.Creator, ev.DurationMS = tv.id, tv.creator, tv.durationMS
	for _, t := range tv.topics {
		ev.Hashtags = append(ev.Hashtags, topicTag(t))
	}
	g := v % len(w.regions)
	ev.Region, ev.Language = w.regions[g], w.languages[g]
	return ev
}

// publishAll returns the catalogue's video_published events.
func (w *world) publishAll() []Event {
	evs := make([]Event, 0, len(w.videos))
	for v := range w.videos {
		evs = append(evs, w.publishEvent(v))
	}
	return evs
}

func (w *world) loves(u int, v int) bool {
	for _, t := range w.videos[v].topics {
		if w.users[u].likes[t] {
			return true
		}
	}
	return false
}

// view returns the events of user u watching video v: a loved topic is mostly finished
// and often liked, anything else mostly skipped.
func (w *world) view(u, v int) []Event {
	tv, tu := w.videos[v], &w.users[u]
	tu.watched++
	base := func(k EventKind) Event {
		ev := w.next(k)
		ev.User, ev.Video = tu.id, tv.id
		ev.Region, ev.Language = tu.region, tu.lang
		return ev
	}
	evs := []Event{base(Impression), base(PlayStart)}
	p := 0.15
	if w.loves(u, v) {
		p = 0.8
	}
	if w.rng.Float64() < p {
		c := base(Complete)
		c.WatchMS = tv.durationMS
		evs = append(evs, c)
		if w.rng.Float64() < 0.4 {
			evs = append(evs, base(Like))
		}
		if w.rng.Float64() < 0.05 {
			evs = append(evs, base(Share))
		}
		if w.rng.Float64() < 0.03 {
			f := base(Follow)
			f.Creator = tv.creator
			evs = append(evs, f)
		}
		return evs
	}
	s := base(Skip)
	s.WatchMS = int64(w.rng.Float64() * 0.2 * float64(tv.durationMS))
	return append(evs, s)
}

// sessions returns views until n events have been produced: each view picks a random viewer
// and, half the time, a video from one of their topics (as a recommender would), otherwise
// any video.
func (w *world) sessions(n int) []Event {
	evs := make([]Event, 0, n+8)
	for len(evs) < n {
		u := w.rng.IntN(len(w.users))
		var v int
		if w.rng.IntN(2) == 0 {
			var ts []int
			for t := range w.users[u].likes {
				ts = append(ts, t)
			}
			// map order is random: sort to keep the world deterministic
			if len(ts) == 2 && ts[0] > ts[1] {
				ts[0], ts[1] = ts[1], ts[0]
			}
			list := w.byTopic[ts[w.rng.IntN(len(ts))]]
			if len(list) == 0 {
				continue
			}
			v = list[w.rng.IntN(len(list))]
		} else {
			v = w.rng.IntN(len(w.videos))
		}
		evs = append(evs, w.view(u, v)...)
	}
	return evs
}

func applyAll(tb testing.TB, r *Recommender, evs []Event) {
	tb.Helper()
	for _, ev := range evs {
		if err := r.Apply(ev); err != nil {
			tb.Fatalf("apply %d (%s): %v", ev.Seq, ev.Kind, err)
		}
	}
}

// smallWorld is the catalogue most tests share: its log and a fresh config.
func smallWorld(tb testing.TB) (*world, []Event) {
	tb.Helper()
	w := newWorld(7, 600, 120, 12)
	evs := append(w.publishAll(), w.sessions(30000)...)
	return w, evs
}

func newTestRecommender(tb testing.TB, cfg Config) *Recommender {
	tb.Helper()
	r, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
