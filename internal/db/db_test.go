package db_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
	"kurz/internal/testkit"
)

func newAccount(ids *id.Generator, username string) *db.AccountRow {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &db.AccountRow{ID: ids.New(), Username: username, Role: "user", Region: "eu", State: "active",
		Personalised: true, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
}

func TestStore(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("migrations are idempotent and recorded", func(t *testing.T) {
				d := e.Open(t)
				applied, err := d.Migrate(context.Background())
				if err != nil || len(applied) != 0 {
					t.Fatalf("second migrate applied %v, err %v", applied, err)
				}
				steps, _ := db.Migrations(d.Dialect)
				v, err := d.SchemaVersion(context.Background())
				if err != nil || v != len(steps) {
					t.Fatalf("schema version %d, want %d (%v)", v, len(steps), err)
				}
			})
			t.Run("usernames are unique regardless of case", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				if err := d.Accounts().Create(ctx, newAccount(ids, "alice")); err != nil {
					t.Fatal(err)
				}
				err := d.Accounts().Create(ctx, newAccount(ids, "ALICE"))
				if !errors.Is(err, db.ErrDuplicate) {
					t.Fatalf("want ErrDuplicate, got %v", err)
				}
				got, err := d.Accounts().ByUsername(ctx, "Alice")
				if err != nil || got.Username != "alice" {
					t.Fatalf("lookup ignoring case: %v %v", got, err)
				}
				if _, err := d.Accounts().ByID(ctx, ids.New()); !errors.Is(err, db.ErrNotFound) {
					t.Fatalf("unknown id: %v", err)
				}
			})
			t.Run("an account's language is read wherever the account is", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				now := time.Now()
				pia, fan := newAccount(ids, "pia"), newAccount(ids, "fan")
				pia.Language = "pt"
				for _, a := range []*db.AccountRow{pia, fan} {
					if err := d.Accounts().Create(ctx, a); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Sessions().Create(ctx, &db.SessionRow{ID: ids.New(), AccountID: pia.ID, TokenHash: []byte("pia"),
					Kind: "token", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				if _, _, err := d.Social().Follow(ctx, fan.ID, pia.ID, false, now); err != nil {
					t.Fatal(err)
				}
				read := func() map[string]string {
					t.Helper()
					byID, err := d.Accounts().ByID(ctx, pia.ID)
					if err != nil {
						t.Fatal(err)
					}
					_, bySession, err := d.Sessions().ByTokenHash(ctx, []byte("pia"), now)
					if err != nil {
						t.Fatal(err)
					}
					followed, err := d.Social().FollowList(ctx, fan.ID, false, "accepted", "", "", 10)
					if err != nil || len(followed) != 1 {
						t.Fatalf("fan follows %d accounts (%v)", len(followed), err)
					}
					return map[string]string{"by id": byID.Language, "by session": bySession.Language, "in a follow list": followed[0].Language}
				}
				for where, got := range read() {
					if got != "pt" {
						t.Errorf("%s: language %q, want pt as created", where, got)
					}
				}
				bio, sv := "olá", "sv"
				if _, err := d.Accounts().UpdateProfile(ctx, pia.ID, db.ProfileUpdate{Bio: &bio}, now); err != nil {
					t.Fatal(err)
				}
				if got := read()["by id"]; got != "pt" {
					t.Fatalf("an edit of the bio changed the language to %q", got)
				}
				row, err := d.Accounts().UpdateProfile(ctx, pia.ID, db.ProfileUpdate{Language: &sv}, now)
				if err != nil || row.Language != "sv" {
					t.Fatalf("UpdateProfile's row: %+v, %v", row, err)
				}
				for where, got := range read() {
					if got != "sv" {
						t.Errorf("%s: language %q after the change, want sv", where, got)
					}
				}
			})
			t.Run("suspension ends sessions in the same transaction", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				a := newAccount(ids, "bob")
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				for i := 0; i < 3; i++ {
					err := d.Sessions().Create(ctx, &db.SessionRow{ID: ids.New(), AccountID: a.ID, TokenHash: []byte(fmt.Sprint("h", i)),
						Kind: "browser", Device: "Firefox on Linux", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
					if err != nil {
						t.Fatal(err)
					}
				}
				if _, acc, err := d.Sessions().ByTokenHash(ctx, []byte("h1"), now); err != nil || acc.ID != a.ID {
					t.Fatalf("session lookup: %v", err)
				}
				if err := d.Accounts().SetState(ctx, a.ID, "suspended", now); err != nil {
					t.Fatal(err)
				}
				list, err := d.Sessions().ListByAccount(ctx, a.ID, "", 10, now)
				if err != nil || len(list) != 0 {
					t.Fatalf("sessions after suspension: %d %v", len(list), err)
				}
				got, _ := d.Accounts().ByID(ctx, a.ID)
				if got.State != "suspended" || got.SuspendedAt.IsZero() {
					t.Fatalf("state %q suspended_at %v", got.State, got.SuspendedAt)
				}
			})
			t.Run("touches written together never move a session back", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				a := newAccount(ids, "dora")
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				now := time.Now().UTC().Truncate(time.Millisecond)
				var sids []string
				for i := range 2 {
					s := &db.SessionRow{ID: ids.New(), AccountID: a.ID, TokenHash: []byte(fmt.Sprint("x", i)), Kind: "token",
						CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
					if err := d.Sessions().Create(ctx, s); err != nil {
						t.Fatal(err)
					}
					sids = append(sids, s.ID)
				}
				later := now.Add(10 * time.Minute)
				err := d.Sessions().TouchMany(ctx, []db.SessionTouch{
					{ID: sids[0], LastSeen: later, Expires: later.Add(time.Hour)},
					{ID: sids[1], LastSeen: now.Add(-time.Minute), Expires: now}, // older than what is stored
					{ID: ids.New(), LastSeen: later, Expires: later},             // a session since ended
				})
				if err != nil {
					t.Fatal(err)
				}
				list, err := d.Sessions().ListByAccount(ctx, a.ID, "", 10, now)
				if err != nil || len(list) != 2 {
					t.Fatalf("%d sessions: %v", len(list), err)
				}
				for _, s := range list {
					wantSeen, wantExp := now, now.Add(time.Hour)
					if s.ID == sids[0] {
						wantSeen, wantExp = later, later.Add(time.Hour)
					}
					if !s.LastSeenAt.Equal(wantSeen) || !s.ExpiresAt.Equal(wantExp) {
						t.Errorf("session %s: seen %v expires %v, want %v %v", s.ID, s.LastSeenAt, s.ExpiresAt, wantSeen, wantExp)
					}
				}
			})
			t.Run("session pages are newest first without repeats", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				a := newAccount(ids, "carol")
				if err := d.Accounts().Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				var want []string
				for i := 0; i < 7; i++ {
					s := &db.SessionRow{ID: ids.New(), AccountID: a.ID, TokenHash: []byte(fmt.Sprint("t", i)), Kind: "token",
						CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
					if err := d.Sessions().Create(ctx, s); err != nil {
						t.Fatal(err)
					}
					want = append(want, s.ID)
				}
				sort.Sort(sort.Reverse(sort.StringSlice(want)))
				var got []string
				after := ""
				for {
					page, err := d.Sessions().ListByAccount(ctx, a.ID, after, 3, now)
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range page {
						got = append(got, s.ID)
					}
					if len(page) < 3 {
						break
					}
					after = page[len(page)-1].ID
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("pages %v, want %v", got, want)
				}
			})
			t.Run("concurrent writers all land", func(t *testing.T) {
				d := e.Open(t)
				ids := id.NewGenerator()
				ctx := context.Background()
				var wg sync.WaitGroup
				errs := make(chan error, 40)
				for i := 0; i < 40; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						errs <- d.Accounts().Create(ctx, newAccount(ids, fmt.Sprintf("user%02d", i)))
					}(i)
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				if n, err := d.Accounts().Count(ctx); err != nil || n != 40 {
					t.Fatalf("count %d %v", n, err)
				}
			})
		})
	}
}

// TestMigrationsMatchAcrossDialects keeps the two schemas in step: every migration exists
// for both engines, and after migrating, both have the same tables and columns.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	sq, _ := db.Migrations(db.SQLite)
	pg, _ := db.Migrations(db.Postgres)
	if len(sq) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(sq), len(pg))
	}
	for i := range sq {
		if sq[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i+1, sq[i].Name, pg[i].Name)
		}
	}
	engines := testkit.Engines(t)
	if len(engines) < 2 {
		t.Log("PostgreSQL unavailable: comparing names only")
		return
	}
	cols := map[string]string{}
	for _, e := range engines {
		d := e.Open(t)
		got, err := d.Columns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cols[e.Name] = fmt.Sprint(got)
	}
	if cols["sqlite"] != cols["postgres"] {
		t.Fatalf("schemas differ:\nsqlite:   %s\npostgres: %s", cols["sqlite"], cols["postgres"])
	}
}
