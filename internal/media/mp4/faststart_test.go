package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestFaststartClips(t *testing.T) {
	for _, clip := range []string{
		"moov-at-end.mp4", "portrait-h264-aac.mp4", "rotated90-hevc.mov", "no-audio.mp4",
		"fps60.mp4", "vfr.mp4", "uhd-hevc.mp4", "audio-only.m4a",
	} {
		t.Run(clip, func(t *testing.T) {
			src := readClip(t, clip)
			out, err := faststartBytes(src)
			if err != nil {
				t.Fatalf("Faststart: %v", err)
			}
			checkRemux(t, src, out)
			if len(out) > len(src) {
				t.Errorf("remux grew the file from %d to %d bytes", len(src), len(out))
			}
		})
	}
}

func TestFaststartMovesMoovFirst(t *testing.T) {
	src := readClip(t, "moov-at-end.mp4")
	before, err := inspectBytes(src)
	if err != nil || before.MoovFirst {
		t.Fatalf("source: MoovFirst=%v err=%v, want a moov-at-end file", before != nil && before.MoovFirst, err)
	}
	out, err := faststartBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, b := range rawBoxes(out, 0) {
		order = append(order, b.typ)
	}
	if len(order) != 3 || order[0] != "ftyp" || order[1] != "moov" || order[2] != "mdat" {
		t.Errorf("top-level boxes %v, want [ftyp moov mdat]", order)
	}
	// The same content with moov first must remux to the same bytes: nothing depends on where
	// the moov was.
	again, err := faststartBytes(readClip(t, "portrait-h264-aac.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, again) {
		t.Error("remuxes of moov-at-end.mp4 and portrait-h264-aac.mp4 differ")
	}
}

const fakeGPS = "+52.5200+013.4050/"

func gpsUdta() []byte {
	return mkbox("udta", mkbox("\xa9xyz", u16(uint16(len(fakeGPS))), u16(0x15c7), []byte(fakeGPS)))
}

// injectIntoMoovAtEnd appends boxes to the moov of a moov-at-end file and to its first trak.
// Nothing follows the moov, so no chunk offset moves.
func injectIntoMoovAtEnd(t *testing.T, src []byte, intoMoov, intoTrak []byte) []byte {
	t.Helper()
	top := rawBoxes(src, 0)
	moov := top[len(top)-1]
	if moov.typ != "moov" || moov.offset+8+len(moov.payload) != len(src) {
		t.Fatal("source is not a moov-at-end file")
	}
	trak := rawBoxes(moov.payload, moov.offset+8)[1]
	if trak.typ != "trak" {
		t.Fatalf("second box in moov is %q", trak.typ)
	}
	trakEnd := trak.offset + 8 + len(trak.payload)
	out := append(bytes.Clone(src[:trakEnd]), intoTrak...)
	out = append(out, src[trakEnd:]...)
	out = append(out, intoMoov...)
	binary.BigEndian.PutUint32(out[trak.offset:], uint32(8+len(trak.payload)+len(intoTrak)))
	binary.BigEndian.PutUint32(out[moov.offset:], uint32(len(out)-moov.offset))
	return out
}

func TestFaststartStripsGPSFromRealClip(t *testing.T) {
	src := injectIntoMoovAtEnd(t, readClip(t, "moov-at-end.mp4"), gpsUdta(), gpsUdta())
	before, err := inspectBytes(src)
	if err != nil {
		t.Fatalf("Inspect of the crafted source: %v", err)
	}
	if !before.HasLocation || !before.HasMetadata {
		t.Fatalf("crafted source: HasLocation=%v HasMetadata=%v, want both", before.HasLocation, before.HasMetadata)
	}
	out, err := faststartBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(fakeGPS)) || bytes.Contains(out, []byte("\xa9xyz")) {
		t.Error("the GPS position survived the remux")
	}
	checkRemux(t, src, out)
}

