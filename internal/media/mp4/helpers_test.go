package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// clipsDir is the shared test media, found relative to this package so a fresh clone anywhere
// works: the repository sits next to shared/, and this package is three levels into it.
var clipsDir = filepath.Join("..", "..", "..", "..", "shared", "media")

func readClip(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(clipsDir, name))
	if err != nil {
		tb.Fatalf("test clip missing (expected the shared media folder at %s): %v", clipsDir, err)
	}
	return b
}

func inspectBytes(b []byte) (*Info, error) { return Inspect(bytes.NewReader(b), int64(len(b))) }

func faststartBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	err := Faststart(&out, bytes.NewReader(b), int64(len(b)))
	return out.Bytes(), err
}

// --- building movies for tests ---

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func zeros(n int) []byte  { return make([]byte, n) }

func mkbox(typ string, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append(append(u32(uint32(8+len(body))), typ...), body...)
}

func mkfull(typ string, version byte, flags uint32, parts ...[]byte) []byte {
	return mkbox(typ, append([][]byte{u32(uint32(version)<<24 | flags)}, parts...)...)
}

// fakeTrack describes a track for fakeMovie. Sample bytes are real, so remuxes can be checked.
type fakeTrack struct {
	id       uint32
	handler  string // "vide", "soun", "meta", …
	codec    string
	width    uint16
	height   uint16
	rotation int // 0, 90, 180, 270
	samples  [][]byte
	perChunk int
	co64     bool
	sizeBits int  // 0 writes stsz; 4, 8 or 16 write stz2
	constant bool // stsz with a single size for all samples (all samples the same length)
	// constSize, with constant, overrides the sample length so huge samples need no bytes.
	constSize uint32
	extra     [][]byte
	external  bool // dref says the data is in another file
}

// fakeMovie describes a whole file. It is laid out as ftyp, top, [moov], mdat, [moov].
type fakeMovie struct {
	brand     string // empty: no ftyp
	moovFirst bool
	created   uint32
	tracks    []fakeTrack
	moovExtra [][]byte // appended inside moov
	top       [][]byte // top-level boxes before the mdat
	junk      []byte   // bytes at the start of the mdat payload that no sample uses
}

func (fm fakeMovie) build() []byte {
	var ftyp []byte
	if fm.brand != "" {
		ftyp = mkbox("ftyp", []byte(fm.brand), u32(0x200), []byte(fm.brand), []byte("isom"))
	}
	top := bytes.Join(fm.top, nil)
	// Lay chunks out round-robin across tracks, as muxers interleave them.
	var payload []byte
	payload = append(payload, fm.junk...)
	rel := make([][]uint64, len(fm.tracks))
	for c := 0; ; c++ {
		any := false
		for i, t := range fm.tracks {
			lo := c * t.perChunk
			if lo >= len(t.samples) {
				continue
			}
			any = true
			rel[i] = append(rel[i], uint64(len(payload)))
			for _, s := range t.samples[lo:min(lo+t.perChunk, len(t.samples))] {
				payload = append(payload, s...)
			}
		}
		if !any {
			break
		}
	}
	moovLen := len(fm.moov(rel, 0))
	base := uint64(len(ftyp) + len(top) + 8)
	if fm.moovFirst {
		base += uint64(moovLen)
	}
	moov := fm.moov(rel, base)
	mdat := mkbox("mdat", payload)
	out := append(append([]byte{}, ftyp...), top...)
	if fm.moovFirst {
		return append(append(out, moov...), mdat...)
	}
	return append(append(out, mdat...), moov...)
}

func matrix(rotation int) []byte {
	one, neg := uint32(0x10000), uint32(0xFFFF0000)
	m := map[int][4]uint32{0: {one, 0, 0, one}, 90: {0, one, neg, 0}, 180: {neg, 0, 0, neg}, 270: {0, neg, one, 0}}[rotation]
	return bytes.Join([][]byte{u32(m[0]), u32(m[1]), u32(0), u32(m[2]), u32(m[3]), u32(0), u32(0), u32(0), u32(0x40000000)}, nil)
}

