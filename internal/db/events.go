package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EventRow is one entry of the engagement log.
type EventRow struct {
	Seq        int64
	At         time.Time // when the server accepted it
	ClientAt   time.Time // when the client says it happened
	Kind       string
	AccountID  string // "" for anonymous viewers
	SessionID  string
	IdemKey    string // "" for server-side events
	VideoID    string
	CreatorID  string
	Hashtag    string
	Target     string
	Feed       string // for_you | following | trending | profile | hashtag | search | direct
	WatchMS    int64
	PositionMS int64
	DurationMS int64
	Extra      string
}

// Events is the append-only event log.
type Events struct{ db *DB }

// Events returns the event log store.
func (d *DB) Events() *Events { return &Events{db: d} }

// Append writes events in one transaction and returns how many were new: an event whose
// idempotency key is already in the log (or earlier in the same batch) is skipped, so a
// client may resend a batch safely. Views are counted here, as the log is written, so the
// counter is derived from the log and exact: the rows come back from a multi-row INSERT …
// ON CONFLICT DO NOTHING RETURNING only if they were inserted, and only those play_starts
// count. On PostgreSQL an append is one statement (appendPostgresSQL). On SQLite appends
// that arrive together share one commit (see appendGroup); each returns once its own rows
// are committed.
func (s *Events) Append(ctx context.Context, rows []*EventRow) (int, error) {
	if s.db.Dialect == SQLite {
		return s.db.appends.append(ctx, s.db, rows)
	}
	return s.appendPostgres(ctx, rows)
}

// appendPostgresSQL logs a batch, counts its new play_starts and commits, all in one
// statement that is its own transaction, so an append is one round trip. The advisory
// lock orders appends: the INSERT's one-time filter takes it before the first row gets its
// seq, and it is held until the commit, so seq order is commit order and a reader that
// follows seq never skips an event committed late. Nothing runs in this process while it
// is held. Each column comes as one array; unnest yields the rows in batch order.
const appendPostgresSQL = `WITH ins AS (
	INSERT INTO events (at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
		hashtag, target, feed, watch_ms, position_ms, duration_ms, extra)
	SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[])
	WHERE (SELECT pg_advisory_xact_lock(7212012)) IS NOT NULL
	ON CONFLICT DO NOTHING RETURNING kind, video_id
), views AS (
	INSERT INTO video_stats (video_id, views)
	SELECT video_id, count(*) FROM ins WHERE kind = 'play_start' AND video_id IS NOT NULL GROUP BY video_id ORDER BY video_id
	ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + excluded.views
)
SELECT count(*) FROM ins`

func (s *Events) appendPostgres(ctx context.Context, rows []*EventRow) (int, error) {
	n := len(rows)
	at, clientAt := make([]int64, n), make([]int64, n)
	kind, session, creator, hashtag, target, feed, extra := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	account, idem, video := make([]*string, n), make([]*string, n), make([]*string, n)
	watch, position, duration := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, e := range rows {
		at[i], clientAt[i], kind[i], session[i], creator[i] = ms(e.At), ms(e.ClientAt), e.Kind, e.SessionID, e.CreatorID
		hashtag[i], target[i], feed[i], extra[i] = e.Hashtag, e.Target, e.Feed, e.Extra
		account[i], idem[i], video[i] = nullPtr(e.AccountID), nullPtr(e.IdemKey), nullPtr(e.VideoID)
		watch[i], position[i], duration[i] = e.WatchMS, e.PositionMS, e.DurationMS
	}
	var added int
	err := s.db.write.QueryRowContext(ctx, appendPostgresSQL, at, clientAt, kind, account, session, idem, video, creator,
		hashtag, target, feed, watch, position, duration, extra).Scan(&added)
	if err != nil {
		return 0, classify(err)
	}
	return added, nil
}

