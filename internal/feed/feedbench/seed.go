// Package feedbench measures the For You feed of a whole kurz over real HTTP at the scale
// issue 5 sets (100,000 videos, 10,000 viewers, 1,000,000 logged events): latency and
// requests per second, event ingestion, event-to-feed freshness, memory and cold start. It
// seeds the database with bulk inserts, so only the measured paths go through the API.
package feedbench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"kurz/internal/db"
	"kurz/internal/id"
)

// Scale is the size of the synthetic platform.
type Scale struct {
	Videos, Viewers, Events int
	Topics                  int    // hidden topics; each video has one or two, as hashtags
	Seed                    uint64 // the same seed makes the same platform
}

// IssueScale is the scale issue 5's performance table is measured at.
var IssueScale = Scale{Videos: 100_000, Viewers: 10_000, Events: 1_000_000, Topics: 200, Seed: 2026}

// World is what Seed made: who can log in and what can be watched.
type World struct {
	Viewers []Viewer
	Videos  []Video
	// Creators posted the videos (one creator per 20 videos); they are not viewers.
	Creators []string
}

// Viewer is an account with a session token for the Authorization header.
type Viewer struct {
	ID, Token string
	session   string // the events' session_id, as the server writes it for this token
	likes     [2]int
}

// Video is a ready public video.
type Video struct {
	ID, Creator string
	DurationMS  int64
	topics      []int
}

// Loves reports whether the viewer's hidden taste includes one of the video's topics.
func (w *World) Loves(viewer, video int) bool {
	for _, t := range w.Videos[video].topics {
		if t == w.Viewers[viewer].likes[0] || t == w.Viewers[viewer].likes[1] {
			return true
		}
	}
	return false
}

// inserter batches rows into multi-row INSERTs inside one transaction per flush.
type inserter struct {
	ctx   context.Context
	d     *db.DB
	pool  *sql.DB
	table string
	cols  []string
	rows  [][]any
	per   int
}

func newInserter(ctx context.Context, d *db.DB, table string, cols ...string) *inserter {
	pool := d.Pools()["writer"]
	if pool == nil {
		pool = d.Pools()["main"]
	}
	// Stay under SQLite's and PostgreSQL's limits on bound parameters per statement.
	return &inserter{ctx: ctx, d: d, pool: pool, table: table, cols: cols, per: max(1, 30000/len(cols))}
}

func (in *inserter) add(vals ...any) error {
	in.rows = append(in.rows, vals)
	if len(in.rows) >= 20*in.per {
		return in.flush()
	}
	return nil
}

func (in *inserter) flush() error {
	if len(in.rows) == 0 {
		return nil
	}
	tx, err := in.pool.BeginTx(in.ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(in.cols)), ",") + ")"
	for start := 0; start < len(in.rows); start += in.per {
		chunk := in.rows[start:min(start+in.per, len(in.rows))]
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", in.table, strings.Join(in.cols, ", "))
		args := make([]any, 0, len(chunk)*len(in.cols))
		for i, r := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(in.ctx, in.d.Q(q.String()), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", in.table, err)
		}
	}
	in.rows = in.rows[:0]
	return tx.Commit()
}

