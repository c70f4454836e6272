package video_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"kurz/internal/media/ffmpeg"
	"kurz/internal/media/mp4"
)

// benchClip is a synthetic phone clip for the pipeline benchmarks: 1080x1920 on screen at
// 30 fps with AAC sound, about 9 Mbit/s of H.264 (near what a phone records at 1080p30, and
// under the 12 Mbit/s fast-path limit), with its index at the end as phones write it.
type benchClip struct {
	Seconds int
	// Short is the short edge of the picture; zero means 1080 (the long edge is 16:9 of it).
	Short int
	// Sideways clips are coded 1920x1080 with a 90° display matrix, the way phones store
	// portrait video. The rotation alone sends them down the transcode path. (The embedded
	// ffmpeg has no HEVC encoder, so it cannot make the other typical reason, an HEVC source.)
	Sideways bool
}

func (c benchClip) String() string {
	if c.Sideways {
		return fmt.Sprintf("rotated-%ds", c.Seconds)
	}
	return fmt.Sprintf("upright-%ds", c.Seconds)
}

// coded is the picture size as stored in the file, before the display matrix turns it.
func (c benchClip) coded() (w, h int) {
	short := c.Short
	if short == 0 {
		short = 1080
	}
	long := short * 16 / 9
	if c.Sideways {
		return long, short
	}
	return short, long
}

// fileName names the clip by everything that went into making it, so a change of recipe
// makes a new file instead of reusing a stale one.
func (c benchClip) fileName() string {
	w, h := c.coded()
	if c.Sideways {
		return fmt.Sprintf("h264-aac-%dx%d-rot90-30fps-9M-%ds.mov", w, h, c.Seconds)
	}
	return fmt.Sprintf("h264-aac-%dx%d-30fps-9M-%ds.mp4", w, h, c.Seconds)
}

// benchClipDir keeps generated clips between runs: making a 60 s 1080p clip with the
// embedded ffmpeg takes minutes, and the files (15-70 MB) never belong in the repository.
func benchClipDir() string { return filepath.Join(os.TempDir(), "kurz-bench-clips") }

// wazeroCacheDir is the compiled-ffmpeg cache the test kit uses, shared so the embedded
// build is compiled once per machine.
func wazeroCacheDir() string { return filepath.Join(os.TempDir(), "kurz-test-wazero-cache") }

// path returns the clip's file, generating it first with the embedded ffmpeg when it is not
// there yet, and checks that it is the clip it claims to be.
func (c benchClip) path(tb testing.TB) string {
	tb.Helper()
	dir := benchClipDir()
	out := filepath.Join(dir, c.fileName())
	if _, err := os.Stat(out); err != nil {
		c.generate(tb, dir, out)
	}
	c.check(tb, out)
	return out
}