// nullPtr is s, or nil (NULL) for "".
func nullPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// appendRows inserts one request's events, adds its new play_starts to views and returns
// how many rows were new. stmts, if not nil, keeps the INSERTs it prepares for the rest of
// the transaction.
func appendRows(ctx context.Context, tx *Tx, stmts *insertStmts, rows []*EventRow, views map[string]int) (int, error) {
	added := 0
	for start := 0; start < len(rows); start += appendChunk {
		n, err := insertEvents(ctx, tx, stmts, rows[start:min(start+appendChunk, len(rows))], views)
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

// appendGroup is group commit for SQLite's one writer: appends that arrive while another
// group commits wait, and the first of them then writes all of them in one transaction.
// (Tried on PostgreSQL too, it measured worse: 11,000 against 16,400 events/s in the feed
// benchmark, A/B in both orders; we think because a group's inserts then run one after
// another on one backend.)
// A commit writes every page the transaction touched to the WAL, and the log's tail, its
// index pages and the view counters are shared by concurrent batches, so a group pays for
// them once instead of once per request. Every request still returns only after the
// transaction holding its rows has committed, so an acknowledged event is as durable as
// before. If a group's transaction fails, its requests run again one by one, so a bad
// batch fails alone and each batch stays all or nothing.
type appendGroup struct {
	mu      sync.Mutex
	pending []*appendReq
	busy    bool // a group is being written
}

type appendReq struct {
	rows  []*EventRow
	added int
	err   error
	done  chan struct{} // closed when added and err are set
	lead  chan struct{} // closed when this request is to write the next group
}

// groupMaxRows bounds the events one group commit writes, so a group's transaction, and
// the wait of the requests in it, stays short.
const groupMaxRows = 4000

func (g *appendGroup) append(ctx context.Context, d *DB, rows []*EventRow) (int, error) {
	r := &appendReq{rows: rows, done: make(chan struct{}), lead: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, r)
	if g.busy {
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.added, r.err
		case <-r.lead:
		}
		g.mu.Lock()
	}
	g.busy = true
	n, total := 0, 0
	for n < len(g.pending) && (n == 0 || total+len(g.pending[n].rows) <= groupMaxRows) {
		total += len(g.pending[n].rows)
		n++
	}
	group := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.mu.Unlock()

	// The group's requests wait on this transaction: one of them going away must not
	// cancel it for the others.
	d.commitGroup(context.WithoutCancel(ctx), group)

	g.mu.Lock()
	if len(g.pending) > 0 {
		close(g.pending[0].lead)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	<-r.done
	return r.added, r.err
}

// commitGroup writes a group's requests in one transaction and tells each its result.
func (d *DB) commitGroup(ctx context.Context, group []*appendReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	err := d.InTx(ctx, func(tx *Tx) error {
		views := map[string]int{}
		stmts := &insertStmts{}
		defer stmts.close()
		for _, r := range group {
			n, err := appendRows(ctx, tx, stmts, r.rows, views)
			if err != nil {
				return err
			}
			r.added = n
		}
		return countViews(ctx, tx, views)
	})
	if err == nil || len(group) == 1 {
		if err != nil {
			group[0].added, group[0].err = 0, err
		}
		return
	}
	for _, r := range group {
		r.added = 0
		r.err = d.InTx(ctx, func(tx *Tx) error {
			views := map[string]int{}
			n, err := appendRows(ctx, tx, nil, r.rows, views)
			if err != nil {
				return err
			}
			r.added = n
			return countViews(ctx, tx, views)
		})
		if r.err != nil {
			r.added = 0
		}
	}
}

// appendChunk is how many events one INSERT writes (15 parameters each).
const appendChunk = 200

const eventRowParams = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// insertStmts are the multi-row INSERTs a group commit has prepared, by row count: the
// batches of a group are mostly of the same size, and SQLite would otherwise parse the
// long statement again for each of them.
type insertStmts struct{ byRows map[int]*sql.Stmt }

func (s *insertStmts) close() {
	for _, st := range s.byRows {
		_ = st.Close()
	}
}

// insertSQL is the INSERT of n events.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
		hashtag, target, feed, watch_ms, position_ms, duration_ms, extra) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(eventRowParams)
	}
	b.WriteString(` ON CONFLICT DO NOTHING RETURNING kind, video_id`)
	return b.String()
}

// insertEvents inserts rows with one statement and adds the new play_starts to views, by
// video. It returns how many rows were inserted. With stmts it prepares the statement
// once per row count for the transaction.
func insertEvents(ctx context.Context, tx *Tx, stmts *insertStmts, rows []*EventRow, views map[string]int) (int, error) {
	args := make([]any, 0, len(rows)*15)
	for _, e := range rows {
		args = append(args, ms(e.At), ms(e.ClientAt), e.Kind, nullStr(e.AccountID), e.SessionID, nullStr(e.IdemKey), nullStr(e.VideoID),
			e.CreatorID, e.Hashtag, e.Target, e.Feed, e.WatchMS, e.PositionMS, e.DurationMS, e.Extra)
	}
	var res *sql.Rows
	var err error
	if stmts != nil {
		st := stmts.byRows[len(rows)]
		if st == nil {
			if st, err = tx.tx.PrepareContext(ctx, tx.d.Q(insertSQL(len(rows)))); err != nil {
				return 0, classify(err)
			}
			if stmts.byRows == nil {
				stmts.byRows = map[int]*sql.Stmt{}
			}
			stmts.byRows[len(rows)] = st
		}
		res, err = st.QueryContext(ctx, args...)
	} else {
		res, err = tx.query(ctx, insertSQL(len(rows)), args...)
	}
	if err != nil {
		return 0, classify(err)
	}
	defer res.Close()
	n := 0
	for res.Next() {
		var kind string
		var vid sql.NullString
		if err := res.Scan(&kind, &vid); err != nil {
			return 0, err
		}
		n++
		if kind == "play_start" && vid.String != "" {
			views[vid.String]++
		}
	}
	if err := res.Err(); err != nil {
		return 0, classify(err)
	}
	return n, nil
}

