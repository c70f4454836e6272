package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"kurz/internal/auth"
	"kurz/internal/blob"
	"kurz/internal/bus"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/feed"
	"kurz/internal/id"
	"kurz/internal/policy"
	"kurz/internal/privacy"
	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
	"kurz/internal/video"
)

// privacyParts are built in two steps: the vault before auth, which stores personal data
// through it, and the service after, which re-authenticates account holders through auth.
type privacyParts struct {
	keys  *privacy.Keys
	log   *translog.Log
	vault *privacy.Vault
}

// openPrivacy loads the master key (refusing to start without the right one), the access
// log and the vault.
func openPrivacy(ctx context.Context, cfg *config.Config, log *slog.Logger, d *db.DB, now func() time.Time) (*privacyParts, error) {
	keyFile := cfg.MasterKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, keys.MasterKeyFile)
	}
	k, err := privacy.LoadKeys(ctx, d.Settings(), d.Vault(), privacy.KeyOptions{File: keyFile, Env: cfg.MasterKey, Origin: accessLogOrigin(cfg)})
	if err != nil {
		return nil, err
	}
	if k.Created() {
		log.Warn("created a new vault master key: back this file up now, without it nobody's personal data can be read",
			"file", keyFile, "key_id", k.KeyID())
	}
	tl, err := k.OpenAccessLog(ctx, d.AccessLog(), now)
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	return &privacyParts{keys: k, log: tl, vault: privacy.NewVault(d.Vault(), k, tl, now, log)}, nil
}

// accessLogOrigin names the log after the instance, e.g. "kurz.example.org/access-log".
func accessLogOrigin(cfg *config.Config) string {
	if cfg.AccessLogOrigin != "" {
		return cfg.AccessLogOrigin
	}
	host := "localhost"
	if u, err := url.Parse(cfg.PublicURL()); err == nil && u.Host != "" {
		host = u.Host
	}
	return host + "/access-log"
}

// service builds the privacy service and registers the erasers of the features that exist,
// in name order so erasure runs the same way every time.
func (p *privacyParts) service(cfg *config.Config, log *slog.Logger, d *db.DB, authSvc *auth.Service, blobs blob.Store,
	ids *id.Generator, now func() time.Time, jobs *bus.Bus, erasers map[string]privacy.Eraser, exporters map[string]privacy.Exporter) *privacy.Service {
	s := privacy.NewService(privacy.Deps{
		Vault: p.vault, Keys: p.keys, AccessLog: p.log, LogStore: d.AccessLog(), Accounts: d.Accounts(),
		Erasure: d.Erasure(), Exports: d.Exports(), Jobs: jobs, Sessions: d.Sessions(), Holdings: d.Holdings(), Passwords: authSvc,
		Notifications: d.Social(), History: watchHistory{d.Events()},
		Blobs: blobs, NewID: ids.New, Now: now, Log: log,
		Limits: privacy.Limits{DeletionGrace: cfg.DeletionGrace, SessionIPRetention: cfg.SessionIPRetention,
			NotificationRetention: cfg.NotificationRetention, EventRetention: cfg.EventRetention,
			ExportTTL: cfg.ExportLinkTTL, SessionTTL: cfg.SessionTTL, UploadTTL: cfg.UploadTTL},
	})
	s.RegisterEraser("avatars", authSvc)
	for _, name := range slices.Sorted(maps.Keys(erasers)) {
		s.RegisterEraser(name, erasers[name])
	}
	for _, name := range slices.Sorted(maps.Keys(exporters)) {
		s.RegisterExporter(name, exporters[name])
	}
	return s
}

// watchHistory is the event log as the privacy sweep prunes it: only the kinds the feed
// counts as watch history.
type watchHistory struct{ events *db.Events }

func (w watchHistory) PruneHistory(ctx context.Context, before time.Time, limit int) (int, error) {
	return w.events.PruneHistory(ctx, feed.HistoryKinds, before, limit)
}

