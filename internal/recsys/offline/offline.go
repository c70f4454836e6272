// Package offline evaluates kurz's recommender on logged interaction data: it replays the
// training rows as events through the production model, ranks every unseen item for each
// held-out user, and compares the result with simple baselines through the same harness.
package offline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// modelNames lists what --model accepts, in table order.
var modelNames = []string{"random", "popular", "itemknn", "bpr", "kurz"}

// errHelp stops RunOffline after printing the usage, without an error.
var errHelp = errors.New("help requested")

// options are the parsed command-line flags.
type options struct {
	train, test, valid, split, out, model string
	k                                     int
	seed                                  uint64
	sets                                  []string
}

// RunOffline is `kurz recsys offline`: it parses args, evaluates the chosen models and prints
// a table of metrics to stdout.
func RunOffline(ctx context.Context, args []string, stdout io.Writer) error {
	opt, err := parseArgs(args, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	train, test, err := loadData(opt)
	if err != nil {
		return err
	}
	names := []string{opt.model}
	if opt.model == "all" {
		names = modelNames
	}
	hasWatch := hasWatchTimes(test)
	chosen := map[string]int{} // variant per model; index 0 (the default) until validation picks

	if opt.valid != "" {
		vtrain, valid, err := validationData(opt, train)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "validation: %d training rows, %d held-out rows (* = setting kept for the test)\n", len(vtrain), len(valid))
		if _, err := runModels(ctx, opt, names, chosen, true, vtrain, valid, hasWatch, stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "test: %d training rows, %d held-out rows\n", len(train), len(test))
	lists, err := runModels(ctx, opt, names, chosen, false, train, test, hasWatch, stdout)
	if err != nil {
		return err
	}
	if opt.out != "" {
		if err := writeLists(opt.out, lists); err != nil {
			return err
		}
	}
	return nil
}

func parseArgs(args []string, stdout io.Writer) (options, error) {
	var opt options
	fs := flag.NewFlagSet("recsys offline", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.StringVar(&opt.train, "train", "", "training interactions `FILE`: lines of 'user item label [time_ms watch_ms duration_ms]', or a KuaiRand TSV with header")
	fs.StringVar(&opt.test, "test", "", "held-out interactions in the same format (omit with --split)")
	fs.StringVar(&opt.valid, "valid", "", "validation interactions FILE, or temporal:F to hold out the latest (1-F) of the training rows; metrics are printed for it first")
	fs.StringVar(&opt.split, "split", "", "temporal:F splits --train at the F quantile of time into train and test (for one-file data sets)")
	fs.IntVar(&opt.k, "k", 20, "length of each recommendation list (Recall/NDCG are reported at 10 and k)")
	fs.StringVar(&opt.out, "out", "", "write each test user's list to `FILE` as 'user item1 item2 ...' (the kurz model's with --model all)")
	fs.StringVar(&opt.model, "model", "kurz", "model to evaluate: "+strings.Join(modelNames, ", ")+", or all")
	fs.Uint64Var(&opt.seed, "seed", 1, "seed of the random baseline and of BPR")
	fs.Func("set", "override a recommender config field, e.g. --set TrendHalfLife=3h (repeatable)", func(s string) error {
		opt.sets = append(opt.sets, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opt, errHelp
		}
		return opt, fmt.Errorf("recsys offline: %w", err)
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("recsys offline: unexpected argument %q", fs.Arg(0))
	}
	if opt.train == "" {
		return opt, errors.New("recsys offline: --train is required")
	}
	if (opt.test == "") == (opt.split == "") {
		return opt, errors.New("recsys offline: give exactly one of --test FILE or --split temporal:F")
	}
	if opt.k < 10 {
		return opt, fmt.Errorf("recsys offline: --k %d is below 10, the smallest reported cut-off", opt.k)
	}
	known := opt.model == "all"
	for _, n := range modelNames {
		known = known || n == opt.model
	}
	if !known {
		return opt, fmt.Errorf("recsys offline: unknown --model %q (want %s or all)", opt.model, strings.Join(modelNames, ", "))
	}
	if _, err := newKurzModel(opt.sets); err != nil {
		return opt, fmt.Errorf("recsys offline: %w", err)
	}
	return opt, nil
}

func parseTemporal(spec string) (float64, error) {
	frac, ok := strings.CutPrefix(spec, "temporal:")
	if !ok {
		return 0, fmt.Errorf("split %q: want temporal:F", spec)
	}
	q, err := strconv.ParseFloat(frac, 64)
	if err != nil || q <= 0 || q >= 1 {
		return 0, fmt.Errorf("split %q: F must be a number in (0,1)", spec)
	}
	return q, nil
}

func loadData(opt options) (train, test []Interaction, err error) {
	train, err = readInteractionsFile(opt.train)
	if err != nil {
		return nil, nil, err
	}
	if opt.split != "" {
		q, err := parseTemporal(opt.split)
		if err != nil {
			return nil, nil, err
		}
		return temporalSplit(train, q)
	}
	test, err = readInteractionsFile(opt.test)
	return train, test, err
}

// validationData returns the training and held-out rows of the validation pass.
func validationData(opt options, train []Interaction) ([]Interaction, []Interaction, error) {
	if strings.HasPrefix(opt.valid, "temporal:") {
		q, err := parseTemporal(opt.valid)
		if err != nil {
			return nil, nil, err
		}
		return temporalSplit(train, q)
	}
	valid, err := readInteractionsFile(opt.valid)
	return train, valid, err
}

func hasWatchTimes(rows []Interaction) bool {
	for _, r := range rows {
		if r.WatchRatio() >= 0 {
			return true
		}
	}
	return false
}

// userLists are the recommendation lists of one model, by user name.
type userLists struct {
	users []string
	items [][]string
}

// variant is one hyper-parameter setting of a model.
type variant struct {
	label string
	build func() (model, error)
}

// variantsOf lists the settings tried for a model on the validation data, the default
// (used without validation data) first. Baselines get the same chance as kurz: their
// neighbourhood size, epochs and regularisation are picked on validation too; kurz runs
// with its one config except for the popularity prior (kurzPopularityWeights).
func variantsOf(name string, opt options) []variant {
	switch name {
	case "random":
		return []variant{{"random", func() (model, error) { return &randomModel{seed: opt.seed}, nil }}}
	case "popular":
		return []variant{{"popular", func() (model, error) { return &popularModel{}, nil }}}
	case "itemknn":
		var vs []variant
		for _, k := range []int{100, 20, 50, 200, 0} {
			label := fmt.Sprintf("itemknn k=%d", k)
			if k == 0 {
				label = "itemknn k=all"
			}
			vs = append(vs, variant{label, func() (model, error) { return &itemKNNModel{neighbours: k}, nil }})
		}
		return vs
	case "bpr":
		var vs []variant
		for _, ep := range []int{50, 20, 100} {
			for _, reg := range []float64{0.001, 0.0001, 0.01} {
				label := fmt.Sprintf("bpr ep=%d reg=%g", ep, reg)
				vs = append(vs, variant{label, func() (model, error) {
					return &bprModel{dim: 64, epochs: ep, lr: 0.05, reg: reg, seed: opt.seed}, nil
				}})
			}
		}
		return vs
	case "kurz":
		if setsField(opt.sets, "PopularityWeight") {
			return []variant{{"kurz", func() (model, error) { return newKurzModel(opt.sets) }}}
		}
		var vs []variant
		for _, w := range kurzPopularityWeights {
			label, sets := "kurz", opt.sets
			if w != 0 {
				label = fmt.Sprintf("kurz popularity=%g", w)
				sets = append(slices.Clone(opt.sets), fmt.Sprintf("PopularityWeight=%g", w))
			}
			vs = append(vs, variant{label, func() (model, error) { return newKurzModel(sets) }})
		}
		return vs
	}
	return nil
}

// kurzPopularityWeights is the grid of recsys.Config.PopularityWeight tried on validation
// data, the default first. Every other setting is the server's default (or --set). The
// weight is the one setting whose best value differs between the data sets: a log whose
// held-out engagement follows the overall counts (KuaiRec) wants the popularity prior, one
// whose tastes move (KuaiRand) does not. A --set PopularityWeight=... replaces the grid.
var kurzPopularityWeights = []float64{0, 1}

// setsField reports whether a --set override names the config field.
func setsField(sets []string, field string) bool {
	for _, s := range sets {
		if name, _, _ := strings.Cut(s, "="); strings.EqualFold(name, field) {
			return true
		}
	}
	return false
}

// runModels evaluates the variants of each named model. With tune set it tries every
// variant and records the best by NDCG@k in chosen; otherwise it runs the chosen (or
// default) variant only.
func runModels(ctx context.Context, opt options, names []string, chosen map[string]int, tune bool, train, held []Interaction, hasWatch bool, stdout io.Writer) (userLists, error) {
	ts := newTrainSet(train, held)
	users, truths := heldOut(ts, held)
	fmt.Fprintf(stdout, "%d users with a held-out positive, catalogue of %d items, k=%d\n", len(users), len(ts.items), opt.k)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	k := strconv.Itoa(opt.k)
	header := "model\tRecall@10\tRecall@" + k + "\tNDCG@10\tNDCG@" + k
	if hasWatch {
		header += "\twNDCG@10\twNDCG@" + k
	}
	header += "\tCoverage@" + k + "\tNegShare@" + k + "\tfit s\tms/user\t"
	fmt.Fprintln(tw, header)
	var keep userLists
	for _, name := range names {
		vs := variantsOf(name, opt)
		try := []int{chosen[name]}
		if tune {
			try = try[:0]
			for i := range vs {
				try = append(try, i)
			}
		}
		best, bestNDCG := -1, -1.0
		var rows []string
		for _, i := range try {
			m, err := vs[i].build()
			if err != nil {
				return keep, err
			}
			start := time.Now()
			if err := m.fit(ctx, ts); err != nil {
				return keep, fmt.Errorf("fit %s: %w", vs[i].label, err)
			}
			fitted := time.Now()
			s, lists, err := evaluate(ctx, m, ts, users, truths, opt.k, hasWatch)
			if err != nil {
				return keep, fmt.Errorf("%s: %w", vs[i].label, err)
			}
			perUser := 0.0
			if len(users) > 0 {
				perUser = float64(time.Since(fitted).Microseconds()) / 1000 / float64(len(users))
			}
			row := fmt.Sprintf("%s\t%.4f\t%.4f\t%.4f\t%.4f", vs[i].label, s.Recall10, s.RecallK, s.NDCG10, s.NDCGK)
			if hasWatch {
				row += fmt.Sprintf("\t%.4f\t%.4f", s.WatchNDCG10, s.WatchNDCGK)
			}
			row += fmt.Sprintf("\t%.4f\t%.5f\t%.1f\t%.2f\t", s.Coverage, s.NegativeShare, fitted.Sub(start).Seconds(), perUser)
			rows = append(rows, row)
			if s.NDCGK > bestNDCG {
				best, bestNDCG = len(rows)-1, s.NDCGK
				chosen[name] = i
			}
			if name == opt.model || name == "kurz" {
				keep = userLists{}
				for n, u := range users {
					keep.users = append(keep.users, ts.users[u])
					items := make([]string, len(lists[n]))
					for p, it := range lists[n] {
						items[p] = ts.items[it]
					}
					keep.items = append(keep.items, items)
				}
			}
		}
		for r, row := range rows {
			if len(rows) > 1 && r == best {
				row = "*" + row
			}
			fmt.Fprintln(tw, row)
		}
	}
	if err := tw.Flush(); err != nil {
		return keep, fmt.Errorf("print table: %w", err)
	}
	return keep, nil
}

func writeLists(path string, lists userLists) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write lists: %w", err)
	}
	var b strings.Builder
	for n, u := range lists.users {
		b.Reset()
		b.WriteString(u)
		for _, item := range lists.items[n] {
			b.WriteByte(' ')
			b.WriteString(item)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(f, b.String()); err != nil {
			f.Close()
			return fmt.Errorf("write lists: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write lists: %w", err)
	}
	return nil
}
