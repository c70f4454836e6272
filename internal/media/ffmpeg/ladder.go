package ffmpeg

import "fmt"

// Rendition is one progressive MP4 a video is served as, sized by its short edge.
type Rendition struct {
	Name         string // "480p", "720p", "1080p", or the source's own short edge when smaller
	Width        int    // output width, upright (rotation already applied), even
	Height       int    // output height, upright, even
	VideoBitrate int    // average video bits per second
	MaxRate      int    // peak video bits per second the VBV allows
	BufSize      int    // VBV buffer size in bits
	AudioBitrate int    // AAC bits per second
	Preset       string // x264 preset; speed against size at the same quality
}

// The rungs of the ladder. Bitrates suit vertical phone video at up to 30 fps on a 9:16
// picture: about TikTok's and Loops' for short clips. A picture with fewer pixels than 9:16
// (square, say) gets proportionally less; one with more is capped at the rung's rate.
const (
	shortEdge480  = 480
	shortEdge720  = 720
	shortEdge1080 = 1080

	// DefaultPreset favours encoding speed: transcoding runs on the upload's critical path,
	// and veryfast costs little size over medium at these bitrates.
	DefaultPreset = "veryfast"

	audioBitrate    = 128_000
	minVideoBitrate = 200_000
)

type rung struct {
	short   int
	bitrate int
}

func rungs() []rung {
	return []rung{
		{shortEdge480, 1_000_000},
		{shortEdge720, 2_200_000},
		{shortEdge1080, 4_500_000},
	}
}

// Ladder lists the renditions of a source whose picture is width x height as coded, turned
// by rotation degrees on display. It never upscales: a rung is included only when the
// source's short edge reaches it, and a source smaller than the first rung gets one
// rendition at its own size. Renditions are in ascending size.
func Ladder(width, height, rotation int) []Rendition {
	if width <= 0 || height <= 0 {
		return nil
	}
	if normalizeRotation(float64(rotation))%180 != 0 {
		width, height = height, width
	}
	short, long := min(width, height), max(width, height)
	portrait := height >= width

	var out []Rendition
	for _, r := range rungs() {
		if short < r.short {
			break
		}
		// Round the long edge to the nearest even number, as H.264 in 4:2:0 needs, but
		// not past the source's own.
		l := min((long*r.short+short)/(2*short)*2, long&^1)
		out = append(out, newRendition(r.short, l, portrait, r.bitrate))
	}
	if len(out) == 0 {
		// Round down, so the picture is never stretched past the source.
		s, l := max(short&^1, 2), max(long&^1, 2)
		first := rungs()[0]
		out = append(out, newRendition(s, l, portrait, first.bitrate*s*s/(first.short*first.short)))
	}
	return out
}

func newRendition(short, long int, portrait bool, rungBitrate int) Rendition {
	// Scale by pixel count against a 9:16 picture with the same short edge.
	ref := short * (short * 16 / 9)
	bitrate := rungBitrate
	if px := short * long; px < ref {
		bitrate = int(int64(rungBitrate) * int64(px) / int64(ref))
	}
	bitrate = max(roundTo(bitrate, 10_000), minVideoBitrate)

	w, h := long, short
	if portrait {
		w, h = short, long
	}
	return Rendition{
		Name:         fmt.Sprintf("%dp", short),
		Width:        w,
		Height:       h,
		VideoBitrate: bitrate,
		MaxRate:      bitrate * 3 / 2,
		BufSize:      bitrate * 2,
		AudioBitrate: audioBitrate,
		Preset:       DefaultPreset,
	}
}

func roundTo(n, unit int) int { return (n + unit/2) / unit * unit }
