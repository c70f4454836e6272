package db

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Search is the store behind search and hashtag pages, and the place where the two engines
// differ most: SQLite answers full-text queries from FTS5 tables that triggers keep exact,
// PostgreSQL from GIN indexes over tsvectors. Callers hand it plain words; only this file
// writes each engine's query syntax, and it quotes every word, so no user text reaches a
// MATCH or tsquery parser as an operator.
type Search struct{ db *DB }

// Search returns the search store.
func (d *DB) Search() *Search { return &Search{db: d} }

// Audience says whose videos a viewer may discover. The caller fills it from policy; the
// store applies it in SQL, so a list and its count can never disagree. Beyond it, discovery
// never shows removed videos nor anything across a block, in either direction.
type Audience struct {
	ViewerID    string   // "" for anonymous
	States      []string // video states that may appear
	OwnerStates []string // account states whose videos may appear
	Stranger    []string // visibilities anyone may see
	Follower    []string // visibilities an accepted follower may see
	Own         []string // visibilities of the viewer's own videos
}

// where is the audience as a condition on videos v owned by accounts ow. The viewer's blocks
// and follows are uncorrelated subqueries, which both engines compute once per query rather
// than once per video: a hashtag's videos are checked by the thousand.
func (a Audience) where(d Dialect) (string, []any) {
	var b strings.Builder
	args := []any{false}
	b.WriteString(`v.removed = ?`)
	args = andIn(&b, args, videoState(d), a.States)
	args = andIn(&b, args, "ow.state", a.OwnerStates)
	if a.ViewerID == "" {
		args = andIn(&b, args, "v.visibility", a.Stranger)
		return b.String(), args
	}
	b.WriteString(` AND v.account_id NOT IN (SELECT bk.blocked_id FROM blocks bk WHERE bk.blocker_id = ?
			UNION ALL SELECT bk.blocker_id FROM blocks bk WHERE bk.blocked_id = ?)
		AND ((v.account_id <> ? AND (`)
	args = append(args, a.ViewerID, a.ViewerID, a.ViewerID)
	args = in(&b, args, "v.visibility", a.Stranger)
	b.WriteString(` OR (`)
	args = in(&b, args, "v.visibility", a.Follower)
	b.WriteString(` AND v.account_id IN (SELECT fl.followee_id FROM follows fl WHERE fl.follower_id = ? AND fl.state = 'accepted'))))
		OR (v.account_id = ? AND `)
	args = append(args, a.ViewerID, a.ViewerID)
	args = in(&b, args, "v.visibility", a.Own)
	b.WriteString(`))`)
	return b.String(), args
}

// videoState is how the audience names a video's state. Nearly every video is ready, but
// without ANALYZE statistics (which nothing runs on an embedded database) SQLite takes
// "state IN ('ready')" on the videos_ready index for a selective start and walks every ready
// video of the instance instead of the few a hashtag or a search names; its unary + is the
// documented way to keep a term off an index. PostgreSQL keeps statistics and plans well
// with the plain column.
func videoState(d Dialect) string {
	if d == SQLite {
		return "+v.state"
	}
	return "v.state"
}

// in writes "col IN (?, …)", or a false condition for an empty list.
func in(b *strings.Builder, args []any, col string, vals []string) []any {
	if len(vals) == 0 {
		b.WriteString("1 = 0")
		return args
	}
	b.WriteString(col + " IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, v)
	}
	b.WriteString(")")
	return args
}

func andIn(b *strings.Builder, args []any, col string, vals []string) []any {
	b.WriteString(" AND ")
	return in(b, args, col, vals)
}

// cleanTerms drops what neither engine can take in a quoted word (NUL, broken UTF-8) and
// the words left empty.
func cleanTerms(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		t = strings.ReplaceAll(strings.ToValidUTF8(t, ""), "\x00", "")
		if strings.TrimSpace(t) != "" {
			out = append(out, t)
		}
	}
	return out
}

// storable reports whether a text can be stored at all, so an exact match on it that
// could never find anything need not reach the engine (PostgreSQL refuses NUL and broken
// UTF-8 outright).
func storable(s string) bool { return utf8.ValidString(s) && !strings.Contains(s, "\x00") }

// ftsMatch is an FTS5 query: every word a quoted phrase (a quote inside doubled), all of
// them required; prefix marks which words may match the start of a longer word.
func ftsMatch(terms []string, prefix func(i int) bool) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
		if prefix(i) {
			b.WriteString("*")
		}
	}
	return b.String()
}

