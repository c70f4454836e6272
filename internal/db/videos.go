package db

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
)

// VideoRow is the videos table as stored.
type VideoRow struct {
	ID            string
	AccountID     string
	Caption       string
	Visibility    string
	AllowComments bool
	AllowDownload bool
	State         string
	FailureCode   string
	FailureReason string
	DurationMS    int64
	Width, Height int
	PosterKey     string
	Removed       bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ReadyAt       time.Time
	Language      string   // "" when unknown
	Hashtags      []string // filled by ByID
	Mentions      []string
	CommentPolicy string // filled by ByIDs
}

// RenditionRow is one playable file of a video.
type RenditionRow struct {
	VideoID       string
	Name          string
	BlobKey       string
	Width, Height int
	Bitrate       int64
	Bytes         int64
	CreatedAt     time.Time
}

// UploadRow is a resumable upload in progress.
type UploadRow struct {
	ID        string
	AccountID string
	VideoID   string
	Length    int64
	Offset    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Videos is the video store.
type Videos struct{ db *DB }

// Videos returns the video store.
func (d *DB) Videos() *Videos { return &Videos{db: d} }

const videoCols = `id, account_id, caption, visibility, allow_comments, allow_download, state, failure_code,
	failure_reason, duration_ms, width, height, poster_key, removed, created_at, updated_at, ready_at, language`

func scanVideo(sc scanner) (*VideoRow, error) { return scanVideoAnd(sc) }

// scanVideoAnd scans videoCols followed by the extra columns into extra.
func scanVideoAnd(sc scanner, extra ...any) (*VideoRow, error) {
	var v VideoRow
	var c, u int64
	var r sql.NullInt64
	err := sc.Scan(append([]any{&v.ID, &v.AccountID, &v.Caption, &v.Visibility, &v.AllowComments, &v.AllowDownload, &v.State,
		&v.FailureCode, &v.FailureReason, &v.DurationMS, &v.Width, &v.Height, &v.PosterKey, &v.Removed, &c, &u, &r, &v.Language}, extra...)...)
	if err != nil {
		return nil, classify(err)
	}
	v.CreatedAt, v.UpdatedAt, v.ReadyAt = fromMS(c), fromMS(u), fromNullMS(r)
	return &v, nil
}

// CreateWithUpload stores a new video in the uploading state, its parsed hashtags and
// mentions, and the upload that will fill it, in one transaction.
func (s *Videos) CreateWithUpload(ctx context.Context, v *VideoRow, up *UploadRow) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO videos (`+videoCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.AccountID, v.Caption, v.Visibility, v.AllowComments, v.AllowDownload, v.State, v.FailureCode,
			v.FailureReason, v.DurationMS, v.Width, v.Height, v.PosterKey, v.Removed, ms(v.CreatedAt), ms(v.UpdatedAt), nullMS(v.ReadyAt),
			v.Language)
		if err != nil {
			return classify(err)
		}
		if err := s.setTags(ctx, tx, v.ID, v.Hashtags, v.Mentions); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO uploads (id, account_id, video_id, length, "offset", created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?)`,
			up.ID, up.AccountID, up.VideoID, up.Length, ms(up.CreatedAt), ms(up.ExpiresAt))
		return classify(err)
	})
}

func (s *Videos) setTags(ctx context.Context, tx *Tx, videoID string, hashtags, mentions []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM video_hashtags WHERE video_id = ?`, videoID); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM video_mentions WHERE video_id = ?`, videoID); err != nil {
		return err
	}
	for _, t := range hashtags {
		if _, err := tx.exec(ctx, `INSERT INTO video_hashtags (video_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING`, videoID, t); err != nil {
			return err
		}
	}
	for _, m := range mentions {
		_, err := tx.exec(ctx, `INSERT INTO video_mentions (video_id, username, account_id)
			VALUES (?, ?, (SELECT id FROM accounts WHERE lower(username) = lower(?))) ON CONFLICT DO NOTHING`, videoID, m, m)
		if err != nil {
			return err
		}
	}
	return nil
}

