package simulate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// RunCommand is "kurz recsys simulate": it parses the flags, runs the simulation, prints
// the report to stdout and writes --out. Server warnings go to stderr.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := DefaultOptions()
	fs := flag.NewFlagSet("recsys simulate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.IntVar(&o.Users, "users", o.Users, "simulated viewers, split evenly over the for_you, trending and random arms")
	fs.IntVar(&o.Videos, "videos", o.Videos, "videos in the catalogue")
	fs.IntVar(&o.Creators, "creators", o.Creators, "accounts that upload the videos")
	fs.Float64Var(&o.FreshCreators, "fresh-creators", o.FreshCreators, "share of creators who join (and upload) during the run")
	fs.IntVar(&o.Swipes, "swipes", o.Swipes, "videos each viewer watches in their first session")
	fs.IntVar(&o.Topics, "topics", o.Topics, fmt.Sprintf("hidden topics (2 to %d)", len(topicList)))
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random draw: the same seed gives the same world and viewers")
	fs.DurationVar(&o.Span, "span", o.Span, "simulated time over which the viewers arrive")
	fs.IntVar(&o.PageSize, "page-size", o.PageSize, "videos per feed request")
	fs.StringVar(&o.Out, "out", "", "also write the result to `FILE`: JSON if it ends in .json, else TSV (arm, swipes, watch ratio, views)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary data directory (its path is printed)")
	fs.Usage = func() {
		fmt.Fprint(stdout, `Usage: kurz recsys simulate [flags]

Starts a kurz server on a temporary SQLite data directory (127.0.0.1, a free port), makes
creators and videos with hidden topics, and lets viewers with hidden tastes swipe through the
HTTP API: one cohort on For You, one on Trending, one on random videos. It reports the mean
watch ratio by swipe index of a new viewer, and the share of views that went to creators in
their first day.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see kurz recsys simulate --help)", fs.Arg(0))
	}
	res, err := Run(ctx, o, stderr)
	if err != nil {
		return err
	}
	res.Print(stdout)
	if o.Out != "" {
		if err := res.WriteFile(o.Out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", o.Out)
	}
	return nil
}