// Every place a position can hide: udta and Apple-style meta in moov and trak, XMP in a
// top-level uuid, leftovers in free boxes and in media data no sample uses, and a timed
// metadata track whose samples are positions.
func TestFaststartStripsEveryKindOfMetadata(t *testing.T) {
	gpsTrack := fakeTrack{id: 3, handler: "meta", codec: "mebx", samples: repeat([]byte("loc "+fakeGPS), 4), perChunk: 1}
	video := videoTrack(1, 12)
	video.extra = [][]byte{gpsUdta(), mkbox("tref", mkbox("cdsc", u32(3)), mkbox("sync", u32(2), u32(3))), mkbox("free", []byte(fakeGPS))}
	appleMeta := mkfull("meta", 0, 0, mkfull("hdlr", 0, 0, zeros(4), []byte("mdta"), zeros(12), []byte{0}),
		mkfull("keys", 0, 0, u32(1), mkbox("mdta", []byte("com.apple.quicktime.location.ISO6709"))),
		mkbox("ilst", mkbox("\x00\x00\x00\x01", mkbox("data", u32(1), u32(0), []byte(fakeGPS)))))
	xmp := mkbox("uuid", []byte("\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac"),
		[]byte(`<x:xmpmeta><rdf:Description exif:GPSLatitude="52,31.2N" exif:GPSLongitude="`+fakeGPS+`"/></x:xmpmeta>`))
	for _, moovFirst := range []bool{true, false} {
		fm := fakeMovie{
			brand: "isom", moovFirst: moovFirst, created: 0xDEADBEEF,
			tracks:    []fakeTrack{video, audioTrack(2, 20), gpsTrack},
			moovExtra: [][]byte{gpsUdta(), appleMeta, mkbox("skip", []byte(fakeGPS))},
			top:       [][]byte{xmp, mkbox("free", []byte(fakeGPS)), mkbox("mdat", []byte(fakeGPS))},
			junk:      []byte("unreferenced " + fakeGPS),
		}
		src := fm.build()
		if n := bytes.Count(src, []byte(fakeGPS)); n < 10 {
			t.Fatalf("test setup: source holds the position only %d times", n)
		}
		out, err := faststartBytes(src)
		if err != nil {
			t.Fatalf("moovFirst=%v: %v", moovFirst, err)
		}
		if bytes.Contains(out, []byte(fakeGPS)) {
			t.Errorf("moovFirst=%v: the position survived the remux at byte %d", moovFirst, bytes.Index(out, []byte(fakeGPS)))
		}
		checkRemux(t, src, out)

		// The video's track references keep the audio track and lose the dropped one.
		moov := rawChild(out, "moov")
		var tref []byte
		for _, b := range rawBoxes(moov, 0) {
			if b.typ == "trak" && tref == nil {
				tref = rawChild(b.payload, "tref")
			}
		}
		if want := mkbox("sync", u32(2)); !bytes.Equal(tref, want) {
			t.Errorf("tref after remux % x, want % x", tref, want)
		}
	}
}

func TestFaststartRefuses(t *testing.T) {
	external := videoTrack(1, 5)
	external.external = true
	wantErr(t, "media in another file", fakeMovie{brand: "isom", tracks: []fakeTrack{external}}.build(), ErrUnsupported)

	onlyMeta := fakeTrack{id: 1, handler: "meta", codec: "mebx", samples: pattern(3, 5, 1), perChunk: 1}
	b := fakeMovie{brand: "isom", tracks: []fakeTrack{onlyMeta}}.build()
	if _, err := inspectBytes(b); err != nil {
		t.Errorf("Inspect of a metadata-only movie: %v", err)
	}
	if _, err := faststartBytes(b); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Faststart of a metadata-only movie: %v, want ErrUnsupported", err)
	}

	// Point the audio track's first chunk at the video's first chunk: both would claim the bytes.
	good := simpleMovie().build()
	first := bytes.Index(good, []byte("stco"))
	second := first + 4 + bytes.Index(good[first+4:], []byte("stco"))
	overlap := bytes.Clone(good)
	copy(overlap[second+12:], good[first+12:first+16])
	if _, err := faststartBytes(overlap); !errors.Is(err, ErrMalformed) {
		t.Errorf("overlapping chunks: %v, want ErrMalformed", err)
	}

	var out bytes.Buffer
	truncated := readClip(t, "truncated.mp4")
	if err := Faststart(&out, bytes.NewReader(truncated), int64(len(truncated))); !errors.Is(err, ErrTruncated) || out.Len() != 0 {
		t.Errorf("truncated clip: %v with %d bytes written, want ErrTruncated and nothing", err, out.Len())
	}
	// A caller that claims more bytes than the reader holds gets ErrTruncated, not a panic.
	if err := Faststart(&out, bytes.NewReader(good), int64(len(good))+100); !errors.Is(err, ErrTruncated) {
		t.Errorf("size larger than the data: %v, want ErrTruncated", err)
	}
}

