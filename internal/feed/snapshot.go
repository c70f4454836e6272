package feed

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"kurz/internal/recsys"
)

// Snapshots bound the replay at start: the recommender's state is saved now and then with
// the log sequence number it covers, and a restart loads the newest valid one and replays
// only the log after it. A snapshot that cannot be read, was made with another recommender
// config or belongs to another generation of the log is skipped, never fatal: the log is
// the source of truth and a full replay always works.
//
// Erasure deletes events from the log, so a model learned before it still holds the erased
// account. Every erasure therefore starts a new generation (a random value in the
// database's instance settings): snapshots carry the generation of the log they were learned
// from and are only loaded while it is current, and every process that sees the generation
// change rebuilds its model from the log as it now is.

// SnapshotOptions says where and how often snapshots are written. Dir "" turns them off.
type SnapshotOptions struct {
	Dir      string
	Every    int           // log events between two snapshots; 0: not by count
	Interval time.Duration // longest time a change waits for a snapshot; 0: not by time
}

type settingsStore interface {
	Get(ctx context.Context, key, def string) (string, error)
	Set(ctx context.Context, key, value string) error
	Secret(ctx context.Context, key string, gen func() (string, error)) (string, error)
}

// generationKey is the instance setting holding the log's current generation.
const generationKey = "recsys_generation"

// generationPoll is how often the generation is read, so that an erasure made by another
// replica removes the account from this one's model too.
const generationPoll = 10 * time.Second

const (
	snapshotMagic  = "kurz-recsys-snapshot 1\n"
	snapshotPrefix = "recsys-"
	snapshotSuffix = ".snap"
	snapshotsKept  = 2
)

// snapshotHeader precedes the recommender's own snapshot bytes.
type snapshotHeader struct {
	Seq        uint64    `json:"seq"`        // the last log event the model applied
	Generation string    `json:"generation"` // of the log the model learned from
	Written    time.Time `json:"written"`
}

func newGeneration() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// currentGeneration reads the log's generation, creating the first one on a new database.
func (s *Service) currentGeneration(ctx context.Context) (string, error) {
	return s.d.Settings.Secret(ctx, generationKey, newGeneration)
}

// start loads the newest usable snapshot, once, before the log is first followed.
func (s *Service) start(ctx context.Context) {
	s.startOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		gen, err := s.currentGeneration(ctx)
		if err != nil {
			s.d.Log.Warn("recommender: could not read the log generation; replaying the whole log", "err", err)
			return
		}
		s.gen = gen
		s.genCheckedAt = time.Now()
		s.restore(ctx)
	})
}

type snapshotFile struct {
	path string
	seq  uint64
}

// snapshotFiles lists the snapshots in the directory, newest (highest seq) first.
func (s *Service) snapshotFiles() ([]snapshotFile, error) {
	entries, err := os.ReadDir(s.d.Snapshots.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []snapshotFile
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, snapshotPrefix) || !strings.HasSuffix(name, snapshotSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, snapshotPrefix), snapshotSuffix), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, snapshotFile{path: filepath.Join(s.d.Snapshots.Dir, name), seq: seq})
	}
	slices.SortFunc(out, func(a, b snapshotFile) int {
		switch {
		case a.seq > b.seq:
			return -1
		case a.seq < b.seq:
			return 1
		}
		return 0
	})
	return out, nil
}

