package db_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kurz/internal/db"
	"kurz/internal/privacy/translog"
	"kurz/internal/testkit"
)

const origin = "kurz.test/access-log"

func entry(n int) translog.Entry {
	return translog.Entry{
		At: time.UnixMilli(1_700_000_000_000 + int64(n)*1000), Actor: fmt.Sprintf("01hstaff%04d", n%3),
		Role: "moderator", Purpose: "abuse_report", Fields: []string{"email"},
		Subject: fmt.Sprintf("subjectpseudonym%06d", n%4),
	}
}

func openLog(t *testing.T, d *db.DB, signer string) *translog.Log {
	t.Helper()
	l, err := translog.Open(context.Background(), translog.Config{Store: d.AccessLog(), SignerKey: signer})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// filledLog appends n entries with a checkpoint every 5 and returns the log with its signer
// and verifier keys.
func filledLog(t *testing.T, d *db.DB, n int) (*translog.Log, string, string) {
	t.Helper()
	signer, verifier, err := translog.GenerateSigningKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t, d, signer)
	for i := range n {
		if _, err := l.Append(context.Background(), entry(i)); err != nil {
			t.Fatal(err)
		}
		if i%5 == 4 {
			if _, err := l.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l, signer, verifier
}

func auditOf(t *testing.T, d *db.DB, verifier string) *translog.Report {
	t.Helper()
	r, err := translog.Audit(context.Background(), d.AccessLog(), verifier)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAccessLogStore(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("proofs from the SQL store verify and an honest log passes the audit", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				l, signer, verifier := filledLog(t, d, 23)
				note, err := l.Checkpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				cp, err := translog.VerifyCheckpoint(note, verifier)
				if err != nil || cp.Size != 23 {
					t.Fatalf("checkpoint %+v %v", cp, err)
				}
				recs, err := l.EntriesFor(ctx, entry(2).Subject, 0, 100)
				if err != nil || len(recs) != 6 {
					t.Fatalf("entries of one subject: %d %v", len(recs), err)
				}
				for _, r := range recs {
					if r.Entry.Subject != entry(2).Subject {
						t.Fatalf("entry %d is about %s", r.Index, r.Entry.Subject)
					}
					p, err := l.InclusionProof(ctx, r.Index, cp.Size)
					if err != nil {
						t.Fatal(err)
					}
					if err := translog.VerifyInclusion(r.Data, r.Index, cp.Size, p, cp.Root); err != nil {
						t.Fatalf("entry %d: %v", r.Index, err)
					}
				}
				for _, size1 := range []uint64{1, 5, 10, 22} {
					p, err := l.ConsistencyProof(ctx, size1, 23)
					if err != nil {
						t.Fatal(err)
					}
					old, _ := d.AccessLog().Checkpoints(ctx, size1, 1)
					if size1%5 == 0 {
						c, _ := translog.VerifyCheckpoint(old[0].Note, verifier)
						if err := translog.VerifyConsistency(size1, 23, p, c.Root, cp.Root); err != nil {
							t.Fatalf("consistency %d..23: %v", size1, err)
						}
					}
				}
				if r := auditOf(t, d, verifier); !r.OK() || r.Size != 23 || r.Checkpoints != 5 {
					t.Fatalf("honest log:\n%s", r)
				}
				// A fresh process sees the same tree.
				again := openLog(t, d, signer)
				if _, err := again.Append(ctx, entry(23)); err != nil {
					t.Fatal(err)
				}
				if n, _ := d.AccessLog().Size(ctx); n != 24 {
					t.Fatalf("size after reopen and append: %d", n)
				}
			})
			t.Run("replicas appending at once keep one tree", func(t *testing.T) {
				d := e.Open(t)
				signer, verifier, _ := translog.GenerateSigningKey(origin)
				replicas := []*translog.Log{openLog(t, d, signer), openLog(t, d, signer), openLog(t, d, signer)}
				var wg sync.WaitGroup
				errc := make(chan error, 6)
				for w := range 6 {
					l := replicas[w%3]
					wg.Go(func() {
						for i := range 8 {
							if _, err := l.Append(context.Background(), entry(w*8+i)); err != nil {
								errc <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					t.Fatal(err)
				}
				if _, err := replicas[1].Checkpoint(context.Background()); err != nil {
					t.Fatal(err)
				}
				r := auditOf(t, d, verifier)
				if !r.OK() || r.Size != 48 {
					t.Fatalf("after concurrent appends:\n%s", r)
				}
			})
			t.Run("a stale append is refused, not written at a gap", func(t *testing.T) {
				d := e.Open(t)
				ctx := context.Background()
				filledLog(t, d, 3)
				err := d.AccessLog().AppendLeaves(ctx, 1, []translog.Leaf{{Index: 1, Subject: "x", Data: []byte("{}")}}, nil)
				if err == nil || !strings.Contains(err.Error(), translog.ErrConflict.Error()) {
					t.Fatalf("append at a used index: %v", err)
				}
				// Even with entry 1 deleted behind the store's back, nothing is written into
				// the hole: the size stays one past the highest index.
				if _, err := d.RawExec(ctx, `DELETE FROM access_log_leaves WHERE leaf_index = 1`); err != nil {
					t.Fatal(err)
				}
				err = d.AccessLog().AppendLeaves(ctx, 1, []translog.Leaf{{Index: 1, Subject: "x", Data: []byte("{}")}}, nil)
				if err == nil || !strings.Contains(err.Error(), translog.ErrConflict.Error()) {
					t.Fatalf("append into a gap: %v", err)
				}
				if err := d.AccessLog().SaveCheckpoint(ctx, 5, []byte("a")); err != nil {
					t.Fatal(err)
				}
				if err := d.AccessLog().SaveCheckpoint(ctx, 5, []byte("b")); err == nil {
					t.Fatal("second checkpoint for one size accepted")
				}
			})
			tamper := []struct {
				name  string
				sql   func(d *db.DB) []string
				kinds []translog.ProblemKind
			}{
				{"altered entry", func(d *db.DB) []string {
					return []string{replaceSQL(d, "access_log_leaves", "data", "abuse_report", "legal_request", "leaf_index = 7")}
				},
					[]translog.ProblemKind{translog.ProblemNodeMismatch, translog.ProblemCheckpointRoot, translog.ProblemInclusion}},
				{"removed entry", static(`DELETE FROM access_log_leaves WHERE leaf_index = 12`),
					[]translog.ProblemKind{translog.ProblemLeafGap, translog.ProblemCheckpointRoot}},
				{"removed last entries", static(`DELETE FROM access_log_leaves WHERE leaf_index >= 18`),
					[]translog.ProblemKind{translog.ProblemCheckpointBeyondLog}},
				{"reordered entries", static(
					`UPDATE access_log_leaves SET leaf_index = 1000 WHERE leaf_index = 3`,
					`UPDATE access_log_leaves SET leaf_index = 3 WHERE leaf_index = 4`,
					`UPDATE access_log_leaves SET leaf_index = 4 WHERE leaf_index = 1000`),
					[]translog.ProblemKind{translog.ProblemCheckpointRoot, translog.ProblemInclusion}},
				{"entry hidden from its user", static(`UPDATE access_log_leaves SET subject = 'someoneelse0000000' WHERE leaf_index = 9`),
					[]translog.ProblemKind{translog.ProblemLeafMalformed}},
				{"forged checkpoint", func(d *db.DB) []string {
					return []string{replaceSQL(d, "access_log_checkpoints", "note", "\n15\n", "\n14\n", "tree_size = 15")}
				},
					[]translog.ProblemKind{translog.ProblemCheckpointInvalid}},
			}
			for _, tc := range tamper {
				t.Run("audit detects "+tc.name, func(t *testing.T) {
					d := e.Open(t)
					_, _, verifier := filledLog(t, d, 20)
					if r := auditOf(t, d, verifier); !r.OK() {
						t.Fatalf("before tampering:\n%s", r)
					}
					for _, q := range tc.sql(d) {
						n, err := d.RawExec(context.Background(), q)
						if err != nil || n == 0 {
							t.Fatalf("%s: %d rows, %v", q, n, err)
						}
					}
					r := auditOf(t, d, verifier)
					if r.OK() {
						t.Fatalf("tampering not detected:\n%s", r)
					}
					for _, k := range tc.kinds {
						if r.ProblemCounts[k] == 0 {
							t.Errorf("no %s problem reported:\n%s", k, r)
						}
					}
				})
			}
		})
	}
}

// replaceSQL changes text inside a byte column; PostgreSQL's bytea needs converting around
// REPLACE, SQLite's replace works on blobs as they are.
func replaceSQL(d *db.DB, table, col, old, new, where string) string {
	expr := fmt.Sprintf("REPLACE(%s, '%s', '%s')", col, old, new)
	if d.Dialect == db.Postgres {
		expr = fmt.Sprintf("convert_to(REPLACE(convert_from(%s, 'UTF8'), '%s', '%s'), 'UTF8')", col, old, new)
	}
	return fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", table, col, expr, where)
}

func static(q ...string) func(*db.DB) []string { return func(*db.DB) []string { return q } }
