package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kurz/internal/media/mp4"
)

// Small runs on a real server: For You must learn new viewers' hidden tastes within their
// first 60 swipes, beating random videos, and every arm must get its swipes through the API.
// One seed's world is too small to judge the learning by (its gain from the first ten
// swipes to the last twenty moved between -0.03 and +0.07 with the seed), so the gain is
// judged on four seeds together. It takes about 40 seconds on two busy cores.
func TestForYouLearnsWithinASession(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and 10,000 views, four times")
	}
	var res *Result
	var early, late, random float64
	const seeds = 4
	for seed := uint64(1); seed <= seeds; seed++ {
		o := DefaultOptions()
		o.Users, o.Videos, o.Creators, o.Swipes, o.Seed = 180, 800, 60, 60, seed
		var logs bytes.Buffer
		var err error
		res, err = Run(context.Background(), o, &logs)
		if err != nil {
			t.Fatalf("simulation, seed %d: %v\nserver log:\n%s", seed, err, logs.String())
		}
		var report strings.Builder
		res.Print(&report)
		t.Logf("seed %d:\n%s", seed, report.String())

		for _, a := range res.Arms {
			if want := o.Users / int(numArms) * o.Swipes; a.Views != want || a.Dry != 0 {
				t.Errorf("seed %d, %s arm: %d views and %d sessions cut short, want %d views", seed, a.Arm, a.Views, a.Dry, want)
			}
		}
		fy := res.Arm("for_you")
		early, late, random = early+fy.Mean(1, 10)/seeds, late+fy.Mean(41, 60)/seeds, random+res.Arm("random").Mean(41, 60)/seeds
		if fy.Sources["exploration"] == 0 || fy.Sources["trending"]+fy.Sources["hashtag"]+fy.Sources["co_engagement"]+fy.Sources["embedding"] == 0 {
			t.Errorf("seed %d, for_you reasons %v: want exploration and recommended videos", seed, fy.Sources)
		}
		if res.Events == 0 || res.Requests < o.Users*o.Swipes {
			t.Errorf("seed %d: %d requests and %d events for %d views: the viewers did not go through the API", seed, res.Requests, res.Events, o.Users*o.Swipes)
		}
		if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "refused events") {
			t.Errorf("seed %d: the server complained:\n%s", seed, logs.String())
		}
	}
	if late < early+0.02 {
		t.Errorf("for_you watch ratio %.3f in swipes 41-60, %.3f in swipes 1-10 (means of %d seeds): it did not learn", late, early, seeds)
	}
	if late < random+0.05 {
		t.Errorf("for_you watch ratio %.3f in swipes 41-60, random %.3f (means of %d seeds): not clearly better", late, random, seeds)
	}

	// --out writes the same figures.
	out := filepath.Join(t.TempDir(), "result.json")
	if err := res.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Arms) != int(numArms) || back.Arms[0].WatchRatio != res.Arms[0].WatchRatio {
		t.Errorf("the JSON file does not hold the run's figures: %s", b)
	}
}

// Two runs with one seed give the same figures: the world, the viewers' choices and the
// server's answers all follow from the seed.
func TestSameSeedSameRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server twice")
	}
	o := DefaultOptions()
	o.Users, o.Videos, o.Creators, o.Swipes = 30, 120, 12, 20
	var curves [2][]float64
	for k := range curves {
		res, err := Run(context.Background(), o, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Arms {
			curves[k] = append(curves[k], a.Curve...)
			curves[k] = append(curves[k], a.FirstDayShare, a.LikeRate)
		}
	}
	for i := range curves[0] {
		if curves[0][i] != curves[1][i] {
			t.Fatalf("two runs with seed %d differ:\n%v\n%v", o.Seed, curves[0], curves[1])
		}
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--users", "2"}, "--users"},
		{[]string{"--videos", "5"}, "--videos"},
		{[]string{"--creators", "1"}, "--creators"},
		{[]string{"--swipes", "0"}, "--swipes"},
		{[]string{"--topics", "99"}, "--topics"},
		{[]string{"--span", "1s"}, "--span"},
		{[]string{"--fresh-creators", "0.9"}, "--fresh-creators"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		err := RunCommand(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

// The same seed gives the same hidden world: catalogue, captions and tastes.
func TestWorldFollowsTheSeed(t *testing.T) {
	o := DefaultOptions()
	o.Users, o.Videos, o.Creators = 30, 200, 20
	a, b := buildWorld(o, firstArrival), buildWorld(o, firstArrival)
	o.Seed = 2
	c := buildWorld(o, firstArrival)
	same := func(x, y *world) bool {
		for k := range x.videos {
			if x.videos[k].caption != y.videos[k].caption || x.videos[k].duration != y.videos[k].duration || x.videos[k].at != y.videos[k].at {
				return false
			}
		}
		for k := range x.viewers {
			for t := range x.viewers[k].taste {
				if x.viewers[k].taste[t] != y.viewers[k].taste[t] {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatal("two worlds from one seed differ")
	}
	if same(a, c) {
		t.Fatal("seeds 1 and 2 gave the same world")
	}
	fresh := 0
	for _, cr := range a.creators {
		if cr.fresh {
			fresh++
			if cr.joinAt.Before(firstArrival.Add(-7*time.Hour)) || cr.joinAt.After(firstArrival.Add(o.Span)) {
				t.Errorf("fresh creator joined at %v, outside the run", cr.joinAt)
			}
		}
	}
	if fresh == 0 {
		t.Error("no fresh creators")
	}
}

// The watch model must make taste matter: a viewer's favourite topic is watched far longer
// than topics they do not care for.
func TestWatchModelFollowsTaste(t *testing.T) {
	o := DefaultOptions()
	w := buildWorld(o, firstArrival)
	var fav, other [2]float64
	for u := range w.viewers[:100] {
		vw := &w.viewers[u]
		for k := range w.videos[:500] {
			v := &w.videos[k]
			out := vw.watch(v, 0)
			switch vw.taste[v.topic] {
			case 1:
				fav[0] += out.ratio
				fav[1]++
			case 0:
				other[0] += out.ratio
				other[1]++
			}
			if out.ratio < 0 || out.ratio > 1 || out.watch <= 0 {
				t.Fatalf("outcome %+v out of range", out)
			}
		}
	}
	f, o2 := fav[0]/fav[1], other[0]/other[1]
	t.Logf("favourite topic %.3f, other topics %.3f", f, o2)
	if f < 0.6 || o2 > 0.35 {
		t.Fatalf("favourite topic watch ratio %.3f, other topics %.3f: taste barely matters", f, o2)
	}
}

// The embedded rendition is a real, playable MP4.
func TestClipIsAPlayableMP4(t *testing.T) {
	info, err := mp4.Inspect(bytes.NewReader(clip), int64(len(clip)))
	if err != nil {
		t.Fatal(err)
	}
	v := info.Video()
	if v == nil || v.Codec != "avc1" || !info.MoovFirst || info.Duration < 500*time.Millisecond {
		t.Fatalf("clip: %+v", info)
	}
}
