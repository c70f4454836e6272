package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

// Trending puts the viewer's language first, keeps each part in score order, pages across
// the boundary without a repeat or a gap, and says how many of a page are in the language.
func TestTrendingPutsTheLanguageFirst(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := e.Open(t)
			ids := id.NewGenerator()
			owner := newAccount(ids, "owner")
			if err := d.Accounts().Create(ctx, owner); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			// Six videos, alternately German and English; the later ones are younger, so rank higher.
			var de, en []string
			for i := range 6 {
				lang := []string{"de", "en"}[i%2]
				at := now.Add(time.Duration(i-6) * time.Hour)
				v := &db.VideoRow{ID: ids.New(), AccountID: owner.ID, Caption: fmt.Sprint(i), Visibility: "public", State: "ready",
					CreatedAt: at, UpdatedAt: at, ReadyAt: at, Language: lang}
				up := &db.UploadRow{ID: ids.New(), AccountID: owner.ID, VideoID: v.ID, Length: 1, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
				if err := d.Videos().CreateWithUpload(ctx, v, up); err != nil {
					t.Fatal(err)
				}
				if lang == "de" {
					de = append([]string{v.ID}, de...)
				} else {
					en = append([]string{v.ID}, en...)
				}
			}
			all, n, err := d.Feeds().Trending(ctx, "eu", "", now, 0, 10)
			if err != nil || n != 0 || len(all) != 6 {
				t.Fatalf("without a language: %v, %d in it, %v", all, n, err)
			}
			var paged []string
			var inLang []int
			for off := 0; off < 6; off += 4 {
				page, n, err := d.Feeds().Trending(ctx, "eu", "en", now, off, 4)
				if err != nil {
					t.Fatal(err)
				}
				paged, inLang = append(paged, page...), append(inLang, n)
			}
			if want := append(slices.Clone(en), de...); !slices.Equal(paged, want) {
				t.Fatalf("in English, paged: %v\nwant %v", paged, want)
			}
			if !slices.Equal(inLang, []int{3, 0}) {
				t.Fatalf("in the language per page: %v, want [3 0]", inLang)
			}
		})
	}
}
