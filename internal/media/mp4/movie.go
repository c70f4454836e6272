package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
)

// movie is everything Inspect and Faststart learn from a file: where its boxes are, the parsed
// movie box, and per track the chunk layout, already checked against the media data.
type movie struct {
	kind       Kind
	size       int64
	brand      string
	ftyp       []byte // the whole file type box, copied to the remuxed file unchanged
	moov       *box
	mdats      []span // payloads of the media data boxes, in file order
	moovFirst  bool   // the movie box precedes every media data box
	fragmented bool
	metadata   bool // udta, meta or XMP boxes that may describe the device, place or person
	location   bool // one of those holds a GPS position
	timescale  uint32
	duration   uint64
	tracks     []*track
}

// span is a half-open byte range [start, end) of the file.
type span struct{ start, end int64 }

// track is one trak with its sample tables decoded.
type track struct {
	info     Track
	trak     *box
	stbl     *box
	chunkBox *box     // the stco or co64 box
	offsets  []uint64 // chunk offsets in the file
	sizes    []uint64 // chunk sizes, from stsz and stsc
	samples  sampleSizes
	stsc     []stscEntry
	bytes    uint64   // all sample bytes of the track
	duration uint64   // in timescale units
	packed   []uint64 // Faststart: chunk positions in the new mdat payload
	wide     bool     // Faststart: the new offsets need co64
}

type stscEntry struct{ firstChunk, samplesPerChunk uint32 }

// sampleSizes reads stsz or stz2 without expanding it: a constant size needs no table at all,
// however many samples it declares.
type sampleSizes struct {
	count    uint32
	constant uint32
	table    []byte
	bits     int // bits per table entry: 4, 8, 16 or 32
}

func (s *sampleSizes) at(i uint32) uint64 {
	switch s.bits {
	case 32:
		return uint64(binary.BigEndian.Uint32(s.table[4*i:]))
	case 16:
		return uint64(binary.BigEndian.Uint16(s.table[2*i:]))
	case 8:
		return uint64(s.table[i])
	case 4:
		b := s.table[i/2]
		if i%2 == 0 {
			return uint64(b >> 4)
		}
		return uint64(b & 0x0F)
	}
	return uint64(s.constant)
}

// readMovie sniffs, walks the top-level boxes, loads and parses the movie box and validates
// every track's chunks against the media data. Nothing is allocated on a declared size before
// the file is known to hold that many bytes.
func readMovie(r io.ReaderAt, size int64) (*movie, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative file size %d", ErrTruncated, size)
	}
	head := make([]byte, min(size, sniffLen))
	if err := readAt(r, head, 0); err != nil {
		return nil, err
	}
	kind := Sniff(head)
	if !kind.IsMovie() {
		return nil, fmt.Errorf("%w: the file is %s", ErrNotMP4, kind.Describe())
	}
	m := &movie{kind: kind, size: size}
	moov, err := m.scanTopLevel(r)
	if err != nil {
		return nil, err
	}
	payload := make([]byte, moov.size-uint64(moov.hdrLen))
	if err := readAt(r, payload, moov.offset+moov.hdrLen); err != nil {
		return nil, err
	}
	children, err := parseChildren(payload, moov.offset+moov.hdrLen, 2)
	if err != nil {
		return nil, err
	}
	m.moov = &box{typ: "moov", offset: moov.offset, payload: payload, children: children}
	if err := m.parseMoov(); err != nil {
		return nil, err
	}
	return m, nil
}

