package mp4

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestInspectGoodClips(t *testing.T) {
	cases := []struct {
		clip  string
		check func(t *testing.T, info *Info)
	}{
		{"portrait-h264-aac.mp4", func(t *testing.T, info *Info) {
			v, a := info.Video(), info.Audio()
			if v == nil || a == nil {
				t.Fatalf("want video and audio, got %+v", info.Tracks)
			}
			if v.Codec != "avc1" || v.Width != 720 || v.Height != 1280 || v.Rotation != 0 {
				t.Errorf("video %s %dx%d rot %d, want avc1 720x1280 rot 0", v.Codec, v.Width, v.Height, v.Rotation)
			}
			if v.Profile != 100 || v.Level != 31 {
				t.Errorf("AVC profile/level %d/%d, want High (100) level 3.1 (31)", v.Profile, v.Level)
			}
			if a.Codec != "mp4a" || a.Channels != 2 || a.SampleRate != 44100 {
				t.Errorf("audio %s %d ch %d Hz, want mp4a stereo 44100", a.Codec, a.Channels, a.SampleRate)
			}
			if info.Duration < 3900*time.Millisecond || info.Duration > 4100*time.Millisecond {
				t.Errorf("duration %v, want about 4 s", info.Duration)
			}
			if math.Abs(v.FrameRate-30) > 0.5 || v.SampleCount != 120 {
				t.Errorf("video %d samples at %.2f fps, want 120 at 30", v.SampleCount, v.FrameRate)
			}
			if !info.MoovFirst {
				t.Error("MoovFirst = false for a faststart clip")
			}
			if !info.HasMetadata {
				t.Error("HasMetadata = false, but the clip carries an encoder tag in moov/udta/meta")
			}
			// 585 kB over 4 s is about 1.17 Mbit/s.
			if info.Bitrate < 1_000_000 || info.Bitrate > 1_300_000 {
				t.Errorf("bitrate %d, want about 1.16 Mbit/s", info.Bitrate)
			}
		}},
		{"moov-at-end.mp4", func(t *testing.T, info *Info) {
			if info.MoovFirst {
				t.Error("MoovFirst = true for moov-at-end.mp4")
			}
			if v := info.Video(); v == nil || v.Width != 720 || v.Height != 1280 {
				t.Errorf("video %+v, want 720x1280", v)
			}
		}},
		{"rotated90-hevc.mov", func(t *testing.T, info *Info) {
			v := info.Video()
			if v == nil {
				t.Fatal("no video track")
			}
			if v.Rotation != 90 && v.Rotation != 270 {
				t.Errorf("rotation %d, want 90 or 270", v.Rotation)
			}
			if v.Codec != "hvc1" && v.Codec != "hev1" {
				t.Errorf("codec %q, want hvc1 or hev1", v.Codec)
			}
			if v.Width != 1280 || v.Height != 720 {
				t.Errorf("coded size %dx%d, want 1280x720 (portrait only after rotation)", v.Width, v.Height)
			}
			if info.Kind != KindMOV || info.Brand != "qt  " {
				t.Errorf("kind %v brand %q, want QuickTime", info.Kind, info.Brand)
			}
		}},
		{"no-audio.mp4", func(t *testing.T, info *Info) {
			if info.Audio() != nil {
				t.Errorf("found an audio track: %+v", info.Audio())
			}
			if info.Video() == nil {
				t.Error("no video track")
			}
		}},
		{"uhd-hevc.mp4", func(t *testing.T, info *Info) {
			v := info.Video()
			if v == nil || v.Width != 2160 || v.Height != 3840 || v.DisplayWidth != 2160 || v.DisplayHeight != 3840 {
				t.Errorf("video %+v, want 2160x3840", v)
			}
		}},
		{"fps60.mp4", func(t *testing.T, info *Info) {
			if v := info.Video(); v == nil || math.Abs(v.FrameRate-60) > 1 {
				t.Errorf("video %+v, want about 60 fps", v)
			}
		}},
		{"vfr.mp4", func(t *testing.T, info *Info) {
			if v := info.Video(); v == nil || v.FrameRate <= 0 || v.SampleCount == 0 {
				t.Errorf("video %+v, want samples and an average frame rate", v)
			}
		}},
		{"audio-only.m4a", func(t *testing.T, info *Info) {
			if info.Video() != nil {
				t.Errorf("audio-only file shows a video track: %+v", info.Video())
			}
			if a := info.Audio(); a == nil || a.Codec != "mp4a" {
				t.Errorf("audio %+v, want mp4a", a)
			}
			if info.Kind != KindM4A {
				t.Errorf("kind %v, want M4A", info.Kind)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.clip, func(t *testing.T) {
			info, err := inspectBytes(readClip(t, c.clip))
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			c.check(t, info)
		})
	}
}

func TestInspectRefusesBrokenClips(t *testing.T) {
	cases := []struct {
		clip string
		want error
		says string
	}{
		{"truncated.mp4", ErrTruncated, "truncated"},
		{"empty.mp4", ErrNotMP4, "an empty file"},
		{"jpeg-renamed.mp4", ErrNotMP4, "a JPEG image"},
		{"text.mp4", ErrNotMP4, "a text file"},
	}
	for _, c := range cases {
		info, err := inspectBytes(readClip(t, c.clip))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: Inspect = %+v, %v; want %v saying %q", c.clip, info, err, c.want, c.says)
		}
	}
}

// wantErr runs Inspect and Faststart on b and expects both to fail with want.
func wantErr(t *testing.T, name string, b []byte, want error) {
	t.Helper()
	if _, err := inspectBytes(b); !errors.Is(err, want) {
		t.Errorf("%s: Inspect error %v, want %v", name, err, want)
	}
	out, err := faststartBytes(b)
	if !errors.Is(err, want) {
		t.Errorf("%s: Faststart error %v, want %v", name, err, want)
	}
	if len(out) != 0 {
		t.Errorf("%s: Faststart wrote %d bytes before failing", name, len(out))
	}
}

func simpleMovie() fakeMovie {
	return fakeMovie{brand: "isom", tracks: []fakeTrack{videoTrack(1, 10), audioTrack(2, 14)}}
}

// patchFirst overwrites the bytes after the first occurrence of marker.
func patchFirst(t *testing.T, b []byte, marker string, skip int, patch []byte) []byte {
	t.Helper()
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		t.Fatalf("no %q in test movie", marker)
	}
	copy(b[i+len(marker)+skip:], patch)
	return b
}

