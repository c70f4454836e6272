package translog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// ProblemKind classifies what an audit found wrong.
type ProblemKind string

// Problems an audit can report, roughly from root cause to symptom.
const (
	// ProblemCheckpointInvalid: a stored checkpoint does not verify with the verifier key,
	// is malformed, or is stored under a size it does not state. Forged or altered.
	ProblemCheckpointInvalid ProblemKind = "checkpoint_invalid"
	// ProblemLeafGap: leaf indexes are not 0, 1, 2, …: an entry was removed or moved.
	ProblemLeafGap ProblemKind = "leaf_gap"
	// ProblemLeafMalformed: a leaf is not a canonical, valid entry, or its subject column
	// disagrees with its data.
	ProblemLeafMalformed ProblemKind = "leaf_malformed"
	// ProblemSizeMismatch: the store's size disagrees with the leaves it returns.
	ProblemSizeMismatch ProblemKind = "size_mismatch"
	// ProblemNodeMismatch: a stored tree node is missing or differs from the hash recomputed
	// from the leaves, so proofs served from it would be wrong.
	ProblemNodeMismatch ProblemKind = "node_mismatch"
	// ProblemCheckpointBeyondLog: a valid checkpoint covers more entries than the store has:
	// entries were removed from the end.
	ProblemCheckpointBeyondLog ProblemKind = "checkpoint_beyond_log"
	// ProblemCheckpointRoot: the tree recomputed from the stored leaves does not have the
	// root a valid checkpoint signed: entries before that size were altered, removed,
	// inserted or reordered.
	ProblemCheckpointRoot ProblemKind = "checkpoint_root"
	// ProblemCheckpointInconsistent: a consistency proof served from the store does not link
	// two consecutive valid checkpoints.
	ProblemCheckpointInconsistent ProblemKind = "checkpoint_inconsistent"
	// ProblemInclusion: a stored entry's inclusion proof does not verify against the newest
	// valid checkpoint.
	ProblemInclusion ProblemKind = "inclusion"
)

// MaxProblemsPerKind bounds how many problems of one kind a report lists; ProblemCounts has
// the totals. One removed entry can break thousands of proofs, and the first few say enough.
const MaxProblemsPerKind = 20

// auditPage is how many leaves, nodes or checkpoints the audit reads per store call.
const auditPage = 1024

// Problem is one thing the audit found wrong.
type Problem struct {
	Kind ProblemKind
	// Index is the leaf index or checkpoint size the problem is about.
	Index  uint64
	Detail string
}

// Report is the outcome of Audit.
type Report struct {
	Origin string
	// Size is the number of leaves read from the store; Root is the tree recomputed from them.
	Size uint64
	Root []byte
	// Checkpoints is how many stored checkpoints were examined.
	Checkpoints int
	// Latest is the newest checkpoint that verified and lies within the log; inclusion
	// proofs were checked against it. Nil if there is none.
	Latest *Checkpoint
	// Unsigned counts entries appended after Latest, not yet covered by any signature.
	Unsigned uint64
	// Problems lists up to MaxProblemsPerKind problems of each kind, in the order found.
	Problems []Problem
	// ProblemCounts has the total number of problems of each kind.
	ProblemCounts map[ProblemKind]int
}

// OK reports whether the audit found nothing wrong.
func (r *Report) OK() bool { return len(r.ProblemCounts) == 0 }

func (r *Report) add(kind ProblemKind, index uint64, format string, args ...any) {
	if r.ProblemCounts == nil {
		r.ProblemCounts = make(map[ProblemKind]int)
	}
	r.ProblemCounts[kind]++
	if r.ProblemCounts[kind] <= MaxProblemsPerKind {
		r.Problems = append(r.Problems, Problem{Kind: kind, Index: index, Detail: fmt.Sprintf(format, args...)})
	}
}