func (fm fakeMovie) moov(rel [][]uint64, base uint64) []byte {
	mvhd := mkfull("mvhd", 0, 0, u32(fm.created), u32(fm.created+1), u32(1000), u32(4000),
		u32(0x10000), u16(0x100), zeros(10), matrix(0), zeros(24), u32(uint32(len(fm.tracks)+1)))
	parts := [][]byte{mvhd}
	for i, t := range fm.tracks {
		parts = append(parts, fm.trak(t, rel[i], base))
	}
	return mkbox("moov", append(parts, fm.moovExtra...)...)
}

func (fm fakeMovie) trak(t fakeTrack, rel []uint64, base uint64) []byte {
	n := len(t.samples)
	tkhd := mkfull("tkhd", 0, 3, u32(fm.created), u32(fm.created+2), u32(t.id), zeros(4), u32(4000),
		zeros(8), zeros(8), matrix(t.rotation), u32(uint32(t.width)<<16), u32(uint32(t.height)<<16))
	mdhd := mkfull("mdhd", 0, 0, u32(fm.created), u32(fm.created+3), u32(1000), u32(uint32(n*100)), u16(0x55c4), u16(0))
	hdlr := mkfull("hdlr", 0, 0, zeros(4), []byte(t.handler), zeros(12), []byte("fake\x00"))
	var entry []byte
	switch t.handler {
	case "vide":
		entry = mkbox(t.codec, zeros(6), u16(1), zeros(16), u16(t.width), u16(t.height),
			u32(0x480000), u32(0x480000), zeros(4), u16(1), zeros(32), u16(0x18), u16(0xFFFF),
			mkbox("avcC", []byte{1, 100, 0, 31, 0xFF, 0xE0, 0}))
	case "soun":
		entry = mkbox(t.codec, zeros(6), u16(1), zeros(8), u16(2), u16(16), zeros(4), u32(48000<<16),
			mkfull("esds", 0, 0, []byte{3, 0}))
	default:
		entry = mkbox(t.codec, zeros(6), u16(1))
	}
	stsd := mkfull("stsd", 0, 0, u32(1), entry)
	stts := mkfull("stts", 0, 0, u32(1), u32(uint32(n)), u32(100))
	var stscRows [][]byte
	chunks := len(rel)
	if chunks > 0 {
		stscRows = append(stscRows, u32(1), u32(uint32(t.perChunk)), u32(1))
		if last := n - (chunks-1)*t.perChunk; last != t.perChunk {
			if chunks == 1 {
				stscRows = [][]byte{u32(1), u32(uint32(last)), u32(1)}
			} else {
				stscRows = append(stscRows, u32(uint32(chunks)), u32(uint32(last)), u32(1))
			}
		}
	}
	stsc := mkfull("stsc", 0, 0, append([][]byte{u32(uint32(len(stscRows) / 3))}, stscRows...)...)
	var sizes []byte
	switch {
	case t.constant:
		size := 0
		if n > 0 {
			size = len(t.samples[0])
		}
		if t.constSize != 0 {
			size = int(t.constSize)
		}
		sizes = mkfull("stsz", 0, 0, u32(uint32(size)), u32(uint32(n)))
	case t.sizeBits == 0:
		var table []byte
		for _, s := range t.samples {
			table = append(table, u32(uint32(len(s)))...)
		}
		sizes = mkfull("stsz", 0, 0, u32(0), u32(uint32(n)), table)
	default:
		var table []byte
		for i, s := range t.samples {
			switch t.sizeBits {
			case 16:
				table = append(table, u16(uint16(len(s)))...)
			case 8:
				table = append(table, byte(len(s)))
			case 4:
				if i%2 == 0 {
					table = append(table, byte(len(s))<<4)
				} else {
					table[len(table)-1] |= byte(len(s))
				}
			}
		}
		sizes = mkfull("stz2", 0, 0, []byte{0, 0, 0, byte(t.sizeBits)}, u32(uint32(n)), table)
	}
	var offsets []byte
	for _, r := range rel {
		if t.co64 {
			offsets = append(offsets, u64(base+r)...)
		} else {
			offsets = append(offsets, u32(uint32(base+r))...)
		}
	}
	stco := mkfull("stco", 0, 0, u32(uint32(len(rel))), offsets)
	if t.co64 {
		stco = mkfull("co64", 0, 0, u32(uint32(len(rel))), offsets)
	}
	var flags uint32 = 1
	if t.external {
		flags = 0
	}
	dinf := mkbox("dinf", mkfull("dref", 0, 0, u32(1), mkfull("url ", 0, flags)))
	var mhd []byte
	switch t.handler {
	case "vide":
		mhd = mkfull("vmhd", 0, 1, zeros(8))
	case "soun":
		mhd = mkfull("smhd", 0, 0, zeros(4))
	default:
		mhd = mkfull("nmhd", 0, 0)
	}
	minf := mkbox("minf", mhd, dinf, mkbox("stbl", stsd, stts, stsc, sizes, stco))
	return mkbox("trak", append([][]byte{tkhd, mkbox("mdia", mdhd, hdlr, minf)}, t.extra...)...)
}

