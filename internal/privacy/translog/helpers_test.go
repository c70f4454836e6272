package translog

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

const testOrigin = "kurz.test/access-log"

// pseudonym stands in for keys.Lookup.Pseudonym: 22 base64url characters.
func pseudonym(user int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "user-%d", user))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// accessBy is a moderator reading a user's e-mail; n varies actor, subject and time.
func accessBy(n int) Entry {
	return Entry{
		At:      time.UnixMilli(1_700_000_000_000 + int64(n)*1000),
		Actor:   fmt.Sprintf("01HSTAFF%04d", n%7),
		Role:    "moderator",
		Purpose: "abuse_report",
		Fields:  []string{"email"},
		Subject: pseudonym(n % 5),
	}
}

type fixture struct {
	store       *MemoryStore
	log         *Log
	signerKey   string
	verifierKey string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	skey, vkey, err := GenerateSigningKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: NewMemoryStore(), signerKey: skey, verifierKey: vkey}
	f.log = f.open(t, f.store)
	return f
}

func (f *fixture) open(t testing.TB, s Store) *Log {
	t.Helper()
	l, err := Open(context.Background(), Config{
		Store:     s,
		SignerKey: f.signerKey,
		Vocabulary: Vocabulary{
			Roles:    []string{"moderator", "support", "system"},
			Purposes: []string{"abuse_report", "legal_request", "account_recovery"},
			Fields:   []string{"email", "phone", "birth_date"},
		},
		Now: func() time.Time { return time.UnixMilli(1_800_000_000_000) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendN appends accessBy(from) … accessBy(from+n-1).
func (f *fixture) appendN(t testing.TB, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		idx, err := f.log.Append(context.Background(), accessBy(i))
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("entry %d got index %d", i, idx)
		}
	}
}

func (f *fixture) checkpoint(t testing.TB) Checkpoint {
	t.Helper()
	signed, err := f.log.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := VerifyCheckpoint(signed, f.verifierKey)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// refRoot is RFC 6962's MTH written straight from section 2.1, independent of the merkle
// module, to cross-check it.
func refRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		s := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return s[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(refRoot(leaves[:k]))
	h.Write(refRoot(leaves[k:]))
	return h.Sum(nil)
}

// leafData returns every leaf's bytes as stored.
func leafData(t testing.TB, s Store) [][]byte {
	t.Helper()
	leaves, err := s.ReadLeaves(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(leaves))
	for i, l := range leaves {
		out[i] = l.Data
	}
	return out
}

// rebuiltStore is what a careful attacker with database access produces: a store whose
// leaves, subjects and tree nodes are all mutually consistent, holding the given leaves and
// the given (old) checkpoints.
func rebuiltStore(t testing.TB, datas [][]byte, cps []StoredCheckpoint) *MemoryStore {
	t.Helper()
	s := NewMemoryStore()
	tree := rangeFactory.NewEmptyRange(0)
	var nodes []Node
	leaves := make([]Leaf, len(datas))
	for i, d := range datas {
		e, err := DecodeEntry(d)
		if err != nil {
			t.Fatal(err)
		}
		leaves[i] = Leaf{Index: uint64(i), Subject: e.Subject, Data: d}
		tree.Append(LeafHash(d), func(id compact.NodeID, h []byte) {
			nodes = append(nodes, Node{ID: NodeID{Level: uint8(id.Level), Index: id.Index}, Hash: h})
		})
	}
	ctx := context.Background()
	if err := s.AppendLeaves(ctx, 0, leaves, nodes); err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		if err := s.SaveCheckpoint(ctx, c.Size, c.Note); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func allCheckpoints(t testing.TB, s Store) []StoredCheckpoint {
	t.Helper()
	cps, err := s.Checkpoints(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return cps
}