// scanTopLevel walks the top-level boxes, reading only their headers (and the small ftyp), and
// returns the header of the movie box. Every box must fit in the file.
func (m *movie) scanTopLevel(r io.ReaderAt) (header, error) {
	var moov header
	found := false
	size := m.size
	var buf [16]byte
	for off, n := int64(0), 1; off < size; n++ {
		if n > maxTopLevelBoxes {
			return header{}, fmt.Errorf("%w: more than %d top-level boxes", ErrUnsupported, maxTopLevelBoxes)
		}
		p := buf[:min(16, size-off)]
		if err := readAt(r, p, off); err != nil {
			return header{}, err
		}
		h, err := parseHeader(p, off, size-off, ErrTruncated)
		if err != nil {
			return header{}, err
		}
		if h.typ == "moov" && h.size > MaxMoovSize {
			return header{}, fmt.Errorf("%w: movie box at offset %d is %d bytes, over the %d-byte limit", ErrBoxTooLarge, off, h.size, MaxMoovSize)
		}
		if err := h.fits(size-off, ErrTruncated); err != nil {
			return header{}, err
		}
		end := off + int64(h.size)
		switch h.typ {
		case "ftyp":
			if m.ftyp != nil {
				break
			}
			if h.size > maxFtypSize {
				return header{}, fmt.Errorf("%w: file type box at offset %d is %d bytes, over the %d-byte limit", ErrBoxTooLarge, off, h.size, maxFtypSize)
			}
			m.ftyp = make([]byte, h.size)
			if err := readAt(r, m.ftyp, off); err != nil {
				return header{}, err
			}
			if len(m.ftyp) >= int(h.hdrLen)+4 {
				m.brand = string(m.ftyp[h.hdrLen : h.hdrLen+4])
			}
		case "moov":
			if found {
				return header{}, fmt.Errorf("%w: second movie box at offset %d", ErrUnsupported, off)
			}
			found, moov = true, h
			m.moovFirst = len(m.mdats) == 0
		case "mdat":
			m.mdats = append(m.mdats, span{off + h.hdrLen, end})
		case "moof", "mfra":
			m.fragmented = true
		case "meta", "udta", "uuid":
			m.metadata = true
			if !m.location {
				m.location, err = scanLocation(r, h)
				if err != nil {
					return header{}, err
				}
			}
		}
		off = end
	}
	if !found {
		return header{}, fmt.Errorf("%w: none among the top-level boxes", ErrNoMoov)
	}
	return moov, nil
}

// hasLocation looks for byte strings that only appear in metadata carrying a position: the
// QuickTime/3GPP ©xyz and loci atoms, Apple's ISO 6709 key, and XMP's EXIF GPS properties.
func hasLocation(b []byte) bool {
	for _, marker := range []string{"\xA9xyz", "loci", "ISO6709", "GPSLatitude"} {
		if bytes.Contains(b, []byte(marker)) {
			return true
		}
	}
	return false
}

// maxScanSize bounds how much of a top-level metadata box is read to look for a position.
const maxScanSize = 64 << 10

func scanLocation(r io.ReaderAt, h header) (bool, error) {
	p := make([]byte, min(h.size, maxScanSize))
	if err := readAt(r, p, h.offset); err != nil {
		return false, err
	}
	return hasLocation(p), nil
}

// parseMoov decodes the movie header and tracks, then checks every chunk against the media data.
func (m *movie) parseMoov() error {
	if err := single(m.moov, "mvhd"); err != nil {
		return err
	}
	mvhd := m.moov.child("mvhd")
	if mvhd == nil {
		return fmt.Errorf("%w: no movie header (mvhd)", ErrMalformed)
	}
	var ok bool
	if m.timescale, m.duration, ok = timing(mvhd.payload); !ok {
		return fmt.Errorf("%w: movie header at offset %d is too short", ErrMalformed, mvhd.offset)
	}
	m.scanMetadata(m.moov)
	for _, c := range m.moov.children {
		switch c.typ {
		case "mvex":
			m.fragmented = true
		case "trak":
			t, err := parseTrack(c)
			if err != nil {
				return err
			}
			m.tracks = append(m.tracks, t)
		}
	}
	if m.fragmented {
		// Samples live in movie fragments, which this package does not read.
		return nil
	}
	for _, t := range m.tracks {
		if err := t.checkSelfContained(); err != nil {
			return err
		}
		if err := t.layoutChunks(); err != nil {
			return err
		}
		for i, off := range t.offsets {
			if !m.inMdat(off, t.sizes[i]) {
				return fmt.Errorf("%w: track %d chunk %d spans [%d, +%d), outside the media data of a %d-byte file",
					ErrOffsetOutOfRange, t.info.ID, i+1, off, t.sizes[i], m.size)
			}
		}
	}
	return nil
}

