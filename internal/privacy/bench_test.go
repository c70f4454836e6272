package privacy_test

import (
	"context"
	"testing"
	"time"

	"kurz/internal/privacy"
	"kurz/internal/testkit"
)

// BenchmarkStaffRead measures one moderator read of an account's personal data on SQLite
// with the real access log: append the entry, sign a checkpoint, unwrap the key and open
// the fields. Run: go test -run '^$' -bench StaffRead ./internal/privacy/
func BenchmarkStaffRead(b *testing.B) {
	d := testkit.OpenSQLite(b)
	dir := b.TempDir()
	ctx := context.Background()
	k, err := privacy.LoadKeys(ctx, d.Settings(), d.Vault(), privacy.KeyOptions{File: dir + "/master.key", Origin: "kurz.bench/access-log"})
	if err != nil {
		b.Fatal(err)
	}
	tl, err := k.OpenAccessLog(ctx, d.AccessLog(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{d: d, dir: dir, keys: k, now: time.Now().UTC()}
	f.vault = privacy.NewVault(d.Vault(), k, tl, time.Now, quiet)
	owner := f.account(b, "bench")
	a := privacy.Access{Actor: "01hmoderator", Role: "moderator", Purpose: "abuse_report", Fields: []privacy.Field{privacy.FieldEmail}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.vault.Read(ctx, owner, a); err != nil {
			b.Fatal(err)
		}
	}
}