// pattern returns n distinct samples of the given length, each filled with a recognisable
// byte sequence, so a sample copied from the wrong place shows.
func pattern(n, size int, seed byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		s := make([]byte, size+i%3)
		for j := range s {
			s[j] = seed + byte(i*7) + byte(j)
		}
		out[i] = s
	}
	return out
}

func videoTrack(id uint32, n int) fakeTrack {
	return fakeTrack{id: id, handler: "vide", codec: "avc1", width: 720, height: 1280, samples: pattern(n, 40, byte(id)), perChunk: 3}
}

func audioTrack(id uint32, n int) fakeTrack {
	return fakeTrack{id: id, handler: "soun", codec: "mp4a", samples: pattern(n, 12, byte(id)*50), perChunk: 5}
}

// --- reading movies back, independently of the code under test ---

type rawBox struct {
	typ     string
	offset  int
	payload []byte
}

// rawBoxes splits b into boxes, stopping at anything that does not fit.
func rawBoxes(b []byte, base int) []rawBox {
	var out []rawBox
	for off := 0; off+8 <= len(b); {
		size := uint64(binary.BigEndian.Uint32(b[off:]))
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b) - off)
		case 1:
			if off+16 > len(b) {
				return out
			}
			size, hdr = binary.BigEndian.Uint64(b[off+8:]), 16
		}
		if size < hdr || size > uint64(len(b)-off) {
			return out
		}
		out = append(out, rawBox{string(b[off+4 : off+8]), base + off, b[off+int(hdr) : off+int(size)]})
		off += int(size)
	}
	return out
}

func rawChild(b []byte, typ string) []byte {
	for _, c := range rawBoxes(b, 0) {
		if c.typ == typ {
			return c.payload
		}
	}
	return nil
}

func rawFirst(b []byte, types ...string) (string, []byte) {
	for _, c := range rawBoxes(b, 0) {
		for _, t := range types {
			if c.typ == t {
				return c.typ, c.payload
			}
		}
	}
	return "", nil
}

// trackSamples is one track's samples as a reader that follows the tables would see them.
type trackSamples struct {
	id      uint32
	handler string
	samples [][]byte
}