// checkSelfContained refuses tracks whose samples live in another file, and encrypted tracks
// whose auxiliary information (saio) points at absolute offsets this remux would not update.
func (t *track) checkSelfContained() error {
	if t.stbl.child("saio") != nil {
		return fmt.Errorf("%w: track %d has sample auxiliary information offsets (encrypted)", ErrUnsupported, t.info.ID)
	}
	dref := t.trak.path("mdia", "minf", "dinf", "dref")
	if dref == nil || len(dref.payload) < 8 {
		return nil
	}
	// Entries follow the box header, version, flags and entry count.
	entries, err := parseChildren(dref.payload[8:], dref.offset+16, MaxBoxDepth)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if len(e.payload) < 4 || e.payload[3]&1 == 0 {
			return fmt.Errorf("%w: track %d refers to media data outside the file", ErrUnsupported, t.info.ID)
		}
	}
	return nil
}

// stripped lists the boxes Faststart drops from every structural container of the movie box:
// user data and metadata (device model, GPS position, software, dates), vendor boxes that hold
// XMP, and padding that can hide the remains of earlier metadata.
func stripped(typ string) bool {
	switch typ {
	case "udta", "meta", "uuid", "free", "skip", "wide":
		return true
	}
	return false
}

// scanMetadata notes metadata boxes anywhere in the structural part of the movie box.
func (m *movie) scanMetadata(b *box) {
	for _, c := range b.children {
		switch c.typ {
		case "udta", "meta", "uuid":
			m.metadata = true
			m.location = m.location || hasLocation(c.payload)
		}
		m.scanMetadata(c)
	}
}

// inMdat reports whether [off, off+size) lies inside one media data box.
func (m *movie) inMdat(off, size uint64) bool {
	if off > uint64(m.size) || size > uint64(m.size)-off {
		return false
	}
	end := int64(off + size)
	i := sort.Search(len(m.mdats), func(i int) bool { return m.mdats[i].end >= end })
	return i < len(m.mdats) && m.mdats[i].start <= int64(off)
}

// timing reads timescale and duration from an mvhd or mdhd payload, which share their layout.
func timing(p []byte) (timescale uint32, duration uint64, ok bool) {
	switch {
	case len(p) >= 20 && p[0] == 0:
		return binary.BigEndian.Uint32(p[12:]), uint64(binary.BigEndian.Uint32(p[16:])), true
	case len(p) >= 32 && p[0] == 1:
		return binary.BigEndian.Uint32(p[20:]), binary.BigEndian.Uint64(p[24:]), true
	}
	return 0, 0, false
}

