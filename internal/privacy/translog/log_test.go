package translog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestRootsMatchRFC6962(t *testing.T) {
	f := newFixture(t)
	for n := 1; n <= 33; n++ {
		f.appendN(t, n-1, 1)
		cp := f.checkpoint(t)
		if want := refRoot(leafData(t, f.store)); !bytes.Equal(cp.Root, want) {
			t.Fatalf("size %d: root differs from the RFC 6962 definition", n)
		}
	}
}

func TestInclusionProofsForEveryEntry(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	datas := [][]byte{}
	for n := 1; n <= 21; n++ {
		f.appendN(t, n-1, 1)
		datas = leafData(t, f.store)
		root := refRoot(datas)
		for i := range n {
			p, err := f.log.InclusionProof(ctx, uint64(i), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(datas[i], uint64(i), uint64(n), p, root); err != nil {
				t.Fatalf("entry %d of %d: %v", i, n, err)
			}
			// The proof is for this entry only.
			other := datas[(i+1)%n]
			if n > 1 {
				if err := VerifyInclusion(other, uint64(i), uint64(n), p, root); err == nil {
					t.Fatalf("entry %d's proof also proves entry %d", i, (i+1)%n)
				}
			}
		}
	}
	// Proofs against an older, smaller tree still work after the log grew.
	p, err := f.log.InclusionProof(ctx, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(datas[3], 3, 8, p, refRoot(datas[:8])); err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.InclusionProof(ctx, 21, 21); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("index == size: %v", err)
	}
	if _, err := f.log.InclusionProof(ctx, 0, 22); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("size beyond the log: %v", err)
	}
}

