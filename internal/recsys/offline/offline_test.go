package offline

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTwoTasteData writes train and test files where half the users like the even items and
// half the odd ones, so any learning model has something to find.
func writeTwoTasteData(t *testing.T, dir string) (train, test string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var tr, te strings.Builder
	for u := 0; u < 60; u++ {
		for k := 0; k < 30; k++ {
			i := rng.IntN(80)
			label := "0.00"
			if i%2 == u%2 && rng.IntN(5) > 0 {
				label = "1.00"
			}
			line := fmt.Sprintf("u%d i%d %s\n", u, i, label)
			if k < 24 {
				tr.WriteString(line)
			} else {
				te.WriteString(line)
			}
		}
	}
	train, test = filepath.Join(dir, "train.txt"), filepath.Join(dir, "test.txt")
	if err := os.WriteFile(train, []byte(tr.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(test, []byte(te.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestRunOfflineAllModels(t *testing.T) {
	dir := t.TempDir()
	train, test := writeTwoTasteData(t, dir)
	out := filepath.Join(dir, "lists.txt")
	var stdout bytes.Buffer
	err := RunOffline(context.Background(), []string{"--train", train, "--test", test, "--valid", test, "--k", "10", "--model", "all", "--out", out}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	text := stdout.String()
	for _, want := range []string{"validation:", "test:", "Recall@10", "NDCG@10", "Coverage@10", "NegShare@10", "random", "popular", "itemknn", "bpr", "kurz"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 20 {
		t.Fatalf("--out has %d lines", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 11 || !strings.HasPrefix(f[0], "u") || !strings.HasPrefix(f[1], "i") {
			t.Fatalf("--out line %q: want a user and 10 items", line)
		}
	}
}

func TestRunOfflineKuaiRandSplit(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(strings.SplitN(kuaiRandSample, "\n", 2)[0] + "\n")
	rng := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 600; k++ {
		u, i := rng.IntN(30), rng.IntN(60)
		label := 0
		if i%3 == u%3 {
			label = 1
		}
		fmt.Fprintf(&b, "%d\t%d\t20220410\t1700\t%d\t1\t0\t0\t0\t1\t%d\t20000\t0\t0\t%d\t-\n", u, 1000+i, 1649581149287+int64(k)*60000, 5000+rng.IntN(30000), label)
	}
	file := filepath.Join(dir, "interactions.tsv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := RunOffline(context.Background(), []string{"--train", file, "--split", "temporal:0.8", "--valid", "temporal:0.8", "--model", "kurz"}, &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "wNDCG@20") {
		t.Fatalf("watch-weighted NDCG missing for data with watch times:\n%s", stdout.String())
	}
}

func TestRunOfflineRejectsBadArguments(t *testing.T) {
	dir := t.TempDir()
	train, test := writeTwoTasteData(t, dir)
	for _, args := range [][]string{
		{},
		{"--train", train},
		{"--train", train, "--test", test, "--split", "temporal:0.8"},
		{"--train", train, "--test", test, "--model", "magic"},
		{"--train", train, "--test", test, "--k", "5"},
		{"--train", train, "--test", test, "--set", "NoSuchField=1"},
		{"--train", train, "--split", "temporal:2"},
		{"--train", filepath.Join(dir, "missing"), "--test", test},
	} {
		if err := RunOffline(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("RunOffline(%q) succeeded", args)
		}
	}
}

func TestProductionModelLearnsTwoTastes(t *testing.T) {
	// On the two-taste data the production model must beat random clearly: it is the
	// whole point of training it.
	dir := t.TempDir()
	train, test := writeTwoTasteData(t, dir)
	trRows, _ := readInteractionsFile(train)
	teRows, _ := readInteractionsFile(test)
	ts := newTrainSet(trRows, teRows)
	users, truths := heldOut(ts, teRows)
	score := func(m model) scores {
		if err := m.fit(context.Background(), ts); err != nil {
			t.Fatal(err)
		}
		s, _, err := evaluate(context.Background(), m, ts, users, truths, 10, false)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	k, err := newKurzModel([]string{"ExplorationShare=0"})
	if err != nil {
		t.Fatal(err)
	}
	kurz, random := score(k), score(&randomModel{seed: 1})
	t.Logf("kurz Recall@10 %.3f, random %.3f", kurz.Recall10, random.Recall10)
	if kurz.Recall10 < 1.5*random.Recall10 {
		t.Fatalf("kurz Recall@10 %.3f is not clearly above random %.3f", kurz.Recall10, random.Recall10)
	}
}

// kurz's popularity prior is picked on validation from its grid, the choice is marked and
// the test table names it; an explicit --set PopularityWeight replaces the grid.
func TestKurzPopularityGridIsTunedOnValidation(t *testing.T) {
	dir := t.TempDir()
	train, test := writeTwoTasteData(t, dir)
	run := func(extra ...string) (validation, testTable string) {
		t.Helper()
		var stdout bytes.Buffer
		args := append([]string{"--train", train, "--test", test, "--valid", test, "--k", "10", "--model", "kurz"}, extra...)
		if err := RunOffline(context.Background(), args, &stdout); err != nil {
			t.Fatal(err)
		}
		v, te, ok := strings.Cut(stdout.String(), "test:")
		if !ok {
			t.Fatalf("no test table:\n%s", stdout.String())
		}
		return v, te
	}
	v, te := run()
	var marked []string
	for _, w := range kurzPopularityWeights {
		label := "kurz"
		if w != 0 {
			label = fmt.Sprintf("kurz popularity=%g", w)
		}
		if !strings.Contains(v, label) {
			t.Errorf("validation lacks the variant %q:\n%s", label, v)
		}
		if strings.Contains(v, "*"+label+" ") {
			marked = append(marked, label)
		}
	}
	if len(marked) != 1 {
		t.Fatalf("validation marks %v, want exactly one kurz variant:\n%s", marked, v)
	}
	if !strings.Contains(te, marked[0]+" ") || strings.Count(te, "kurz") != 1 {
		t.Errorf("the test table does not run the chosen %q alone:\n%s", marked[0], te)
	}
	v, _ = run("--set", "PopularityWeight=2")
	if strings.Contains(v, "popularity=") || strings.Count(v, "kurz") != 1 {
		t.Errorf("with --set PopularityWeight the grid still runs:\n%s", v)
	}
}
