package mp4

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
)

// Faststart writes the movie in src (size bytes long) to dst laid out for progressive playback:
// ftyp, then moov, then a single mdat that holds exactly the samples of the video and audio
// tracks, with every chunk offset rewritten (stco becomes co64 where an offset passes 4 GiB).
//
// The copy is also scrubbed of what could identify the device, the place or the moment of
// recording: udta, meta, uuid and padding boxes inside the movie box, every top-level box but
// ftyp, moov and mdat, tracks other than video and audio (timed metadata such as GPS
// telemetry), bytes of the media data that no sample uses, and the creation and modification
// times of the movie, track and media headers.
//
// The whole source is validated before the first byte is written, so an error (see the Err
// variables) leaves dst untouched unless reading src or writing dst fails part way.
func Faststart(dst io.Writer, src io.ReaderAt, size int64) error {
	m, err := readMovie(src, size)
	if err != nil {
		return err
	}
	x, err := planRemux(m)
	if err != nil {
		return err
	}
	moov, err := x.layout()
	if err != nil {
		return err
	}
	if _, err := dst.Write(m.ftyp); err != nil {
		return fmt.Errorf("mp4: writing file type box: %w", err)
	}
	if _, err := dst.Write(moov); err != nil {
		return fmt.Errorf("mp4: writing movie box: %w", err)
	}
	if _, err := dst.Write(x.mdatHeader()); err != nil {
		return fmt.Errorf("mp4: writing media data header: %w", err)
	}
	return x.copySamples(dst, src)
}

// remux is the plan for one Faststart: which tracks stay, where each of their chunks lands in
// the new mdat, and which source ranges to copy to fill it.
type remux struct {
	m        *movie
	kept     map[*box]*track // trak box → track, for tracks that stay
	chunks   map[*box]*track // stco/co64 box → track, for tracks that stay
	dropped  map[uint32]bool // IDs of tracks left out
	runs     []span          // source ranges making up the new mdat payload, in order
	payload  uint64          // new mdat payload size
	base     uint64          // file offset of the new mdat payload
	ftypSize uint64
}

func planRemux(m *movie) (*remux, error) {
	if m.fragmented {
		return nil, fmt.Errorf("%w: fragmented movie (moof)", ErrUnsupported)
	}
	x := &remux{m: m, kept: map[*box]*track{}, chunks: map[*box]*track{}, dropped: map[uint32]bool{}, ftypSize: uint64(len(m.ftyp))}
	type chunkRef struct {
		off   uint64
		track *track
		index int
	}
	var refs []chunkRef
	for _, t := range m.tracks {
		if t.info.Kind == TrackOther {
			x.dropped[t.info.ID] = true
			continue
		}
		x.kept[t.trak], x.chunks[t.chunkBox] = t, t
		t.packed = make([]uint64, len(t.offsets))
		for i, off := range t.offsets {
			refs = append(refs, chunkRef{off, t, i})
		}
	}
	if len(x.kept) == 0 {
		return nil, fmt.Errorf("%w: no video or audio track", ErrUnsupported)
	}
	// Lay chunks out in source order: muxers interleave audio and video by time, and keeping
	// their order keeps that interleaving.
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].off < refs[j].off })
	var prevEnd uint64
	for _, r := range refs {
		size := r.track.sizes[r.index]
		if size > 0 {
			if r.off < prevEnd {
				return nil, fmt.Errorf("%w: track %d chunk %d overlaps another chunk", ErrMalformed, r.track.info.ID, r.index+1)
			}
			prevEnd = r.off + size
			if n := len(x.runs); n > 0 && uint64(x.runs[n-1].end) == r.off {
				x.runs[n-1].end += int64(size)
			} else {
				x.runs = append(x.runs, span{int64(r.off), int64(r.off + size)})
			}
		}
		r.track.packed[r.index] = x.payload
		x.payload += size
	}
	return x, nil
}

func (x *remux) mdatHeaderLen() uint64 {
	if x.payload+8 > math.MaxUint32 {
		return 16
	}
	return 8
}

func (x *remux) mdatHeader() []byte {
	if x.mdatHeaderLen() == 16 {
		h := make([]byte, 16)
		binary.BigEndian.PutUint32(h, 1)
		copy(h[4:], "mdat")
		binary.BigEndian.PutUint64(h[8:], x.payload+16)
		return h
	}
	h := make([]byte, 8)
	binary.BigEndian.PutUint32(h, uint32(x.payload+8))
	copy(h[4:], "mdat")
	return h
}