func TestInspectRejectsHostileStructure(t *testing.T) {
	good := simpleMovie().build()
	if _, err := inspectBytes(good); err != nil {
		t.Fatalf("baseline movie: %v", err)
	}

	// stco entry 1 (after version/flags and count) points past the end of the file.
	wantErr(t, "stco past end", patchFirst(t, good, "stco", 8, u32(uint32(len(good)+1000))), ErrOffsetOutOfRange)
	// ...or into the moov rather than the media data.
	wantErr(t, "stco into moov", patchFirst(t, good, "stco", 8, u32(uint32(len(good)-20))), ErrOffsetOutOfRange)

	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	wantErr(t, "moov declaring 4 GiB", append(bytes.Clone(ftyp), append(u32(0xFFFFFFFF), "moov"...)...), ErrBoxTooLarge)
	wantErr(t, "mdat declaring 2^62 bytes", append(bytes.Clone(ftyp), append(append(u32(1), "mdat"...), u64(1<<62)...)...), ErrTruncated)

	// A trak inside moov that claims to be far larger than the moov.
	huge := patchFirst(t, good, "trak", -8, u32(0xFFFFFFFF))
	wantErr(t, "trak larger than moov", huge, ErrBoxOutOfBounds)
	// A child with a 64-bit size that would be negative as int64.
	neg := append(bytes.Clone(ftyp), mkbox("moov", append(append(u32(1), "trak"...), u64(1<<63)...))...)
	wantErr(t, "64-bit size 2^63", neg, ErrBoxOutOfBounds)
	wantErr(t, "box smaller than its header", append(bytes.Clone(ftyp), mkbox("moov", append(u32(4), "trak"...))...), ErrBoxOutOfBounds)

	// 300 traks nested inside each other.
	nested := mkbox("mvhd", zeros(100))
	for range 300 {
		nested = mkbox("trak", nested)
	}
	wantErr(t, "deep nesting", append(bytes.Clone(ftyp), mkbox("moov", nested)...), ErrTooDeep)

	wantErr(t, "no moov", append(bytes.Clone(ftyp), mkbox("mdat", zeros(100))...), ErrNoMoov)
	wantErr(t, "cut inside a header", append(bytes.Clone(ftyp), 0, 0, 1), ErrTruncated)

	// stsz claiming four billion variable sizes in a box that holds a few.
	wantErr(t, "stsz count beyond its box", patchFirst(t, good, "stsz", 8, u32(0xFFFFFFFF)), ErrMalformed)
	// stsc whose first entry does not start at chunk 1.
	wantErr(t, "stsc out of order", patchFirst(t, good, "stsc", 8, u32(2)), ErrMalformed)
	// stsc claiming more samples per chunk than the track has.
	wantErr(t, "chunks hold more samples than stsz", patchFirst(t, good, "stsc", 12, u32(1000)), ErrMalformed)
}

