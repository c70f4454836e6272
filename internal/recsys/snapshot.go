package recsys

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// Snapshot format: a magic string, the config it was built with (a snapshot only loads
// into a recommender with the same config, since the learned state's shape and meaning
// depend on it), the whole model state in index order, and a CRC-32 of everything before it.
// Writing the same state always gives the same bytes. The magic's number changes whenever
// the meaning of the state does (2: the affinity features became lifts; 3: trending lists
// per language), so an older
// snapshot is refused and the model is rebuilt from the log.

const snapshotMagic = "KURZREC3"

// maxSnapshotLen bounds any length read from a snapshot, so a corrupt file fails cleanly
// instead of allocating without limit.
const maxSnapshotLen = 1 << 30

// ErrSnapshotConfig is returned by ReadSnapshot when the snapshot was written with a config
// whose learning settings differ (see servingOnly for those that may change); the caller
// should rebuild from the log instead.
var ErrSnapshotConfig = errors.New("recsys: snapshot was written with a different config")

// WriteSnapshot writes the model state. It covers the log up to Seq().
func (r *Recommender) WriteSnapshot(w io.Writer) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := &encoder{w: w, crc: crc32.NewIEEE(), b: make([]byte, 0, encoderChunk+64)}
	e.bytes([]byte(snapshotMagic))
	e.str(r.cfg.learningKey())
	r.encode(e)
	e.flush()
	e.u32raw(e.crc.Sum32())
	if e.err != nil {
		return fmt.Errorf("recsys: write snapshot: %w", e.err)
	}
	return nil
}

