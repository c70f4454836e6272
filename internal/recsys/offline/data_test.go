package offline

import (
	"strings"
	"testing"
)

func TestReadPlainAndTimedRows(t *testing.T) {
	rows, err := readInteractions(strings.NewReader("u1 i1 1.00\nu1 i2 0.00\n\nu2 i1 1 1650000000000 3000 6000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	if !rows[0].Positive || rows[1].Positive {
		t.Errorf("labels read as %v, %v", rows[0].Positive, rows[1].Positive)
	}
	if rows[2].TimeMS != 1650000000000 || rows[2].WatchRatio() != 0.5 || rows[2].Explicit {
		t.Errorf("timed row = %+v", rows[2])
	}
	if _, err := readInteractions(strings.NewReader("u1 i1\n")); err == nil {
		t.Error("a row with two fields was accepted")
	}
	if _, err := readInteractions(strings.NewReader("u1 i1 yes\n")); err == nil {
		t.Error("a non-numeric label was accepted")
	}
}

const kuaiRandSample = "user_id\tvideo_id\tdate\thourmin\ttime_ms\tis_click\tis_follow\tis_comment\tis_forward\tlong_view\tplay_time_ms\tduration_ms\tcomment_stay_time\tis_profile_enter\tlabel\ttimestamp\n" +
	"111\t3892024\t20220410\t1700\t1649581149287\t1\t0\t0\t0\t1\t46186\t45916\t7639\t0\t1\t2022-04-10 08:59:09\n" +
	"111\t2629583\t20220411\t1600\t1649664552983\t1\t0\t1\t1\t0\t14549\t0\t5045\t0\t0\t2022-04-11 08:09:12\n"

func TestReadKuaiRandHeader(t *testing.T) {
	rows, err := readInteractions(strings.NewReader(kuaiRandSample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	a, b := rows[0], rows[1]
	if a.User != "111" || a.Item != "3892024" || !a.Positive || !a.Explicit || a.TimeMS != 1649581149287 {
		t.Errorf("first row = %+v", a)
	}
	if r := a.WatchRatio(); r < 1.005 || r > 1.006 {
		t.Errorf("watch ratio = %v, want 46186/45916", r)
	}
	if b.Positive || !b.Share || !b.Comment || b.WatchRatio() != -1 {
		t.Errorf("second row = %+v (duration 0 must mean an unknown ratio)", b)
	}
}

func TestTemporalSplit(t *testing.T) {
	var rows []Interaction
	for k, ts := range []int64{50, 10, 40, 20, 30, 30, 60, 70, 80, 90} {
		rows = append(rows, Interaction{User: "u", Item: "i", TimeMS: ts, Order: k})
	}
	train, test, err := temporalSplit(rows, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted times: 10 20 30 30 40 | 50 ...; the cut is the time at index 5 (50).
	if len(train) != 5 || len(test) != 5 {
		t.Fatalf("split %d/%d, want 5/5", len(train), len(test))
	}
	for _, r := range train {
		if r.TimeMS >= 50 {
			t.Errorf("train has time %d", r.TimeMS)
		}
	}
	if _, _, err := temporalSplit([]Interaction{{TimeMS: 0}}, 0.8); err == nil {
		t.Error("rows without time were split")
	}
	if _, _, err := temporalSplit(rows, 1); err == nil {
		t.Error("fraction 1 was accepted")
	}
}

func TestChronologicalOrder(t *testing.T) {
	timed := []Interaction{{TimeMS: 3, Order: 0}, {TimeMS: 1, Order: 1}, {TimeMS: 3, Order: 2}, {TimeMS: 2, Order: 3}}
	got := chronological(timed)
	want := []int{1, 3, 0, 2}
	for k, r := range got {
		if r.Order != want[k] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	// Without times the order is a fixed shuffle: the same each time, not the file's.
	var plain []Interaction
	for k := 0; k < 50; k++ {
		plain = append(plain, Interaction{Order: k})
	}
	a, b := chronological(plain), chronological(plain)
	same, inFileOrder := true, true
	for k := range a {
		same = same && a[k].Order == b[k].Order
		inFileOrder = inFileOrder && a[k].Order == k
	}
	if !same || inFileOrder {
		t.Fatalf("untimed order: deterministic %v, file order %v", same, inFileOrder)
	}
}

func TestHeldOutDropsTrainingItems(t *testing.T) {
	train := []Interaction{{User: "a", Item: "x", Positive: true}, {User: "a", Item: "y"}, {User: "b", Item: "z", Positive: true}}
	held := []Interaction{
		{User: "a", Item: "x", Positive: true}, // met in training: never ranked, so not counted
		{User: "a", Item: "z", Positive: true},
		{User: "a", Item: "new", Positive: true}, // not in the catalogue: counts against recall
		{User: "a", Item: "q"},
		{User: "b", Item: "x"}, // b has no held-out positive: not evaluated
	}
	ts := newTrainSet(train, held)
	users, truths := heldOut(ts, held)
	if len(users) != 1 || ts.users[users[0]] != "a" {
		t.Fatalf("evaluated users %v, want only a", users)
	}
	tr := truths[users[0]]
	if len(tr.positive) != 2 || tr.positive[ts.itemIdx["x"]] || !tr.positive[ts.itemIdx["z"]] {
		t.Fatalf("positives %v", tr.positive)
	}
	if len(tr.negative) != 1 {
		t.Fatalf("negatives %v", tr.negative)
	}
}