func TestConsistencyProofsForEveryPair(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	f.appendN(t, 0, 19)
	datas := leafData(t, f.store)
	for a := 0; a <= 19; a++ {
		for b := a; b <= 19; b++ {
			p, err := f.log.ConsistencyProof(ctx, uint64(a), uint64(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(uint64(a), uint64(b), p, refRoot(datas[:a]), refRoot(datas[:b])); err != nil {
				t.Fatalf("%d -> %d: %v", a, b, err)
			}
			if a > 0 && a < b {
				forked := bytes.Clone(datas[a-1])
				forked[len(forked)-3] ^= 1
				rewritten := append(append([][]byte{}, datas[:a-1]...), forked)
				if VerifyConsistency(uint64(a), uint64(b), p, refRoot(rewritten), refRoot(datas[:b])) == nil {
					t.Fatalf("%d -> %d: proof accepted a rewritten prefix", a, b)
				}
			}
		}
	}
	if _, err := f.log.ConsistencyProof(ctx, 5, 4); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("size1 > size2: %v", err)
	}
}

func TestReopenContinuesTheSameTree(t *testing.T) {
	f := newFixture(t)
	f.appendN(t, 0, 13)
	before := f.checkpoint(t)
	// A restart: a fresh Log over the same store.
	f.log = f.open(t, f.store)
	f.appendN(t, 13, 10)
	after := f.checkpoint(t)
	if !bytes.Equal(after.Root, refRoot(leafData(t, f.store))) {
		t.Fatal("root after restart differs from the RFC 6962 definition")
	}
	p, err := f.log.ConsistencyProof(t.Context(), before.Size, after.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyConsistency(before.Size, after.Size, p, before.Root, after.Root); err != nil {
		t.Fatal(err)
	}
}

func TestAppendBatch(t *testing.T) {
	f := newFixture(t)
	f.appendN(t, 0, 3)
	batch := []Entry{accessBy(3), accessBy(4), accessBy(5)}
	first, err := f.log.AppendBatch(t.Context(), batch)
	if err != nil || first != 3 {
		t.Fatalf("first=%d err=%v", first, err)
	}
	bad := []Entry{accessBy(6), {Actor: "x"}}
	if _, err := f.log.AppendBatch(t.Context(), bad); !errors.Is(err, ErrInvalidEntry) {
		t.Fatalf("batch with an invalid entry: %v", err)
	}
	if n, _ := f.log.Size(t.Context()); n != 6 {
		t.Fatalf("size %d after a rejected batch, want 6", n)
	}
	if !bytes.Equal(f.checkpoint(t).Root, refRoot(leafData(t, f.store))) {
		t.Fatal("batch appends build a different tree")
	}
}

// failingStore refuses appends, to show a failed write leaves the log usable and unchanged.
type failingStore struct {
	*MemoryStore
	fail bool
}

func (s *failingStore) AppendLeaves(ctx context.Context, start uint64, leaves []Leaf, nodes []Node) error {
	if s.fail {
		return errors.New("disk full")
	}
	return s.MemoryStore.AppendLeaves(ctx, start, leaves, nodes)
}

func TestFailedAppendLeavesTreeIntact(t *testing.T) {
	f := newFixture(t)
	s := &failingStore{MemoryStore: f.store}
	f.log = f.open(t, s)
	f.appendN(t, 0, 5)
	s.fail = true
	if _, err := f.log.Append(t.Context(), accessBy(99)); err == nil {
		t.Fatal("append succeeded on a failing store")
	}
	s.fail = false
	f.appendN(t, 5, 5)
	if !bytes.Equal(f.checkpoint(t).Root, refRoot(leafData(t, f.store))) {
		t.Fatal("tree corrupted by a failed append")
	}
}

func TestReplicasAppendingConcurrently(t *testing.T) {
	// Two servers sharing one database each have their own Log; the store's conflict check
	// is what keeps the tree whole.
	f := newFixture(t)
	replicas := []*Log{f.log, f.open(t, f.store), f.open(t, f.store)}
	const perWorker = 40
	var wg sync.WaitGroup
	errs := make(chan error, len(replicas)*2)
	for w := range len(replicas) * 2 {
		l := replicas[w%len(replicas)]
		wg.Go(func() {
			for i := range perWorker {
				if _, err := l.Append(context.Background(), accessBy(w*perWorker+i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := len(replicas) * 2 * perWorker
	if n, _ := f.store.Size(t.Context()); n != uint64(want) {
		t.Fatalf("size %d, want %d", n, want)
	}
	f.checkpoint(t)
	r, err := Audit(t.Context(), f.store, f.verifierKey)
	if err != nil || !r.OK() {
		t.Fatalf("audit after concurrent appends: %v\n%s", err, r)
	}
	seen := map[string]bool{}
	for _, d := range leafData(t, f.store) {
		seen[string(d)] = true
	}
	if len(seen) != want {
		t.Fatalf("%d distinct entries, want %d", len(seen), want)
	}
}

func TestEntriesForOneUser(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	f.appendN(t, 0, 23)
	cp := f.checkpoint(t)
	subject := pseudonym(2) // accessBy(n) reads user n%5
	recs, err := f.log.EntriesFor(ctx, subject, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for i := 2; i < 23; i += 5 {
		want = append(want, uint64(i))
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		if rec.Index != want[i] || rec.Entry.Subject != subject {
			t.Fatalf("record %d: index %d subject %s", i, rec.Index, rec.Entry.Subject)
		}
		// What the user does with it: check it against the signed checkpoint.
		p, err := f.log.InclusionProof(ctx, rec.Index, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(rec.Data, rec.Index, cp.Size, p, cp.Root); err != nil {
			t.Fatal(err)
		}
	}
	page, _ := f.log.EntriesFor(ctx, subject, want[1]+1, 2)
	if len(page) != 2 || page[0].Index != want[2] {
		t.Fatalf("paging: %+v", page)
	}
	all, _ := f.log.Entries(ctx, 20, 10)
	if len(all) != 3 || all[0].Index != 20 {
		t.Fatalf("Entries(20, 10) returned %d", len(all))
	}
	if got := fmt.Sprint(all[0].Entry.Fields); got != "[email]" {
		t.Fatalf("fields %s", got)
	}
}

func TestStaleReplicaCatchesUp(t *testing.T) {
	f := newFixture(t)
	stale := f.open(t, f.store) // opened while the log is empty
	f.appendN(t, 0, 3)
	idx, err := stale.Append(t.Context(), accessBy(3))
	if err != nil {
		t.Fatal(err)
	}
	if idx != 3 {
		t.Fatalf("stale replica appended at %d, want 3", idx)
	}
	if !bytes.Equal(f.checkpoint(t).Root, refRoot(leafData(t, f.store))) {
		t.Fatal("tree differs after a stale replica appended")
	}
}