func (c benchClip) generate(tb testing.TB, dir, out string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	// Always the embedded build, so the clips are the same wherever they are made.
	r, err := ffmpeg.New(ctx, ffmpeg.Config{Engine: ffmpeg.EngineWasm, CacheDir: wazeroCacheDir()})
	if err != nil {
		tb.Fatalf("start ffmpeg to make bench clips: %v", err)
	}
	defer r.Close(ctx)

	secs := strconv.Itoa(c.Seconds)
	w, h := c.coded()
	size, format := fmt.Sprintf("%dx%d", w, h), "mp4"
	if c.Sideways {
		format = "mov"
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30:duration=" + secs,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + secs,
		"-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-profile:v", "high", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-b:v", "9M", "-maxrate", "10M", "-bufsize", "10M", "-g", "30",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2",
	}
	// Written under a temporary name and renamed, so an interrupted run leaves no half clip
	// that a later run would take for a whole one.
	tmp := out + ".part"
	args = append(args, "-f", format, tmp)
	start := time.Now()
	if _, err := r.Run(ctx, ffmpeg.FFmpeg, args, ffmpeg.Writable(dir)); err != nil {
		os.Remove(tmp)
		tb.Fatalf("make bench clip %s: %v", c, err)
	}
	if c.Sideways {
		if err := turnQuarter(tmp, h); err != nil {
			os.Remove(tmp)
			tb.Fatalf("make bench clip %s: %v", c, err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("made bench clip %s with the embedded ffmpeg in %v", out, time.Since(start).Round(time.Second))
}

// check fails the benchmark when the clip would not take the path it is meant to measure.
func (c benchClip) check(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	info, err := mp4.Inspect(f, st.Size())
	if err != nil {
		tb.Fatalf("bench clip %s: %v", path, err)
	}
	v, a := info.Video(), info.Audio()
	wantW, wantH := c.coded()
	switch {
	case v == nil || a == nil || v.Codec != "avc1" || a.Codec != "mp4a":
		tb.Fatalf("bench clip %s: want H.264 and AAC tracks, got %+v", path, info.Tracks)
	case v.Width != wantW || v.Height != wantH || (v.Rotation%180 == 90) != c.Sideways:
		tb.Fatalf("bench clip %s: %dx%d turned %d°, want %dx%d turned a quarter only if sideways (%v)", path, v.Width, v.Height, v.Rotation, wantW, wantH, c.Sideways)
	case info.Duration < time.Duration(c.Seconds)*time.Second-time.Second:
		tb.Fatalf("bench clip %s lasts %v, want %ds", path, info.Duration, c.Seconds)
	case info.MoovFirst:
		tb.Fatalf("bench clip %s already has its index first; the fast path would have nothing to move", path)
	}
}

// turnQuarter writes a 90° display matrix into the video track header of the movie at path,
// as a phone marks the portrait video it stored sideways. ffmpeg 5.1 cannot: its rotate tag
// no longer reaches the file, and -display_rotation only came with 6.0.
func turnQuarter(path string, codedHeight int) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	for off := int64(0); off < st.Size(); {
		var hdr [16]byte
		if _, err := f.ReadAt(hdr[:8], off); err != nil {
			return fmt.Errorf("box at %d: %w", off, err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch size {
		case 0:
			size = st.Size() - off
		case 1:
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				return err
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size < 8 || off+size > st.Size() {
			return fmt.Errorf("box %q at %d has size %d", hdr[4:8], off, size)
		}
		if string(hdr[4:8]) != "moov" {
			off += size
			continue
		}
		moov := make([]byte, size)
		if _, err := f.ReadAt(moov, off); err != nil {
			return err
		}
		if !rotateVideoTrack(moov[8:], codedHeight) {
			return errors.New("no video track header to turn")
		}
		_, err := f.WriteAt(moov, off)
		return err
	}
	return errors.New("no movie box")
}

// rotateVideoTrack sets the matrix of the video track's tkhd inside the moov payload b.
func rotateVideoTrack(b []byte, codedHeight int) bool {
	for _, trak := range childBoxes(b, "trak") {
		var tkhd []byte
		video := false
		for _, child := range childBoxes(trak[8:], "") {
			switch string(child[4:8]) {
			case "tkhd":
				tkhd = child
			case "mdia":
				for _, hdlr := range childBoxes(child[8:], "hdlr") {
					video = len(hdlr) >= 20 && string(hdlr[16:20]) == "vide"
				}
			}
		}
		if !video || len(tkhd) < 9 {
			continue
		}
		at := 48 // version 0: 32-bit times and duration
		if tkhd[8] == 1 {
			at = 60
		}
		if len(tkhd) < at+36 {
			return false
		}
		// a b u / c d v / x y w in 16.16 (2.30 for u, v, w): x' = -y + height, y' = x.
		matrix := []uint32{0, 1 << 16, 0, 0xffff0000, 0, 0, uint32(codedHeight) << 16, 0, 1 << 30}
		for i, v := range matrix {
			binary.BigEndian.PutUint32(tkhd[at+4*i:], v)
		}
		return true
	}
	return false
}

// childBoxes splits a container's payload into its boxes, keeping those of type typ (all
// when typ is empty). The slices share b, so writing to them edits b.
func childBoxes(b []byte, typ string) [][]byte {
	var out [][]byte
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b[:4]))
		if size < 8 || size > len(b) {
			return out
		}
		if typ == "" || string(b[4:8]) == typ {
			out = append(out, b[:size])
		}
		b = b[size:]
	}
	return out
}