// tsQuery is a to_tsquery input: every word a quoted lexeme (quote and backslash escaped),
// all of them required; prefix marks which may match the start of a longer word.
func tsQuery(terms []string, prefix func(i int) bool) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		t = strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t)
		b.WriteString("'" + t + "'")
		if prefix(i) {
			b.WriteString(":*")
		}
	}
	return b.String()
}

// maxRune sorts after every character a username or hashtag can hold, so [p, p+maxRune) is
// exactly the strings starting with p in byte order (SQLite's BINARY collation).
const maxRune = "\U0010FFFF"

// likePrefix is a LIKE pattern matching strings that start with p, escaped with \.
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}

// AccountQuery asks for accounts by username prefix or by display-name words.
type AccountQuery struct {
	ViewerID       string    // accounts blocked either way are left out; "" for anonymous
	UsernamePrefix string    // lower case; "" matches no username
	NameTerms      []string  // every one must start a word of the display name; none matches no name
	Before         time.Time // only accounts created at or before (a stable snapshot)
	Offset, Limit  int
}

// Accounts finds active accounts whose username starts with the prefix or whose display
// name has words starting with every term. An exact username comes first, then username
// prefixes, then display-name matches; within each, more followers first.
func (s *Search) Accounts(ctx context.Context, q AccountQuery) ([]*AccountRow, error) {
	terms := cleanTerms(q.NameTerms)
	user := strings.ToValidUTF8(strings.ReplaceAll(q.UsernamePrefix, "\x00", ""), "")
	if user == "" && len(terms) == 0 {
		return nil, nil
	}
	// userMatch is the username condition on an accounts alias: a LIKE on PostgreSQL, whose
	// collation may not sort by code point; a range in code-point order on SQLite, which
	// uses the index on lower(username) where LIKE would not.
	userMatch := func(alias string) (string, []any) {
		if s.db.Dialect == Postgres {
			return `lower(` + alias + `.username) LIKE ? ESCAPE '\'`, []any{likePrefix(user)}
		}
		return `lower(` + alias + `.username) >= ? AND lower(` + alias + `.username) < ?`, []any{user, user + maxRune}
	}
	tier, args := `2`, []any{}
	var parts []string
	var matchArgs []any
	if user != "" {
		m, margs := userMatch("a")
		tier = `CASE WHEN lower(a.username) = ? THEN 0 WHEN ` + m + ` THEN 1 ELSE 2 END`
		args = append(append(args, user), margs...)
		m, margs = userMatch("u")
		parts = append(parts, `SELECT u.id FROM accounts u WHERE `+m)
		matchArgs = append(matchArgs, margs...)
	}
	if len(terms) > 0 {
		all := func(int) bool { return true }
		if s.db.Dialect == Postgres {
			parts = append(parts, `SELECT id FROM accounts WHERE to_tsvector('simple', display_name) @@ to_tsquery('simple', ?)`)
			matchArgs = append(matchArgs, tsQuery(terms, all))
		} else {
			parts = append(parts, `SELECT d.account_id FROM accounts_fts JOIN accounts_fts_docs d ON d.doc = accounts_fts.rowid
				WHERE accounts_fts MATCH ?`)
			matchArgs = append(matchArgs, ftsMatch(terms, all))
		}
	}
	query := `SELECT ` + prefixCols("a", accountCols) + `, ` + tier + ` AS tier, COALESCE(st.followers, 0) AS followers
		FROM accounts a LEFT JOIN account_stats st ON st.account_id = a.id
		WHERE a.id IN (` + strings.Join(parts, " UNION ") + `) AND a.state = 'active' AND a.created_at <= ?`
	args = append(append(args, matchArgs...), ms(q.Before))
	if q.ViewerID != "" {
		query += ` AND NOT EXISTS (SELECT 1 FROM blocks bk WHERE bk.blocker_id = a.id AND bk.blocked_id = ?)
			AND NOT EXISTS (SELECT 1 FROM blocks bk WHERE bk.blocker_id = ? AND bk.blocked_id = a.id)`
		args = append(args, q.ViewerID, q.ViewerID)
	}
	query += ` ORDER BY tier, followers DESC, lower(a.username), a.id LIMIT ? OFFSET ?`
	args = append(args, q.Limit, q.Offset)
	rows, err := s.db.reader().query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AccountRow
	for rows.Next() {
		var tierN, followers int64
		a, err := scanAccount(scanExtra{rows, []any{&tierN, &followers}})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// scanExtra scans a row's leading columns into a scanner's targets and the rest into more.
type scanExtra struct {
	rows interface{ Scan(...any) error }
	more []any
}

func (s scanExtra) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.more...)...) }

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// HashtagRow is a hashtag with the number of its videos an audience may see.
type HashtagRow struct {
	Tag    string
	Videos int
}