// parseTrack decodes one trak: header, handler, first sample description and sample tables.
func parseTrack(trak *box) (*track, error) {
	t := &track{trak: trak}
	tkhd := trak.child("tkhd")
	if tkhd == nil {
		return nil, fmt.Errorf("%w: track at offset %d has no track header", ErrMalformed, trak.offset)
	}
	p := tkhd.payload
	var idAt, matrixAt int
	switch {
	case len(p) >= 84 && p[0] == 0:
		idAt, matrixAt = 12, 40
	case len(p) >= 96 && p[0] == 1:
		idAt, matrixAt = 20, 52
	default:
		return nil, fmt.Errorf("%w: track header at offset %d is too short or of unknown version", ErrMalformed, tkhd.offset)
	}
	t.info.ID = binary.BigEndian.Uint32(p[idAt:])
	t.info.Rotation, t.info.Mirrored = orientation(p[matrixAt : matrixAt+36])
	t.info.DisplayWidth = int(binary.BigEndian.Uint32(p[matrixAt+36:]) >> 16)
	t.info.DisplayHeight = int(binary.BigEndian.Uint32(p[matrixAt+40:]) >> 16)

	mdia := trak.child("mdia")
	minf := mdia.child("minf")
	for _, err := range []error{
		single(trak, "tkhd", "mdia"), single(mdia, "mdhd", "hdlr", "minf"),
		single(minf, "stbl"), single(minf.child("stbl"), "stsd"),
	} {
		if err != nil {
			return nil, fmt.Errorf("%w in track %d", err, t.info.ID)
		}
	}
	mdhd, hdlr := mdia.child("mdhd"), mdia.child("hdlr")
	stbl := minf.child("stbl")
	if mdhd == nil || hdlr == nil || stbl == nil {
		return nil, fmt.Errorf("%w: track %d lacks a media header, handler or sample table", ErrMalformed, t.info.ID)
	}
	t.stbl = stbl
	var ok bool
	if t.info.Timescale, t.duration, ok = timing(mdhd.payload); !ok {
		return nil, fmt.Errorf("%w: media header of track %d is too short", ErrMalformed, t.info.ID)
	}
	if len(hdlr.payload) < 12 {
		return nil, fmt.Errorf("%w: handler of track %d is too short", ErrMalformed, t.info.ID)
	}
	t.info.Handler = string(hdlr.payload[8:12])
	switch t.info.Handler {
	case "vide":
		t.info.Kind = TrackVideo
	case "soun":
		t.info.Kind = TrackAudio
	}
	if err := t.parseTables(); err != nil {
		return nil, err
	}
	return t, nil
}

// single checks that b has at most one child of each of the types: players disagree on which
// of two copies wins, so a file with two cannot be read the same way everywhere.
func single(b *box, types ...string) error {
	if b == nil {
		return nil
	}
	for _, typ := range types {
		n := 0
		for _, c := range b.children {
			if c.typ == typ {
				n++
			}
		}
		if n > 1 {
			return fmt.Errorf("%w: %d %q boxes at offset %d", ErrMalformed, n, typ, b.offset)
		}
	}
	return nil
}

// orientation turns a display matrix into a clockwise rotation and a mirror flag. The matrix
// maps (x, y) to (a·x + c·y, b·x + d·y) in screen coordinates, y pointing down.
func orientation(matrix []byte) (rotation int, mirrored bool) {
	fixed := func(i int) int64 { return int64(int32(binary.BigEndian.Uint32(matrix[4*i:]))) }
	a, b, c, d := fixed(0), fixed(1), fixed(3), fixed(4)
	mirrored = a*d-b*c < 0
	switch {
	case a == 0 && d == 0 && b > 0:
		return 90, mirrored
	case a == 0 && d == 0 && b < 0:
		return 270, mirrored
	case a < 0 && b == 0 && c == 0:
		return 180, mirrored
	}
	return 0, mirrored
}

func (t *track) parseTables() error {
	var sizeBox, offsetBox *box
	for _, c := range t.stbl.children {
		var slot **box
		switch c.typ {
		case "stsz", "stz2":
			slot = &sizeBox
		case "stco", "co64":
			slot = &offsetBox
		case "stsc":
			if t.stsc != nil {
				return fmt.Errorf("%w: track %d has two sample-to-chunk tables", ErrMalformed, t.info.ID)
			}
			if err := t.parseStsc(c.payload); err != nil {
				return err
			}
			continue
		default:
			continue
		}
		if *slot != nil {
			// Players disagree on which of two tables wins, so neither can be trusted.
			return fmt.Errorf("%w: track %d has both %q and %q", ErrMalformed, t.info.ID, (*slot).typ, c.typ)
		}
		*slot = c
	}
	stsd := t.stbl.child("stsd")
	if stsd == nil || sizeBox == nil || offsetBox == nil {
		return fmt.Errorf("%w: track %d lacks a sample description, size or chunk offset table", ErrMalformed, t.info.ID)
	}
	t.parseSampleEntry(stsd.payload)
	if err := t.parseSizes(sizeBox); err != nil {
		return err
	}
	t.chunkBox = offsetBox
	return t.parseOffsets(offsetBox)
}

