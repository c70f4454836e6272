package mp4

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// largeMovie is a moov-at-end movie of about 50 MB: 60 s of 30 fps video in 25 kB frames plus
// AAC-sized audio, interleaved as a muxer would.
func largeMovie() []byte {
	video := videoTrack(1, 1800)
	video.samples, video.perChunk = pattern(1800, 25_000, 1), 1
	audio := audioTrack(2, 2600)
	audio.samples = pattern(2600, 380, 9)
	return fakeMovie{brand: "isom", tracks: []fakeTrack{video, audio}}.build()
}

// BenchmarkFaststart measures remux throughput in source bytes per second:
//
//	go test -run '^$' -bench Faststart -benchtime 20x ./internal/media/mp4
func BenchmarkFaststart(b *testing.B) {
	large := largeMovie()
	b.Run("memory-50MB", func(b *testing.B) {
		benchFaststart(b, bytes.NewReader(large), int64(len(large)), func() io.Writer { return io.Discard })
	})
	b.Run("file-50MB", func(b *testing.B) {
		dir := b.TempDir()
		srcPath := filepath.Join(dir, "src.mp4")
		if err := os.WriteFile(srcPath, large, 0o600); err != nil {
			b.Fatal(err)
		}
		src, err := os.Open(srcPath)
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		dst, err := os.Create(filepath.Join(dir, "dst.mp4"))
		if err != nil {
			b.Fatal(err)
		}
		defer dst.Close()
		benchFaststart(b, src, int64(len(large)), func() io.Writer {
			if err := dst.Truncate(0); err != nil {
				b.Fatal(err)
			}
			if _, err := dst.Seek(0, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			return dst
		})
	})
	clip := readClip(b, "moov-at-end.mp4")
	b.Run("clip-moov-at-end", func(b *testing.B) {
		benchFaststart(b, bytes.NewReader(clip), int64(len(clip)), func() io.Writer { return io.Discard })
	})
}

func benchFaststart(b *testing.B, src io.ReaderAt, size int64, dst func() io.Writer) {
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := Faststart(dst(), src, size); err != nil {
			b.Fatal(err)
		}
	}
}