// ReadSnapshot replaces the model state with a snapshot's. On error the state is unchanged.
// Replay the log from Seq()+1 afterwards.
func (r *Recommender) ReadSnapshot(rd io.Reader) error {
	d := &decoder{r: rd, crc: crc32.NewIEEE()}
	magic := d.fixed(len(snapshotMagic))
	if d.err == nil && string(magic) != snapshotMagic {
		return fmt.Errorf("recsys: read snapshot: not a recommender snapshot")
	}
	// Snapshots written before the serving settings were left out carry the whole config.
	cfg := d.str()
	if d.err == nil && cfg != r.cfg.learningKey() && cfg != fmt.Sprintf("%+v", r.cfg) {
		return ErrSnapshotConfig
	}
	n := &Recommender{cfg: r.cfg}
	n.init()
	n.decode(d)
	want := d.checksum()
	got := d.u32raw()
	if d.err != nil {
		return fmt.Errorf("recsys: read snapshot: %w", d.err)
	}
	if got != want {
		return fmt.Errorf("recsys: read snapshot: checksum mismatch (corrupt or truncated)")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.takeState(n)
	return nil
}

// Adopt replaces the model state with that of n, a recommender built with the same config
// (for example one rebuilt from the log after an erasure removed events from it). n must
// not be used afterwards. Readers of r see either the old state or the new one.
func (r *Recommender) Adopt(n *Recommender) error {
	if fmt.Sprintf("%+v", n.cfg) != fmt.Sprintf("%+v", r.cfg) {
		return errors.New("recsys: cannot adopt a model built with another config")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.takeState(n)
	return nil
}

// takeState moves every piece of model state from n into r; r's write lock is held. The
// exploration cursor is serving state and stays.
func (r *Recommender) takeState(n *Recommender) {
	r.seq, r.applied, r.now = n.seq, n.applied, n.now
	r.userNames, r.videoNames, r.creatorNames = n.userNames, n.videoNames, n.creatorNames
	r.hashtagNames, r.regionNames, r.langNames = n.hashtagNames, n.regionNames, n.langNames
	r.users, r.videos, r.creators, r.hashtags = n.users, n.videos, n.creators, n.hashtags
	r.co, r.userEmb, r.videoEmb, r.rank = n.co, n.userEmb, n.videoEmb, n.rank
	r.trending, r.pool, r.poolDead, r.totals = n.trending, n.pool, n.poolDead, n.totals
	r.trendingLang = n.trendingLang
}

func (r *Recommender) encode(e *encoder) {
	e.u64(r.seq)
	e.u64(r.applied)
	e.i64(r.now)
	for _, n := range []*names{&r.userNames, &r.videoNames, &r.creatorNames, &r.hashtagNames, &r.regionNames, &r.langNames} {
		e.u64(uint64(len(n.list)))
		for _, s := range n.list {
			e.str(s)
		}
	}
	for k := range r.users {
		u := &r.users[k]
		for _, rg := range []*ring{&u.recentPos, &u.recentNeg, &u.watched} {
			e.ring(rg)
		}
		for _, s := range []sortedSet{u.notVideos, u.notCreators, u.notHashtags, u.follows} {
			e.i32s(s)
		}
		for _, a := range []*affinity{&u.creatorAff, &u.hashtagAff} {
			e.i32s(a.ids)
			e.f32s(a.scores)
			e.i64s(a.at)
		}
		e.u32(u.views)
		e.i32(u.region)
		e.i32(u.lang)
		v := &u.view
		e.i32(v.video)
		e.i64(v.watchMS)
		for _, b := range []bool{v.completed, v.looped, v.liked, v.shared, v.followed, v.commented, v.skipped, v.notInterested, v.positive} {
			e.bool(b)
		}
		e.i32s(v.negs)
		e.f32s(v.feats)
	}
	for k := range r.videos {
		v := &r.videos[k]
		e.i32(v.creator)
		e.i32s(v.hashtags)
		e.i64(v.durationMS)
		e.i32(v.region)
		e.i32(v.lang)
		e.i64(v.publishedMS)
		e.bool(v.removed)
		e.u8(v.stage)
		for _, f := range []float32{v.impressions, v.positives, v.completes, v.likes, v.shares, v.follows, v.negatives, v.watchSum, v.watchN} {
			e.f32(f)
		}
		e.f64(v.trend)
	}
	for k := range r.creators {
		e.ring(&r.creators[k].recent)
	}
	for k := range r.hashtags {
		e.ring(&r.hashtags[k].recent)
	}
	for k := range r.videos {
		e.i32s(r.co.nbr[k])
		e.f32s(r.co.cnt[k])
		e.f32(r.co.total[k])
		e.f32(r.co.normFrom[k])
		e.f32(r.co.normTo[k])
	}
	for _, t := range []*table{r.userEmb, r.videoEmb, r.rank.videoBias, r.rank.creatorBias} {
		e.table(t)
	}
	for t := 0; t < numTasks; t++ {
		for f := 0; f < numFeatures; f++ {
			e.f64(r.rank.w[t][f])
			e.f64(r.rank.g2[t][f])
		}
	}
	e.u64(uint64(len(r.trending)))
	for _, l := range r.trending {
		e.i32s(l.ids)
	}
	e.u64(uint64(len(r.trendingLang)))
	for _, l := range r.trendingLang {
		e.i32s(l.ids)
	}
	e.i32s(r.pool)
	e.u64(uint64(r.poolDead))
	for _, f := range []float64{r.totals.impressions, r.totals.positives, r.totals.watchSum, r.totals.watchN, r.totals.owed, r.totals.recentImpressions} {
		e.f64(f)
	}
}

func (r *Recommender) decode(d *decoder) {
	r.seq = d.u64()
	r.applied = d.u64()
	r.now = d.i64()
	for _, n := range []*names{&r.userNames, &r.videoNames, &r.creatorNames, &r.hashtagNames, &r.regionNames, &r.langNames} {
		*n = newNames()
		count := d.length()
		for i := 0; i < count && d.err == nil; i++ {
			n.intern(d.str())
		}
	}
	cfg := r.cfg
	r.users = make([]user, len(r.userNames.list))
	for k := range r.users {
		if d.err != nil {
			return
		}
		u := &r.users[k]
		u.recentPos, u.recentNeg, u.watched = d.ring(cfg.RecentPositives), d.ring(cfg.RecentNegatives), d.ring(cfg.WatchedMemory)
		u.notVideos, u.notCreators, u.notHashtags, u.follows = d.i32s(), d.i32s(), d.i32s(), d.i32s()
		for _, a := range []*affinity{&u.creatorAff, &u.hashtagAff} {
			a.ids, a.scores, a.at = d.i32s(), d.f32s(), d.i64s()
			if len(a.ids) != len(a.scores) || len(a.ids) != len(a.at) {
				d.fail("affinity lists differ in length")
			}
		}
		u.views = d.u32()
		u.region, u.lang = d.i32(), d.i32()
		v := &u.view
		v.video, v.watchMS = d.i32(), d.i64()
		for _, b := range []*bool{&v.completed, &v.looped, &v.liked, &v.shared, &v.followed, &v.commented, &v.skipped, &v.notInterested, &v.positive} {
			*b = d.bool()
		}
		v.negs, v.feats = d.i32s(), d.f32s()
		if v.video >= 0 && len(v.feats) != (len(v.negs)+1)*numFeatures {
			d.fail("open view has %d features for %d videos", len(v.feats), len(v.negs)+1)
		}
	}
	r.videos = make([]video, len(r.videoNames.list))
	for k := range r.videos {
		if d.err != nil {
			return
		}
		v := &r.videos[k]
		v.creator, v.hashtags = d.i32(), d.i32s()
		v.durationMS, v.region, v.lang, v.publishedMS = d.i64(), d.i32(), d.i32(), d.i64()
		v.removed, v.stage = d.bool(), d.u8()
		for _, f := range []*float32{&v.impressions, &v.positives, &v.completes, &v.likes, &v.shares, &v.follows, &v.negatives, &v.watchSum, &v.watchN} {
			*f = d.f32()
		}
		v.trend = d.f64()
	}
	r.creators = make([]creator, len(r.creatorNames.list))
	for k := range r.creators {
		r.creators[k].recent = d.ring(creatorRecent)
	}
	r.hashtags = make([]hashtag, len(r.hashtagNames.list))
	for k := range r.hashtags {
		r.hashtags[k].recent = d.ring(hashtagRecent)
	}
	r.co.grow(len(r.videos))
	for k := range r.videos {
		if d.err != nil {
			return
		}
		r.co.nbr[k], r.co.cnt[k] = d.i32s(), d.f32s()
		if len(r.co.nbr[k]) != len(r.co.cnt[k]) {
			d.fail("co-engagement lists differ in length")
		}
		r.co.total[k], r.co.normFrom[k], r.co.normTo[k] = d.f32(), d.f32(), d.f32()
	}
	for _, t := range []*table{r.userEmb, r.videoEmb, r.rank.videoBias, r.rank.creatorBias} {
		d.table(t)
	}
	for t := 0; t < numTasks; t++ {
		for f := 0; f < numFeatures; f++ {
			r.rank.w[t][f], r.rank.g2[t][f] = d.f64(), d.f64()
		}
	}
	r.trending = make([]topList, d.length())
	for g := range r.trending {
		r.trending[g].ids = d.i32s()
	}
	if d.err == nil && len(r.trending) != len(r.regionNames.list) {
		d.fail("%d trending lists for %d regions", len(r.trending), len(r.regionNames.list))
	}
	r.trendingLang = make([]topList, d.length())
	for g := range r.trendingLang {
		r.trendingLang[g].ids = d.i32s()
	}
	if d.err == nil && len(r.trendingLang) != len(r.langNames.list) {
		d.fail("%d trending lists for %d languages", len(r.trendingLang), len(r.langNames.list))
	}
	r.pool = d.i32s()
	r.poolDead = d.length()
	for _, f := range []*float64{&r.totals.impressions, &r.totals.positives, &r.totals.watchSum, &r.totals.watchN, &r.totals.owed, &r.totals.recentImpressions} {
		*f = d.f64()
	}
	d.checkRefs(r)
}

// checkRefs verifies that every stored index points inside its table, so that a snapshot
// that passed the checksum but came from a buggy writer cannot make Recommend panic.
func (d *decoder) checkRefs(r *Recommender) {
	if d.err != nil {
		return
	}
	nv, nc, nh := int32(len(r.videos)), int32(len(r.creators)), int32(len(r.hashtags))
	in := func(ids []int32, n int32, what string) {
		for _, x := range ids {
			if x < 0 || x >= n {
				d.fail("%s index %d out of range", what, x)
				return
			}
		}
	}
	for k := range r.users {
		u := &r.users[k]
		in(u.recentPos.vals, nv, "video")
		in(u.recentNeg.vals, nv, "video")
		in(u.watched.vals, nv, "video")
		in(u.notVideos, nv, "video")
		in(u.notCreators, nc, "creator")
		in(u.follows, nc, "creator")
		in(u.notHashtags, nh, "hashtag")
		in(u.creatorAff.ids, nc, "creator")
		in(u.hashtagAff.ids, nh, "hashtag")
		in(u.view.negs, nv, "video")
		if u.view.video >= nv || u.region >= int32(len(r.regionNames.list)) || u.lang >= int32(len(r.langNames.list)) {
			d.fail("user %d refers past its tables", k)
		}
	}
	for k := range r.videos {
		v := &r.videos[k]
		in(v.hashtags, nh, "hashtag")
		in(r.co.nbr[k], nv, "video")
		if v.creator >= nc || v.region >= int32(len(r.regionNames.list)) || v.lang >= int32(len(r.langNames.list)) {
			d.fail("video %d refers past its tables", k)
		}
	}
	for k := range r.creators {
		in(r.creators[k].recent.vals, nv, "video")
	}
	for k := range r.hashtags {
		in(r.hashtags[k].recent.vals, nv, "video")
	}
	for _, l := range r.trending {
		in(l.ids, nv, "video")
	}
	for _, l := range r.trendingLang {
		in(l.ids, nv, "video")
	}
	in(r.pool, nv, "video")
	for _, t := range []*table{r.userEmb, r.videoEmb, r.rank.videoBias, r.rank.creatorBias} {
		for s, id := range t.ids {
			if id >= 0 && (int(id) >= len(t.slotOf) || t.slotOf[id] != int32(s)) {
				d.fail("table slot %d does not match its id", s)
			}
		}
	}
}

// The encoder and decoder move bytes in chunks and checksum whole chunks: a snapshot is
// tens of millions of small values, and one call per value was most of its cost.

const encoderChunk = 1 << 16

type encoder struct {
	w   io.Writer
	crc hash.Hash32
	b   []byte // encoded, not yet checksummed and written
	err error
}

// flush checksums and writes what is buffered.
func (e *encoder) flush() {
	if e.err != nil || len(e.b) == 0 {
		return
	}
	e.crc.Write(e.b)
	_, e.err = e.w.Write(e.b)
	e.b = e.b[:0]
}

func (e *encoder) room() {
	if len(e.b) >= encoderChunk {
		e.flush()
	}
}

func (e *encoder) bytes(b []byte) {
	for len(b) > 0 && e.err == nil {
		n := min(len(b), encoderChunk)
		e.b = append(e.b, b[:n]...)
		b = b[n:]
		e.room()
	}
}

func (e *encoder) u8(v uint8) {
	e.b = append(e.b, v)
	e.room()
}
func (e *encoder) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) u32(v uint32) {
	e.b = binary.LittleEndian.AppendUint32(e.b, v)
	e.room()
}

// u32raw writes without adding to the checksum (the checksum itself); call flush first.
func (e *encoder) u32raw(v uint32) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(binary.LittleEndian.AppendUint32(nil, v))
}
func (e *encoder) u64(v uint64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, v)
	e.room()
}
func (e *encoder) i32(v int32)   { e.u32(uint32(v)) }
func (e *encoder) i64(v int64)   { e.u64(uint64(v)) }
func (e *encoder) f32(v float32) { e.u32(math.Float32bits(v)) }
func (e *encoder) f64(v float64) { e.u64(math.Float64bits(v)) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.bytes([]byte(s))
}
func (e *encoder) i32s(v []int32) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, uint32(x))
		e.room()
	}
}
func (e *encoder) i64s(v []int64) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint64(e.b, uint64(x))
		e.room()
	}
}
func (e *encoder) f32s(v []float32) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x))
		e.room()
	}
}
func (e *encoder) u32s(v []uint32) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, x)
		e.room()
	}
}
func (e *encoder) ring(r *ring) {
	e.i32s(r.vals)
	e.u64(uint64(r.head))
}
func (e *encoder) table(t *table) {
	e.i32s(t.slotOf)
	e.u32s(t.count)
	e.i32s(t.ids)
	e.i64s(t.last)
	e.f32s(t.vals)
	e.f32s(t.acc)
	e.i32s(t.free)
}

