package mp4

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// Kind is what a file is, judged from its first bytes.
type Kind int

// Kinds recognised by Sniff. The MP4 family (KindMP4, KindMOV, KindM4A, Kind3GP) is what Inspect
// and Faststart read; the rest exist so an upload can be refused with a reason a person
// understands ("this file is a JPEG image, not a video").
const (
	KindUnknown Kind = iota
	KindEmpty
	KindMP4
	KindMOV
	KindM4A
	Kind3GP
	KindHEIF
	KindJPEG
	KindPNG
	KindGIF
	KindWebP
	KindPDF
	KindZIP
	KindText
	KindMatroska
	KindAVI
	KindWAV
	KindMP3
	KindOgg
)

// IsMovie reports whether k is an ISO-BMFF movie that Inspect and Faststart can read. M4A counts:
// it is a movie without a video track.
func (k Kind) IsMovie() bool {
	switch k {
	case KindMP4, KindMOV, KindM4A, Kind3GP:
		return true
	}
	return false
}

// String names the kind, e.g. "JPEG image".
func (k Kind) String() string {
	_, name := k.words()
	return name
}

// Describe names the kind with an article, to finish a sentence like "this file is …".
func (k Kind) Describe() string {
	article, name := k.words()
	return article + " " + name
}

func (k Kind) words() (article, name string) {
	switch k {
	case KindEmpty:
		return "an", "empty file"
	case KindMP4:
		return "an", "MP4 video"
	case KindMOV:
		return "a", "QuickTime movie"
	case KindM4A:
		return "an", "M4A audio file"
	case Kind3GP:
		return "a", "3GP video"
	case KindHEIF:
		return "a", "HEIF/HEIC image"
	case KindJPEG:
		return "a", "JPEG image"
	case KindPNG:
		return "a", "PNG image"
	case KindGIF:
		return "a", "GIF image"
	case KindWebP:
		return "a", "WebP image"
	case KindPDF:
		return "a", "PDF document"
	case KindZIP:
		return "a", "ZIP archive"
	case KindText:
		return "a", "text file"
	case KindMatroska:
		return "a", "Matroska/WebM video"
	case KindAVI:
		return "an", "AVI video"
	case KindWAV:
		return "a", "WAV audio file"
	case KindMP3:
		return "an", "MP3 audio file"
	case KindOgg:
		return "an", "Ogg media file"
	}
	return "an", "unrecognised kind of file"
}

// Sniff decides what a file is from its first bytes only. 64 bytes are enough for every kind;
// more lets the text check see further.
func Sniff(head []byte) Kind {
	if len(head) == 0 {
		return KindEmpty
	}
	if k, ok := sniffISOBMFF(head); ok {
		return k
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return KindGIF
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return KindPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return KindZIP
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return KindMatroska
	case bytes.HasPrefix(head, []byte("OggS")):
		return KindOgg
	case bytes.HasPrefix(head, []byte("ID3")):
		return KindMP3
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")):
		switch string(head[8:12]) {
		case "WEBP":
			return KindWebP
		case "AVI ":
			return KindAVI
		case "WAVE":
			return KindWAV
		}
	case len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0 && head[1]&0x06 != 0:
		// MPEG audio frame sync with a layer set; ADTS AAC (layer 0) stays unknown.
		return KindMP3
	}
	if isText(head) {
		return KindText
	}
	return KindUnknown
}

// sniffISOBMFF recognises the MP4 family by its file type box, or, for old QuickTime files that
// have none, by a first box that only a movie starts with.
func sniffISOBMFF(head []byte) (Kind, bool) {
	if len(head) < 8 {
		return 0, false
	}
	size := binary.BigEndian.Uint32(head)
	switch string(head[4:8]) {
	case "ftyp":
		brandAt := 8
		if size == 1 {
			brandAt = 16 // after a 64-bit size
		} else if size != 0 && size < 16 {
			return 0, false
		}
		if len(head) < brandAt+4 {
			return 0, false
		}
		return brandKind(string(head[brandAt : brandAt+4])), true
	case "moov", "mdat", "wide", "free", "skip", "pnot":
		if size == 0 || size == 1 || size >= 8 {
			return KindMOV, true
		}
	}
	return 0, false
}

// brandKind maps an ftyp major brand to a kind. Unknown brands are treated as MP4, since a file
// type box is ISO-BMFF whatever the brand says.
func brandKind(major string) Kind {
	switch major {
	case "qt  ":
		return KindMOV
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ":
		return KindM4A
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "mif2", "msf1", "avif", "avis", "avio":
		return KindHEIF
	}
	if major[:2] == "3g" {
		return Kind3GP
	}
	return KindMP4
}

// isText accepts UTF-8 without control characters other than common whitespace. head may end
// in the middle of a character because it is only the start of the file.
func isText(head []byte) bool {
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:])
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7F {
			return false
		}
		i += n
	}
	return true
}