const taggedFrom = ` FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id JOIN accounts ow ON ow.id = v.account_id`

// flagged reports whether video_hashtags.public can answer for the audience: it marks
// exactly the uses strangers may see, but for the owner's state, which counts corrects (see
// migration 0007). When policy someday describes strangers differently, counts fall back to
// checking every use.
func (a Audience) flagged() bool {
	return slices.Equal(a.States, []string{"ready"}) && slices.Equal(a.OwnerStates, []string{"active"}) &&
		slices.Equal(a.Stranger, []string{"public"}) && slices.Contains(a.Follower, "public")
}

// counts is a query of (tag, n) rows whose sums per tag are how many uses of each hashtag
// matching tagCond (on vh) the audience may see. For a flagged audience it adds up
//
//	public uses                                      (index-only, however popular the tag)
//	− public uses by accounts that are not active, blocked either way, or the viewer's
//	+ the viewer's own uses they may see
//	+ uses of followers-only videos by accounts the viewer follows
//
// The corrections start from the viewer's few accounts and reach their videos by index, and
// they are disjoint (the subtracted accounts are a UNION), so the sum is exact. Otherwise it
// checks every use against the audience.
func (a Audience) counts(d Dialect, tagCond string, tagArgs []any) (string, []any) {
	if !a.flagged() {
		cond, args := a.where(d)
		return `SELECT vh.tag AS tag, COUNT(*) AS n` + taggedFrom + ` WHERE ` + tagCond + ` AND ` + cond + ` GROUP BY vh.tag`,
			append(slices.Clone(tagArgs), args...)
	}
	var args []any
	add := func(more ...any) { args = append(args, more...) }
	q := `SELECT vh.tag AS tag, COUNT(*) AS n FROM video_hashtags vh WHERE ` + tagCond + ` AND vh.public = ? GROUP BY vh.tag`
	add(tagArgs...)
	add(true)
	others := `SELECT id FROM accounts WHERE state <> 'active'`
	if a.ViewerID != "" {
		others += ` UNION SELECT bk.blocked_id FROM blocks bk WHERE bk.blocker_id = ?
			UNION SELECT bk.blocker_id FROM blocks bk WHERE bk.blocked_id = ? UNION SELECT ?`
	}
	// CROSS JOIN keeps SQLite's join order: from the few accounts to their videos to their
	// uses, never from every use of a popular hashtag back to its video.
	q += ` UNION ALL SELECT vh.tag AS tag, -COUNT(*) AS n FROM (` + others + `) sa CROSS JOIN videos v CROSS JOIN video_hashtags vh
		WHERE v.account_id = sa.id AND vh.video_id = v.id AND ` + tagCond + ` AND vh.public = ? GROUP BY vh.tag`
	if a.ViewerID != "" {
		add(a.ViewerID, a.ViewerID, a.ViewerID)
	}
	add(tagArgs...)
	add(true)
	if a.ViewerID == "" {
		return q, args
	}
	var b strings.Builder
	b.WriteString(q + ` UNION ALL SELECT vh.tag AS tag, COUNT(*) AS n FROM accounts ow CROSS JOIN videos v CROSS JOIN video_hashtags vh
		WHERE ow.id = ? AND v.account_id = ow.id AND vh.video_id = v.id AND ` + tagCond + ` AND v.removed = ?`)
	add(a.ViewerID)
	add(tagArgs...)
	add(false)
	args = andIn(&b, args, videoState(d), a.States)
	args = andIn(&b, args, "ow.state", a.OwnerStates)
	args = andIn(&b, args, "v.visibility", a.Own)
	b.WriteString(` GROUP BY vh.tag`)
	var extra []string
	for _, vis := range a.Follower {
		if !slices.Contains(a.Stranger, vis) {
			extra = append(extra, vis)
		}
	}
	if len(extra) > 0 {
		b.WriteString(` UNION ALL SELECT vh.tag AS tag, COUNT(*) AS n
			FROM follows fl CROSS JOIN accounts ow CROSS JOIN videos v CROSS JOIN video_hashtags vh
			WHERE fl.follower_id = ? AND fl.state = 'accepted' AND ow.id = fl.followee_id AND ow.id <> ?
			AND ow.id NOT IN (SELECT bk.blocked_id FROM blocks bk WHERE bk.blocker_id = ? UNION ALL SELECT bk.blocker_id FROM blocks bk WHERE bk.blocked_id = ?)
			AND v.account_id = ow.id AND vh.video_id = v.id AND ` + tagCond + ` AND v.removed = ?`)
		add(a.ViewerID, a.ViewerID, a.ViewerID, a.ViewerID)
		add(tagArgs...)
		add(false)
		args = andIn(&b, args, videoState(d), a.States)
		args = andIn(&b, args, "ow.state", a.OwnerStates)
		args = andIn(&b, args, "v.visibility", extra)
		b.WriteString(` GROUP BY vh.tag`)
	}
	return b.String(), args
}

