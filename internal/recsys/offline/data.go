package offline

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Interaction is one row of an offline data set: a user's reaction to one item.
type Interaction struct {
	User, Item string
	// Positive is true for a liked or mostly watched item; false for a known negative
	// (skipped or hated).
	Positive bool
	// TimeMS is the event time in Unix milliseconds; 0 when the data has no time.
	TimeMS int64
	// WatchMS and DurationMS are the play time and the video length; 0 means unknown.
	WatchMS, DurationMS int64
	// Explicit marks KuaiRand rows, whose label is a like or a hate rather than a watch.
	Explicit bool
	// Share, Follow and Comment carry the extra engagement columns of KuaiRand.
	Share, Follow, Comment bool
	// Order is the row's position in its file, the tie-breaker for equal times.
	Order int
}

// WatchRatio is play time over duration, or -1 when either is unknown.
func (in Interaction) WatchRatio() float64 {
	if in.WatchMS <= 0 || in.DurationMS <= 0 {
		return -1
	}
	return float64(in.WatchMS) / float64(in.DurationMS)
}

// readInteractionsFile reads a whitespace-separated `user item label [time watch_ms duration_ms]`
// file or a KuaiRand TSV with a header row (recognised by its user_id/video_id columns).
func readInteractionsFile(path string) ([]Interaction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open interactions: %w", err)
	}
	defer f.Close()
	rows, err := readInteractions(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}

func readInteractions(r io.Reader) ([]Interaction, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var rows []Interaction
	var header map[string]int
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if line == 1 && isKuaiRandHeader(fields) {
			header = make(map[string]int, len(fields))
			for i, name := range fields {
				header[name] = i
			}
			continue
		}
		var (
			in  Interaction
			err error
		)
		if header != nil {
			in, err = parseKuaiRandRow(strings.Split(text, "\t"), header)
		} else {
			in, err = parsePlainRow(fields)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		in.Order = len(rows)
		rows = append(rows, in)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return rows, nil
}

func isKuaiRandHeader(fields []string) bool {
	var user, video bool
	for _, f := range fields {
		user = user || f == "user_id"
		video = video || f == "video_id"
	}
	return user && video
}

func parsePlainRow(fields []string) (Interaction, error) {
	if len(fields) != 3 && len(fields) != 6 {
		return Interaction{}, fmt.Errorf("want `user item label [timestamp watch_ms duration_ms]`, got %d fields", len(fields))
	}
	label, err := strconv.ParseFloat(fields[2], 64)
	if err != nil {
		return Interaction{}, fmt.Errorf("label %q: %w", fields[2], err)
	}
	in := Interaction{User: fields[0], Item: fields[1], Positive: label > 0.5}
	if len(fields) == 6 {
		var nums [3]int64
		for i := range nums {
			v, err := strconv.ParseFloat(fields[3+i], 64)
			if err != nil {
				return Interaction{}, fmt.Errorf("field %d %q: %w", 4+i, fields[3+i], err)
			}
			nums[i] = int64(v)
		}
		in.TimeMS, in.WatchMS, in.DurationMS = nums[0], nums[1], nums[2]
	}
	return in, nil
}

func parseKuaiRandRow(fields []string, header map[string]int) (Interaction, error) {
	get := func(name string) (string, error) {
		i, ok := header[name]
		if !ok {
			return "", fmt.Errorf("missing column %q", name)
		}
		if i >= len(fields) {
			return "", fmt.Errorf("row has %d fields, column %q is %d", len(fields), name, i+1)
		}
		return strings.TrimSpace(fields[i]), nil
	}
	num := func(name string) (int64, error) {
		s, err := get(name)
		if err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("column %s %q: %w", name, s, err)
		}
		return int64(v), nil
	}
	in := Interaction{Explicit: true}
	var err error
	if in.User, err = get("user_id"); err != nil {
		return in, err
	}
	if in.Item, err = get("video_id"); err != nil {
		return in, err
	}
	label, err := num("label")
	if err != nil {
		return in, err
	}
	in.Positive = label > 0
	if in.TimeMS, err = num("time_ms"); err != nil {
		return in, err
	}
	if in.WatchMS, err = num("play_time_ms"); err != nil {
		return in, err
	}
	if in.DurationMS, err = num("duration_ms"); err != nil {
		return in, err
	}
	// The engagement columns are optional extras; a file without them is still valid.
	flag := func(name string) bool {
		v, err := num(name)
		return err == nil && v > 0
	}
	in.Share, in.Follow, in.Comment = flag("is_forward"), flag("is_follow"), flag("is_comment")
	return in, nil
}

// temporalSplit cuts rows at the given quantile of time: rows strictly before the cut time go
// to train, the rest to test. The cut is the time at index floor(q*n) of the sorted times, so
// equal times never straddle the cut.
func temporalSplit(rows []Interaction, q float64) (train, test []Interaction, err error) {
	if q <= 0 || q >= 1 {
		return nil, nil, fmt.Errorf("split fraction %v is outside (0,1)", q)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("nothing to split")
	}
	times := make([]int64, len(rows))
	for i, r := range rows {
		if r.TimeMS == 0 {
			return nil, nil, fmt.Errorf("row %d has no time: a temporal split needs timestamps", i+1)
		}
		times[i] = r.TimeMS
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	cut := times[int(q*float64(len(times)))]
	for _, r := range rows {
		if r.TimeMS < cut {
			train = append(train, r)
		} else {
			test = append(test, r)
		}
	}
	return train, test, nil
}

// chronological returns rows in time order (file order for equal times), the order in which
// the recommender sees them as events. Rows without any time are shuffled with a fixed seed
// instead: their file order is how the file was written (KuaiRec's lists every positive
// first), not an order in which anything happened, and replaying it would feed the online
// model a stream no server ever sees.
func chronological(rows []Interaction) []Interaction {
	out := append([]Interaction(nil), rows...)
	timed := false
	for _, r := range out {
		timed = timed || r.TimeMS != 0
	}
	if !timed {
		rng := rand.New(rand.NewPCG(0x6b75727a, uint64(len(out))))
		rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
		return out
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].TimeMS != out[b].TimeMS {
			return out[a].TimeMS < out[b].TimeMS
		}
		return out[a].Order < out[b].Order
	})
	return out
}