type decoder struct {
	r    io.Reader
	crc  hash.Hash32
	b    []byte // b[p:] is read but not decoded; b[sum:p] is decoded but not checksummed
	p    int
	sum  int
	zero [8]byte
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// need returns the next n bytes (n at most encoderChunk), or nil once the input failed.
func (d *decoder) need(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.p < n {
		d.crc.Write(d.b[d.sum:d.p])
		if cap(d.b) < encoderChunk {
			nb := make([]byte, len(d.b)-d.p, 2*encoderChunk)
			copy(nb, d.b[d.p:])
			d.b = nb
		} else {
			d.b = d.b[:copy(d.b[:cap(d.b)], d.b[d.p:])]
		}
		d.p, d.sum = 0, 0
		m, err := io.ReadAtLeast(d.r, d.b[len(d.b):cap(d.b)], n-len(d.b))
		d.b = d.b[:len(d.b)+m]
		if err != nil {
			d.err = fmt.Errorf("truncated: %w", err)
			return nil
		}
	}
	out := d.b[d.p : d.p+n]
	d.p += n
	return out
}

// checksum is the CRC of everything decoded so far.
func (d *decoder) checksum() uint32 {
	d.crc.Write(d.b[d.sum:d.p])
	d.sum = d.p
	return d.crc.Sum32()
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return nil
	}
	out := make([]byte, 0, min(n, encoderChunk))
	for n > 0 && d.err == nil {
		k := min(n, encoderChunk)
		out = append(out, d.need(k)...)
		n -= k
	}
	if d.err != nil {
		return nil
	}
	return out
}

