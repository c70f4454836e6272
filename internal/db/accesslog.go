package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"kurz/internal/privacy/translog"
)

// accessLogLock is the PostgreSQL advisory lock that serialises appends to the access log
// across replicas. It must differ from the others (migrations 7212011, events 7212012), or
// access-log appends would queue behind the busy event log.
const accessLogLock = 7212021

// insertChunk bounds the rows per multi-row INSERT and the node ids per lookup, well inside
// both engines' limits on bound parameters.
const insertChunk = 200

// AccessLog stores the access transparency log. It implements translog.Store.
type AccessLog struct{ db *DB }

var _ translog.Store = (*AccessLog)(nil)

// AccessLog returns the access log store.
func (d *DB) AccessLog() *AccessLog { return &AccessLog{db: d} }

// Size is one past the highest leaf index, so a row removed from the middle by tampering
// leaves a gap the audit reports instead of making the next append reuse an index.
func (s *AccessLog) Size(ctx context.Context) (uint64, error) {
	return sizeOf(ctx, s.db.reader())
}

func sizeOf(ctx context.Context, c conn) (uint64, error) {
	var n int64
	if err := c.row(ctx, `SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM access_log_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("access log size: %w", err)
	}
	return uint64(n), nil
}

// AppendLeaves implements translog.Store. The append checks the log size inside its
// transaction under a lock, so two replicas can never both append at one index: SQLite has
// one writer and an IMMEDIATE transaction; PostgreSQL takes a transaction advisory lock.
func (s *AccessLog) AppendLeaves(ctx context.Context, start uint64, leaves []translog.Leaf, nodes []translog.Node) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if s.db.Dialect == Postgres {
			if _, err := tx.exec(ctx, fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, accessLogLock)); err != nil {
				return fmt.Errorf("access log lock: %w", err)
			}
		}
		size, err := sizeOf(ctx, tx.conn)
		if err != nil {
			return err
		}
		if size != start {
			return fmt.Errorf("append at %d, log size is %d: %w", start, size, translog.ErrConflict)
		}
		for i, l := range leaves {
			if l.Index != start+uint64(i) {
				return fmt.Errorf("leaf %d carries index %d", start+uint64(i), l.Index)
			}
		}
		for from := 0; from < len(leaves); from += insertChunk {
			part := leaves[from:min(from+insertChunk, len(leaves))]
			args := make([]any, 0, 3*len(part))
			for _, l := range part {
				args = append(args, int64(l.Index), l.Subject, l.Data)
			}
			if _, err := tx.exec(ctx, `INSERT INTO access_log_leaves (leaf_index, subject, data) VALUES `+placeholders(len(part), 3), args...); err != nil {
				return conflict(err)
			}
		}
		for from := 0; from < len(nodes); from += insertChunk {
			part := nodes[from:min(from+insertChunk, len(nodes))]
			args := make([]any, 0, 3*len(part))
			for _, n := range part {
				args = append(args, int(n.ID.Level), int64(n.ID.Index), n.Hash)
			}
			if _, err := tx.exec(ctx, `INSERT INTO access_log_nodes (level, node_index, hash) VALUES `+placeholders(len(part), 3), args...); err != nil {
				return conflict(err)
			}
		}
		return nil
	})
}

// placeholders returns "(?, ?), (?, ?)" for rows of cols values.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

func conflict(err error) error {
	err = classify(err)
	if errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("%w: %v", translog.ErrConflict, err)
	}
	return err
}

// ReadLeaves implements translog.Store.
func (s *AccessLog) ReadLeaves(ctx context.Context, start uint64, count int) ([]translog.Leaf, error) {
	return s.leaves(ctx, `SELECT leaf_index, subject, data FROM access_log_leaves WHERE leaf_index >= ?
		ORDER BY leaf_index LIMIT ?`, int64(start), max(count, 0))
}

// ReadSubjectLeaves implements translog.Store.
func (s *AccessLog) ReadSubjectLeaves(ctx context.Context, subject string, start uint64, count int) ([]translog.Leaf, error) {
	return s.leaves(ctx, `SELECT leaf_index, subject, data FROM access_log_leaves WHERE subject = ? AND leaf_index >= ?
		ORDER BY leaf_index LIMIT ?`, subject, int64(start), max(count, 0))
}

func (s *AccessLog) leaves(ctx context.Context, q string, args ...any) ([]translog.Leaf, error) {
	rows, err := s.db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []translog.Leaf
	for rows.Next() {
		var l translog.Leaf
		var idx int64
		if err := rows.Scan(&idx, &l.Subject, &l.Data); err != nil {
			return nil, err
		}
		l.Index = uint64(idx)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ReadNodes implements translog.Store.
func (s *AccessLog) ReadNodes(ctx context.Context, ids []translog.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	pos := make(map[translog.NodeID][]int, len(ids))
	for i, id := range ids {
		pos[id] = append(pos[id], i)
	}
	for from := 0; from < len(ids); from += insertChunk {
		part := ids[from:min(from+insertChunk, len(ids))]
		args := make([]any, 0, 2*len(part))
		for _, id := range part {
			args = append(args, int(id.Level), int64(id.Index))
		}
		where := strings.TrimSuffix(strings.Repeat("(level = ? AND node_index = ?) OR ", len(part)), " OR ")
		rows, err := s.db.reader().query(ctx, `SELECT level, node_index, hash FROM access_log_nodes WHERE `+where, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var level int
			var idx int64
			var hash []byte
			if err := rows.Scan(&level, &idx, &hash); err != nil {
				rows.Close()
				return nil, err
			}
			for _, i := range pos[translog.NodeID{Level: uint8(level), Index: uint64(idx)}] {
				out[i] = hash
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveCheckpoint implements translog.Store.
func (s *AccessLog) SaveCheckpoint(ctx context.Context, size uint64, note []byte) error {
	_, err := s.db.writer().exec(ctx, `INSERT INTO access_log_checkpoints (tree_size, note, created_at) VALUES (?, ?, ?)`,
		int64(size), note, ms(time.Now()))
	return conflict(err)
}

// Checkpoints implements translog.Store.
func (s *AccessLog) Checkpoints(ctx context.Context, start uint64, count int) ([]translog.StoredCheckpoint, error) {
	rows, err := s.db.reader().query(ctx, `SELECT tree_size, note FROM access_log_checkpoints WHERE tree_size >= ?
		ORDER BY tree_size LIMIT ?`, int64(start), max(count, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []translog.StoredCheckpoint
	for rows.Next() {
		var c translog.StoredCheckpoint
		var size int64
		if err := rows.Scan(&size, &c.Note); err != nil {
			return nil, err
		}
		c.Size = uint64(size)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestCheckpoint implements translog.Store.
func (s *AccessLog) LatestCheckpoint(ctx context.Context) (translog.StoredCheckpoint, bool, error) {
	var c translog.StoredCheckpoint
	var size int64
	err := s.db.reader().row(ctx, `SELECT tree_size, note FROM access_log_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&size, &c.Note)
	if errors.Is(classify(err), ErrNotFound) {
		return translog.StoredCheckpoint{}, false, nil
	}
	if err != nil {
		return translog.StoredCheckpoint{}, false, err
	}
	c.Size = uint64(size)
	return c, true, nil
}

// RawExec runs one statement directly and returns the rows it affected. Only tests and
// repair tools use it: the tamper tests change access-log rows behind the store's back, as
// someone with database access would.
func (d *DB) RawExec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.writer().exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
