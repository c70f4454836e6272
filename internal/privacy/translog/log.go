package translog

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

const hashSize = 32

// maxAppendAttempts bounds retries when another process appended first; each retry reloads
// the tree edge, which costs one small read.
const maxAppendAttempts = 32

// ErrOutOfRange means a proof was asked for an index or tree size the log does not have.
var ErrOutOfRange = errors.New("index or tree size out of range")

// ErrProofMismatch means a proof does not lead to the expected root: the entry is not in
// that tree, or the two trees are not one history.
var ErrProofMismatch = errors.New("proof does not match the signed root")

// errNodeMissing marks a tree node the store should hold but does not: damage, not an outage.
var errNodeMissing = errors.New("tree node missing or damaged; run the audit")

// Config is what a Log needs.
type Config struct {
	Store Store
	// SignerKey is the secret note signer key from GenerateSigningKey. Its name is the
	// log's origin line.
	SignerKey string
	// Vocabulary restricts roles, purposes and fields; see Vocabulary.
	Vocabulary Vocabulary
	// Now stamps entries appended without a time; nil means time.Now.
	Now func() time.Time
}

// Log appends access entries and serves signed checkpoints and proofs.
//
// Within a process, Log serialises appends with its own mutex. Across processes sharing one
// database the Store's ErrConflict serialises them: the loser reloads and retries, so no
// extra lock is needed from the caller.
type Log struct {
	store  Store
	signer note.Signer
	origin string
	vocab  vocabulary
	now    func() time.Time

	mu   sync.Mutex     // guards tree and serialises appends and checkpoints
	tree *compact.Range // edge of the tree as this process last saw it
}

// Record is a stored entry with its position, as shown to a user or auditor. Data is the
// exact leaf that inclusion proofs are about.
type Record struct {
	Index uint64
	Entry Entry
	Data  []byte
}

var rangeFactory = compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Open loads the log's current state from the store.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Store == nil {
		return nil, errors.New("access log: no store")
	}
	signer, err := note.NewSigner(cfg.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("access log signer key: %w", err)
	}
	if !validOrigin(signer.Name()) {
		return nil, fmt.Errorf("access log origin %q must not contain spaces or '+'", signer.Name())
	}
	vocab, err := newVocabulary(cfg.Vocabulary)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	l := &Log{store: cfg.Store, signer: signer, origin: signer.Name(), vocab: vocab, now: now}
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Origin is the log's name, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// reload reads the right edge of the tree (the roots of the perfect subtrees covering all
// leaves) from the store. Callers hold l.mu or own l exclusively.
func (l *Log) reload(ctx context.Context) error {
	size, err := l.store.Size(ctx)
	if err != nil {
		return fmt.Errorf("access log size: %w", err)
	}
	tree, err := loadEdge(ctx, l.store, size)
	if err != nil {
		return err
	}
	l.tree = tree
	return nil
}

func loadEdge(ctx context.Context, s Store, size uint64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := readNodes(ctx, s, ids)
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hashes)
}

// Append validates an entry, adds it to the log and returns its index. The entry is durable
// in the store when Append returns.
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	return l.AppendBatch(ctx, []Entry{e})
}