// String renders the report for an operator.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "access log %s: %d entries, root %s\n", r.Origin, r.Size, base64.StdEncoding.EncodeToString(r.Root))
	fmt.Fprintf(&b, "checkpoints examined: %d", r.Checkpoints)
	if r.Latest != nil {
		fmt.Fprintf(&b, "; newest valid covers %d entries (%d not yet signed)", r.Latest.Size, r.Unsigned)
	}
	b.WriteString("\n")
	if r.OK() {
		b.WriteString("OK: every entry is included in the signed tree and every checkpoint extends the one before\n")
		return b.String()
	}
	kinds := slices.Sorted(maps.Keys(r.ProblemCounts))
	for _, k := range kinds {
		fmt.Fprintf(&b, "PROBLEM %s: %d\n", k, r.ProblemCounts[k])
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s @%d: %s\n", p.Kind, p.Index, p.Detail)
	}
	return b.String()
}

// auditCheckpoint is a stored checkpoint whose signature verified, and what the stored
// leaves say about it.
type auditCheckpoint struct {
	Checkpoint
	matches bool // the recomputed tree of this size has the signed root
	reached bool // the log has at least Size leaves
}

// Audit checks a whole log using only the store and the public verifier key, for
// `kurz audit verify`. It recomputes the tree from the stored leaves and compares it with the
// stored nodes and with every signed checkpoint, checks that consecutive checkpoints are
// consistent, and checks every entry's inclusion proof against the newest checkpoint.
// Tampering is reported in the Report; the error is only for failures to read the store.
func Audit(ctx context.Context, s Store, verifierKey string) (*Report, error) {
	r := &Report{}
	cps, err := auditCheckpoints(ctx, s, verifierKey, r)
	if err != nil {
		return nil, err
	}
	if err := auditLeaves(ctx, s, cps, r); err != nil {
		return nil, err
	}
	describeRootMismatches(cps, r)
	if err := auditConsistency(ctx, s, cps, r); err != nil {
		return nil, err
	}
	for i := len(cps) - 1; i >= 0; i-- {
		if cps[i].reached {
			latest := cps[i].Checkpoint
			r.Latest = &latest
			r.Unsigned = r.Size - latest.Size
			break
		}
	}
	if r.Latest != nil {
		if err := auditInclusion(ctx, s, *r.Latest, r); err != nil {
			return nil, err
		}
	} else {
		r.Unsigned = r.Size
	}
	return r, nil
}

func auditCheckpoints(ctx context.Context, s Store, verifierKey string, r *Report) ([]*auditCheckpoint, error) {
	v, err := VerifierKeyName(verifierKey)
	if err != nil {
		return nil, err
	}
	r.Origin = v
	var out []*auditCheckpoint
	for start := uint64(0); ; {
		page, err := s.Checkpoints(ctx, start, auditPage)
		if err != nil {
			return nil, fmt.Errorf("audit: read checkpoints: %w", err)
		}
		for _, sc := range page {
			r.Checkpoints++
			cp, err := VerifyCheckpoint(sc.Note, verifierKey)
			switch {
			case err != nil:
				r.add(ProblemCheckpointInvalid, sc.Size, "%v", err)
			case cp.Size != sc.Size:
				r.add(ProblemCheckpointInvalid, sc.Size, "stored as size %d but signs size %d", sc.Size, cp.Size)
			default:
				out = append(out, &auditCheckpoint{Checkpoint: cp})
			}
		}
		if len(page) < auditPage {
			// The store should return them in order; a damaged one might not.
			slices.SortStableFunc(out, func(a, b *auditCheckpoint) int { return cmp.Compare(a.Size, b.Size) })
			return out, nil
		}
		start = page[len(page)-1].Size + 1
	}
}

