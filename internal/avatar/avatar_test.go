package avatar

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func pngOf(w, h int, fill func(x, y int) color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, fill(x, y))
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// exifJPEG builds a JPEG carrying an EXIF APP1 segment with an orientation and a fake GPS
// marker string, as a phone would write.
func exifJPEG(t *testing.T, w, h, orientation int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.Set(x, y, color.RGBA{255, 0, 0, 255}) // left half red
			} else {
				img.Set(x, y, color.RGBA{0, 0, 255, 255})
			}
		}
	}
	var body bytes.Buffer
	if err := jpeg.Encode(&body, img, nil); err != nil {
		t.Fatal(err)
	}
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(orientation), 0, 0, 0, 0, 0, 0, 0, 0}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	payload = append(payload, []byte("GPS-MARKER-52.5200N")...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	b := body.Bytes()
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

func TestProcessMakesSquareJPEGsWithoutMetadata(t *testing.T) {
	src := exifJPEG(t, 64, 32, 1)
	if !bytes.Contains(src, []byte("GPS-MARKER")) {
		t.Fatal("fixture lacks marker")
	}
	out, err := Process(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(Sizes) {
		t.Fatalf("%d outputs", len(out))
	}
	for i, b := range out {
		if bytes.Contains(b, []byte("GPS-MARKER")) || bytes.Contains(b, []byte("Exif")) {
			t.Errorf("size %d keeps metadata", Sizes[i])
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil || format != "jpeg" || cfg.Width != Sizes[i] || cfg.Height != Sizes[i] {
			t.Errorf("size %d: %v %s %dx%d", Sizes[i], err, format, cfg.Width, cfg.Height)
		}
	}
}

func TestProcessAppliesOrientation(t *testing.T) {
	// A 64x32 image whose left half is red, stored with orientation 6 (rotate 90° clockwise
	// to display): displayed, it is 32x64 with red on top.
	out, err := Process(exifJPEG(t, 64, 32, 6), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out[0]))
	if err != nil {
		t.Fatal(err)
	}
	// After a centre square crop the whole square comes from the top-left quadrant of the
	// displayed picture's middle: sample near the top edge and the bottom edge.
	top := img.At(200, 20)
	bottom := img.At(200, 380)
	if r, _, b, _ := top.RGBA(); r < b {
		t.Errorf("top should be red after orientation, got %v", top)
	}
	if r, _, b, _ := bottom.RGBA(); b < r {
		t.Errorf("bottom should be blue after orientation, got %v", bottom)
	}
}

func TestProcessRefusesBadInput(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want error
	}{
		"text":          {[]byte("hello, I am not an image"), ErrNotImage},
		"empty":         {nil, ErrNotImage},
		"huge":          {pngOf(300, 300, func(int, int) color.Color { return color.Black }), ErrTooLarge},
		"tiny":          {pngOf(8, 8, func(int, int) color.Color { return color.Black }), ErrTooSmall},
		"truncated png": {pngOf(64, 64, func(x, y int) color.Color { return color.RGBA{uint8(x), uint8(y), 0, 255} })[:80], ErrNotImage},
	}
	for name, c := range cases {
		if _, err := Process(c.data, 50_000); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func FuzzProcess(f *testing.F) {
	f.Add(pngOf(20, 20, func(int, int) color.Color { return color.White }))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Process(data, 1<<20)
		if err == nil && len(out) != len(Sizes) {
			t.Fatalf("success with %d outputs", len(out))
		}
		_ = jpegOrientation(data)
	})
}