// layout encodes the new movie box. Its size depends on which tracks need 64-bit offsets, and
// that depends on its size, so it widens tables until nothing changes; widening only grows the
// box, so this settles after at most one pass per track.
func (x *remux) layout() ([]byte, error) {
	for {
		moov := x.encodeMoov()
		x.base = x.ftypSize + uint64(len(moov)) + x.mdatHeaderLen()
		widened := false
		for _, t := range x.kept {
			if !t.wide && len(t.packed) > 0 && x.base+maxOf(t.packed) > math.MaxUint32 {
				t.wide, widened = true, true
			}
		}
		if !widened {
			moov = x.encodeMoov()
			if len(moov) > MaxMoovSize {
				return nil, fmt.Errorf("%w: remuxed movie box would be %d bytes, over the %d-byte limit", ErrBoxTooLarge, len(moov), MaxMoovSize)
			}
			return moov, nil
		}
	}
}

func maxOf(v []uint64) uint64 {
	var m uint64
	for _, n := range v {
		m = max(m, n)
	}
	return m
}

func (x *remux) encodeMoov() []byte {
	return x.appendBox(make([]byte, 0, len(x.m.moov.payload)+16), x.m.moov)
}

// appendBox appends b, rewritten for the new file, to out. The movie box never reaches 4 GiB
// (MaxMoovSize bounds it), so 32-bit box sizes always suffice.
func (x *remux) appendBox(out []byte, b *box) []byte {
	start := len(out)
	t := x.chunks[b]
	typ := b.typ
	if t != nil {
		typ = "stco"
		if t.wide {
			typ = "co64"
		}
	}
	out = append(out, 0, 0, 0, 0)
	out = append(out, typ...)
	switch {
	case t != nil:
		out = binary.BigEndian.AppendUint32(out, 0) // version and flags
		out = binary.BigEndian.AppendUint32(out, uint32(len(t.packed)))
		for _, p := range t.packed {
			if t.wide {
				out = binary.BigEndian.AppendUint64(out, x.base+p)
			} else {
				out = binary.BigEndian.AppendUint32(out, uint32(x.base+p))
			}
		}
	case b.typ == "mvhd" || b.typ == "tkhd" || b.typ == "mdhd":
		out = append(out, b.payload...)
		zeroTimes(out[start+8:])
	case b.typ == "tref":
		for _, ref := range b.children {
			out = x.appendTrackRefs(out, ref)
		}
		if len(out) == start+8 {
			return out[:start] // every reference pointed at a dropped track
		}
	case b.children != nil:
		for _, c := range b.children {
			if stripped(c.typ) || c.typ == "trak" && x.kept[c] == nil {
				continue
			}
			if (c.typ == "stco" || c.typ == "co64") && x.chunks[c] == nil {
				// An offset table we did not rewrite would point into the old layout.
				continue
			}
			out = x.appendBox(out, c)
		}
	default:
		out = append(out, b.payload...)
	}
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start))
	return out
}

// appendTrackRefs appends one track reference box without the IDs of dropped tracks, or nothing
// if none remain.
func (x *remux) appendTrackRefs(out []byte, ref *box) []byte {
	start := len(out)
	out = append(out, 0, 0, 0, 0)
	out = append(out, ref.typ...)
	for i := 0; i+4 <= len(ref.payload); i += 4 {
		if id := binary.BigEndian.Uint32(ref.payload[i:]); !x.dropped[id] {
			out = binary.BigEndian.AppendUint32(out, id)
		}
	}
	if len(out) == start+8 {
		return out[:start]
	}
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start))
	return out
}

// zeroTimes clears creation and modification times in an mvhd, tkhd or mdhd payload; all three
// put them right after version and flags, 32 bits each in version 0 and 64 bits in version 1.
func zeroTimes(p []byte) {
	switch {
	case len(p) >= 12 && p[0] == 0:
		clear(p[4:12])
	case len(p) >= 20 && p[0] == 1:
		clear(p[4:20])
	}
}

// copyBufferSize is large enough that copying is bound by the disk, not by calls.
const copyBufferSize = 1 << 20

func (x *remux) copySamples(dst io.Writer, src io.ReaderAt) error {
	buf := make([]byte, min(copyBufferSize, max(x.payload, 1)))
	for _, r := range x.runs {
		for off := r.start; off < r.end; {
			p := buf[:min(int64(len(buf)), r.end-off)]
			if err := readAt(src, p, off); err != nil {
				return err
			}
			if _, err := dst.Write(p); err != nil {
				return fmt.Errorf("mp4: writing media data: %w", err)
			}
			off += int64(len(p))
		}
	}
	return nil
}
