package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// bucketWidth is how many swipes one row of the curve covers; swipes past maxBucketed
// share the last row.
const (
	bucketWidth = 10
	maxBucketed = 100
)

// Result is what a run measured.
type Result struct {
	Seed           uint64      `json:"seed"`
	Users          int         `json:"users"`
	Videos         int         `json:"videos"`
	Creators       int         `json:"creators"`
	FreshCreators  int         `json:"fresh_creators"`
	FreshVideos    int         `json:"fresh_videos"`
	Swipes         int         `json:"swipes"`
	Topics         int         `json:"topics"`
	Buckets        []string    `json:"buckets"`
	Arms           []ArmResult `json:"arms"`
	Requests       int         `json:"requests"`
	Events         int         `json:"events"`
	SimulatedHours float64     `json:"simulated_hours"`
	WallSeconds    float64     `json:"wall_seconds"`
	Notes          []string    `json:"notes"`

	acc [numArms]*armAcc
	dry [numArms]int
}

// ArmResult is one cohort's figures.
type ArmResult struct {
	Arm     string `json:"arm"`
	Viewers int    `json:"viewers"`
	Views   int    `json:"views"`
	// WatchRatio is the mean share of each video watched (at most 1 per view); Curve is the
	// same per bucket of swipe index (first bucket = swipes 1 to 10 of a new viewer).
	WatchRatio float64   `json:"watch_ratio"`
	Curve      []float64 `json:"curve"`
	CurveViews []int     `json:"curve_views"`
	// Recommended is the curve without the exploration slots (new uploads shown to a test
	// audience): what the ranking chose for the viewer.
	Recommended []float64 `json:"recommended_curve"`
	// Completion, LikeRate and FollowRate are per view.
	Completion float64 `json:"completion"`
	LikeRate   float64 `json:"like_rate"`
	FollowRate float64 `json:"follow_rate"`
	// FirstDayShare is the share of views that went to creators in their first day on the
	// platform; FreshShare the share that went to creators who joined during the run.
	FirstDayShare float64 `json:"first_day_share"`
	FreshShare    float64 `json:"fresh_share"`
	// Sources is the share of views by the reason the feed gave, SourceRatio the mean watch
	// ratio of those views.
	Sources     map[string]float64 `json:"sources"`
	SourceRatio map[string]float64 `json:"source_watch_ratio"`
	// Dry counts sessions cut short because the feed had nothing new.
	Dry int `json:"dry_sessions"`
}

type armAcc struct {
	sum, recSum                      []float64
	n, recN                          []int
	views, completes, likes, follows int
	firstDay, fresh                  int
	ratio                            float64
	sources                          map[string]int
	sourceSum                        map[string]float64
}

func newResult(o Options) *Result {
	r := &Result{Seed: o.Seed, Users: o.Users, Videos: o.Videos, Creators: o.Creators, Swipes: o.Swipes, Topics: o.Topics}
	nb := min((o.Swipes+bucketWidth-1)/bucketWidth, maxBucketed/bucketWidth+1)
	for b := 0; b < nb; b++ {
		lo := b*bucketWidth + 1
		hi := min((b+1)*bucketWidth, o.Swipes)
		switch {
		case lo > maxBucketed:
			r.Buckets = append(r.Buckets, fmt.Sprintf("%d-%d", lo, o.Swipes))
		case lo == hi:
			r.Buckets = append(r.Buckets, fmt.Sprint(lo))
		default:
			r.Buckets = append(r.Buckets, fmt.Sprintf("%d-%d", lo, hi))
		}
	}
	for a := range r.acc {
		r.acc[a] = &armAcc{sum: make([]float64, nb), n: make([]int, nb), recSum: make([]float64, nb), recN: make([]int, nb), sources: map[string]int{}, sourceSum: map[string]float64{}}
	}
	return r
}

func bucketOf(swipe int) int { return min(swipe/bucketWidth, maxBucketed/bucketWidth) }