var errStop = errors.New("writer stopped")

// stopWriter keeps the first allow writes and fails the next.
type stopWriter struct {
	allow int
	got   [][]byte
}

func (w *stopWriter) Write(p []byte) (int, error) {
	if len(w.got) >= w.allow {
		return 0, errStop
	}
	w.got = append(w.got, bytes.Clone(p))
	return len(p), nil
}

func TestFaststartReportsWriteErrors(t *testing.T) {
	src := readClip(t, "moov-at-end.mp4")
	for allow := range 4 {
		w := &stopWriter{allow: allow}
		if err := Faststart(w, bytes.NewReader(src), int64(len(src))); !errors.Is(err, errStop) {
			t.Errorf("writer failing after %d writes: %v, want the writer's error", allow, err)
		}
	}
}

// A remux whose chunks land past 4 GiB must switch those tracks to 64-bit offsets. The source
// is sparse, so the test describes a 5 GiB file without holding it, and stops the copy once the
// headers are written.
func TestFaststartPromotesToCo64(t *testing.T) {
	const gib = 1 << 30
	audio := fakeTrack{id: 2, handler: "soun", codec: "mp4a", samples: repeat(nil, 10), perChunk: 10, constant: true, constSize: 100}
	video := fakeTrack{id: 1, handler: "vide", codec: "avc1", width: 64, height: 64, samples: repeat(nil, 5), perChunk: 1, constant: true, constSize: gib, co64: true}
	fm := fakeMovie{brand: "isom", tracks: []fakeTrack{video, audio}}
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	payloadLen := uint64(1000 + 5*gib)
	mdatHdr := append(append(u32(1), "mdat"...), u64(16+payloadLen)...)
	base := uint64(len(ftyp) + len(mdatHdr))
	videoRel := []uint64{1000, 1000 + gib, 1000 + 2*gib, 1000 + 3*gib, 1000 + 4*gib}
	moov := fm.moov([][]uint64{videoRel, {0}}, base)
	moovAt := int64(base + payloadLen)
	src := sparseFile{size: moovAt + int64(len(moov)), parts: map[int64][]byte{0: append(bytes.Clone(ftyp), mdatHdr...), moovAt: moov}}

	if _, err := Inspect(src, src.size); err != nil {
		t.Fatalf("Inspect of the 5 GiB source: %v", err)
	}
	w := &stopWriter{allow: 4}
	if err := Faststart(w, src, src.size); !errors.Is(err, errStop) {
		t.Fatalf("Faststart: %v, want the stop after the headers", err)
	}
	head := bytes.Join(w.got[:3], nil)
	newMoov := rawChild(head, "moov")
	newBase := uint64(len(ftyp) + 8 + len(newMoov) + 16)
	if mdat := w.got[2]; len(mdat) != 16 || binary.BigEndian.Uint32(mdat) != 1 || binary.BigEndian.Uint64(mdat[8:]) != 16+5*gib+1000 {
		t.Errorf("mdat header % x, want a 64-bit size of %d", mdat, 16+5*gib+1000)
	}
	var tables []string
	for _, trak := range rawBoxes(newMoov, 0) {
		if trak.typ != "trak" {
			continue
		}
		typ, table := rawFirst(rawChild(rawChild(rawChild(trak.payload, "mdia"), "minf"), "stbl"), "stco", "co64")
		tables = append(tables, typ)
		switch typ {
		case "co64":
			for k, rel := range videoRel {
				if got := binary.BigEndian.Uint64(table[8+8*k:]); got != newBase+rel {
					t.Errorf("video chunk %d at %d, want %d", k, got, newBase+rel)
				}
			}
		case "stco":
			if got := binary.BigEndian.Uint32(table[8:]); uint64(got) != newBase {
				t.Errorf("audio chunk at %d, want %d", got, newBase)
			}
		}
	}
	// Only the track whose offsets overflow needs the wider table.
	if len(tables) != 2 || tables[0] != "co64" || tables[1] != "stco" {
		t.Errorf("offset tables %v, want [co64 stco]", tables)
	}
}
