package recsys

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkSnapshot writes and reads the snapshot of a model of 10,000 videos, 1,000
// viewers and 100,000 events (BenchmarkAtScale does it at the scale).
//
//	go test -run '^$' -bench Snapshot ./internal/recsys/
func BenchmarkSnapshot(b *testing.B) {
	w := newWorld(2026, 10_000, 1_000, 50)
	evs := append(w.publishAll(), w.sessions(100_000-len(w.videos))...)
	r := newTestRecommender(b, DefaultConfig())
	applyAll(b, r, evs)
	var snap bytes.Buffer
	if err := r.WriteSnapshot(&snap); err != nil {
		b.Fatal(err)
	}
	b.Run("Write", func(b *testing.B) {
		b.SetBytes(int64(snap.Len()))
		for range b.N {
			if err := r.WriteSnapshot(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Read", func(b *testing.B) {
		b.SetBytes(int64(snap.Len()))
		for range b.N {
			if err := newTestRecommender(b, DefaultConfig()).ReadSnapshot(bytes.NewReader(snap.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A snapshot is read through whatever reader it comes from, in whatever pieces that reader
// returns, and still checks its checksum: here one byte at a time.
func TestSnapshotReadsFromAnyReader(t *testing.T) {
	_, evs := smallWorld(t)
	r := newTestRecommender(t, DefaultConfig())
	applyAll(t, r, evs)
	var snap bytes.Buffer
	if err := r.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	back := newTestRecommender(t, DefaultConfig())
	if err := back.ReadSnapshot(&oneByte{b: snap.Bytes()}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := back.WriteSnapshot(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap.Bytes(), again.Bytes()) {
		t.Fatal("the state read back writes different bytes")
	}
	last := snap.Bytes()
	last[len(last)-1] ^= 1 // the checksum itself
	if err := newTestRecommender(t, DefaultConfig()).ReadSnapshot(&oneByte{b: last}); err == nil {
		t.Fatal("a snapshot with a wrong checksum was accepted")
	}
}

// Adopt moves a model's whole state: the adopter recommends what the adopted one did.
func TestAdoptTakesTheWholeState(t *testing.T) {
	w, evs := smallWorld(t)
	full := newTestRecommender(t, DefaultConfig())
	applyAll(t, full, evs)
	var want bytes.Buffer
	if err := full.WriteSnapshot(&want); err != nil {
		t.Fatal(err)
	}
	empty := newTestRecommender(t, DefaultConfig())
	if err := empty.Adopt(full); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := empty.WriteSnapshot(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want.Bytes(), got.Bytes()) || empty.Seq() != uint64(len(evs)) {
		t.Fatalf("adopted state differs (seq %d of %d)", empty.Seq(), len(evs))
	}
	if p := empty.Profile(w.users[0].id, 0); !p.Known {
		t.Fatal("adopter does not know a viewer of the adopted model")
	}
	other := DefaultConfig()
	other.EmbeddingDim++
	if err := newTestRecommender(t, other).Adopt(newTestRecommender(t, DefaultConfig())); err == nil {
		t.Fatal("adopted a model built with another config")
	}
}

type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}