// ByID returns a video with its hashtags and mentions.
func (s *Videos) ByID(ctx context.Context, id string) (*VideoRow, error) {
	r := s.db.reader()
	v, err := scanVideo(r.row(ctx, `SELECT `+videoCols+` FROM videos WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if v.Hashtags, err = strings1(ctx, r, `SELECT tag FROM video_hashtags WHERE video_id = ? ORDER BY tag`, id); err != nil {
		return nil, err
	}
	if v.Mentions, err = strings1(ctx, r, `SELECT username FROM video_mentions WHERE video_id = ? ORDER BY username`, id); err != nil {
		return nil, err
	}
	return v, nil
}

func strings1(ctx context.Context, c conn, q string, args ...any) ([]string, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Renditions lists a video's playable files, smallest first.
func (s *Videos) Renditions(ctx context.Context, videoID string) ([]*RenditionRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT video_id, name, blob_key, width, height, bitrate, bytes, created_at
		FROM renditions WHERE video_id = ? ORDER BY width * height, name`, videoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*RenditionRow
	for rows.Next() {
		var r RenditionRow
		var c int64
		if err := rows.Scan(&r.VideoID, &r.Name, &r.BlobKey, &r.Width, &r.Height, &r.Bitrate, &r.Bytes, &c); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMS(c)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Upload finds an upload.
func (s *Videos) Upload(ctx context.Context, id string) (*UploadRow, error) {
	var u UploadRow
	var c, e int64
	err := s.db.reader().row(ctx, `SELECT id, account_id, video_id, length, "offset", created_at, expires_at FROM uploads WHERE id = ?`, id).
		Scan(&u.ID, &u.AccountID, &u.VideoID, &u.Length, &u.Offset, &c, &e)
	if err != nil {
		return nil, classify(err)
	}
	u.CreatedAt, u.ExpiresAt = fromMS(c), fromMS(e)
	return &u, nil
}

// AdvanceUpload moves an upload's offset from one value to another. It fails with
// ErrNotFound when the offset is no longer from: two writers raced and this one lost.
func (s *Videos) AdvanceUpload(ctx context.Context, id string, from, to int64) error {
	res, err := s.db.writer().exec(ctx, `UPDATE uploads SET "offset" = ? WHERE id = ? AND "offset" = ?`, to, id, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// FinishUpload ends an upload: the upload row goes, the video is queued, and its
// processing job is enqueued — together, so no video waits without a job.
func (s *Videos) FinishUpload(ctx context.Context, uploadID, videoID string, job *JobRow, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM uploads WHERE id = ?`, uploadID); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE videos SET state = 'queued', updated_at = ? WHERE id = ? AND state = 'uploading'`, ms(now), videoID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.db.Jobs().EnqueueTx(ctx, tx, job, now)
	})
}

// ExpiredUploads lists uploads past their expiry, for cleanup.
func (s *Videos) ExpiredUploads(ctx context.Context, now time.Time) ([]*UploadRow, error) {
	rows, err := s.db.reader().query(ctx, `SELECT id, account_id, video_id, length, "offset", created_at, expires_at FROM uploads WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*UploadRow
	for rows.Next() {
		var u UploadRow
		var c, e int64
		if err := rows.Scan(&u.ID, &u.AccountID, &u.VideoID, &u.Length, &u.Offset, &c, &e); err != nil {
			return nil, err
		}
		u.CreatedAt, u.ExpiresAt = fromMS(c), fromMS(e)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// SetState moves a video to a state; when the state is failed it records why.
func (s *Videos) SetState(ctx context.Context, id, state, failCode, failReason string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE videos SET state = ?, failure_code = ?, failure_reason = ?, updated_at = ? WHERE id = ?`,
		state, failCode, failReason, ms(now), id)
	return err
}

// SetMedia records what the probe found.
func (s *Videos) SetMedia(ctx context.Context, id string, durationMS int64, width, height int, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE videos SET duration_ms = ?, width = ?, height = ?, updated_at = ? WHERE id = ?`,
		durationMS, width, height, ms(now), id)
	return err
}

// SetPoster records the poster image.
func (s *Videos) SetPoster(ctx context.Context, id, key string, now time.Time) error {
	_, err := s.db.writer().exec(ctx, `UPDATE videos SET poster_key = ?, updated_at = ? WHERE id = ?`, key, ms(now), id)
	return err
}

// AddRendition records a playable file and, with the first one, makes the video ready.
func (s *Videos) AddRendition(ctx context.Context, r *RenditionRow, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO renditions (video_id, name, blob_key, width, height, bitrate, bytes, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (video_id, name) DO UPDATE SET blob_key = excluded.blob_key,
			width = excluded.width, height = excluded.height, bitrate = excluded.bitrate, bytes = excluded.bytes`,
			r.VideoID, r.Name, r.BlobKey, r.Width, r.Height, r.Bitrate, r.Bytes, ms(now))
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE videos SET state = 'ready', failure_code = '', failure_reason = '', updated_at = ?,
			ready_at = COALESCE(ready_at, ?) WHERE id = ?`, ms(now), ms(now), r.VideoID)
		return err
	})
}

// VideoEdit changes what a creator may change; nil leaves a field alone.
type VideoEdit struct {
	Caption       *string
	Hashtags      []string // replaces when Caption is set
	Mentions      []string
	Visibility    *string
	AllowComments *bool
	AllowDownload *bool
	Language      *string
}

// Update applies an edit.
func (s *Videos) Update(ctx context.Context, id string, e VideoEdit, now time.Time) error {
	return s.db.InTx(ctx, func(tx *Tx) error {
		set := "updated_at = ?"
		args := []any{ms(now)}
		add := func(col string, v any) { set += ", " + col + " = ?"; args = append(args, v) }
		if e.Caption != nil {
			add("caption", *e.Caption)
		}
		if e.Visibility != nil {
			add("visibility", *e.Visibility)
		}
		if e.AllowComments != nil {
			add("allow_comments", *e.AllowComments)
		}
		if e.AllowDownload != nil {
			add("allow_download", *e.AllowDownload)
		}
		if e.Language != nil {
			add("language", *e.Language)
		}
		args = append(args, id)
		res, err := tx.exec(ctx, `UPDATE videos SET `+set+` WHERE id = ?`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if e.Caption != nil {
			return s.setTags(ctx, tx, id, e.Hashtags, e.Mentions)
		}
		return nil
	})
}

// Delete removes a video row and everything that hangs off it.
//
// On PostgreSQL it first locks the video and then the rows its cascade will remove, in the
// order the other writes take them — comments by ID, their likes, the video's likes — and
// only then deletes, which locks the counters (video_stats, then the creator's
// account_stats; see migration 0009). A bare DELETE took the counters first and the
// comments last, the other way round from the trigger that moves an account's comments
// off the counters when it is suspended, so a suspension and a deletion could deadlock
// (migration 0013 is the suspension's half). SQLite has one writer: the DELETE alone is
// enough there.
func (s *Videos) Delete(ctx context.Context, id string) error {
	if s.db.Dialect != Postgres {
		res, err := s.db.writer().exec(ctx, `DELETE FROM videos WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	}
	return s.db.InTx(ctx, func(tx *Tx) error {
		var one int
		if err := tx.row(ctx, `SELECT 1 FROM videos WHERE id = ? FOR UPDATE`, id).Scan(&one); err != nil {
			return classify(err)
		}
		for _, q := range []string{
			`SELECT 1 FROM comments WHERE video_id = ? ORDER BY id FOR UPDATE`,
			`SELECT 1 FROM comment_likes WHERE comment_id IN (SELECT id FROM comments WHERE video_id = ?) ORDER BY comment_id, account_id FOR UPDATE`,
			`SELECT 1 FROM likes WHERE video_id = ? ORDER BY account_id FOR UPDATE`,
			`DELETE FROM videos WHERE id = ?`,
		} {
			if _, err := tx.exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListByAccount pages through an account's videos, newest first, limited to the given
// states and visibilities (the caller decides which the viewer may see).
func (s *Videos) ListByAccount(ctx context.Context, accountID string, states, visibilities []string, after string, limit int) ([]*VideoRow, error) {
	q := `SELECT ` + videoCols + ` FROM videos WHERE account_id = ? AND removed = ?`
	args := []any{accountID, false}
	q, args = inList(q, "state", states, args)
	q, args = inList(q, "visibility", visibilities, args)
	if after != "" {
		q += ` AND id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db.reader(), scanVideo, q, args...)
}

func inList(q, col string, vals []string, args []any) (string, []any) {
	if len(vals) == 0 {
		return q + " AND 1 = 0", args
	}
	q += " AND " + col + " IN (?"
	args = append(args, vals[0])
	for _, v := range vals[1:] {
		q += ", ?"
		args = append(args, v)
	}
	return q + ")", args
}

// idList returns "?, ?, …" for n values and the values as arguments.
func idList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

// maxBatch bounds the IN lists of the batched loads (SQLite allows 32,766 parameters).
const maxBatch = 500

// PageRows are what a page of videos shows of the database: the videos, by ID, as ByIDs
// gives them; their renditions, by video ID, as RenditionsOf gives them; and their owners'
// accounts, by account ID, as Owners gives them.
type PageRows struct {
	Videos     map[string]*VideoRow
	Renditions map[string][]*RenditionRow
	Owners     map[string]*AccountRow
}

// Page reads the videos among ids that exist with their renditions and their owners, as
// ByIDs, RenditionsOf and Owners would, taking the video cache's changes once for the three.
func (s *Videos) Page(ctx context.Context, ids []string) (*PageRows, error) {
	cr := s.cacheRead(ctx)
	videos, err := s.videosVia(ctx, cr, ids)
	if err != nil {
		return nil, err
	}
	found := make([]string, 0, len(videos))
	var owners []string
	seenVideo, seenOwner := make(map[string]bool, len(videos)), make(map[string]bool, len(videos))
	for _, id := range ids {
		v := videos[id]
		if v == nil || seenVideo[id] {
			continue
		}
		seenVideo[id] = true
		found = append(found, id)
		if !seenOwner[v.AccountID] {
			seenOwner[v.AccountID] = true
			owners = append(owners, v.AccountID)
		}
	}
	out := &PageRows{Videos: videos}
	if out.Renditions, err = s.renditionsVia(ctx, cr, found); err != nil {
		return nil, err
	}
	if out.Owners, err = s.ownersVia(ctx, cr, owners); err != nil {
		return nil, err
	}
	return out, nil
}

// ByIDs returns the videos among ids that exist, by ID, each with its hashtags and
// mentions as ByID gives them and its comment policy, from the video cache or in two
// queries per batch of maxBatch IDs. The rows are the caller's; their slices are shared,
// so append to them but do not change their elements.
func (s *Videos) ByIDs(ctx context.Context, ids []string) (map[string]*VideoRow, error) {
	return s.videosVia(ctx, s.cacheRead(ctx), ids)
}

func (s *Videos) videosVia(ctx context.Context, cr cacheRead, ids []string) (map[string]*VideoRow, error) {
	if cr.c == nil {
		return s.byIDs(ctx, ids)
	}
	return readThrough(ctx, cr, "v", cr.c.videos, ids, s.byIDs, func(v *VideoRow) *VideoRow {
		cp := *v
		cp.Hashtags, cp.Mentions = slices.Clip(cp.Hashtags), slices.Clip(cp.Mentions) // an append copies
		return &cp
	})
}

func (s *Videos) byIDs(ctx context.Context, ids []string) (map[string]*VideoRow, error) {
	out := make(map[string]*VideoRow, len(ids))
	r := s.db.reader()
	scan := func(sc scanner) (*VideoRow, error) {
		var policy string
		v, err := scanVideoAnd(sc, &policy)
		if v != nil {
			v.CommentPolicy = policy
		}
		return v, err
	}
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		in, args := idList(ids[:n])
		ids = ids[n:]
		rows, err := queryAll(ctx, r, scan, `SELECT `+videoCols+`, comment_policy FROM videos WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, v := range rows {
			out[v.ID] = v
		}
		// Unordered: the rows are sorted below, per video. An ORDER BY made SQLite sort them
		// in a temporary b-tree, which cost as much as reading them (see
		// BenchmarkVideosByIDs).
		tags, err := r.query(ctx, `SELECT video_id, 'h', tag FROM video_hashtags WHERE video_id IN (`+in+`)
			UNION ALL SELECT video_id, 'm', username FROM video_mentions WHERE video_id IN (`+in+`)`, append(args, args...)...)
		if err != nil {
			return nil, err
		}
		for tags.Next() {
			var id, kind, name string
			if err := tags.Scan(&id, &kind, &name); err != nil {
				tags.Close()
				return nil, err
			}
			if v := out[id]; v != nil && kind == "h" {
				v.Hashtags = append(v.Hashtags, name)
			} else if v != nil {
				v.Mentions = append(v.Mentions, name)
			}
		}
		err = tags.Err()
		tags.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, v := range out {
		slices.Sort(v.Hashtags)
		slices.Sort(v.Mentions)
	}
	return out, nil
}

func pairs(ctx context.Context, c conn, q string, args []any, each func(a, b string)) error {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		each(a, b)
	}
	return rows.Err()
}

// RenditionsOf lists the playable files of several videos, by video ID, each video's
// smallest first as Renditions gives them, from the video cache or the database.
func (s *Videos) RenditionsOf(ctx context.Context, ids []string) (map[string][]*RenditionRow, error) {
	return s.renditionsVia(ctx, s.cacheRead(ctx), ids)
}

func (s *Videos) renditionsVia(ctx context.Context, cr cacheRead, ids []string) (map[string][]*RenditionRow, error) {
	c, gen := cr.c, cr.gen
	if c == nil {
		return s.renditionsOf(ctx, ids)
	}
	out := make(map[string][]*RenditionRow, len(ids))
	var miss []string
	for _, id := range ids {
		rs, ok := c.rends.Get(id)
		if !ok {
			miss = append(miss, id)
			continue
		}
		if len(rs) > 0 {
			ps := make([]*RenditionRow, len(rs))
			for i := range rs {
				r := rs[i]
				ps[i] = &r
			}
			out[id] = ps
		}
	}
	c.hits.Add(int64(len(ids) - len(miss)))
	if len(miss) == 0 {
		return out, nil
	}
	c.misses.Add(int64(len(miss)))
	rows, err := s.renditionsOf(ctx, miss)
	if err != nil {
		return nil, err
	}
	// A video without renditions is kept as such: adding one is a change that drops it.
	kept := make(map[string][]RenditionRow, len(miss))
	for _, id := range miss {
		rs := make([]RenditionRow, len(rows[id]))
		for i, r := range rows[id] {
			rs[i] = *r
		}
		kept[id] = rs
		if len(rows[id]) > 0 {
			out[id] = rows[id]
		}
	}
	keep(c, gen, "v", c.rends, kept)
	return out, nil
}

func (s *Videos) renditionsOf(ctx context.Context, ids []string) (map[string][]*RenditionRow, error) {
	out := make(map[string][]*RenditionRow, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		in, args := idList(ids[:n])
		ids = ids[n:]
		// Sorted below rather than by an ORDER BY, which costs SQLite a temporary b-tree.
		rows, err := s.db.reader().query(ctx, `SELECT video_id, name, blob_key, width, height, bitrate, bytes, created_at
			FROM renditions WHERE video_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r RenditionRow
			var c int64
			if err := rows.Scan(&r.VideoID, &r.Name, &r.BlobKey, &r.Width, &r.Height, &r.Bitrate, &r.Bytes, &c); err != nil {
				rows.Close()
				return nil, err
			}
			r.CreatedAt = fromMS(c)
			out[r.VideoID] = append(out[r.VideoID], &r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b *RenditionRow) int {
			return cmp.Or(cmp.Compare(a.Width*a.Height, b.Width*b.Height), strings.Compare(a.Name, b.Name))
		})
	}
	return out, nil
}

// Owners reads the accounts among ids that exist, by ID, as Accounts.ByID reads each: the
// owners of a page of videos, from the video cache or in one query per batch of maxBatch
// IDs.
func (s *Videos) Owners(ctx context.Context, ids []string) (map[string]*AccountRow, error) {
	return s.ownersVia(ctx, s.cacheRead(ctx), ids)
}

func (s *Videos) ownersVia(ctx context.Context, cr cacheRead, ids []string) (map[string]*AccountRow, error) {
	if cr.c == nil {
		return s.owners(ctx, ids)
	}
	return readThrough(ctx, cr, "a", cr.c.owners, ids, s.owners, func(a *AccountRow) *AccountRow {
		cp := *a
		return &cp
	})
}

func (s *Videos) owners(ctx context.Context, ids []string) (map[string]*AccountRow, error) {
	out := make(map[string]*AccountRow, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		in, args := idList(ids[:n])
		ids = ids[n:]
		rows, err := queryAll(ctx, s.db.reader(), scanAccount, `SELECT `+accountCols+` FROM accounts WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			out[a.ID] = a
		}
	}
	return out, nil
}