// restore loads the newest snapshot that is whole, of this config and generation, and
// covers a log this database has; s.mu is held. Without one the model stays empty.
func (s *Service) restore(ctx context.Context) {
	if s.d.Snapshots.Dir == "" {
		return
	}
	s.removeTemporary()
	files, err := s.snapshotFiles()
	if err != nil {
		s.d.Log.Warn("recommender: cannot list snapshots; replaying the whole log", "dir", s.d.Snapshots.Dir, "err", err)
		return
	}
	for _, f := range files {
		t0 := time.Now()
		rec, h, err := s.readSnapshot(f.path)
		if errors.Is(err, errOtherGeneration) {
			// Learned from a log that has lost events since (an erasure) or from another
			// database: it must not come back, so it goes.
			s.d.Log.Info("recommender: removing a snapshot from another generation of the log", "file", f.path)
			s.snapMu.Lock()
			_ = os.Remove(f.path)
			s.snapMu.Unlock()
			continue
		}
		if err == nil {
			err = s.checkCovered(ctx, h.Seq)
		}
		if err != nil {
			s.d.Log.Warn("recommender: ignoring a snapshot", "file", f.path, "err", err)
			continue
		}
		if err := s.rec.Adopt(rec); err != nil {
			s.d.Log.Warn("recommender: ignoring a snapshot", "file", f.path, "err", err)
			continue
		}
		s.seq = int64(s.rec.Seq())
		s.snapSeq, s.snapAt = s.rec.Seq(), time.Now()
		s.d.Log.Info("recommender restored from a snapshot", "file", f.path, "seq", s.seq, "took", time.Since(t0).Round(time.Millisecond))
		return
	}
}

var errOtherGeneration = errors.New("the snapshot was learned from another generation of the event log")

// readSnapshot reads a snapshot file into a new recommender. A file of another generation
// is errOtherGeneration, found from its header alone.
func (s *Service) readSnapshot(path string) (*recsys.Recommender, snapshotHeader, error) {
	var h snapshotHeader
	f, err := os.Open(path)
	if err != nil {
		return nil, h, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, h, errors.New("not a kurz recommender snapshot")
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, h, fmt.Errorf("snapshot header: %w", err)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, h, fmt.Errorf("snapshot header: %w", err)
	}
	if h.Generation != s.gen {
		return nil, h, errOtherGeneration
	}
	rec, err := recsys.New(s.d.Recsys)
	if err != nil {
		return nil, h, err
	}
	if err := rec.ReadSnapshot(br); err != nil {
		return nil, h, err
	}
	if rec.Seq() != h.Seq {
		return nil, h, fmt.Errorf("snapshot header says seq %d, the model %d", h.Seq, rec.Seq())
	}
	return rec, h, nil
}

// checkCovered makes sure the log reaches the last event the snapshot applied, so a
// snapshot never runs ahead of a database restored from an older backup. It asks for that
// event or a later one, not for that event itself: the event retention may have deleted it
// (it keeps only the newest event of the log for certain).
func (s *Service) checkCovered(ctx context.Context, seq uint64) error {
	if seq == 0 {
		return nil
	}
	rows, err := s.d.Events.Since(ctx, int64(seq)-1, 1)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("the event log does not reach event %d the snapshot ends with", seq)
	}
	return nil
}

