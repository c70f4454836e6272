// Package simulate is kurz's online simulation: it starts a real server on a temporary
// SQLite data directory, fills it with synthetic creators and videos whose topics are hidden,
// and lets synthetic viewers with hidden tastes swipe through the HTTP API, to measure how
// fast For You learns a new viewer compared with Trending and with random videos.
package simulate

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Options are the simulation's settings (kurz recsys simulate flags).
type Options struct {
	Users         int           // viewers, split evenly over the arms
	Videos        int           // catalogue size
	Creators      int           // accounts that upload
	FreshCreators float64       // share of creators who join during the run
	Swipes        int           // videos each viewer watches in their first session
	Topics        int           // hidden topics
	Seed          uint64        // every random draw of the world and the viewers
	Span          time.Duration // simulated time over which viewers arrive
	PageSize      int           // items per feed request
	Out           string        // optional result file (.json or .tsv)
	Keep          bool          // keep the data directory
	DataParent    string        // where the temporary data directory goes ("" = system temp)
}

// DefaultOptions is the full-size run.
func DefaultOptions() Options {
	return Options{Users: 600, Videos: 3000, Creators: 200, FreshCreators: 0.15, Swipes: 120, Topics: 12, Seed: 1,
		Span: 24 * time.Hour, PageSize: 10}
}

func (o Options) validate() error {
	switch {
	case o.Users < 3:
		return errors.New("--users must be at least 3 (one per arm)")
	case o.Videos < 10:
		return errors.New("--videos must be at least 10")
	case o.Creators < 2 || o.Creators > o.Videos:
		return errors.New("--creators must be between 2 and --videos")
	case o.FreshCreators < 0 || o.FreshCreators > 0.5:
		return errors.New("--fresh-creators must be between 0 and 0.5")
	case o.Swipes < 1 || o.Swipes > 1000:
		return errors.New("--swipes must be between 1 and 1000")
	case o.Topics < 2 || o.Topics > len(topicList):
		return fmt.Errorf("--topics must be between 2 and %d", len(topicList))
	case o.Span < time.Minute || o.Span > 7*24*time.Hour:
		return errors.New("--span must be between 1m and 168h")
	case o.PageSize < 1 || o.PageSize > 50:
		return errors.New("--page-size must be between 1 and 50")
	}
	return nil
}

// arm is how a cohort of viewers gets its videos.
type arm int

const (
	armForYou arm = iota
	armTrending
	armRandom
	numArms
)

var armNames = [numArms]string{"for_you", "trending", "random"}

func (o Options) arms() []arm { return []arm{armForYou, armTrending, armRandom} }

// firstArrival is when the first viewer arrives, in simulated time. It is fixed so that a
// run depends only on its options.
var firstArrival = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// action kinds, in the order they run when they fall on the same instant.
const (
	actSignUpCreator = iota
	actUpload
	actArrive
	actViewStart
	actViewEnd
)

type action struct {
	at   time.Time
	seq  uint64
	kind int
	idx  int // creator, video or viewer
}

type agenda []action

func (h agenda) Len() int { return len(h) }
func (h agenda) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h agenda) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *agenda) Push(x any)   { *h = append(*h, x.(action)) }
func (h *agenda) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// item is a video waiting in a viewer's client.
type item struct {
	video  int
	source string
}

// session is a viewer's client state.
type session struct {
	buffer    []item
	cursor    string
	seen      map[int]bool
	swipes    int
	liked     map[int]int // likes per creator
	following map[int]bool
	dry       int // feed requests in a row that brought nothing new
	view      *openView
	ended     bool
}

type openView struct {
	video  int
	source string
	start  time.Time
	out    outcome
}

// sim is one run.
type sim struct {
	o        Options
	w        *world
	s        *server
	ctx      context.Context
	agenda   agenda
	seq      uint64
	byID     map[string]int // kurz video id → video
	live     []int          // published videos, for the random arm
	sessions []session
	res      *Result
	events   int
}

func (m *sim) schedule(at time.Time, kind, idx int) {
	m.seq++
	heap.Push(&m.agenda, action{at: at, seq: m.seq, kind: kind, idx: idx})
}

