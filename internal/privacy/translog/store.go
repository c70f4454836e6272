package translog

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrConflict is returned (wrapped) by a Store when an append or checkpoint lost a race: the
// log already holds that index or that checkpoint size.
var ErrConflict = errors.New("access log changed concurrently")

// Leaf is one stored entry.
type Leaf struct {
	Index uint64
	// Subject repeats the entry's subject pseudonym so a store can index it and list one
	// user's entries; Audit checks it against Data.
	Subject string
	// Data is the canonical entry (Entry.Encode), the exact bytes that are hashed.
	Data []byte
}

// NodeID names a node of the Merkle tree: the root of the perfect subtree over leaves
// [Index<<Level, (Index+1)<<Level). Level 0 nodes are leaf hashes.
type NodeID struct {
	Level uint8
	Index uint64
}

// Node is a stored tree node hash. Only nodes of perfect subtrees are stored; they never
// change once written, which is what makes proofs cheap reads.
type Node struct {
	ID   NodeID
	Hash []byte
}

// StoredCheckpoint is a signed checkpoint note as the store keeps it.
type StoredCheckpoint struct {
	Size uint64
	Note []byte
}

// Store persists the log. It is written for SQL: leaves keyed by index, nodes keyed by
// (level, index), checkpoints keyed by size, each with a primary key on that key.
// Implementations must be safe for concurrent use.
type Store interface {
	// Size returns the number of leaves appended.
	Size(ctx context.Context) (uint64, error)
	// AppendLeaves stores leaves at indexes start, start+1, … and the nodes they complete,
	// all or nothing. If start is not the current size (another appender got there first)
	// it stores nothing and returns an error wrapping ErrConflict; a primary key on the leaf
	// index is enough to detect that under concurrency.
	AppendLeaves(ctx context.Context, start uint64, leaves []Leaf, nodes []Node) error
	// ReadLeaves returns up to count leaves with index >= start, ordered by index.
	ReadLeaves(ctx context.Context, start uint64, count int) ([]Leaf, error)
	// ReadSubjectLeaves returns up to count leaves about subject with index >= start,
	// ordered by index.
	ReadSubjectLeaves(ctx context.Context, subject string, start uint64, count int) ([]Leaf, error)
	// ReadNodes returns the hashes of ids in the same order, with nil for a node it does not
	// hold.
	ReadNodes(ctx context.Context, ids []NodeID) ([][]byte, error)
	// SaveCheckpoint stores a signed checkpoint for a tree size. If one exists for that size
	// it returns an error wrapping ErrConflict.
	SaveCheckpoint(ctx context.Context, size uint64, note []byte) error
	// Checkpoints returns up to count checkpoints with size >= start, ordered by size.
	Checkpoints(ctx context.Context, start uint64, count int) ([]StoredCheckpoint, error)
	// LatestCheckpoint returns the checkpoint with the largest size; ok is false if there is
	// none.
	LatestCheckpoint(ctx context.Context) (cp StoredCheckpoint, ok bool, err error)
}

// MemoryStore keeps the log in memory, for tests and tools.
type MemoryStore struct {
	mu          sync.RWMutex
	leaves      []Leaf
	nodes       map[NodeID][]byte
	checkpoints []StoredCheckpoint // ordered by size
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{nodes: make(map[NodeID][]byte)}
}

// Size implements Store.
func (m *MemoryStore) Size(context.Context) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return uint64(len(m.leaves)), nil
}

// AppendLeaves implements Store.
func (m *MemoryStore) AppendLeaves(_ context.Context, start uint64, leaves []Leaf, nodes []Node) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if start != uint64(len(m.leaves)) {
		return fmt.Errorf("append at %d, log size is %d: %w", start, len(m.leaves), ErrConflict)
	}
	for i, l := range leaves {
		if l.Index != start+uint64(i) {
			return fmt.Errorf("leaf %d carries index %d", start+uint64(i), l.Index)
		}
	}
	for _, n := range nodes {
		if _, ok := m.nodes[n.ID]; ok {
			return fmt.Errorf("node (%d, %d) exists: %w", n.ID.Level, n.ID.Index, ErrConflict)
		}
	}
	for _, l := range leaves {
		m.leaves = append(m.leaves, Leaf{Index: l.Index, Subject: l.Subject, Data: bytes.Clone(l.Data)})
	}
	for _, n := range nodes {
		m.nodes[n.ID] = bytes.Clone(n.Hash)
	}
	return nil
}

// ReadLeaves implements Store.
func (m *MemoryStore) ReadLeaves(_ context.Context, start uint64, count int) ([]Leaf, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(m.leaves, start, func(l Leaf, idx uint64) int { return cmp.Compare(l.Index, idx) })
	end := min(len(m.leaves), i+max(count, 0))
	out := make([]Leaf, 0, end-i)
	for _, l := range m.leaves[i:end] {
		out = append(out, Leaf{Index: l.Index, Subject: l.Subject, Data: bytes.Clone(l.Data)})
	}
	return out, nil
}

// ReadSubjectLeaves implements Store.
func (m *MemoryStore) ReadSubjectLeaves(_ context.Context, subject string, start uint64, count int) ([]Leaf, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Leaf
	for _, l := range m.leaves {
		if len(out) >= count {
			break
		}
		if l.Index >= start && l.Subject == subject {
			out = append(out, Leaf{Index: l.Index, Subject: l.Subject, Data: bytes.Clone(l.Data)})
		}
	}
	return out, nil
}

// ReadNodes implements Store.
func (m *MemoryStore) ReadNodes(_ context.Context, ids []NodeID) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if h, ok := m.nodes[id]; ok {
			out[i] = bytes.Clone(h)
		}
	}
	return out, nil
}

// SaveCheckpoint implements Store.
func (m *MemoryStore) SaveCheckpoint(_ context.Context, size uint64, note []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, found := slices.BinarySearchFunc(m.checkpoints, size, func(c StoredCheckpoint, s uint64) int { return cmp.Compare(c.Size, s) })
	if found {
		return fmt.Errorf("checkpoint for size %d exists: %w", size, ErrConflict)
	}
	m.checkpoints = slices.Insert(m.checkpoints, i, StoredCheckpoint{Size: size, Note: bytes.Clone(note)})
	return nil
}

// Checkpoints implements Store.
func (m *MemoryStore) Checkpoints(_ context.Context, start uint64, count int) ([]StoredCheckpoint, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(m.checkpoints, start, func(c StoredCheckpoint, s uint64) int { return cmp.Compare(c.Size, s) })
	end := min(len(m.checkpoints), i+max(count, 0))
	out := make([]StoredCheckpoint, 0, end-i)
	for _, c := range m.checkpoints[i:end] {
		out = append(out, StoredCheckpoint{Size: c.Size, Note: bytes.Clone(c.Note)})
	}
	return out, nil
}

// LatestCheckpoint implements Store.
func (m *MemoryStore) LatestCheckpoint(context.Context) (StoredCheckpoint, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.checkpoints) == 0 {
		return StoredCheckpoint{}, false, nil
	}
	c := m.checkpoints[len(m.checkpoints)-1]
	return StoredCheckpoint{Size: c.Size, Note: bytes.Clone(c.Note)}, true, nil
}
