package app

import (
	"context"

	"kurz/internal/db"
	"kurz/internal/privacy"
)

// socialExporter puts an account's follows, likes, comments, blocks, mutes and comment
// filters in its data export.
func socialExporter(d *db.DB) privacy.Exporter {
	return privacy.ExporterFunc(func(ctx context.Context, accountID string, w *privacy.ExportWriter) error {
		a, err := d.Social().Activity(ctx, accountID)
		if err != nil {
			return err
		}
		return w.JSON("activity.json", a, "accounts you follow and that follow you, your likes, comments and replies, "+
			"the accounts you blocked or muted, and your comment filter keywords")
	})
}

// historyExporter puts an account's watch history (every event it sent or caused) in its
// data export.
func historyExporter(d *db.DB) privacy.Exporter {
	return privacy.ExporterFunc(func(ctx context.Context, accountID string, w *privacy.ExportWriter) error {
		h, err := d.Events().History(ctx, accountID)
		if err != nil {
			return err
		}
		return w.JSON("watch_history.json", h, "every watch event (impressions, plays, progress, skips, 'not interested') "+
			"and action (likes, follows, comments, shares) recorded for you, oldest first; the recommender learns only from these")
	})
}

// interestsExporter puts the account's interest profile, in words, in its data export.
func interestsExporter(p privacy.InterestProfiler, d *db.DB) privacy.Exporter {
	return privacy.ExporterFunc(func(ctx context.Context, accountID string, w *privacy.ExportWriter) error {
		acc, err := d.Accounts().ByID(ctx, accountID)
		if err != nil {
			return err
		}
		prof, err := p.InterestProfile(ctx, accountID)
		if err != nil {
			return err
		}
		prof.Personalised = acc.Personalised
		return privacy.WriteInterestProfile(w, prof)
	})
}
