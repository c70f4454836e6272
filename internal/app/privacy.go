package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	"kurz/internal/auth"
	"kurz/internal/blob"
	"kurz/internal/config"
	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/privacy"
	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
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

// service builds the privacy service and registers the erasers of the features that exist.
func (p *privacyParts) service(cfg *config.Config, log *slog.Logger, d *db.DB, authSvc *auth.Service, blobs blob.Store,
	ids *id.Generator, now func() time.Time, erasers map[string]privacy.Eraser) *privacy.Service {
	s := privacy.NewService(privacy.Deps{
		Vault: p.vault, Keys: p.keys, AccessLog: p.log, LogStore: d.AccessLog(), Accounts: d.Accounts(),
		Erasure: d.Erasure(), Passwords: authSvc, Blobs: blobs, NewID: ids.New, Now: now, Log: log,
		Limits: privacy.Limits{DeletionGrace: cfg.DeletionGrace, SessionIPRetention: cfg.SessionIPRetention, ExportTTL: cfg.ExportLinkTTL},
	})
	s.RegisterEraser("avatars", authSvc)
	for _, name := range []string{"videos"} {
		if e, ok := erasers[name]; ok {
			s.RegisterEraser(name, e)
		}
	}
	return s
}