// removeTemporary deletes half-written snapshots left by a crash.
func (s *Service) removeTemporary() {
	matches, _ := filepath.Glob(filepath.Join(s.d.Snapshots.Dir, ".recsys-*.tmp"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// snapshotDue says whether the model has changed enough, or long enough ago, to save it.
func (s *Service) snapshotDue(final bool) bool {
	if s.d.Snapshots.Dir == "" || s.gen == "" {
		return false
	}
	seq := s.rec.Seq()
	if seq <= s.snapSeq {
		return false
	}
	o := s.d.Snapshots
	return final || (o.Every > 0 && seq-s.snapSeq >= uint64(o.Every)) || (o.Interval > 0 && time.Since(s.snapAt) >= o.Interval)
}

// WriteSnapshot saves the model now (tools and tests; the service saves on its own
// schedule and at shutdown). It does nothing when snapshots are off or the model was
// learned before the latest erasure and waits to be rebuilt.
func (s *Service) WriteSnapshot(ctx context.Context) error {
	s.start(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeSnapshot(ctx)
}

// writeSnapshot writes the model atomically (a temporary file, fsync, rename, fsync of the
// directory) and keeps the newest two; s.mu is held so the model and its generation agree.
func (s *Service) writeSnapshot(ctx context.Context) error {
	if s.d.Snapshots.Dir == "" || s.gen == "" {
		return nil
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	// Under snapMu an erasure cannot slip between this check and the rename: it changes the
	// generation first and then removes every snapshot under the same lock.
	gen, err := s.currentGeneration(ctx)
	if err != nil {
		return err
	}
	if gen != s.gen {
		return nil // learned before an erasure: the rebuild writes the next snapshot
	}
	dir := s.d.Snapshots.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	t0 := time.Now()
	seq := s.rec.Seq()
	tmp, err := os.CreateTemp(dir, ".recsys-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up a failed write
	h, _ := json.Marshal(snapshotHeader{Seq: seq, Generation: gen, Written: time.Now().UTC()})
	bw := bufio.NewWriterSize(tmp, 1<<20)
	bw.WriteString(snapshotMagic)
	bw.Write(h)
	bw.WriteByte('\n')
	err = s.rec.WriteSnapshot(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write recommender snapshot: %w", err)
	}
	final := filepath.Join(dir, fmt.Sprintf("%s%020d%s", snapshotPrefix, seq, snapshotSuffix))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("write recommender snapshot: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write recommender snapshot: %w", err)
	}
	s.snapSeq, s.snapAt = seq, time.Now()
	if files, err := s.snapshotFiles(); err == nil {
		for i, f := range files {
			if i >= snapshotsKept {
				_ = os.Remove(f.path)
			}
		}
	}
	size := int64(0)
	if fi, err := os.Stat(final); err == nil {
		size = fi.Size()
	}
	s.d.Log.Info("recommender snapshot written", "seq", seq, "bytes", size, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// EraseAccount makes the recommender forget an erased account. The account's events are
// already gone from the log (the events eraser runs first); this starts a new generation of
// the log, deletes every snapshot learned from the old one, and has the model rebuilt from
// the log as it now is, in the background. Until the rebuild is done the model in memory
// still holds the account, but nothing of it can reach disk or survive a restart.
func (s *Service) EraseAccount(ctx context.Context, accountID string) error {
	gen, err := newGeneration()
	if err != nil {
		return err
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if err := s.d.Settings.Set(ctx, generationKey, gen); err != nil {
		return fmt.Errorf("new recommender generation: %w", err)
	}
	if s.d.Snapshots.Dir != "" {
		files, err := s.snapshotFiles()
		if err != nil {
			return fmt.Errorf("list recommender snapshots: %w", err)
		}
		for _, f := range files {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove recommender snapshot: %w", err)
			}
		}
	}
	s.genCheck.Store(true)
	s.poke()
	return nil
}

// stale reports whether an erasure has started a generation the model has not learned from.
func (s *Service) stale(ctx context.Context) (string, bool, error) {
	gen, err := s.currentGeneration(ctx)
	if err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.genCheckedAt = time.Now()
	return gen, gen != s.gen, nil
}

// rebuild replays the whole log of the current generation into a new model and swaps it in,
// then saves it. The live model keeps following the log meanwhile; only the last catch-up
// and the swap hold s.mu.
func (s *Service) rebuild(ctx context.Context) error {
	s.rebuildMu.Lock()
	defer s.rebuildMu.Unlock()
	gen, stale, err := s.stale(ctx)
	if err != nil || !stale {
		return err
	}
	t0 := time.Now()
	fresh, err := recsys.New(s.d.Recsys)
	if err != nil {
		return err
	}
	seq, err := s.replay(ctx, fresh, 0)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq, err = s.replay(ctx, fresh, seq); err != nil {
		return err
	}
	if err := s.rec.Adopt(fresh); err != nil {
		return err
	}
	s.seq, s.gen = seq, gen
	s.snapSeq = 0 // a new generation has no snapshot yet
	s.d.Log.Info("recommender rebuilt from the log after an erasure", "seq", seq, "took", time.Since(t0).Round(time.Millisecond))
	if err := s.writeSnapshot(context.WithoutCancel(ctx)); err != nil {
		s.d.Log.Warn("recommender snapshot after rebuild", "err", err)
	}
	return nil
}

// memSettings keeps the generation in memory when the service has no settings store (one
// process, no snapshots shared with another).
type memSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *memSettings) Get(_ context.Context, key, def string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok {
		return v, nil
	}
	return def, nil
}

func (m *memSettings) Set(_ context.Context, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = value
	return nil
}

func (m *memSettings) Secret(_ context.Context, key string, gen func() (string, error)) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok {
		return v, nil
	}
	v, err := gen()
	if err == nil {
		m.m[key] = v
	}
	return v, err
}