// auditLeaves streams the leaves once: it checks their order and form, recomputes every
// tree node and compares it with the store, and records the recomputed root at each
// checkpoint size.
func auditLeaves(ctx context.Context, s Store, cps []*auditCheckpoint, r *Report) error {
	tree := rangeFactory.NewEmptyRange(0)
	next := 0 // next checkpoint to compare
	checkRoots := func() error {
		for ; next < len(cps) && cps[next].Size == tree.End(); next++ {
			root, err := rootOf(tree)
			if err != nil {
				return err
			}
			cps[next].reached = true
			cps[next].matches = bytes.Equal(root, cps[next].Root)
		}
		return nil
	}
	if err := checkRoots(); err != nil {
		return err
	}
	var nodes []Node
	visit := func(id compact.NodeID, hash []byte) {
		nodes = append(nodes, Node{ID: NodeID{Level: uint8(id.Level), Index: id.Index}, Hash: hash})
	}
	for start := uint64(0); ; {
		page, err := s.ReadLeaves(ctx, start, auditPage)
		if err != nil {
			return fmt.Errorf("audit: read leaves from %d: %w", start, err)
		}
		nodes = nodes[:0]
		for _, lf := range page {
			pos := tree.End()
			if lf.Index != pos {
				r.add(ProblemLeafGap, pos, "expected entry %d, store has entry %d next", pos, lf.Index)
			}
			if e, err := DecodeEntry(lf.Data); err != nil {
				r.add(ProblemLeafMalformed, lf.Index, "%v", err)
			} else if e.Subject != lf.Subject {
				r.add(ProblemLeafMalformed, lf.Index, "subject column %q differs from the entry's subject %q", lf.Subject, e.Subject)
			}
			if err := tree.Append(LeafHash(lf.Data), visit); err != nil {
				return fmt.Errorf("audit: recompute tree: %w", err)
			}
			if err := checkRoots(); err != nil {
				return err
			}
		}
		if err := compareNodes(ctx, s, nodes, r); err != nil {
			return err
		}
		if len(page) < auditPage {
			break
		}
		start = page[len(page)-1].Index + 1
	}
	r.Size = tree.End()
	root, err := rootOf(tree)
	if err != nil {
		return err
	}
	r.Root = root
	size, err := s.Size(ctx)
	if err != nil {
		return fmt.Errorf("audit: read size: %w", err)
	}
	if size != r.Size {
		r.add(ProblemSizeMismatch, size, "store reports %d entries but returned %d", size, r.Size)
	}
	for _, cp := range cps {
		if !cp.reached {
			r.add(ProblemCheckpointBeyondLog, cp.Size, "checkpoint signs %d entries, the log has %d: entries were removed from the end", cp.Size, r.Size)
		}
	}
	return nil
}