// countViews adds the new views to video_stats, one row per video, in video order so two
// writers lock the rows in the same order.
func countViews(ctx context.Context, tx *Tx, views map[string]int) error {
	if len(views) == 0 {
		return nil
	}
	ids := make([]string, 0, len(views))
	for id := range views {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, views[id]}
	}
	return upsert(ctx, tx, `INSERT INTO video_stats (video_id, views)`,
		`ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + excluded.views`, rows)
}

// Since returns up to limit events after seq, in order.
func (s *Events) Since(ctx context.Context, after int64, limit int) ([]*EventRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT seq, at, client_at, kind, account_id, session_id, idem_key, video_id, creator_id,
		hashtag, target, feed, watch_ms, position_ms, duration_ms, extra FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*EventRow
	for rows.Next() {
		var e EventRow
		var at, cat int64
		var acc, idem, vid sql.NullString
		if err := rows.Scan(&e.Seq, &at, &cat, &e.Kind, &acc, &e.SessionID, &idem, &vid, &e.CreatorID, &e.Hashtag, &e.Target,
			&e.Feed, &e.WatchMS, &e.PositionMS, &e.DurationMS, &e.Extra); err != nil {
			return nil, err
		}
		e.At, e.ClientAt, e.AccountID, e.IdemKey, e.VideoID = fromMS(at), fromMS(cat), acc.String, idem.String, vid.String
		out = append(out, &e)
	}
	return out, rows.Err()
}

// historyMark is the instance setting holding the seq up to which PruneHistory has looked
// at every event: each run starts after it, so the events it keeps for good (follows, the
// catalogue) are not read again every time. A kind added to the history later is pruned
// only from events after the mark: reset the setting to prune the older ones too.
const historyMark = "events_history_pruned_through"

// pruneScan is how many events PruneHistory reads at a time, and deletes at most per
// transaction: a short hold of the write lock that appends wait for.
const pruneScan = 2000

// PruneHistory deletes events of the given kinds logged before `before`, oldest first, at
// most limit of them, and returns how many went. It also deletes what was taken back before
// then: an old unfollow goes with the account's earlier follows and unfollows of that
// creator, an old not_interested_undo with the earlier marks and undoings of that video,
// creator or hashtag. Neither leaves a state behind that a recommender rebuilt from the log
// would need, so only a follow or a mark still in force stays. It never deletes the newest
// event of the log (a recommender snapshot checks that the event it ends with is still
// there) nor an event the analytics tailer has not folded yet, and it stops at the first
// event logged at or after before, so a run reads only the log's old end.
func (s *Events) PruneHistory(ctx context.Context, kinds []string, before time.Time, limit int) (int, error) {
	prune := make(map[string]bool, len(kinds))
	for _, k := range kinds {
		prune[k] = true
	}
	mark, err := s.db.Settings().Get(ctx, historyMark, "0")
	if err != nil {
		return 0, err
	}
	through, err := strconv.ParseInt(mark, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("setting %s: %w", historyMark, err)
	}
	var folded, head int64
	if err := s.db.reader().row(ctx, `SELECT (SELECT seq FROM analytics_cursor WHERE name = ?), COALESCE((SELECT MAX(seq) FROM events), 0)`,
		analyticsCursor).Scan(&folded, &head); err != nil {
		return 0, err
	}
	end := min(folded, head-1) // the last seq that may go
	cutoff := ms(before)
	deleted := 0
	for deleted < limit && through < end {
		rows, err := queryAll(ctx, s.db.reader(), func(sc scanner) (oldEvent, error) {
			var o oldEvent
			err := sc.Scan(&o.seq, &o.at, &o.kind, &o.account, &o.creator, &o.target, &o.video, &o.hashtag)
			return o, err
		}, `SELECT seq, at, kind, COALESCE(account_id, ''), creator_id, target, COALESCE(video_id, ''), hashtag
			FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, through, end, pruneScan)
		if err != nil {
			return deleted, err
		}
		var gone []any
		var undone []oldEvent
		next, stop := through, len(rows) == 0
		for _, o := range rows {
			if o.at >= cutoff || deleted+len(gone) == limit {
				stop = true
				break
			}
			if prune[o.kind] {
				gone = append(gone, o.seq)
			} else if o.takesBack() {
				undone = append(undone, o)
			}
			next = o.seq
		}
		if next == through {
			break
		}
		taken := 0
		err = s.db.InTx(ctx, func(tx *Tx) error {
			taken = 0
			for _, o := range undone {
				q, args := o.withTakenBack()
				res, err := tx.exec(ctx, q, args...)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				taken += int(n)
			}
			for start := 0; start < len(gone); start += maxBatch {
				part := gone[start:min(start+maxBatch, len(gone))]
				q := `DELETE FROM events WHERE seq IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ") + `)`
				if _, err := tx.exec(ctx, q, part...); err != nil {
					return err
				}
			}
			return putSetting(ctx, tx.conn, historyMark, strconv.FormatInt(next, 10))
		})
		if err != nil {
			return deleted, err
		}
		deleted += len(gone) + taken
		through = next
		if stop {
			break
		}
	}
	return deleted, nil
}