// AppendBatch adds several entries in one store write and returns the index of the first.
// Either all are appended or none.
func (l *Log) AppendBatch(ctx context.Context, entries []Entry) (uint64, error) {
	if len(entries) == 0 {
		return 0, errors.New("access log: empty batch")
	}
	leaves := make([]Leaf, len(entries))
	hashes := make([][]byte, len(entries))
	for i, e := range entries {
		if e.At.IsZero() {
			e.At = l.now()
		}
		e = e.Canonical()
		if err := l.vocab.check(e); err != nil {
			return 0, err
		}
		data, err := e.Encode()
		if err != nil {
			return 0, err
		}
		leaves[i] = Leaf{Subject: e.Subject, Data: data}
		hashes[i] = LeafHash(data)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for attempt := 1; ; attempt++ {
		start := l.tree.End()
		next, nodes, err := extend(l.tree, hashes)
		if err != nil {
			return 0, err
		}
		for i := range leaves {
			leaves[i].Index = start + uint64(i)
		}
		err = l.store.AppendLeaves(ctx, start, leaves, nodes)
		if err == nil {
			l.tree = next
			return start, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == maxAppendAttempts {
			return 0, fmt.Errorf("append to access log at %d: %w", start, err)
		}
		if err := l.reload(ctx); err != nil {
			return 0, err
		}
	}
}

// extend appends leaf hashes to a copy of tree and returns the copy with every tree node the
// new leaves complete.
func extend(tree *compact.Range, hashes [][]byte) (*compact.Range, []Node, error) {
	next, err := rangeFactory.NewRange(tree.Begin(), tree.End(), append([][]byte(nil), tree.Hashes()...))
	if err != nil {
		return nil, nil, fmt.Errorf("copy tree edge: %w", err)
	}
	nodes := make([]Node, 0, 2*len(hashes)+1)
	visit := func(id compact.NodeID, hash []byte) {
		nodes = append(nodes, Node{ID: NodeID{Level: uint8(id.Level), Index: id.Index}, Hash: hash})
	}
	for _, h := range hashes {
		if err := next.Append(h, visit); err != nil {
			return nil, nil, fmt.Errorf("extend tree: %w", err)
		}
	}
	return next, nodes, nil
}

// Size returns the number of entries in the log.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	return l.store.Size(ctx)
}

// Checkpoint signs the log's current size and root, stores the signed note and returns it.
// If the newest stored checkpoint already covers the current size it is returned unchanged,
// so calling this on a timer does not pile up duplicates.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Another replica may have appended since; sign what the store holds.
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	size := l.tree.End()
	latest, ok, err := l.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("read latest checkpoint: %w", err)
	}
	if ok && latest.Size == size {
		return latest.Note, nil
	}
	root, err := rootOf(l.tree)
	if err != nil {
		return nil, err
	}
	cp := Checkpoint{Origin: l.origin, Size: size, Root: root}
	signed, err := note.Sign(&note.Note{Text: cp.Body()}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	// Ed25519 signatures are deterministic, so a replica that saved the same size first
	// saved these same bytes.
	if err := l.store.SaveCheckpoint(ctx, size, signed); err != nil && !errors.Is(err, ErrConflict) {
		return nil, fmt.Errorf("save checkpoint: %w", err)
	}
	return signed, nil
}

// LatestCheckpoint returns the newest stored signed checkpoint, or ok=false if none exists.
func (l *Log) LatestCheckpoint(ctx context.Context) (signedNote []byte, ok bool, err error) {
	cp, ok, err := l.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read latest checkpoint: %w", err)
	}
	return cp.Note, ok, nil
}

// Entries returns up to count records from index start.
func (l *Log) Entries(ctx context.Context, start uint64, count int) ([]Record, error) {
	leaves, err := l.store.ReadLeaves(ctx, start, count)
	if err != nil {
		return nil, fmt.Errorf("read access log: %w", err)
	}
	return toRecords(leaves)
}

// EntriesFor returns up to count records about one subject pseudonym from index start: what a
// user sees when asking who read their data.
func (l *Log) EntriesFor(ctx context.Context, subject string, start uint64, count int) ([]Record, error) {
	leaves, err := l.store.ReadSubjectLeaves(ctx, subject, start, count)
	if err != nil {
		return nil, fmt.Errorf("read access log for subject: %w", err)
	}
	return toRecords(leaves)
}

func toRecords(leaves []Leaf) ([]Record, error) {
	out := make([]Record, len(leaves))
	for i, lf := range leaves {
		e, err := DecodeEntry(lf.Data)
		if err != nil {
			return nil, fmt.Errorf("access log entry %d: %w", lf.Index, err)
		}
		out[i] = Record{Index: lf.Index, Entry: e, Data: lf.Data}
	}
	return out, nil
}

