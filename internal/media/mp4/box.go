package mp4

import (
	"encoding/binary"
	"fmt"
	"io"
)

// header is a decoded box header. size is the whole box, header included, as declared; it is
// not yet checked against the space the box lives in.
type header struct {
	typ    string
	offset int64 // file offset of the box's first byte
	hdrLen int64 // 8, or 16 with a 64-bit size
	size   uint64
}

// parseHeader decodes the header at the start of b, where avail bytes remain in the enclosing
// box (or file). A size of 0 means "to the end of the enclosing space". short is returned when
// fewer than a header's worth of bytes remain.
func parseHeader(b []byte, offset, avail int64, short error) (header, error) {
	if avail < 8 || len(b) < 8 {
		return header{}, fmt.Errorf("%w: %d bytes at offset %d are too few for a box header", short, avail, offset)
	}
	h := header{typ: string(b[4:8]), offset: offset, hdrLen: 8, size: uint64(binary.BigEndian.Uint32(b))}
	switch h.size {
	case 0:
		h.size = uint64(avail)
	case 1:
		if avail < 16 || len(b) < 16 {
			return header{}, fmt.Errorf("%w: %q box at offset %d has a cut-off 64-bit size", short, h.typ, offset)
		}
		h.hdrLen = 16
		h.size = binary.BigEndian.Uint64(b[8:16])
	}
	if h.size < uint64(h.hdrLen) {
		return header{}, fmt.Errorf("%w: %q box at offset %d declares %d bytes, less than its header", ErrBoxOutOfBounds, h.typ, offset, h.size)
	}
	return h, nil
}

// fits reports an error, wrapping outside, if h runs past the avail bytes it may occupy.
func (h header) fits(avail int64, outside error) error {
	if h.size > uint64(avail) {
		return fmt.Errorf("%w: %q box at offset %d declares %d bytes but only %d remain", outside, h.typ, h.offset, h.size, avail)
	}
	return nil
}

// box is a box held in memory. Containers that the movie structure needs are parsed into
// children; every other box keeps only its payload.
type box struct {
	typ      string
	offset   int64  // file offset, for error messages
	payload  []byte // the bytes after the header
	children []*box
}

// isContainer lists the boxes whose payload is nothing but child boxes and that we descend into.
// udta and meta are deliberately absent: they are opaque metadata we only detect and strip.
func isContainer(typ string) bool {
	switch typ {
	case "moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "mvex", "tref":
		return true
	}
	return false
}

// parseChildren parses the boxes packed into b, whose first byte is at file offset base.
// depth is the nesting level of those boxes, moov's children being at level 2.
func parseChildren(b []byte, base int64, depth int) ([]*box, error) {
	if depth > MaxBoxDepth {
		return nil, fmt.Errorf("%w: more than %d levels at offset %d", ErrTooDeep, MaxBoxDepth, base)
	}
	var out []*box
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < 8 && allZero(rest) {
			// QuickTime writers end some containers with a zero terminator.
			break
		}
		h, err := parseHeader(rest, base+int64(off), int64(len(rest)), ErrBoxOutOfBounds)
		if err != nil {
			return nil, err
		}
		if err := h.fits(int64(len(rest)), ErrBoxOutOfBounds); err != nil {
			return nil, err
		}
		bx := &box{typ: h.typ, offset: h.offset, payload: rest[h.hdrLen:h.size]}
		if isContainer(h.typ) {
			bx.children, err = parseChildren(bx.payload, h.offset+h.hdrLen, depth+1)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, bx)
		off += int(h.size)
	}
	return out, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// child returns the first child of b with the given type, or nil.
func (b *box) child(typ string) *box {
	if b == nil {
		return nil
	}
	for _, c := range b.children {
		if c.typ == typ {
			return c
		}
	}
	return nil
}

// path follows a chain of first children, e.g. path("mdia", "minf", "stbl").
func (b *box) path(types ...string) *box {
	for _, t := range types {
		b = b.child(t)
	}
	return b
}

// readAt fills p from r at off; a short read means the file is shorter than declared.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return fmt.Errorf("%w: wanted %d bytes at offset %d, got %d", ErrTruncated, len(p), off, n)
	}
	return fmt.Errorf("mp4: reading %d bytes at offset %d: %w", len(p), off, err)
}
