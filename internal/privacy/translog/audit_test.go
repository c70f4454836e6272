package translog

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// auditedLog is a log of 40 entries with checkpoints at 10, 25 and 40: the history an
// auditor inspects in every scenario below.
func auditedLog(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.appendN(t, 0, 10)
	f.checkpoint(t)
	f.appendN(t, 10, 15)
	f.checkpoint(t)
	f.appendN(t, 25, 15)
	f.checkpoint(t)
	return f
}

func audit(t *testing.T, s Store, vkey string) *Report {
	t.Helper()
	r, err := Audit(context.Background(), s, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireProblem fails unless the report has a problem of kind about index.
func requireProblem(t *testing.T, r *Report, kind ProblemKind, index uint64, detail string) {
	t.Helper()
	for _, p := range r.Problems {
		if p.Kind == kind && p.Index == index && strings.Contains(p.Detail, detail) {
			return
		}
	}
	t.Fatalf("no %s problem at %d mentioning %q; report:\n%s", kind, index, detail, r)
}

func requireNoProblem(t *testing.T, r *Report, kinds ...ProblemKind) {
	t.Helper()
	for _, k := range kinds {
		if r.ProblemCounts[k] > 0 {
			t.Fatalf("unexpected %s; report:\n%s", k, r)
		}
	}
}

// entriesFailingInclusion lists the leaf indexes whose inclusion proofs failed.
func entriesFailingInclusion(r *Report) []uint64 {
	var out []uint64
	for _, p := range r.Problems {
		if p.Kind == ProblemInclusion {
			out = append(out, p.Index)
		}
	}
	return out
}

func TestAuditPassesAnHonestLog(t *testing.T) {
	f := auditedLog(t)
	f.appendN(t, 40, 3) // not yet signed
	r := audit(t, f.store, f.verifierKey)
	if !r.OK() {
		t.Fatalf("honest log flagged:\n%s", r)
	}
	if r.Size != 43 || r.Checkpoints != 3 || r.Latest == nil || r.Latest.Size != 40 || r.Unsigned != 3 {
		t.Fatalf("report: size %d, checkpoints %d, latest %+v, unsigned %d", r.Size, r.Checkpoints, r.Latest, r.Unsigned)
	}
	if !bytes.Equal(r.Root, refRoot(leafData(t, f.store))) || r.Origin != testOrigin {
		t.Fatal("report root or origin wrong")
	}
	if !strings.Contains(r.String(), "OK") {
		t.Fatalf("summary: %s", r)
	}
}

func TestAuditDetectsAlteredEntryInPlace(t *testing.T) {
	// An operator edits one row: the purpose of entry 17 becomes a more innocent one.
	f := auditedLog(t)
	leaf := &f.store.leaves[17]
	leaf.Data = bytes.Replace(leaf.Data, []byte("abuse_report"), []byte("legal_request"), 1)

	r := audit(t, f.store, f.verifierKey)
	requireProblem(t, r, ProblemNodeMismatch, 17, "level 0, index 17")
	requireProblem(t, r, ProblemCheckpointRoot, 25, "entries 10 to 24")
	requireProblem(t, r, ProblemCheckpointRoot, 40, "entries 10 to 39")
	if got := entriesFailingInclusion(r); !slices.Equal(got, []uint64{17}) {
		t.Fatalf("inclusion failures %v, want exactly [17]", got)
	}
	requireNoProblem(t, r, ProblemLeafGap, ProblemLeafMalformed, ProblemCheckpointInvalid)
	if strings.Contains(r.String(), "OK:") {
		t.Fatal("summary claims OK")
	}
}

func TestAuditDetectsAlteredEntryWithRebuiltTree(t *testing.T) {
	// A careful operator also rewrites every tree node so the store is self-consistent.
	// Only the signed checkpoints can catch this.
	f := auditedLog(t)
	datas := leafData(t, f.store)
	datas[17] = bytes.Replace(datas[17], []byte("abuse_report"), []byte("legal_request"), 1)
	s := rebuiltStore(t, datas, allCheckpoints(t, f.store))

	r := audit(t, s, f.verifierKey)
	requireNoProblem(t, r, ProblemNodeMismatch, ProblemLeafGap, ProblemLeafMalformed)
	requireProblem(t, r, ProblemCheckpointRoot, 25, "entries 10 to 24")
	requireProblem(t, r, ProblemCheckpointRoot, 40, "")
	if r.ProblemCounts[ProblemCheckpointRoot] != 2 {
		t.Fatalf("checkpoint 10 is unaffected but was flagged:\n%s", r)
	}
	if !slices.Contains(entriesFailingInclusion(r), 17) {
		t.Fatalf("entry 17 passes inclusion:\n%s", r)
	}
	// The check between 10 and 25 cannot be made from the rewritten tree.
	requireProblem(t, r, ProblemCheckpointInconsistent, 25, "no longer produce checkpoint 25")
}

func TestAuditDetectsRemovedEntry(t *testing.T) {
	t.Run("row deleted", func(t *testing.T) {
		f := auditedLog(t)
		f.store.leaves = slices.Delete(f.store.leaves, 30, 31)
		r := audit(t, f.store, f.verifierKey)
		requireProblem(t, r, ProblemLeafGap, 30, "expected entry 30, store has entry 31")
		requireProblem(t, r, ProblemCheckpointBeyondLog, 40, "the log has 39")
		requireNoProblem(t, r, ProblemCheckpointInvalid)
		if r.ProblemCounts[ProblemCheckpointRoot] != 0 {
			// 10 and 25 still match: nothing before 30 changed.
			t.Fatalf("earlier checkpoints flagged:\n%s", r)
		}
		if r.Latest == nil || r.Latest.Size != 25 {
			t.Fatalf("inclusion checked against %+v, want checkpoint 25", r.Latest)
		}
	})
	t.Run("renumbered and rebuilt", func(t *testing.T) {
		f := auditedLog(t)
		datas := leafData(t, f.store)
		datas = slices.Delete(datas, 5, 6)
		s := rebuiltStore(t, datas, allCheckpoints(t, f.store))
		r := audit(t, s, f.verifierKey)
		requireNoProblem(t, r, ProblemLeafGap, ProblemNodeMismatch)
		requireProblem(t, r, ProblemCheckpointRoot, 10, "entries 0 to 9")
		requireProblem(t, r, ProblemCheckpointRoot, 25, "entries 0 to 24")
		requireProblem(t, r, ProblemCheckpointBeyondLog, 40, "the log has 39")
	})
}

func TestAuditDetectsSwappedEntries(t *testing.T) {
	t.Run("rows swapped", func(t *testing.T) {
		f := auditedLog(t)
		l := f.store.leaves
		l[12].Data, l[13].Data = l[13].Data, l[12].Data
		l[12].Subject, l[13].Subject = l[13].Subject, l[12].Subject
		r := audit(t, f.store, f.verifierKey)
		requireProblem(t, r, ProblemNodeMismatch, 12, "level 0, index 12")
		requireProblem(t, r, ProblemNodeMismatch, 13, "level 0, index 13")
		requireProblem(t, r, ProblemCheckpointRoot, 25, "entries 10 to 24")
		if got := entriesFailingInclusion(r); !slices.Equal(got, []uint64{12, 13}) {
			t.Fatalf("inclusion failures %v, want [12 13]", got)
		}
	})
	t.Run("reordered and rebuilt", func(t *testing.T) {
		f := auditedLog(t)
		datas := leafData(t, f.store)
		datas[2], datas[3] = datas[3], datas[2]
		s := rebuiltStore(t, datas, allCheckpoints(t, f.store))
		r := audit(t, s, f.verifierKey)
		requireNoProblem(t, r, ProblemNodeMismatch, ProblemLeafGap)
		for _, size := range []uint64{10, 25, 40} {
			requireProblem(t, r, ProblemCheckpointRoot, size, "entries 0 to")
		}
		got := entriesFailingInclusion(r)
		if !slices.Contains(got, 2) || !slices.Contains(got, 3) {
			t.Fatalf("swapped entries pass inclusion: %v", got)
		}
	})
}

func TestAuditDetectsForgedCheckpoints(t *testing.T) {
	t.Run("signed by another key", func(t *testing.T) {
		f := auditedLog(t)
		// An attacker without the server's key signs a checkpoint for a bigger log.
		f.appendN(t, 40, 2)
		otherKey, _, _ := GenerateSigningKey(testOrigin)
		signer, _ := note.NewSigner(otherKey)
		cp := Checkpoint{Origin: testOrigin, Size: 42, Root: refRoot(leafData(t, f.store))}
		forged, _ := note.Sign(&note.Note{Text: cp.Body()}, signer)
		if err := f.store.SaveCheckpoint(t.Context(), 42, forged); err != nil {
			t.Fatal(err)
		}
		r := audit(t, f.store, f.verifierKey)
		requireProblem(t, r, ProblemCheckpointInvalid, 42, "")
		if r.ProblemCounts[ProblemCheckpointInvalid] != 1 || r.Latest.Size != 40 {
			t.Fatalf("report:\n%s", r)
		}
	})
	t.Run("note text altered", func(t *testing.T) {
		f := auditedLog(t)
		c := &f.store.checkpoints[1] // size 25
		c.Note = bytes.Replace(c.Note, []byte("\n25\n"), []byte("\n24\n"), 1)
		r := audit(t, f.store, f.verifierKey)
		requireProblem(t, r, ProblemCheckpointInvalid, 25, "signature")
	})
	t.Run("filed under the wrong size", func(t *testing.T) {
		f := auditedLog(t)
		f.store.checkpoints[1].Size = 26
		r := audit(t, f.store, f.verifierKey)
		requireProblem(t, r, ProblemCheckpointInvalid, 26, "signs size 25")
	})
	t.Run("fork signed with the real key", func(t *testing.T) {
		// The operator, who holds the key, rewrites entry 3 after checkpoint 10 was
		// published, rebuilds everything and signs a new checkpoint over the new history.
		f := auditedLog(t)
		datas := leafData(t, f.store)
		datas[3] = bytes.Replace(datas[3], []byte("abuse_report"), []byte("legal_request"), 1)
		s := rebuiltStore(t, datas, allCheckpoints(t, f.store)[:1]) // keeps only checkpoint 10
		f.log = f.open(t, s)
		f.appendN(t, 40, 1)
		f.checkpoint(t) // size 41, honestly signed over the rewritten tree
		r := audit(t, s, f.verifierKey)
		requireProblem(t, r, ProblemCheckpointRoot, 10, "entries 0 to 9")
		requireProblem(t, r, ProblemCheckpointInconsistent, 41, "forked")
		requireNoProblem(t, r, ProblemNodeMismatch, ProblemCheckpointInvalid)
	})
}

func TestAuditDetectsTruncation(t *testing.T) {
	f := auditedLog(t)
	datas := leafData(t, f.store)
	s := rebuiltStore(t, datas[:33], allCheckpoints(t, f.store))
	r := audit(t, s, f.verifierKey)
	requireProblem(t, r, ProblemCheckpointBeyondLog, 40, "removed from the end")
	requireNoProblem(t, r, ProblemCheckpointRoot, ProblemInclusion)
}

func TestAuditDetectsHiddenSubject(t *testing.T) {
	// Changing only the subject column would hide an entry from the user's own view.
	f := auditedLog(t)
	f.store.leaves[8].Subject = pseudonym(99)
	r := audit(t, f.store, f.verifierKey)
	requireProblem(t, r, ProblemLeafMalformed, 8, "subject column")
	requireNoProblem(t, r, ProblemCheckpointRoot, ProblemInclusion)
}

func TestAuditDetectsDamagedNode(t *testing.T) {
	f := auditedLog(t)
	id := NodeID{Level: 3, Index: 0} // the subtree over entries 0 to 7
	f.store.nodes[id] = bytes.Repeat([]byte{7}, 32)
	r := audit(t, f.store, f.verifierKey)
	requireProblem(t, r, ProblemNodeMismatch, 0, "level 3, index 0")
	requireNoProblem(t, r, ProblemCheckpointRoot)
	// Only proofs for entries 8 to 15 use this node as a sibling: 0 to 7 go through its
	// descendants, and 16 onwards use the untouched node over 0 to 15.
	if got := entriesFailingInclusion(r); !slices.Equal(got, []uint64{8, 9, 10, 11, 12, 13, 14, 15}) {
		t.Fatalf("inclusion failures %v, want entries 8 to 15", got)
	}
	requireProblem(t, r, ProblemInclusion, 8, "proof does not match the signed root")
	requireProblem(t, r, ProblemCheckpointInconsistent, 25, "nodes are damaged")
	delete(f.store.nodes, id)
	r = audit(t, f.store, f.verifierKey)
	requireProblem(t, r, ProblemNodeMismatch, 0, "missing")
	requireProblem(t, r, ProblemInclusion, 8, "cannot be built")
}

func TestAuditListsEachKindBoundedly(t *testing.T) {
	f := newFixture(t)
	f.appendN(t, 0, 100)
	f.checkpoint(t)
	for i := range f.store.leaves {
		f.store.leaves[i].Data = append(f.store.leaves[i].Data, ' ')
	}
	r := audit(t, f.store, f.verifierKey)
	if r.ProblemCounts[ProblemLeafMalformed] != 100 {
		t.Fatalf("counted %d malformed leaves, want 100", r.ProblemCounts[ProblemLeafMalformed])
	}
	n := 0
	for _, p := range r.Problems {
		if p.Kind == ProblemLeafMalformed {
			n++
		}
	}
	if n != MaxProblemsPerKind {
		t.Fatalf("listed %d malformed leaves, want %d", n, MaxProblemsPerKind)
	}
}