func (d *decoder) word(n int) []byte {
	if b := d.need(n); b != nil {
		return b
	}
	return d.zero[:n]
}

func (d *decoder) u8() uint8    { return d.word(1)[0] }
func (d *decoder) bool() bool   { return d.u8() != 0 }
func (d *decoder) u32() uint32  { return binary.LittleEndian.Uint32(d.word(4)) }
func (d *decoder) u64() uint64  { return binary.LittleEndian.Uint64(d.word(8)) }
func (d *decoder) i32() int32   { return int32(d.u32()) }
func (d *decoder) i64() int64   { return int64(d.u64()) }
func (d *decoder) f32() float32 { return math.Float32frombits(d.u32()) }
func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

// u32raw reads the checksum, which is not part of what it covers; call checksum first.
func (d *decoder) u32raw() uint32 {
	b := d.need(4)
	d.sum = d.p
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) length() int {
	n := d.u64()
	if n > maxSnapshotLen {
		d.fail("length %d exceeds the limit", n)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string { return string(d.fixed(d.length())) }

// words decodes n values of size bytes each, a chunk at a time, growing out as the input
// proves to hold them (a corrupt length cannot allocate more than the file backs).
func words[T any](d *decoder, size int, conv func([]byte) T) []T {
	n := d.length()
	if n == 0 {
		return nil
	}
	out := make([]T, 0, min(n, encoderChunk))
	per := encoderChunk / size
	for n > 0 && d.err == nil {
		k := min(n, per)
		b := d.need(k * size)
		if b == nil {
			break
		}
		for i := 0; i < k; i++ {
			out = append(out, conv(b[i*size:]))
		}
		n -= k
	}
	return out
}

func (d *decoder) i32s() []int32 {
	return words(d, 4, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
}

func (d *decoder) i64s() []int64 {
	return words(d, 8, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
}

func (d *decoder) f32s() []float32 {
	return words(d, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
}

func (d *decoder) u32s() []uint32 {
	return words(d, 4, binary.LittleEndian.Uint32)
}

func (d *decoder) ring(capacity int) ring {
	vals := d.i32s()
	head := d.length()
	if len(vals) > capacity || (len(vals) < capacity && head != 0) || (len(vals) > 0 && head >= len(vals)) {
		d.fail("ring of %d values (head %d) exceeds capacity %d", len(vals), head, capacity)
	}
	return ring{vals: vals, head: head, cap: capacity}
}

func (d *decoder) table(t *table) {
	t.slotOf, t.count, t.ids, t.last = d.i32s(), d.u32s(), d.i32s(), d.i64s()
	t.vals, t.acc, t.free = d.f32s(), d.f32s(), d.i32s()
	if d.err != nil {
		return
	}
	n := len(t.ids)
	switch {
	case len(t.slotOf) != len(t.count), len(t.last) != n, len(t.vals) != n*t.dim:
		d.fail("table shapes disagree")
	case t.adagrad && len(t.acc) != n*t.dim, !t.adagrad && len(t.acc) != 0:
		d.fail("table accumulators disagree")
	}
	for _, s := range t.slotOf {
		if s >= int32(n) {
			d.fail("table slot %d out of range", s)
			return
		}
	}
	for _, s := range t.free {
		if s < 0 || s >= int32(n) {
			d.fail("free slot %d out of range", s)
			return
		}
	}
}