// extractSamples follows stsz/stz2, stsc and stco/co64 of every track to each sample's bytes.
func extractSamples(file []byte) ([]trackSamples, error) {
	moov := []byte(nil)
	for _, b := range rawBoxes(file, 0) {
		if b.typ == "moov" {
			moov = b.payload
			break
		}
	}
	if moov == nil {
		return nil, fmt.Errorf("no moov")
	}
	var out []trackSamples
	for _, trak := range rawBoxes(moov, 0) {
		if trak.typ != "trak" {
			continue
		}
		tkhd := rawChild(trak.payload, "tkhd")
		mdia := rawChild(trak.payload, "mdia")
		hdlr := rawChild(mdia, "hdlr")
		stbl := rawChild(rawChild(mdia, "minf"), "stbl")
		if len(tkhd) < 24 || len(hdlr) < 12 || stbl == nil {
			return nil, fmt.Errorf("incomplete track")
		}
		ts := trackSamples{id: binary.BigEndian.Uint32(tkhd[12:]), handler: string(hdlr[8:12])}
		if tkhd[0] == 1 {
			ts.id = binary.BigEndian.Uint32(tkhd[20:])
		}
		sizeTyp, sz := rawFirst(stbl, "stsz", "stz2")
		offTyp, co := rawFirst(stbl, "stco", "co64")
		sc := rawChild(stbl, "stsc")
		if len(sz) < 12 || len(co) < 8 || len(sc) < 8 {
			return nil, fmt.Errorf("track %d: missing tables", ts.id)
		}
		count := int(binary.BigEndian.Uint32(sz[8:]))
		sizeOf := func(i int) (int, error) {
			switch {
			case sizeTyp == "stsz" && binary.BigEndian.Uint32(sz[4:]) != 0:
				return int(binary.BigEndian.Uint32(sz[4:])), nil
			case sizeTyp == "stsz" && 12+4*i+4 <= len(sz):
				return int(binary.BigEndian.Uint32(sz[12+4*i:])), nil
			case sizeTyp == "stz2" && sz[7] == 16 && 12+2*i+2 <= len(sz):
				return int(binary.BigEndian.Uint16(sz[12+2*i:])), nil
			case sizeTyp == "stz2" && sz[7] == 8 && 12+i < len(sz):
				return int(sz[12+i]), nil
			case sizeTyp == "stz2" && sz[7] == 4 && 12+i/2 < len(sz):
				return int(sz[12+i/2]>>(4*(1-i%2))) & 0xF, nil
			}
			return 0, fmt.Errorf("sample %d has no size", i)
		}
		chunks := int(binary.BigEndian.Uint32(co[4:]))
		rows := int(binary.BigEndian.Uint32(sc[4:]))
		if rows*12 > len(sc)-8 {
			return nil, fmt.Errorf("stsc too short")
		}
		sample := 0
		for c := 0; c < chunks; c++ {
			var off uint64
			if offTyp == "co64" {
				if 8+8*c+8 > len(co) {
					return nil, fmt.Errorf("co64 too short")
				}
				off = binary.BigEndian.Uint64(co[8+8*c:])
			} else {
				if 8+4*c+4 > len(co) {
					return nil, fmt.Errorf("stco too short")
				}
				off = uint64(binary.BigEndian.Uint32(co[8+4*c:]))
			}
			per := 0
			for r := 0; r < rows; r++ {
				if int(binary.BigEndian.Uint32(sc[8+12*r:])) <= c+1 {
					per = int(binary.BigEndian.Uint32(sc[8+12*r+4:]))
				}
			}
			for k := 0; k < per; k++ {
				if sample >= count {
					return nil, fmt.Errorf("track %d: more samples in chunks than in stsz", ts.id)
				}
				size, err := sizeOf(sample)
				if err != nil {
					return nil, err
				}
				if off+uint64(size) > uint64(len(file)) {
					return nil, fmt.Errorf("track %d sample %d is outside the file", ts.id, sample)
				}
				ts.samples = append(ts.samples, file[off:off+uint64(size)])
				off += uint64(size)
				sample++
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// checkRemux asserts what Faststart promises about out, the remux of src: moov first, nothing
// but ftyp/moov/mdat at the top, no metadata boxes or recording times, the same video and audio
// tracks, and every sample byte-for-byte where the new tables say it is.
func checkRemux(t testing.TB, src, out []byte) {
	t.Helper()
	before, err := inspectBytes(src)
	if err != nil {
		t.Fatalf("source no longer inspects: %v", err)
	}
	after, err := inspectBytes(out)
	if err != nil {
		t.Fatalf("remuxed file does not inspect: %v", err)
	}
	if !after.MoovFirst || after.HasMetadata || after.HasLocation {
		t.Errorf("remuxed: MoovFirst=%v HasMetadata=%v HasLocation=%v, want true/false/false", after.MoovFirst, after.HasMetadata, after.HasLocation)
	}
	var seen []string
	for _, b := range rawBoxes(out, 0) {
		seen = append(seen, b.typ)
		if b.typ != "ftyp" && b.typ != "moov" && b.typ != "mdat" {
			t.Errorf("remuxed file has top-level %q box", b.typ)
		}
		if b.typ == "moov" {
			checkScrubbed(t, b.payload, "moov")
		}
	}
	if n := len(seen); n < 2 || seen[n-2] != "moov" || seen[n-1] != "mdat" {
		t.Errorf("remuxed top-level boxes %v, want [ftyp] moov mdat", seen)
	}

	var want []Track
	for _, tr := range before.Tracks {
		if tr.Kind != TrackOther {
			want = append(want, tr)
		}
	}
	if len(after.Tracks) != len(want) {
		t.Fatalf("remuxed has %d tracks, want the %d audio/video tracks of the source", len(after.Tracks), len(want))
	}
	for i, tr := range after.Tracks {
		w := want[i]
		if tr.ID != w.ID || tr.Kind != w.Kind || tr.Codec != w.Codec || tr.SampleCount != w.SampleCount || tr.Width != w.Width || tr.Rotation != w.Rotation {
			t.Errorf("track %d after remux %+v, before %+v", i, tr, w)
		}
	}

	again, err := faststartBytes(out)
	if err != nil {
		t.Fatalf("remuxing the remuxed file: %v", err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("remuxing the remuxed file changed it (%d -> %d bytes)", len(out), len(again))
	}

	srcSamples, err := extractSamples(src)
	if err != nil {
		t.Fatalf("reading source samples: %v", err)
	}
	outSamples, err := extractSamples(out)
	if err != nil {
		t.Fatalf("reading remuxed samples: %v", err)
	}
	var wantSamples []trackSamples
	for _, ts := range srcSamples {
		if ts.handler == "vide" || ts.handler == "soun" {
			wantSamples = append(wantSamples, ts)
		}
	}
	if len(outSamples) != len(wantSamples) {
		t.Fatalf("remuxed has %d tracks with samples, want %d", len(outSamples), len(wantSamples))
	}
	for i, got := range outSamples {
		w := wantSamples[i]
		if got.id != w.id || len(got.samples) != len(w.samples) {
			t.Fatalf("track %d: id %d with %d samples, want id %d with %d", i, got.id, len(got.samples), w.id, len(w.samples))
		}
		for j := range got.samples {
			if !bytes.Equal(got.samples[j], w.samples[j]) {
				t.Fatalf("track %d sample %d differs after remux", got.id, j)
			}
		}
	}
}

// checkScrubbed walks the structural boxes of a movie and fails on metadata or recording times.
func checkScrubbed(t testing.TB, payload []byte, path string) {
	t.Helper()
	for _, b := range rawBoxes(payload, 0) {
		p := path + "/" + b.typ
		switch b.typ {
		case "udta", "meta", "uuid", "free", "skip":
			t.Errorf("remuxed movie still has %s", p)
		case "mvhd", "tkhd", "mdhd":
			if len(b.payload) >= 20 && b.payload[0] == 1 && !allZero(b.payload[4:20]) ||
				len(b.payload) >= 12 && b.payload[0] == 0 && !allZero(b.payload[4:12]) {
				t.Errorf("%s keeps creation/modification times % x", p, b.payload[4:12])
			}
		case "trak", "mdia", "minf", "stbl", "edts", "dinf":
			checkScrubbed(t, b.payload, p)
		}
	}
}

// sparseFile is a large file in which only a few ranges hold data; the rest reads as zeros.
// It lets tests describe multi-gigabyte movies without storing them.
type sparseFile struct {
	size  int64
	parts map[int64][]byte
}

func (f sparseFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > f.size-off {
		n = int(f.size - off)
	}
	clear(p[:n])
	for at, b := range f.parts {
		lo, hi := max(at, off), min(at+int64(len(b)), off+int64(n))
		if lo < hi {
			copy(p[lo-off:hi-off], b[lo-at:hi-at])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
