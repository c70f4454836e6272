package id

import (
	"testing"
	"time"
)

// Floor sorts before every ID made at its time or later, and after those made before.
func TestFloor(t *testing.T) {
	g := NewGenerator()
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	floor := Floor(at)
	if !Valid(floor) {
		t.Fatalf("Floor(%v) = %q is not a valid ID", at, floor)
	}
	for _, c := range []struct {
		made  time.Time
		after bool
	}{{at, true}, {at.Add(time.Millisecond), true}, {at.Add(24 * time.Hour), true}, {at.Add(-time.Millisecond), false}} {
		if got := g.At(c.made) >= floor; got != c.after {
			t.Errorf("an ID made at %v sorts after the floor: %v, want %v", c.made, got, c.after)
		}
	}
}