// InclusionProof proves that the entry at index is in the tree of the given size (take the
// size from a signed checkpoint). Verify it with VerifyInclusion.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	if index >= size {
		return nil, fmt.Errorf("%w: index %d, tree size %d", ErrOutOfRange, index, size)
	}
	return inclusionProof(ctx, l.store, index, size)
}

// ConsistencyProof proves that the tree of size1 is a prefix of the tree of size2, i.e. that
// nothing logged before size1 was changed or removed. Verify it with VerifyConsistency.
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, size2); err != nil {
		return nil, err
	}
	if size1 > size2 {
		return nil, fmt.Errorf("%w: size %d > %d", ErrOutOfRange, size1, size2)
	}
	return consistencyProof(ctx, l.store, size1, size2)
}

func (l *Log) checkSize(ctx context.Context, size uint64) error {
	have, err := l.store.Size(ctx)
	if err != nil {
		return fmt.Errorf("access log size: %w", err)
	}
	if size > have {
		return fmt.Errorf("%w: tree size %d, log has %d entries", ErrOutOfRange, size, have)
	}
	return nil
}

func inclusionProof(ctx context.Context, s Store, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutOfRange, err)
	}
	return rehash(ctx, s, nodes)
}

func consistencyProof(ctx context.Context, s Store, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutOfRange, err)
	}
	return rehash(ctx, s, nodes)
}

func rehash(ctx context.Context, s Store, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := readNodes(ctx, s, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// readNodes fetches node hashes and treats a missing one as damage to the store.
func readNodes(ctx context.Context, s Store, ids []compact.NodeID) ([][]byte, error) {
	want := make([]NodeID, len(ids))
	for i, id := range ids {
		want[i] = NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	hashes, err := s.ReadNodes(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("read access log tree nodes: %w", err)
	}
	if len(hashes) != len(ids) {
		return nil, fmt.Errorf("read access log tree nodes: got %d of %d", len(hashes), len(ids))
	}
	for i, h := range hashes {
		if len(h) != hashSize {
			return nil, fmt.Errorf("access log node (level %d, index %d): %w", want[i].Level, want[i].Index, errNodeMissing)
		}
	}
	return hashes, nil
}

func rootOf(tree *compact.Range) ([]byte, error) {
	if tree.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("tree root: %w", err)
	}
	return root, nil
}

// LeafHash is the RFC 6962 hash of a leaf: SHA-256(0x00 || data).
func LeafHash(data []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(data)
}

// VerifyInclusion checks that leafData is the entry at index in the tree of the given size
// and root (from a verified checkpoint). It needs only public data.
func VerifyInclusion(leafData []byte, index, size uint64, inclusionProof [][]byte, root []byte) error {
	err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, LeafHash(leafData), inclusionProof, root)
	return proofError(err, fmt.Sprintf("inclusion of entry %d in tree of size %d", index, size))
}

// VerifyConsistency checks that the tree (size1, root1) is a prefix of the tree (size2,
// root2). It needs only public data.
func VerifyConsistency(size1, size2 uint64, consistencyProof [][]byte, root1, root2 []byte) error {
	err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, consistencyProof, root1, root2)
	return proofError(err, fmt.Sprintf("consistency of tree sizes %d and %d", size1, size2))
}

// proofError turns the merkle module's root mismatch, which prints raw byte slices, into
// ErrProofMismatch with base64 roots as they appear in checkpoints.
func proofError(err error, what string) error {
	if err == nil {
		return nil
	}
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("%s: %w: got root %s, want %s", what, ErrProofMismatch,
			base64.StdEncoding.EncodeToString(mismatch.CalculatedRoot), base64.StdEncoding.EncodeToString(mismatch.ExpectedRoot))
	}
	return fmt.Errorf("%s: %w: %v", what, ErrProofMismatch, err)
}
