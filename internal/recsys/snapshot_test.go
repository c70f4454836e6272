package recsys

import (
	"bytes"
	"errors"
	"io"
	"reflect"
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

// The serving-only settings shape lists as they are served and never what the model
// learns: a log replayed with any one of them changed, with lists served along the way,
// writes the same snapshot byte for byte, and a snapshot written under one is read under
// the other. A change to a learning setting still makes the snapshot unusable.
func TestServingSettingsLeaveTheModelAlone(t *testing.T) {
	w, evs := smallWorld(t)
	replay := func(cfg Config) []byte {
		t.Helper()
		r := newTestRecommender(t, cfg)
		for start := 0; start < len(evs); start += 2500 {
			applyAll(t, r, evs[start:min(start+2500, len(evs))])
			for _, u := range w.users[:8] {
				r.Recommend(Request{User: u.id, Region: u.region, Language: u.lang, Limit: 20})
			}
		}
		var snap bytes.Buffer
		if err := r.WriteSnapshot(&snap); err != nil {
			t.Fatal(err)
		}
		return snap.Bytes()
	}
	base := replay(DefaultConfig())
	for _, name := range servingOnly {
		cfg := DefaultConfig()
		f := reflect.ValueOf(&cfg).Elem().FieldByName(name)
		switch f.Kind() {
		case reflect.Float64:
			f.SetFloat(f.Float()*0.5 + 0.125*float64(len(name)%3))
		case reflect.Int:
			f.SetInt(f.Int()/2 + 1)
		default:
			t.Fatalf("%s: a %s, which this test does not change", name, f.Kind())
		}
		if f.Interface() == reflect.ValueOf(DefaultConfig()).FieldByName(name).Interface() {
			t.Fatalf("%s was not changed", name)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := replay(cfg); !bytes.Equal(got, base) {
			t.Errorf("with %s = %v the model learned something else: it is not a serving-only setting", name, f.Interface())
		}
		if err := newTestRecommender(t, cfg).ReadSnapshot(bytes.NewReader(base)); err != nil {
			t.Errorf("with %s changed the snapshot is refused: %v", name, err)
		}
	}
	learning := DefaultConfig()
	learning.EmbeddingLearningRate *= 2
	if err := newTestRecommender(t, learning).ReadSnapshot(bytes.NewReader(base)); !errors.Is(err, ErrSnapshotConfig) {
		t.Fatalf("a snapshot read with another learning rate: %v, want ErrSnapshotConfig", err)
	}
}