// tableLen checks that a table of count entries of width bytes fits in the room after its header.
func tableLen(count uint32, width, room int, t *track, typ string) (int, error) {
	if room < 0 || uint64(count)*uint64(width) > uint64(room) {
		return 0, fmt.Errorf("%w: %s of track %d declares %d entries, more than its box holds", ErrMalformed, typ, t.info.ID, count)
	}
	return int(count) * width, nil
}

func (t *track) parseStsc(p []byte) error {
	if len(p) < 8 {
		return fmt.Errorf("%w: stsc of track %d is too short", ErrMalformed, t.info.ID)
	}
	count := binary.BigEndian.Uint32(p[4:])
	if _, err := tableLen(count, 12, len(p)-8, t, "stsc"); err != nil {
		return err
	}
	t.stsc = make([]stscEntry, count)
	for i := range t.stsc {
		e := p[8+12*i:]
		t.stsc[i] = stscEntry{binary.BigEndian.Uint32(e), binary.BigEndian.Uint32(e[4:])}
		if i == 0 && t.stsc[i].firstChunk != 1 || i > 0 && t.stsc[i].firstChunk <= t.stsc[i-1].firstChunk {
			return fmt.Errorf("%w: stsc of track %d entry %d starts at chunk %d, out of order", ErrMalformed, t.info.ID, i+1, t.stsc[i].firstChunk)
		}
	}
	return nil
}

func (t *track) parseSizes(b *box) error {
	p := b.payload
	if len(p) < 12 {
		return fmt.Errorf("%w: %s of track %d is too short", ErrMalformed, b.typ, t.info.ID)
	}
	s := sampleSizes{count: binary.BigEndian.Uint32(p[8:])}
	if b.typ == "stsz" {
		s.constant = binary.BigEndian.Uint32(p[4:])
		if s.constant == 0 {
			s.bits = 32
		}
	} else {
		s.bits = int(p[7])
		if s.bits != 4 && s.bits != 8 && s.bits != 16 {
			return fmt.Errorf("%w: stz2 of track %d has %d-bit entries", ErrMalformed, t.info.ID, s.bits)
		}
	}
	if s.bits != 0 {
		n := (uint64(s.count)*uint64(s.bits) + 7) / 8
		if n > uint64(len(p)-12) {
			return fmt.Errorf("%w: %s of track %d declares %d samples, more than its box holds", ErrMalformed, b.typ, t.info.ID, s.count)
		}
		s.table = p[12 : 12+n]
	}
	t.samples = s
	return nil
}

func (t *track) parseOffsets(b *box) error {
	p := b.payload
	if len(p) < 8 {
		return fmt.Errorf("%w: %s of track %d is too short", ErrMalformed, b.typ, t.info.ID)
	}
	width := 4
	if b.typ == "co64" {
		width = 8
	}
	count := binary.BigEndian.Uint32(p[4:])
	if _, err := tableLen(count, width, len(p)-8, t, b.typ); err != nil {
		return err
	}
	t.offsets = make([]uint64, count)
	for i := range t.offsets {
		if width == 4 {
			t.offsets[i] = uint64(binary.BigEndian.Uint32(p[8+4*i:]))
		} else {
			t.offsets[i] = binary.BigEndian.Uint64(p[8+8*i:])
		}
	}
	return nil
}