// videoExporter puts an account's videos in its export: their details in videos.json and
// the original (or, when there is none, the largest) file of each.
func videoExporter(videos *video.Service, blobs blob.Store) privacy.Exporter {
	type videoJSON struct {
		ID            string    `json:"id"`
		Caption       string    `json:"caption"`
		Hashtags      []string  `json:"hashtags"`
		Mentions      []string  `json:"mentions"`
		Visibility    string    `json:"visibility"`
		AllowComments bool      `json:"allow_comments"`
		AllowDownload bool      `json:"allow_download"`
		State         string    `json:"state"`
		DurationMS    int64     `json:"duration_ms"`
		Width         int       `json:"width"`
		Height        int       `json:"height"`
		CreatedAt     time.Time `json:"created_at"`
		File          string    `json:"file,omitempty"`
	}
	return privacy.ExporterFunc(func(ctx context.Context, accountID string, w *privacy.ExportWriter) error {
		owner := policy.Viewer{AccountID: accountID, Role: policy.RoleUser}
		out := []videoJSON{}
		for after := ""; ; {
			// Paged by the listing's own cursor: a page can hold fewer videos than it listed
			// (one deleted between the listing and the load), and that is no last page.
			page, next, err := videos.AccountPage(ctx, owner, accountID, after, 100)
			if err != nil {
				return err
			}
			for _, v := range page.Videos {
				j := videoJSON{ID: v.ID, Caption: v.Caption, Hashtags: v.Hashtags, Mentions: v.Mentions, Visibility: v.Visibility,
					AllowComments: v.AllowComments, AllowDownload: v.AllowDownload, State: v.State, DurationMS: v.Duration.Milliseconds(),
					Width: v.Width, Height: v.Height, CreatedAt: v.CreatedAt}
				var best *video.Rendition
				for i := range v.Renditions {
					r := &v.Renditions[i]
					if best == nil || r.Name == "original" || (best.Name != "original" && r.Bytes > best.Bytes) {
						best = r
					}
				}
				if best != nil {
					obj, err := blobs.Open(ctx, best.Key)
					if err != nil {
						return err
					}
					j.File = v.ID + ".mp4"
					err = w.File(j.File, obj, "one of your videos ("+best.Name+")")
					obj.Close()
					if err != nil {
						return err
					}
				}
				out = append(out, j)
			}
			if next == "" {
				break
			}
			after = next
		}
		return w.JSON("videos.json", out, "your videos: captions, visibility, permissions, processing state")
	})
}

// interestProfiler reads an account's interest profile from the For You recommender, after
// applying every event logged so far, so a profile read right after "Refresh For You" (or
// a like) already shows its effect. Creators are named by username; an account that no
// longer exists is left out.
type interestProfiler struct {
	feed     *feed.Service
	accounts *db.Accounts
}

func (p interestProfiler) InterestProfile(ctx context.Context, accountID string) (*privacy.InterestProfile, error) {
	if err := p.feed.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("catch up with the event log: %w", err)
	}
	rp := p.feed.Recommender().Profile(accountID, 0)
	out := &privacy.InterestProfile{
		RecentEngaged: rp.RecentPositives, RecentTurnedOff: rp.RecentNegatives, TasteVector: rp.TasteVector,
		NotInterestedVideos: rp.NotInterestedVideos, NotInterestedHashtags: rp.NotInterestedHashtags,
		Following: rp.Follows, Watched: rp.Watched, Views: rp.Views, Region: rp.Region, Language: rp.Language,
	}
	for _, h := range rp.Hashtags {
		out.Hashtags = append(out.Hashtags, privacy.Interest{Name: h.Name, Strength: h.Strength, Score: h.Score})
	}
	username := func(id string) (string, bool) {
		a, err := p.accounts.ByID(ctx, id)
		if err != nil {
			return "", false
		}
		return a.Username, true
	}
	for _, c := range rp.Creators {
		if name, ok := username(c.Name); ok {
			out.Creators = append(out.Creators, privacy.Interest{Name: name, Strength: c.Strength, Score: c.Score})
		}
	}
	for _, id := range rp.NotInterestedCreators {
		if name, ok := username(id); ok {
			out.NotInterestedCreators = append(out.NotInterestedCreators, name)
		}
	}
	return out, nil
}