// Run runs one simulation and returns its result. logw receives the server's warnings.
func Run(ctx context.Context, o Options, logw io.Writer) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	w := buildWorld(o, firstArrival)
	first := firstArrival
	for _, c := range w.creators {
		if c.joinAt.Before(first) {
			first = c.joinAt
		}
	}
	s, err := startServer(ctx, o, first.Add(-time.Minute), logw)
	if err != nil {
		return nil, err
	}
	defer s.close()
	m := &sim{o: o, w: w, s: s, ctx: ctx, byID: map[string]int{}, sessions: make([]session, len(w.viewers)), res: newResult(o)}
	for c := range w.creators {
		m.schedule(w.creators[c].joinAt, actSignUpCreator, c)
	}
	for v := range w.videos {
		m.schedule(w.videos[v].at, actUpload, v)
	}
	for u := range w.viewers {
		m.schedule(w.viewers[u].arriveAt, actArrive, u)
	}
	for m.agenda.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a := heap.Pop(&m.agenda).(action)
		s.clock.set(a.at)
		var err error
		switch a.kind {
		case actSignUpCreator:
			cr := &w.creators[a.idx]
			cr.id, cr.token, err = s.signUp(ctx, cr.username)
		case actUpload:
			err = m.upload(a.idx)
		case actArrive:
			err = m.arrive(a.idx)
		case actViewStart:
			err = m.viewStart(a.idx)
		case actViewEnd:
			err = m.viewEnd(a.idx)
		}
		if err != nil {
			return nil, err
		}
	}
	m.res.finish(m, time.Since(started))
	return m.res, nil
}

func (m *sim) upload(v int) error {
	vid := &m.w.videos[v]
	if err := m.s.insertVideo(m.ctx, &m.w.creators[vid.creator], vid); err != nil {
		return fmt.Errorf("insert video %d: %w", v, err)
	}
	m.byID[vid.id] = v
	m.live = append(m.live, v)
	return nil
}

func (m *sim) arrive(u int) error {
	vw := &m.w.viewers[u]
	var err error
	if vw.id, vw.token, err = m.s.signUp(m.ctx, vw.username); err != nil {
		return err
	}
	m.sessions[u] = session{seen: map[int]bool{}, liked: map[int]int{}, following: map[int]bool{}}
	m.schedule(vw.arriveAt.Add(2*time.Second), actViewStart, u)
	return nil
}