// parseSampleEntry reads codec, size and profile from the first sample description. These are
// informative, so a damaged description leaves them empty rather than failing the probe.
func (t *track) parseSampleEntry(p []byte) {
	if len(p) < 8 {
		return
	}
	entries, err := parseChildren(p[8:], 0, MaxBoxDepth)
	if err != nil || len(entries) == 0 {
		return
	}
	e := entries[0]
	t.info.Codec = e.typ
	var configAt int
	switch t.info.Kind {
	case TrackVideo:
		if len(e.payload) < 78 {
			return
		}
		t.info.Width = int(binary.BigEndian.Uint16(e.payload[24:]))
		t.info.Height = int(binary.BigEndian.Uint16(e.payload[26:]))
		configAt = 78
	case TrackAudio:
		if len(e.payload) < 28 {
			return
		}
		t.info.Channels = int(binary.BigEndian.Uint16(e.payload[16:]))
		t.info.SampleRate = int(binary.BigEndian.Uint32(e.payload[24:]) >> 16)
		configAt = 28
		switch binary.BigEndian.Uint16(e.payload[8:]) {
		case 1: // QuickTime sound description v1 adds four 32-bit fields.
			configAt = 44
		case 2: // v2 moves rate and channels into an extension.
			if len(e.payload) < 64 {
				return
			}
			rate := math.Float64frombits(binary.BigEndian.Uint64(e.payload[32:]))
			if rate > 0 && rate < 1e7 {
				t.info.SampleRate = int(rate)
			}
			t.info.Channels = int(binary.BigEndian.Uint32(e.payload[40:]))
			configAt = 64
		}
	default:
		return
	}
	if t.info.SampleRate == 0 && t.info.Kind == TrackAudio {
		t.info.SampleRate = int(t.info.Timescale)
	}
	if configAt > len(e.payload) {
		return
	}
	configs, err := parseChildren(e.payload[configAt:], 0, MaxBoxDepth)
	if err != nil {
		return
	}
	for _, c := range configs {
		switch {
		case c.typ == "avcC" && len(c.payload) >= 4:
			t.info.Profile, t.info.Level = int(c.payload[1]), int(c.payload[3])
		case c.typ == "hvcC" && len(c.payload) >= 13:
			t.info.Profile, t.info.Level = int(c.payload[1]&0x1F), int(c.payload[12])
		}
	}
}

// layoutChunks works out each chunk's byte size from stsc and the sample sizes, checking that
// the chunks account for exactly the samples stsz lists. Its cost is bounded by the tables'
// bytes, not by declared counts: constant-size samples are summed per chunk, not per sample.
func (t *track) layoutChunks() error {
	t.sizes = make([]uint64, len(t.offsets))
	var sample uint64
	e := 0
	for c := range t.offsets {
		if len(t.stsc) == 0 {
			return fmt.Errorf("%w: track %d has chunks but no sample-to-chunk table", ErrMalformed, t.info.ID)
		}
		for e+1 < len(t.stsc) && uint64(t.stsc[e+1].firstChunk) <= uint64(c+1) {
			e++
		}
		n := uint64(t.stsc[e].samplesPerChunk)
		if sample+n > uint64(t.samples.count) {
			return fmt.Errorf("%w: track %d chunk %d runs past the %d samples in its size table", ErrMalformed, t.info.ID, c+1, t.samples.count)
		}
		var size uint64
		if t.samples.bits == 0 {
			size = n * uint64(t.samples.constant)
		} else {
			for i := sample; i < sample+n; i++ {
				size += t.samples.at(uint32(i))
			}
		}
		t.sizes[c] = size
		t.bytes = satAdd(t.bytes, size)
		sample += n
	}
	if sample != uint64(t.samples.count) {
		return fmt.Errorf("%w: track %d chunks hold %d samples but its size table lists %d", ErrMalformed, t.info.ID, sample, t.samples.count)
	}
	return nil
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return math.MaxUint64
	}
	return a + b
}
