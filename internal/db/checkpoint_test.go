package db

import (
	"context"
	"testing"
	"time"
)

// The checkpointer keeps its short wait while the WAL moves or a checkpoint is blocked, and
// backs off to checkpointIdle, doubling, while nothing changes.
func TestCheckpointWaitBacksOffWhenIdle(t *testing.T) {
	idle := walState{log: 10, copied: 10}
	wait := checkpointEvery
	var waits []time.Duration
	for range 7 {
		wait = checkpointWait(wait, idle, idle)
		waits = append(waits, wait)
	}
	want := []time.Duration{400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond,
		checkpointIdle, checkpointIdle, checkpointIdle}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("idle waits %v, want %v", waits, want)
		}
	}
	if w := checkpointWait(checkpointIdle, idle, walState{log: 14, copied: 14}); w != checkpointEvery {
		t.Fatalf("after the WAL moved: %v", w)
	}
	if w := checkpointWait(checkpointIdle, idle, walState{busy: 1, log: 10, copied: 10}); w != checkpointEvery {
		t.Fatalf("after a blocked checkpoint: %v", w)
	}
}

// The pragma answers the three numbers the checkpointer reads.
func TestCheckpointPragmaAnswersItsState(t *testing.T) {
	d := openPlainSQLite(t)
	if _, err := d.writer().exec(context.Background(), "INSERT INTO t (a) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var s walState
	if err := d.ckpt.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&s.busy, &s.log, &s.copied); err != nil {
		t.Fatal(err)
	}
	if s.busy != 0 || s.log <= 0 || s.copied != s.log {
		t.Fatalf("after a write and a checkpoint: %+v, want frames, all copied", s)
	}
}