func compareNodes(ctx context.Context, s Store, nodes []Node, r *Report) error {
	ids := make([]NodeID, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	stored, err := s.ReadNodes(ctx, ids)
	if err != nil {
		return fmt.Errorf("audit: read nodes: %w", err)
	}
	for i, n := range nodes {
		var got []byte
		if i < len(stored) {
			got = stored[i]
		}
		if !bytes.Equal(got, n.Hash) {
			what := "differs from the hash recomputed from the leaves"
			if got == nil {
				what = "is missing"
			}
			r.add(ProblemNodeMismatch, n.ID.Index, "tree node (level %d, index %d) %s", n.ID.Level, n.ID.Index, what)
		}
	}
	return nil
}

// describeRootMismatches reports checkpoints whose signed root the stored leaves no longer
// produce, and narrows down where the change is: after the last checkpoint that still
// matches and before the first that does not.
func describeRootMismatches(cps []*auditCheckpoint, r *Report) {
	lastGood := uint64(0)
	for _, cp := range cps {
		if !cp.reached {
			continue
		}
		if cp.matches {
			lastGood = cp.Size
			continue
		}
		r.add(ProblemCheckpointRoot, cp.Size,
			"stored entries do not produce the signed root of checkpoint %d; the change lies in entries %d to %d",
			cp.Size, lastGood, cp.Size-1)
	}
}

// auditConsistency checks each pair of consecutive valid checkpoints with a consistency
// proof built from the stored nodes, exactly as a user or outside auditor would receive it.
func auditConsistency(ctx context.Context, s Store, cps []*auditCheckpoint, r *Report) error {
	for i := 1; i < len(cps); i++ {
		a, b := cps[i-1], cps[i]
		if !b.reached {
			continue // reported as beyond the log; no proof can be built
		}
		p, err := consistencyProof(ctx, s, a.Size, b.Size)
		if err != nil && !errors.Is(err, errNodeMissing) {
			return fmt.Errorf("audit: %w", err)
		}
		if err == nil {
			err = VerifyConsistency(a.Size, b.Size, p, a.Root, b.Root)
		}
		if err == nil {
			continue
		}
		var why string
		switch {
		case a.matches && b.matches:
			why = "both checkpoints match the stored entries, so stored tree nodes are damaged"
		case b.matches:
			why = fmt.Sprintf("the log was forked: checkpoint %d was signed over a history that rewrote entries before %d", b.Size, a.Size)
		case a.matches:
			why = fmt.Sprintf("stored entries after %d no longer produce checkpoint %d", a.Size, b.Size)
		default:
			why = "the stored entries match neither checkpoint"
		}
		r.add(ProblemCheckpointInconsistent, b.Size, "checkpoint %d does not extend checkpoint %d (%s): %v", b.Size, a.Size, why, err)
	}
	return nil
}

// auditInclusion checks every entry up to the newest valid checkpoint the way a user would:
// inclusion proof from the store, leaf bytes from the store, root from the signature.
func auditInclusion(ctx context.Context, s Store, latest Checkpoint, r *Report) error {
	for start := uint64(0); start < latest.Size; {
		page, err := s.ReadLeaves(ctx, start, auditPage)
		if err != nil {
			return fmt.Errorf("audit: read leaves from %d: %w", start, err)
		}
		if len(page) == 0 {
			return nil
		}
		// One node read per page: collect every node the page's proofs need.
		var plans []proof.Nodes
		var leaves []Leaf
		seen := make(map[NodeID]int)
		var ids []NodeID
		for _, lf := range page {
			if lf.Index >= latest.Size {
				break
			}
			plan, err := proof.Inclusion(lf.Index, latest.Size)
			if err != nil {
				return fmt.Errorf("audit: plan inclusion proof: %w", err)
			}
			for _, id := range plan.IDs {
				nid := NodeID{Level: uint8(id.Level), Index: id.Index}
				if _, ok := seen[nid]; !ok {
					seen[nid] = len(ids)
					ids = append(ids, nid)
				}
			}
			plans = append(plans, plan)
			leaves = append(leaves, lf)
		}
		hashes, err := s.ReadNodes(ctx, ids)
		if err != nil {
			return fmt.Errorf("audit: read nodes: %w", err)
		}
		for i, plan := range plans {
			lf := leaves[i]
			h := make([][]byte, len(plan.IDs))
			missing := false
			for j, id := range plan.IDs {
				k := seen[NodeID{Level: uint8(id.Level), Index: id.Index}]
				if k >= len(hashes) || len(hashes[k]) != hashSize {
					missing = true
					break
				}
				h[j] = hashes[k]
			}
			if missing {
				r.add(ProblemInclusion, lf.Index, "inclusion proof for entry %d cannot be built: tree nodes missing", lf.Index)
				continue
			}
			p, err := plan.Rehash(h, rangeFactory.Hash)
			if err == nil {
				err = VerifyInclusion(lf.Data, lf.Index, latest.Size, p, latest.Root)
			}
			if err != nil {
				r.add(ProblemInclusion, lf.Index, "entry %d is not provably in checkpoint %d: %v", lf.Index, latest.Size, err)
			}
		}
		if len(page) < auditPage {
			return nil
		}
		start = page[len(page)-1].Index + 1
	}
	return nil
}

// VerifierKeyName returns the log origin a verifier key is for.
func VerifierKeyName(verifierKey string) (string, error) {
	v, err := noteVerifier(verifierKey)
	if err != nil {
		return "", err
	}
	return v.Name(), nil
}