// A constant sample size with four billion samples would take minutes to walk sample by sample;
// the chunk sizes are computed per chunk, and the result is still refused.
func TestInspectConstantSizeDoesNotWalkDeclaredCount(t *testing.T) {
	fm := fakeMovie{brand: "isom", tracks: []fakeTrack{{id: 1, handler: "soun", codec: "mp4a", samples: pattern(4, 8, 1)[:1], perChunk: 1, constant: true}}}
	b := fm.build()
	b = patchFirst(t, b, "stsz", 8, u32(0xFFFFFFFF))  // sample count
	b = patchFirst(t, b, "stsc", 12, u32(0xFFFFFFFF)) // samples per chunk
	wantErr(t, "4G constant-size samples", b, ErrOffsetOutOfRange)
}

// Inspect must not allocate what a box declares before the file shows it holds that much.
func TestInspectDoesNotTrustDeclaredMoovSize(t *testing.T) {
	ftyp := mkbox("ftyp", []byte("isom"), u32(0), []byte("isom"))
	b := append(ftyp, append(u32(MaxMoovSize), "moov"...)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := inspectBytes(b)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("Inspect error %v, want ErrTruncated", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > MaxMoovSize/4 {
		t.Errorf("Inspect allocated %d bytes for a %d-byte file", grew, len(b))
	}
}

func TestInspectRotationFromMatrix(t *testing.T) {
	for _, rot := range []int{0, 90, 180, 270} {
		tr := videoTrack(1, 3)
		tr.rotation = rot
		info, err := inspectBytes(fakeMovie{brand: "isom", tracks: []fakeTrack{tr}}.build())
		if err != nil {
			t.Fatalf("rotation %d: %v", rot, err)
		}
		if v := info.Video(); v.Rotation != rot || v.Mirrored {
			t.Errorf("matrix for %d° reads as %d° mirrored=%v", rot, v.Rotation, v.Mirrored)
		}
	}
}

func TestInspectSampleSizeTables(t *testing.T) {
	for _, variant := range []struct {
		name string
		edit func(*fakeTrack)
	}{
		{"stsz", func(*fakeTrack) {}},
		{"stsz constant", func(tr *fakeTrack) {
			tr.constant = true
			tr.samples = pattern(9, 20, 3)[:1]
			tr.samples = repeat(tr.samples[0], 9)
		}},
		{"stz2 16-bit", func(tr *fakeTrack) { tr.sizeBits = 16 }},
		{"stz2 8-bit", func(tr *fakeTrack) { tr.sizeBits = 8 }},
		{"stz2 4-bit", func(tr *fakeTrack) { tr.sizeBits = 4; tr.samples = pattern(9, 10, 7) }},
		{"co64", func(tr *fakeTrack) { tr.co64 = true }},
	} {
		t.Run(variant.name, func(t *testing.T) {
			tr := audioTrack(1, 9)
			variant.edit(&tr)
			var total int
			for _, s := range tr.samples {
				total += len(s)
			}
			src := fakeMovie{brand: "isom", tracks: []fakeTrack{tr}}.build()
			info, err := inspectBytes(src)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			a := info.Audio()
			if a.SampleCount != int64(len(tr.samples)) {
				t.Errorf("sample count %d, want %d", a.SampleCount, len(tr.samples))
			}
			// mdhd says 100 units at 1000/s per sample, so the bitrate follows from the bytes.
			if want := int64(float64(total*8) / (float64(len(tr.samples)) * 0.1)); a.Bitrate != want {
				t.Errorf("bitrate %d, want %d from %d sample bytes", a.Bitrate, want, total)
			}
			out, err := faststartBytes(src)
			if err != nil {
				t.Fatalf("Faststart: %v", err)
			}
			checkRemux(t, src, out)
		})
	}
}

func repeat(b []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestInspectFragmentedMovie(t *testing.T) {
	fm := simpleMovie()
	fm.moovExtra = [][]byte{mkbox("mvex", mkfull("trex", 0, 0, zeros(20)))}
	b := fm.build()
	info, err := inspectBytes(b)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if !info.Fragmented {
		t.Error("Fragmented = false with an mvex box")
	}
	if _, err := faststartBytes(b); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Faststart of a fragmented movie: %v, want ErrUnsupported", err)
	}
}

func TestInspectDuplicateTablesAreRefused(t *testing.T) {
	// Players disagree on which of two copies wins, so either could be the one that plays.
	tr := videoTrack(1, 4)
	tr.extra = [][]byte{mkbox("mdia")}
	_, err := inspectBytes(fakeMovie{brand: "isom", tracks: []fakeTrack{tr}}.build())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `"mdia"`) {
		t.Errorf("two mdia boxes: %v, want ErrMalformed naming mdia", err)
	}
	// Rename the stsc box so the track has two sample size tables.
	good := fakeMovie{brand: "isom", tracks: []fakeTrack{videoTrack(1, 4)}}.build()
	b := bytes.Clone(good)
	copy(b[bytes.Index(b, []byte("stsc")):], "stz2")
	if _, err := inspectBytes(b); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "both") {
		t.Errorf("two size tables: %v, want ErrMalformed", err)
	}
}

// A last box may declare size 0, "to the end of the file"; muxers that stream do this for mdat.
func TestInspectBoxRunningToEndOfFile(t *testing.T) {
	for _, clip := range []string{"portrait-h264-aac.mp4", "moov-at-end.mp4"} {
		src := readClip(t, clip)
		top := rawBoxes(src, 0)
		last := top[len(top)-1]
		b := bytes.Clone(src)
		copy(b[last.offset:], u32(0))
		info, err := inspectBytes(b)
		if err != nil {
			t.Fatalf("%s with a to-the-end %s: %v", clip, last.typ, err)
		}
		if info.Video() == nil || info.Video().SampleCount != 120 {
			t.Errorf("%s: video %+v, want 120 samples", clip, info.Video())
		}
		out, err := faststartBytes(b)
		if err != nil {
			t.Fatalf("%s: Faststart: %v", clip, err)
		}
		checkRemux(t, b, out)
	}
}
