package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kurz/internal/app"
	"kurz/internal/auth"
	"kurz/internal/config"
	"kurz/internal/policy"
	"kurz/internal/privacy/translog"
)

// withApp opens the app on dir the way the commands do, runs fn and closes it.
func withApp(t *testing.T, dir string, fn func(a *app.App)) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir, cfg.Argon2Memory, cfg.Argon2Time = dir, 8<<10, 1
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	fn(a)
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, io.Discard)
	return out.String(), err
}

func TestAuditVerifyAndKeyRotation(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var userID string
	withApp(t, dir, func(a *app.App) {
		mod, err := a.Auth.CreateAccount(ctx, "mod_cli", "a long enough passphrase", policy.RoleModerator)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = a.Auth.SignUp(ctx, auth.SignUpInput{Username: "zoe", Password: "a long enough passphrase", Email: "zoe@example.org"}, auth.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := a.Auth.AccountByUsername(ctx, "zoe")
		userID = acc.ID
		for _, purpose := range []string{"abuse_report", "legal_request", "support_request"} {
			if _, err := a.Privacy.ReadPersonalData(ctx, mod.Viewer(), userID, purpose, nil); err != nil {
				t.Fatal(err)
			}
		}
	})

	out, err := runCmd(t, "audit", "verify", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "OK: every entry") || !strings.Contains(out, "latest checkpoint:\nlocalhost:8080/access-log\n3\n") {
		t.Fatalf("honest log: %v\n%s", err, out)
	}

	// Rotate the master key; the data stays readable and the log still verifies.
	out, err = runCmd(t, "keys", "rotate", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "re-wrapped 2 accounts' keys") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	retired, _ := filepath.Glob(filepath.Join(dir, "master.key.retired-*"))
	if len(retired) != 1 {
		t.Fatalf("old key not kept aside: %v", retired)
	}
	withApp(t, dir, func(a *app.App) {
		d, err := a.Privacy.MyPersonalData(ctx, policy.Viewer{AccountID: userID, Role: policy.RoleUser})
		if err != nil || d.Email != "zoe@example.org" {
			t.Fatalf("after rotation: %+v %v", d, err)
		}
	})
	if out, err := runCmd(t, "audit", "verify", "--data-dir", dir); err != nil {
		t.Fatalf("audit after rotation: %v\n%s", err, out)
	}
	// Starting with the retired key is refused.
	cur := filepath.Join(dir, "master.key")
	newKey, _ := os.ReadFile(cur)
	if err := os.Rename(retired[0], cur); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "audit", "verify", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("old key after rotation: %v", err)
	}
	if err := os.WriteFile(cur, newKey, 0o600); err != nil {
		t.Fatal(err)
	}

	// Someone with database access softens the purpose of entry 1.
	withApp(t, dir, func(a *app.App) {
		if _, err := a.DB.RawExec(ctx, `UPDATE access_log_leaves SET data = REPLACE(data, 'legal_request', 'support_request') WHERE leaf_index = 1`); err != nil {
			t.Fatal(err)
		}
	})
	out, err = runCmd(t, "audit", "verify", "--data-dir", dir)
	if err == nil || !strings.Contains(out, "PROBLEM") || !strings.Contains(out, string(privacyProblem)) {
		t.Fatalf("tampering not reported: %v\n%s", err, out)
	}
	// A pinned key that is not the log's own: no stored checkpoint verifies.
	_, foreign, err := translog.GenerateSigningKey("localhost:8080/access-log")
	if err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "audit", "verify", "--data-dir", dir, "--verifier-key", foreign)
	if err == nil || !strings.Contains(out, "WARNING") || !strings.Contains(out, "checkpoint_invalid") {
		t.Fatalf("foreign pinned key: %v\n%s", err, out)
	}
}

// privacyProblem is the problem the altered entry must produce.
const privacyProblem = "checkpoint_root"