// fetch refills a viewer's client: a feed page for for_you and trending, random published
// videos for the random arm. Videos already shown in the session are dropped, as the web
// client does.
func (m *sim) fetch(u int) error {
	vw := &m.w.viewers[u]
	ss := &m.sessions[u]
	added := 0
	switch vw.arm {
	case armRandom:
		if len(m.live) == 0 {
			break
		}
		for tries := 0; added < m.o.PageSize && tries < 50*m.o.PageSize; tries++ {
			v := m.live[vw.rng.IntN(len(m.live))]
			if !ss.seen[v] && !inBuffer(ss.buffer, v) {
				ss.buffer = append(ss.buffer, item{video: v, source: "random"})
				added++
			}
		}
	default:
		if err := m.s.catchUp(m.ctx); err != nil {
			return err
		}
		name := armNames[vw.arm]
		q := url.Values{"limit": {fmt.Sprint(m.o.PageSize)}}
		if ss.cursor != "" {
			q.Set("cursor", ss.cursor)
		}
		var page struct {
			Items []struct {
				ID     string `json:"id"`
				Reason struct {
					Source string `json:"source"`
				} `json:"reason"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := m.s.call(m.ctx, "GET", "/api/v1/feed/"+name+"?"+q.Encode(), "/api/v1/feed/"+name, vw.token, nil, &page); err != nil {
			return fmt.Errorf("%s feed for %s: %w", name, vw.username, err)
		}
		ss.cursor = page.NextCursor
		for _, it := range page.Items {
			v, ok := m.byID[it.ID]
			if !ok {
				return fmt.Errorf("%s feed served a video the simulation did not make: %s", name, it.ID)
			}
			if !ss.seen[v] && !inBuffer(ss.buffer, v) {
				ss.buffer = append(ss.buffer, item{video: v, source: it.Reason.Source})
				added++
			}
		}
	}
	if added == 0 {
		ss.dry++
	} else {
		ss.dry = 0
	}
	return nil
}

func inBuffer(b []item, v int) bool {
	for _, it := range b {
		if it.video == v {
			return true
		}
	}
	return false
}

func (m *sim) viewStart(u int) error {
	vw := &m.w.viewers[u]
	ss := &m.sessions[u]
	for len(ss.buffer) == 0 {
		if ss.dry >= 2 {
			ss.ended = true // the feed has nothing new left for this viewer
			m.res.dry[vw.arm]++
			return nil
		}
		if err := m.fetch(u); err != nil {
			return err
		}
	}
	it := ss.buffer[0]
	ss.buffer = ss.buffer[1:]
	ss.seen[it.video] = true
	v := &m.w.videos[it.video]
	now := m.s.clock.Now()
	out := vw.watch(v, ss.liked[v.creator])
	if ss.following[v.creator] {
		out.followed = false
	}
	ss.view = &openView{video: it.video, source: it.source, start: now, out: out}
	cr := &m.w.creators[v.creator]
	m.res.record(vw.arm, ss.swipes, out, it.source, now.Sub(cr.joinAt) < 24*time.Hour, cr.fresh)
	m.schedule(now.Add(out.watch), actViewEnd, u)
	return nil
}

// clientEvent is one entry of POST /api/v1/events.
type clientEvent struct {
	Kind       string    `json:"kind"`
	Key        string    `json:"key"`
	At         time.Time `json:"at"`
	VideoID    string    `json:"video_id"`
	Feed       string    `json:"feed"`
	WatchMS    int64     `json:"watch_ms,omitempty"`
	PositionMS int64     `json:"position_ms,omitempty"`
	Loops      int64     `json:"loops,omitempty"`
}

// viewEnd sends what the client saw of the view, as one batch when the viewer swipes on,
// then the like and the follow.
func (m *sim) viewEnd(u int) error {
	vw := &m.w.viewers[u]
	ss := &m.sessions[u]
	ov := ss.view
	v := &m.w.videos[ov.video]
	d := v.duration
	feed := "direct"
	if vw.arm != armRandom {
		feed = armNames[vw.arm]
	}
	var evs []clientEvent
	add := func(kind string, at time.Duration, watch, pos time.Duration, loops int64) {
		evs = append(evs, clientEvent{Kind: kind, Key: fmt.Sprintf("sim-%05d-%04d-%02d", u, ss.swipes, len(evs)),
			At: ov.start.Add(at), VideoID: v.id, Feed: feed, WatchMS: watch.Milliseconds(), PositionMS: pos.Milliseconds(), Loops: loops})
	}
	add("impression", 0, 0, 0, 0)
	add("play_start", 30*time.Millisecond, 0, 0, 0)
	first := min(ov.out.watch, d)
	for p := 5 * time.Second; p < first; p += 5 * time.Second {
		add("progress", p, p, p, 0)
	}
	if ov.out.completed {
		add("complete", d, d, d, 0)
		if ov.out.looped {
			add("loop", d, d, 0, 1)
			add("progress", 2*d, 2*d, d, 2)
		}
	} else {
		add("skip", ov.out.watch, ov.out.watch, ov.out.watch, 0)
	}
	m.events += len(evs)
	if err := m.s.call(m.ctx, "POST", "/api/v1/events", "/api/v1/events", vw.token, map[string]any{"events": evs}, nil); err != nil {
		return fmt.Errorf("events of %s: %w", vw.username, err)
	}
	if ov.out.liked {
		if err := m.s.call(m.ctx, "POST", "/api/v1/videos/"+v.id+"/like", "/api/v1/videos/{id}/like", vw.token, nil, nil); err != nil {
			return fmt.Errorf("like by %s: %w", vw.username, err)
		}
		ss.liked[v.creator]++
	}
	if ov.out.followed {
		cr := &m.w.creators[v.creator]
		if err := m.s.call(m.ctx, "POST", "/api/v1/accounts/"+cr.username+"/follow", "/api/v1/accounts/{username}/follow", vw.token, nil, nil); err != nil {
			return fmt.Errorf("follow by %s: %w", vw.username, err)
		}
		ss.following[v.creator] = true
	}
	ss.view = nil
	ss.swipes++
	if ss.swipes < m.o.Swipes {
		gap := 300*time.Millisecond + time.Duration(vw.rng.Float64()*float64(1200*time.Millisecond))
		m.schedule(m.s.clock.Now().Add(gap), actViewStart, u)
	}
	return nil
}
