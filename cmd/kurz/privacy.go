package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"kurz/internal/app"
	"kurz/internal/privacy"
	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
)

// errAuditFailed makes `kurz audit verify` exit non-zero when the log was tampered with.
var errAuditFailed = errors.New("the access log failed the audit: see the problems above")

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var pinned *string
	cfg, log, err := load("audit verify", "Checks the access transparency log: every stored checkpoint's signature, the "+
		"consistency between consecutive checkpoints and every entry's inclusion proof; prints the latest checkpoint "+
		"for publication. Exits non-zero if anything was altered, removed or reordered.", args, stderr, func(fs *flag.FlagSet) {
		pinned = fs.String("verifier-key", "", "the log's public key as published earlier; default: the key this server signs with")
	})
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	key := a.Keys.VerifierKey()
	if *pinned != "" {
		if *pinned != key {
			fmt.Fprintf(stdout, "WARNING: this server signs with %s, not with the pinned key\n", key)
		}
		key = *pinned
	}
	report, err := translog.Audit(ctx, a.DB.AccessLog(), key)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fmt.Fprint(stdout, report.String())
	fmt.Fprintf(stdout, "verifier key: %s\n", key)
	if cp, ok, err := a.DB.AccessLog().LatestCheckpoint(ctx); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(stdout, "latest checkpoint:\n%s", cp.Note)
	}
	if !report.OK() {
		return errAuditFailed
	}
	return nil
}

func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var newKeyFile *string
	cfg, log, err := load("keys rotate", "Re-wraps every account's data key (and the vault's own secrets) under a new master key, "+
		"in one transaction; the personal data itself is not decrypted. Without --new-key-file a new key is generated "+
		"next to the current one. Stop every server first.", args, stderr, func(fs *flag.FlagSet) {
		newKeyFile = fs.String("new-key-file", "", "file holding the new master key (64 hex digits); default: generate <master key file>.next")
	})
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	current := cfg.MasterKeyFile
	if current == "" {
		current = filepath.Join(cfg.DataDir, keys.MasterKeyFile)
	}
	nextPath := *newKeyFile
	var next *keys.MasterKey
	if nextPath != "" {
		next, err = keys.LoadMasterKeyFile(nextPath)
	} else {
		// An interrupted rotation left this file behind; using it again lets the rotation resume.
		nextPath = current + ".next"
		next, _, err = keys.OpenMasterKey(keys.MasterKeyOptions{Path: nextPath, NewInstall: true})
	}
	if err != nil {
		return fmt.Errorf("new master key: %w", err)
	}
	oldID := a.Keys.KeyID()
	n, err := privacy.RotateMasterKey(ctx, a.Keys, a.DB.Vault(), next)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-wrapped %d accounts' keys: master key %s replaced by %s\n", n, oldID, next.KeyID())
	if cfg.MasterKey != "" {
		fmt.Fprintf(stdout, "KURZ_MASTER_KEY holds the old key: set it to the content of %s before starting kurz again\n", nextPath)
		return nil
	}
	return swapKeyFiles(current, nextPath, oldID, stdout)
}

// swapKeyFiles puts the new key where kurz looks for it and keeps the old one beside it,
// renamed, until the operator has checked the rotation and updated their backups.
func swapKeyFiles(current, next, oldID string, stdout io.Writer) error {
	data, err := os.ReadFile(next)
	if err != nil {
		return err
	}
	retired := current + ".retired-" + oldID
	if err := os.Rename(current, retired); err != nil {
		return fmt.Errorf("the database now needs the key in %s; move it to %s yourself: %w", next, current, err)
	}
	if err := os.WriteFile(current, data, 0o600); err != nil {
		return fmt.Errorf("the database now needs the key in %s; copy it to %s yourself: %w", next, current, err)
	}
	if filepath.Dir(next) == filepath.Dir(current) {
		_ = os.Remove(next)
	}
	fmt.Fprintf(stdout, "the new key is in %s; the old one was moved to %s: back up the new key, then delete the old one\n", current, retired)
	return nil
}
