package mp4

import (
	"strings"
	"testing"
)

func TestSniffRecognisesCommonUploads(t *testing.T) {
	ftyp := func(brand string) []byte { return mkbox("ftyp", []byte(brand), u32(0), []byte(brand)) }
	cases := []struct {
		name string
		head []byte
		want Kind
	}{
		{"empty", nil, KindEmpty},
		{"mp4 isom", ftyp("isom"), KindMP4},
		{"mp4 mp42", ftyp("mp42"), KindMP4},
		{"quicktime", ftyp("qt  "), KindMOV},
		{"64-bit ftyp cut before its brand", append(append(u32(1), "ftypM4A "...), zeros(8)...)[:12], KindUnknown},
		{"m4a with a 64-bit size", append(append(append(u32(1), "ftyp"...), u64(24)...), "M4A "...), KindM4A},
		{"quicktime without ftyp", mkbox("wide"), KindMOV},
		{"moov first, no ftyp", mkbox("moov", zeros(8)), KindMOV},
		{"m4a", ftyp("M4A "), KindM4A},
		{"3gp", ftyp("3gp4"), Kind3GP},
		{"3g2", ftyp("3g2a"), Kind3GP},
		{"heic photo", ftyp("heic"), KindHEIF},
		{"avif image", ftyp("avif"), KindHEIF},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 0x10, 'E', 'x', 'i', 'f'}, KindJPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), KindPNG},
		{"gif", []byte("GIF89a\x01\x00"), KindGIF},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), KindWebP},
		{"avi", []byte("RIFF\x10\x00\x00\x00AVI LIST"), KindAVI},
		{"wav", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), KindWAV},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3"), KindPDF},
		{"zip", []byte("PK\x03\x04\x14\x00"), KindZIP},
		{"webm", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86}, KindMatroska},
		{"ogg", []byte("OggS\x00\x02"), KindOgg},
		{"mp3 with id3", []byte("ID3\x04\x00"), KindMP3},
		{"mp3 frame", []byte{0xFF, 0xFB, 0x90, 0x64}, KindMP3},
		{"ascii text", []byte("hello, this is not a video\n"), KindText},
		{"utf-8 text cut mid-character", []byte("grüße aus k\xc3"), KindText},
		{"binary junk", []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, KindUnknown},
		{"invalid utf-8", []byte("abc\xff\xfedef"), KindUnknown},
		{"adts aac", []byte{0xFF, 0xF1, 0x50, 0x80}, KindUnknown},
	}
	for _, c := range cases {
		if got := Sniff(c.head); got != c.want {
			t.Errorf("%s: Sniff = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSniffClips(t *testing.T) {
	cases := map[string]Kind{
		"portrait-h264-aac.mp4": KindMP4,
		"moov-at-end.mp4":       KindMP4,
		"rotated90-hevc.mov":    KindMOV,
		"audio-only.m4a":        KindM4A,
		"truncated.mp4":         KindMP4, // the start is a fine MP4; Inspect finds the cut
		"jpeg-renamed.mp4":      KindJPEG,
		"text.mp4":              KindText,
		"empty.mp4":             KindEmpty,
	}
	for name, want := range cases {
		head := readClip(t, name)
		head = head[:min(len(head), 64)]
		if got := Sniff(head); got != want {
			t.Errorf("%s: Sniff = %v, want %v", name, got, want)
		}
	}
}

func TestKindDescribesForPeople(t *testing.T) {
	if got := KindJPEG.Describe(); got != "a JPEG image" {
		t.Errorf("KindJPEG.Describe() = %q", got)
	}
	if got := KindEmpty.Describe(); got != "an empty file" {
		t.Errorf("KindEmpty.Describe() = %q", got)
	}
	for k := KindUnknown; k <= KindOgg; k++ {
		if d := k.Describe(); !strings.HasPrefix(d, "a ") && !strings.HasPrefix(d, "an ") {
			t.Errorf("kind %d describes as %q, want an article", k, d)
		}
	}
	for _, k := range []Kind{KindMP4, KindMOV, KindM4A, Kind3GP} {
		if !k.IsMovie() {
			t.Errorf("%v.IsMovie() = false", k)
		}
	}
	for _, k := range []Kind{KindHEIF, KindJPEG, KindMatroska, KindText, KindEmpty} {
		if k.IsMovie() {
			t.Errorf("%v.IsMovie() = true", k)
		}
	}
}
