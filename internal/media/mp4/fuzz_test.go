package mp4

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"
)

// addSeeds gives the fuzzers small well-formed movies in every table form, a few broken ones,
// and the shared clips.
func addSeeds(f *testing.F) {
	tiny := func(tr fakeTrack) fakeTrack { tr.samples = tr.samples[:min(len(tr.samples), 5)]; return tr }
	stz2 := tiny(audioTrack(2, 5))
	stz2.sizeBits = 8
	wide := tiny(videoTrack(1, 4))
	wide.co64, wide.rotation = true, 90
	constant := fakeTrack{id: 3, handler: "soun", codec: "mp4a", samples: repeat([]byte("abcd"), 6), perChunk: 4, constant: true}
	meta := fakeTrack{id: 4, handler: "meta", codec: "mebx", samples: repeat([]byte(fakeGPS), 2), perChunk: 1}
	v := tiny(videoTrack(1, 4))
	v.extra = [][]byte{gpsUdta(), mkbox("tref", mkbox("cdsc", u32(4)))}
	for _, fm := range []fakeMovie{
		{brand: "isom", moovFirst: true, tracks: []fakeTrack{tiny(videoTrack(1, 4)), tiny(audioTrack(2, 5))}},
		{brand: "qt  ", tracks: []fakeTrack{wide, stz2}, moovExtra: [][]byte{gpsUdta()}},
		{brand: "M4A ", tracks: []fakeTrack{constant}, top: [][]byte{mkbox("free", zeros(4))}, junk: []byte("xx")},
		{tracks: []fakeTrack{v, meta}, created: 7},
	} {
		f.Add(fm.build())
	}
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	f.Add(append(bytes.Clone(ftyp), append(u32(0xFFFFFFFF), "moov"...)...))
	f.Add(append(bytes.Clone(ftyp), mkbox("moov", mkbox("trak", mkbox("trak", mkbox("mdia"))))...))
	f.Add([]byte("this is a text file, not a video\n"))

	entries, err := os.ReadDir(clipsDir)
	if err != nil {
		f.Fatalf("shared test media missing at %s: %v", clipsDir, err)
	}
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "README.md" {
			f.Add(readClip(f, e.Name()))
		}
	}
}

// checkTyped fails unless err wraps one of the package's error kinds.
func checkTyped(t *testing.T, err error) {
	t.Helper()
	for _, kind := range []error{ErrNotMP4, ErrTruncated, ErrBoxOutOfBounds, ErrBoxTooLarge, ErrTooDeep,
		ErrNoMoov, ErrOffsetOutOfRange, ErrMalformed, ErrUnsupported} {
		if errors.Is(err, kind) {
			return
		}
	}
	t.Fatalf("error of no known kind: %v", err)
}

func FuzzInspect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := inspectBytes(data)
		if err != nil {
			checkTyped(t, err)
			return
		}
		if !info.Kind.IsMovie() || info.Duration < 0 || info.Bitrate < 0 {
			t.Fatalf("implausible info %+v", info)
		}
		for _, tr := range info.Tracks {
			switch tr.Rotation {
			case 0, 90, 180, 270:
			default:
				t.Fatalf("rotation %d", tr.Rotation)
			}
			if tr.SampleCount < 0 || tr.Duration < 0 || tr.Bitrate < 0 || tr.FrameRate < 0 || math.IsNaN(tr.FrameRate) || math.IsInf(tr.FrameRate, 0) {
				t.Fatalf("implausible track %+v", tr)
			}
		}
	})
}

// FuzzFaststart: any input either fails with a typed error before anything is written, or
// remuxes into a file that inspects again with the same audio/video tracks and sample counts,
// carries every sample byte-for-byte, and remuxes to itself.
func FuzzFaststart(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := faststartBytes(data)
		if err != nil {
			checkTyped(t, err)
			if len(out) != 0 {
				t.Fatalf("wrote %d bytes before failing with %v", len(out), err)
			}
			return
		}
		checkRemux(t, data, out)
	})
}