// Seed fills an empty, migrated database: viewers with sessions, creators, ready public
// videos with hashtags, and an event log of sc.Events entries (one video_published per video,
// then views by random viewers, half of them of a video from the viewer's topics: an
// impression and play_start, then complete — often with a like, sometimes a share or a
// follow — when the viewer loves the topic, mostly a skip otherwise). The log's times end at now.
func Seed(ctx context.Context, d *db.DB, sc Scale, now time.Time) (*World, error) {
	rng := mrand.New(mrand.NewPCG(sc.Seed, 7))
	// Keys come from a generator of their own, so that the world (who watches what) is the
	// one seeded before the events had keys.
	keys := mrand.New(mrand.NewPCG(sc.Seed, 11))
	ids := id.NewGenerator()
	w := &World{}
	nowMS := now.UnixMilli()
	start := now.Add(-48 * time.Hour)

	accounts := newInserter(ctx, d, "accounts", "id", "username", "region", "password_hash", "created_at", "updated_at")
	sessions := newInserter(ctx, d, "sessions", "id", "account_id", "token_hash", "kind", "created_at", "last_seen_at", "expires_at")
	for i := range sc.Viewers {
		tok := make([]byte, 24)
		if _, err := rand.Read(tok); err != nil {
			return nil, err
		}
		v := Viewer{ID: ids.New(), Token: hex.EncodeToString(tok)}
		v.likes[0] = rng.IntN(sc.Topics)
		for v.likes[1] = v.likes[0]; v.likes[1] == v.likes[0] && sc.Topics > 1; {
			v.likes[1] = rng.IntN(sc.Topics)
		}
		w.Viewers = append(w.Viewers, v)
		hash := sha256.Sum256([]byte(v.Token))
		if err := accounts.add(v.ID, fmt.Sprintf("viewer%06d", i), "eu", "x", nowMS, nowMS); err != nil {
			return nil, err
		}
		sid := ids.New()
		if err := sessions.add(sid, v.ID, hash[:], "token", nowMS, nowMS, now.Add(30*24*time.Hour).UnixMilli()); err != nil {
			return nil, err
		}
		w.Viewers[len(w.Viewers)-1].session = "s:" + sid
	}
	for i := range max(sc.Videos/20, 1) {
		c := ids.New()
		w.Creators = append(w.Creators, c)
		if err := accounts.add(c, fmt.Sprintf("creator%06d", i), "eu", "x", nowMS, nowMS); err != nil {
			return nil, err
		}
	}
	if err := accounts.flush(); err != nil {
		return nil, err
	}
	if err := sessions.flush(); err != nil {
		return nil, err
	}

	byTopic := make([][]int, sc.Topics)
	videos := newInserter(ctx, d, "videos", "id", "account_id", "caption", "visibility", "state", "duration_ms", "width", "height",
		"created_at", "updated_at", "ready_at")
	tags := newInserter(ctx, d, "video_hashtags", "video_id", "tag")
	events := newInserter(ctx, d, "events", "at", "client_at", "kind", "account_id", "video_id", "creator_id", "watch_ms",
		"position_ms", "duration_ms", "extra", "feed", "session_id", "idem_key")
	logged := 0
	// Publications are spread over the first half of the log's time, views over all of it.
	span := now.Sub(start).Milliseconds()
	at := func(k int) int64 { return start.UnixMilli() + int64(k)*span/int64(max(sc.Events, 1)) }
	for i := range sc.Videos {
		c := rng.IntN(len(w.Creators))
		main := c % sc.Topics
		v := Video{ID: ids.New(), Creator: w.Creators[c], DurationMS: int64(5000 + rng.IntN(55000)), topics: []int{main}}
		if x := rng.IntN(sc.Topics); x != main && rng.IntN(2) == 0 {
			v.topics = append(v.topics, x)
		}
		w.Videos = append(w.Videos, v)
		var names []string
		for _, t := range v.topics {
			byTopic[t] = append(byTopic[t], i)
			names = append(names, fmt.Sprintf("topic%d", t))
			if err := tags.add(v.ID, fmt.Sprintf("topic%d", t)); err != nil {
				return nil, err
			}
		}
		t := at(logged)
		if err := videos.add(v.ID, v.Creator, "#"+strings.Join(names, " #"), "public", "ready", v.DurationMS, 1080, 1920, t, t, t); err != nil {
			return nil, err
		}
		extra, _ := json.Marshal(map[string]any{"hashtags": names, "region": "eu"})
		if err := events.add(t, t, "video_published", nil, v.ID, v.Creator, 0, 0, v.DurationMS, string(extra), "", "", nil); err != nil {
			return nil, err
		}
		logged++
	}
	if err := videos.flush(); err != nil {
		return nil, err
	}
	if err := tags.flush(); err != nil {
		return nil, err
	}

	views := make([]int64, len(w.Videos))
	likes := make([]int64, len(w.Videos))
	shares := make([]int64, len(w.Videos))
	for logged < sc.Events {
		u := rng.IntN(len(w.Viewers))
		vi := rng.IntN(len(w.Videos))
		if rng.IntN(2) == 0 {
			if list := byTopic[w.Viewers[u].likes[rng.IntN(2)]]; len(list) > 0 {
				vi = list[rng.IntN(len(list))]
			}
		}
		v, viewer, session := w.Videos[vi], w.Viewers[u].ID, w.Viewers[u].session
		add := func(kind string, watch int64) error {
			t := at(logged)
			logged++
			// Client events carry an idempotency key as the web client makes it; the
			// server's own (like, share, follow) have none.
			var key any
			if kind == "impression" || kind == "play_start" || kind == "skip" || kind == "complete" {
				key = EventKey(keys, t)
			}
			return events.add(t, t, kind, viewer, v.ID, v.Creator, watch, watch, v.DurationMS, "", "for_you", session, key)
		}
		views[vi]++
		if err := add("impression", 0); err != nil {
			return nil, err
		}
		if err := add("play_start", 0); err != nil {
			return nil, err
		}
		p := 0.15
		if w.Loves(u, vi) {
			p = 0.8
		}
		if rng.Float64() >= p {
			if err := add("skip", int64(rng.Float64()*0.2*float64(v.DurationMS))); err != nil {
				return nil, err
			}
			continue
		}
		if err := add("complete", v.DurationMS); err != nil {
			return nil, err
		}
		for _, x := range []struct {
			kind string
			p    float64
			n    []int64
		}{{"like", 0.4, likes}, {"share", 0.05, shares}, {"follow", 0.03, nil}} {
			if rng.Float64() < x.p {
				if err := add(x.kind, 0); err != nil {
					return nil, err
				}
				if x.n != nil {
					x.n[vi]++
				}
			}
		}
	}
	if err := events.flush(); err != nil {
		return nil, err
	}
	stats := newInserter(ctx, d, "video_stats", "video_id", "views", "likes", "shares")
	for i, v := range w.Videos {
		if err := stats.add(v.ID, views[i], likes[i], shares[i]); err != nil {
			return nil, err
		}
	}
	if err := stats.flush(); err != nil {
		return nil, err
	}
	if err := d.Analyze(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// EventKey is an idempotency key as the web client makes one (events.js): the time in
// milliseconds, then 80 random bits, in hex. atMS is the event's time.
func EventKey(rng *mrand.Rand, atMS int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(atMS)<<16)
	binary.LittleEndian.PutUint64(b[6:14], rng.Uint64())
	binary.LittleEndian.PutUint16(b[14:], uint16(rng.Uint32()))
	return hex.EncodeToString(b[:])
}