// record counts one view; swipe is 0 for a viewer's first video.
func (r *Result) record(a arm, swipe int, o outcome, source string, firstDay, fresh bool) {
	acc := r.acc[a]
	b := bucketOf(swipe)
	acc.sum[b] += o.ratio
	if source != "exploration" {
		acc.recSum[b] += o.ratio
		acc.recN[b]++
	}
	acc.n[b]++
	acc.views++
	acc.ratio += o.ratio
	acc.sources[source]++
	acc.sourceSum[source] += o.ratio
	if o.completed {
		acc.completes++
	}
	if o.liked {
		acc.likes++
	}
	if o.followed {
		acc.follows++
	}
	if firstDay {
		acc.firstDay++
	}
	if fresh {
		acc.fresh++
	}
}

func (r *Result) finish(m *sim, wall time.Duration) {
	for _, c := range m.w.creators {
		if c.fresh {
			r.FreshCreators++
		}
	}
	for _, v := range m.w.videos {
		if m.w.creators[v.creator].fresh {
			r.FreshVideos++
		}
	}
	viewers := map[arm]int{}
	for _, vw := range m.w.viewers {
		viewers[vw.arm]++
	}
	for a := range numArms {
		acc := r.acc[a]
		ar := ArmResult{Arm: armNames[a], Viewers: viewers[a], Views: acc.views, Sources: map[string]float64{},
			SourceRatio: map[string]float64{}, Dry: r.dry[a]}
		per := func(k int) float64 {
			if acc.views == 0 {
				return 0
			}
			return float64(k) / float64(acc.views)
		}
		if acc.views > 0 {
			ar.WatchRatio = acc.ratio / float64(acc.views)
		}
		ar.Completion, ar.LikeRate, ar.FollowRate = per(acc.completes), per(acc.likes), per(acc.follows)
		ar.FirstDayShare, ar.FreshShare = per(acc.firstDay), per(acc.fresh)
		for src, k := range acc.sources {
			ar.Sources[src] = per(k)
			ar.SourceRatio[src] = acc.sourceSum[src] / float64(k)
		}
		for b := range acc.sum {
			v := 0.0
			if acc.n[b] > 0 {
				v = acc.sum[b] / float64(acc.n[b])
			}
			ar.Curve = append(ar.Curve, v)
			rv := 0.0
			if acc.recN[b] > 0 {
				rv = acc.recSum[b] / float64(acc.recN[b])
			}
			ar.Recommended = append(ar.Recommended, rv)
			ar.CurveViews = append(ar.CurveViews, acc.n[b])
		}
		r.Arms = append(r.Arms, ar)
	}
	for _, n := range m.s.requests {
		r.Requests += n
	}
	r.Events = m.events
	r.SimulatedHours = m.s.clock.Now().Sub(firstArrival).Hours()
	r.WallSeconds = wall.Seconds()
	r.Notes = append([]string{
		"viewers sign up, fetch feeds, send watch events, like and follow through the HTTP API of a real kurz server (SQLite, temporary data directory, 127.0.0.1)",
		"videos are inserted through the stores as ready public videos with one tiny real rendition (a 1 s 72x128 H.264 clip), not uploaded: the WebAssembly ffmpeg would take hours for the catalogue; their durations are the simulated ones",
		"the random arm picks uniformly among published videos in the simulator, not through a feed; its events say feed=direct",
		"the simulation waits for the recommender to apply every logged event before each feed request (the server's freshness bound is 1 s, simulated time runs faster)",
	}, serverSettings...)
	if m.s.keep {
		r.Notes = append(r.Notes, "the data directory is kept at "+m.s.dir)
	}
}

// Arm returns the named arm's figures.
func (r *Result) Arm(name string) *ArmResult {
	for k := range r.Arms {
		if r.Arms[k].Arm == name {
			return &r.Arms[k]
		}
	}
	return nil
}