// Hashtags finds hashtags starting with prefix that have videos the audience may see, the
// most such videos first. A hashtag whose every video is hidden from the audience does not
// appear at all: its name would reveal a hidden caption.
func (s *Search) Hashtags(ctx context.Context, au Audience, prefix string, offset, limit int) ([]HashtagRow, error) {
	prefix = strings.ToValidUTF8(strings.ReplaceAll(prefix, "\x00", ""), "")
	if prefix == "" {
		return nil, nil
	}
	var tagCond string
	var tagArgs []any
	if s.db.Dialect == Postgres {
		tagCond, tagArgs = `vh.tag LIKE ? ESCAPE '\'`, []any{likePrefix(prefix)}
	} else {
		tagCond, tagArgs = `vh.tag >= ? AND vh.tag < ?`, []any{prefix, prefix + maxRune}
	}
	counts, args := au.counts(s.db.Dialect, tagCond, tagArgs)
	rows, err := s.db.reader().query(ctx, `SELECT tag, CAST(SUM(n) AS BIGINT) AS total FROM (`+counts+`) c
		GROUP BY tag HAVING SUM(n) > 0 ORDER BY total DESC, tag LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HashtagRow
	for rows.Next() {
		var h HashtagRow
		if err := rows.Scan(&h.Tag, &h.Videos); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HashtagCount is how many videos with the hashtag the audience may see.
func (s *Search) HashtagCount(ctx context.Context, au Audience, tag string) (int, error) {
	if !storable(tag) {
		return 0, nil
	}
	counts, args := au.counts(s.db.Dialect, `vh.tag = ?`, []any{tag})
	var n int
	err := s.db.reader().row(ctx, `SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (`+counts+`) c`, args...).Scan(&n)
	return n, err
}

// VideoQuery asks for videos by caption words.
type VideoQuery struct {
	Audience      Audience
	Terms         []string  // every one must appear; the last may be the start of a word
	Before        time.Time // only videos created at or before (a stable snapshot)
	Pool          int       // how many of the newest matches are ranked
	Offset, Limit int
}

// Videos finds videos whose caption has every term and returns their IDs, best match first
// (BM25 on SQLite, ts_rank on PostgreSQL), newest first among equals.
//
// Only the Pool newest matches are ranked. Ranking every match of a common word costs time
// in proportion to the whole catalogue (seconds at a few hundred thousand videos), while the
// newest matches come straight off the index in order; on a short-video platform a search is
// about what is recent anyway. The audience is applied to the pool, so a viewer may get fewer
// than Pool results, never more than they may see.
func (s *Search) Videos(ctx context.Context, q VideoQuery) ([]string, error) {
	terms := cleanTerms(q.Terms)
	if len(terms) == 0 || q.Pool <= 0 {
		return nil, nil
	}
	last := func(i int) bool { return i == len(terms)-1 }
	cond, condArgs := q.Audience.where(s.db.Dialect)
	var query string
	var args []any
	if s.db.Dialect == Postgres {
		// The rank is computed outside the pool's query: PostgreSQL evaluates a select list
		// before sorting, which would rank every match.
		tq := tsQuery(terms, last)
		query = `SELECT v.id FROM (SELECT id FROM videos WHERE to_tsvector('simple', caption) @@ to_tsquery('simple', ?)
				AND created_at <= ? ORDER BY id DESC LIMIT ?) pool
			JOIN videos v ON v.id = pool.id JOIN accounts ow ON ow.id = v.account_id
			WHERE ` + cond + `
			ORDER BY ts_rank(to_tsvector('simple', v.caption), to_tsquery('simple', ?)) DESC, v.id DESC LIMIT ? OFFSET ?`
		args = append(append([]any{tq, ms(q.Before), q.Pool}, condArgs...), tq)
	} else {
		// bm25() in the select list is computed only for the rows the pool returns.
		query = `SELECT v.id FROM (SELECT d.video_id AS id, bm25(videos_fts) AS score
				FROM videos_fts JOIN videos_fts_docs d ON d.doc = videos_fts.rowid JOIN videos pv ON pv.id = d.video_id
				WHERE videos_fts MATCH ? AND pv.created_at <= ? ORDER BY videos_fts.rowid DESC LIMIT ?) pool
			JOIN videos v ON v.id = pool.id JOIN accounts ow ON ow.id = v.account_id
			WHERE ` + cond + `
			ORDER BY pool.score, v.id DESC LIMIT ? OFFSET ?`
		args = append([]any{ftsMatch(terms, last), ms(q.Before), q.Pool}, condArgs...)
	}
	return strings1(ctx, s.db.reader(), query, append(args, q.Limit, q.Offset)...)
}

// TopKey is where a page of a hashtag's top videos ends.
type TopKey struct {
	Score   int64
	VideoID string
}

// TopRow is a video on a hashtag's top list with its score.
type TopRow struct {
	VideoID string
	Score   int64
}

// topScore ranks by recent engagement, decayed by age (the gravity of Hacker News' ranking):
//
//	score = (likes + 2·comments + 3·shares + 1) · 10⁶ / (age in whole hours + 2)²
//
// Comments and shares weigh more than likes because they cost the viewer more. The +1 lets
// videos nobody has touched yet rank by freshness; +2 hours keeps brand-new videos from
// dividing by almost nothing. The age is measured from the page's snapshot time, so one
// listing is ranked against one clock. It is integer arithmetic, so both engines compute the
// very same numbers and a cursor can carry a score exactly.
const topScore = `(COALESCE(st.likes, 0) + 2 * COALESCE(st.comments, 0) + 3 * COALESCE(st.shares, 0) + 1) * 1000000
	/ (((? - v.created_at) / 3600000 + 2) * ((? - v.created_at) / 3600000 + 2))`

// TaggedTop pages through the videos with a hashtag that the audience may see, by topScore
// at the time at, highest first, newest first among equals. after is where the previous page
// ended (nil for the first page). Videos created after at are left out, so a listing is a
// snapshot; a video appears twice only if its engagement fell between two pages.
func (s *Search) TaggedTop(ctx context.Context, au Audience, tag string, at time.Time, after *TopKey, limit int) ([]TopRow, error) {
	if !storable(tag) || after != nil && !storable(after.VideoID) {
		return nil, nil
	}
	cond, condArgs := au.where(s.db.Dialect)
	now := ms(at)
	args := append([]any{now, now, tag, now}, condArgs...)
	query := `SELECT id, score FROM (SELECT v.id AS id, ` + topScore + ` AS score` + taggedFrom + `
		LEFT JOIN video_stats st ON st.video_id = v.id
		WHERE vh.tag = ? AND v.created_at <= ? AND ` + cond + `) ranked`
	if after != nil {
		query += ` WHERE score < ? OR (score = ? AND id < ?)`
		args = append(args, after.Score, after.Score, after.VideoID)
	}
	query += ` ORDER BY score DESC, id DESC LIMIT ?`
	rows, err := s.db.reader().query(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TopRow
	for rows.Next() {
		var r TopRow
		if err := rows.Scan(&r.VideoID, &r.Score); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TaggedNewest pages through the videos with a hashtag that the audience may see, newest
// first (IDs sort by creation time). afterID is the last ID of the previous page.
func (s *Search) TaggedNewest(ctx context.Context, au Audience, tag, afterID string, limit int) ([]string, error) {
	if !storable(tag) || !storable(afterID) {
		return nil, nil
	}
	cond, condArgs := au.where(s.db.Dialect)
	args := append([]any{tag}, condArgs...)
	query := `SELECT v.id` + taggedFrom + ` WHERE vh.tag = ? AND ` + cond
	if afterID != "" {
		query += ` AND vh.video_id < ?`
		args = append(args, afterID)
	}
	query += ` ORDER BY vh.video_id DESC LIMIT ?`
	return strings1(ctx, s.db.reader(), query, append(args, limit)...)
}
