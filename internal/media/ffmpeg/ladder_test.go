package ffmpeg

import (
	"reflect"
	"testing"
)

func TestLadder(t *testing.T) {
	r480 := Rendition{Name: "480p", Width: 480, Height: 854, VideoBitrate: 1_000_000, MaxRate: 1_500_000, BufSize: 2_000_000, AudioBitrate: 128_000, Preset: "veryfast"}
	r720 := Rendition{Name: "720p", Width: 720, Height: 1280, VideoBitrate: 2_200_000, MaxRate: 3_300_000, BufSize: 4_400_000, AudioBitrate: 128_000, Preset: "veryfast"}
	r1080 := Rendition{Name: "1080p", Width: 1080, Height: 1920, VideoBitrate: 4_500_000, MaxRate: 6_750_000, BufSize: 9_000_000, AudioBitrate: 128_000, Preset: "veryfast"}
	landscape := func(r Rendition) Rendition { r.Width, r.Height = r.Height, r.Width; return r }

	tests := []struct {
		name                    string
		width, height, rotation int
		want                    []Rendition
	}{
		{"portrait 720p phone clip", 720, 1280, 0, []Rendition{r480, r720}},
		{"portrait stored sideways, turned by the display matrix", 1280, 720, 90, []Rendition{r480, r720}},
		{"the same, with the rotation counter-clockwise", 1280, 720, -90, []Rendition{r480, r720}},
		{"upside down stays portrait", 720, 1280, 180, []Rendition{r480, r720}},
		{"1080p gets the top rung", 1080, 1920, 0, []Rendition{r480, r720, r1080}},
		{"4K stops at 1080p", 2160, 3840, 0, []Rendition{r480, r720, r1080}},
		{"4K stored sideways", 3840, 2160, 270, []Rendition{r480, r720, r1080}},
		{"landscape keeps landscape", 1920, 1080, 0, []Rendition{landscape(r480), landscape(r720), landscape(r1080)}},
		{"between rungs: no upscale to 720", 600, 800, 0, []Rendition{
			{Name: "480p", Width: 480, Height: 640, VideoBitrate: 750_000, MaxRate: 1_125_000, BufSize: 1_500_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"just under 1080 stays at 720", 1078, 1916, 0, []Rendition{r480, r720}},
		{"square pictures get fewer bits", 1080, 1080, 0, []Rendition{
			{Name: "480p", Width: 480, Height: 480, VideoBitrate: 560_000, MaxRate: 840_000, BufSize: 1_120_000, AudioBitrate: 128_000, Preset: "veryfast"},
			{Name: "720p", Width: 720, Height: 720, VideoBitrate: 1_240_000, MaxRate: 1_860_000, BufSize: 2_480_000, AudioBitrate: 128_000, Preset: "veryfast"},
			{Name: "1080p", Width: 1080, Height: 1080, VideoBitrate: 2_530_000, MaxRate: 3_795_000, BufSize: 5_060_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"small source: one rendition at its own size", 360, 640, 0, []Rendition{
			{Name: "360p", Width: 360, Height: 640, VideoBitrate: 560_000, MaxRate: 840_000, BufSize: 1_120_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"small odd source rounds down to even", 361, 641, 90, []Rendition{
			{Name: "360p", Width: 640, Height: 360, VideoBitrate: 560_000, MaxRate: 840_000, BufSize: 1_120_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"tiny source keeps the bitrate floor", 120, 160, 0, []Rendition{
			{Name: "120p", Width: 120, Height: 160, VideoBitrate: 200_000, MaxRate: 300_000, BufSize: 400_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"odd long edge at a rung is not rounded up past the source", 480, 855, 0, []Rendition{
			{Name: "480p", Width: 480, Height: 854, VideoBitrate: 1_000_000, MaxRate: 1_500_000, BufSize: 2_000_000, AudioBitrate: 128_000, Preset: "veryfast"},
		}},
		{"no picture, no renditions", 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Ladder(tt.width, tt.height, tt.rotation)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Ladder(%d, %d, %d)\n got %+v\nwant %+v", tt.width, tt.height, tt.rotation, got, tt.want)
			}
		})
	}
}

// Every rendition, whatever the source, must be encodable: even sizes, never above the
// source, aspect kept to within rounding.
func TestLadderInvariants(t *testing.T) {
	for w := 2; w <= 4000; w += 97 {
		for h := 2; h <= 4000; h += 89 {
			for _, rot := range []int{0, 90} {
				dw, dh := w, h
				if rot == 90 {
					dw, dh = h, w
				}
				for _, r := range Ladder(w, h, rot) {
					if r.Width%2 != 0 || r.Height%2 != 0 || r.Width < 2 || r.Height < 2 {
						t.Fatalf("%dx%d rot %d: %s is %dx%d, not even", w, h, rot, r.Name, r.Width, r.Height)
					}
					if r.Width > dw || r.Height > dh {
						t.Fatalf("%dx%d rot %d: %s is %dx%d, upscaled", w, h, rot, r.Name, r.Width, r.Height)
					}
					if (r.Width >= r.Height) != (dw >= dh) && r.Width != r.Height {
						t.Fatalf("%dx%d rot %d: %s is %dx%d, orientation flipped", w, h, rot, r.Name, r.Width, r.Height)
					}
					src, out := float64(dw)/float64(dh), float64(r.Width)/float64(r.Height)
					if d := out/src - 1; (d > 0.02 || d < -0.02) && min(r.Width, r.Height) >= 64 {
						t.Fatalf("%dx%d rot %d: %s is %dx%d, aspect off by %.1f%%", w, h, rot, r.Name, r.Width, r.Height, d*100)
					}
					if r.MaxRate <= r.VideoBitrate || r.BufSize <= r.MaxRate {
						t.Fatalf("%dx%d: %s has rates %d/%d/%d", w, h, r.Name, r.VideoBitrate, r.MaxRate, r.BufSize)
					}
				}
			}
		}
	}
}
