package db_test

import (
	"context"
	"fmt"
	"testing"

	"kurz/internal/id"
	"kurz/internal/testkit"
)

// BenchmarkVideosByIDs reads a feed page's videos, 20 of 2,000 with a hashtag each, as
// video.GetMany does:
//
//	go test -run '^$' -bench VideosByIDs -benchtime 3000x ./internal/db/
func BenchmarkVideosByIDs(b *testing.B) {
	d := testkit.OpenSQLite(b)
	ctx := context.Background()
	ids := id.NewGenerator()
	owner := newAccount(ids, "owner")
	if err := d.Accounts().Create(ctx, owner); err != nil {
		b.Fatal(err)
	}
	var vids []string
	for i := range 2000 {
		vids = append(vids, addVideo(b, d, ids, owner.ID, fmt.Sprintf("video %d", i), fmt.Sprintf("tag%d", i%50), fmt.Sprintf("more%d", i%7)))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i = (i + 20) % (len(vids) - 20)
		got, err := d.Videos().ByIDs(ctx, vids[i:i+20])
		if err != nil || len(got) != 20 {
			b.Fatalf("%d videos, %v", len(got), err)
		}
		if tags := got[vids[i]].Hashtags; len(tags) != 2 || tags[0] > tags[1] {
			b.Fatalf("hashtags %q, want two, sorted", tags)
		}
	}
}