// Mean is the arm's mean watch ratio over the swipes from..to (1-based, inclusive), from the
// curve's buckets that lie inside that range.
func (a *ArmResult) Mean(from, to int) float64 {
	sum, n := 0.0, 0
	for b := range a.Curve {
		lo, hi := b*bucketWidth+1, (b+1)*bucketWidth
		if lo >= from && (hi <= to || b == len(a.Curve)-1 && lo <= to) {
			sum += a.Curve[b] * float64(a.CurveViews[b])
			n += a.CurveViews[b]
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// Print writes the report as a table.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "kurz recsys simulate: seed %d, %d viewers (%d per arm), %d swipes each; %d videos by %d creators, %d of them fresh (%d videos); %d hidden topics\n",
		r.Seed, r.Users, r.Users/int(numArms), r.Swipes, r.Videos, r.Creators, r.FreshCreators, r.FreshVideos, r.Topics)
	fmt.Fprintf(w, "\nmean watch ratio per view, by swipe index of a new viewer's first session\n")
	fmt.Fprintf(w, "%-10s", "swipes")
	for _, a := range r.Arms {
		fmt.Fprintf(w, " %9s", a.Arm)
	}
	fmt.Fprintf(w, " %9s\n", "ranked")
	for b, label := range r.Buckets {
		fmt.Fprintf(w, "%-10s", label)
		for _, a := range r.Arms {
			fmt.Fprintf(w, " %9.3f", a.Curve[b])
		}
		if fy := r.Arm("for_you"); fy != nil {
			fmt.Fprintf(w, " %9.3f", fy.Recommended[b])
		}
		fmt.Fprintln(w)
	}
	row := func(name string, f func(a *ArmResult) string) {
		fmt.Fprintf(w, "%-10s", name)
		for k := range r.Arms {
			fmt.Fprintf(w, " %9s", f(&r.Arms[k]))
		}
		fmt.Fprintln(w)
	}
	row("all", func(a *ArmResult) string { return fmt.Sprintf("%.3f", a.WatchRatio) })
	fmt.Fprintln(w, "(ranked: for_you without its exploration slots, i.e. the videos its ranking chose)")
	fmt.Fprintln(w)
	row("views", func(a *ArmResult) string { return fmt.Sprint(a.Views) })
	row("complete", func(a *ArmResult) string { return pct(a.Completion) })
	row("like", func(a *ArmResult) string { return pct(a.LikeRate) })
	row("follow", func(a *ArmResult) string { return pct(a.FollowRate) })
	row("1st-day", func(a *ArmResult) string { return pct(a.FirstDayShare) })
	row("fresh", func(a *ArmResult) string { return pct(a.FreshShare) })
	row("dry", func(a *ArmResult) string { return fmt.Sprint(a.Dry) })
	fmt.Fprintf(w, "(1st-day: share of views that went to creators in their first day on the platform; fresh: to creators who joined during the run; dry: sessions ended early because the feed had nothing new)\n")
	if fy := r.Arm("for_you"); fy != nil {
		srcs := slices.Sorted(maps.Keys(fy.Sources))
		parts := make([]string, 0, len(srcs))
		for _, s := range srcs {
			parts = append(parts, fmt.Sprintf("%s %s (watch ratio %.3f)", s, pct(fy.Sources[s]), fy.SourceRatio[s]))
		}
		fmt.Fprintf(w, "\nfor_you views by reason: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\n%d HTTP requests, %d watch events; %.1f simulated hours in %.0f s of wall time\n", r.Requests, r.Events, r.SimulatedHours, r.WallSeconds)
	fmt.Fprintln(w, "\nhow it ran:")
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// WriteFile writes the result as JSON (a .json name) or as TSV rows of arm, bucket, watch
// ratio and views (any other name).
func (r *Result) WriteFile(name string) error {
	var b strings.Builder
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		j, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		b.Write(j)
		b.WriteByte('\n')
	} else {
		b.WriteString("arm\tswipes\twatch_ratio\tviews\n")
		for _, a := range r.Arms {
			for k, label := range r.Buckets {
				fmt.Fprintf(&b, "%s\t%s\t%.4f\t%d\n", a.Arm, label, a.Curve[k], a.CurveViews[k])
			}
			fmt.Fprintf(&b, "%s\tall\t%.4f\t%d\n", a.Arm, a.WatchRatio, a.Views)
		}
	}
	return os.WriteFile(name, []byte(b.String()), 0o644)
}