// oldEvent is what PruneHistory reads of an event.
type oldEvent struct {
	seq, at                                        int64
	kind, account, creator, target, video, hashtag string
}

// takesBack reports whether the event takes back an account's earlier ones.
func (o oldEvent) takesBack() bool {
	return o.account != "" && (o.kind == "unfollow" || (o.kind == "not_interested_undo" &&
		(o.target == "video" || o.target == "creator" || o.target == "hashtag")))
}

// withTakenBack is the statement that deletes the event and the earlier ones it takes back:
// of the same account, pair of kinds and creator (follows) or marked thing (marks), by the
// account's index.
func (o oldEvent) withTakenBack() (string, []any) {
	q := `DELETE FROM events WHERE account_id = ? AND seq <= ? AND `
	if o.kind == "unfollow" {
		return q + `kind IN ('follow', 'unfollow') AND creator_id = ?`, []any{o.account, o.seq, o.creator}
	}
	q += `kind IN ('not_interested', 'not_interested_undo') AND target = ? AND `
	switch o.target {
	case "video":
		return q + `video_id = ?`, []any{o.account, o.seq, o.target, o.video}
	case "creator":
		return q + `creator_id = ?`, []any{o.account, o.seq, o.target, o.creator}
	default:
		return q + `hashtag = ?`, []any{o.account, o.seq, o.target, o.hashtag}
	}
}

// EraseAccount deletes an account's events and the events about its videos (their
// publication carries caption hashtags), for erasure.
func (s *Events) EraseAccount(ctx context.Context, accountID string) error {
	_, err := s.db.writer().exec(ctx, `DELETE FROM events WHERE account_id = ? OR creator_id = ?`, accountID, accountID)
	return err
}

// WatchEvent is one entry of an account's watch history, for its data export.
type WatchEvent struct {
	Kind       string `json:"kind"`
	VideoID    string `json:"video_id,omitempty"`
	Target     string `json:"target,omitempty"`
	Hashtag    string `json:"hashtag,omitempty"`
	Feed       string `json:"feed,omitempty"`
	WatchMS    int64  `json:"watch_ms,omitempty"`
	PositionMS int64  `json:"position_ms,omitempty"`
	// Region and Language are the viewer's, on an event that told the recommender they
	// changed.
	Region   string    `json:"region,omitempty"`
	Language string    `json:"language,omitempty"`
	At       time.Time `json:"at"`
}

// History returns every event an account caused, oldest first.
func (s *Events) History(ctx context.Context, accountID string) ([]WatchEvent, error) {
	rows, err := s.db.reader().query(ctx, `SELECT kind, COALESCE(video_id, ''), target, hashtag, feed, watch_ms, position_ms, client_at, extra
		FROM events WHERE account_id = ? ORDER BY seq`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WatchEvent{}
	for rows.Next() {
		var e WatchEvent
		var at int64
		var extra string
		if err := rows.Scan(&e.Kind, &e.VideoID, &e.Target, &e.Hashtag, &e.Feed, &e.WatchMS, &e.PositionMS, &at, &extra); err != nil {
			return nil, err
		}
		if extra != "" {
			// An account's events carry only the region and language here (the feed's
			// publishExtra); anything else in it is not the account's and stays out.
			var ctxt struct{ Region, Language string }
			if json.Unmarshal([]byte(extra), &ctxt) == nil {
				e.Region, e.Language = ctxt.Region, ctxt.Language
			}
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
