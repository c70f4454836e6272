package mp4

import (
	"io"
	"math"
	"time"
)

// Info is what the upload fast path needs to know about a movie, read from its moov alone.
type Info struct {
	Kind      Kind
	Brand     string        // ftyp major brand, e.g. "isom" or "qt  "; empty without ftyp
	Duration  time.Duration // movie duration, or the longest track's if the movie header has none
	Timescale uint32        // movie timescale, units per second
	Tracks    []Track
	Bitrate   int64 // bits per second over all tracks' samples

	MoovFirst   bool // the movie box precedes the media data, so playback can start at once
	Fragmented  bool // samples live in movie fragments (moof); Faststart refuses these
	HasMetadata bool // udta, meta or uuid boxes are present (device, software, place, dates)
	HasLocation bool // one of them looks like it holds a GPS position
}

// TrackKind says what a track carries, from its handler.
type TrackKind int

// Track kinds; everything that is not picture or sound (timed metadata, text, hints) is Other.
const (
	TrackOther TrackKind = iota
	TrackVideo
	TrackAudio
)

// Track describes one trak.
type Track struct {
	ID      uint32
	Kind    TrackKind
	Handler string // hdlr handler type: "vide", "soun", "meta", "text", …
	Codec   string // sample entry fourcc: "avc1", "avc3", "hvc1", "hev1", "mp4a", …
	// Profile and Level come from avcC (profile_idc, level_idc: 100 and 31 mean High@3.1) or
	// hvcC (general_profile_idc, general_level_idc: 93 means 3.1); zero when absent.
	Profile, Level int

	Width, Height               int  // coded picture size from the sample entry
	DisplayWidth, DisplayHeight int  // track header size, before rotation
	Rotation                    int  // clockwise degrees a player turns the picture: 0, 90, 180, 270
	Mirrored                    bool // the display matrix flips the picture

	Channels, SampleRate int // audio only

	Timescale   uint32 // media timescale, units per second
	Duration    time.Duration
	SampleCount int64
	FrameRate   float64 // average samples per second; frames per second for video
	Bitrate     int64   // bits per second
}

// Inspect probes the movie in r (size bytes long) from its moov alone, without decoding media.
// It checks the structure Faststart relies on, so a nil error also means every chunk of every
// track lies inside the file's media data. Non-movie input fails with ErrNotMP4 and names what
// the file is instead.
func Inspect(r io.ReaderAt, size int64) (*Info, error) {
	m, err := readMovie(r, size)
	if err != nil {
		return nil, err
	}
	return m.info(), nil
}

func (m *movie) info() *Info {
	info := &Info{
		Kind:        m.kind,
		Brand:       m.brand,
		Timescale:   m.timescale,
		Duration:    toDuration(m.duration, m.timescale),
		MoovFirst:   m.moovFirst,
		Fragmented:  m.fragmented,
		HasMetadata: m.metadata,
		HasLocation: m.location,
	}
	var total uint64
	for _, t := range m.tracks {
		ti := t.info
		ti.Duration = toDuration(t.duration, ti.Timescale)
		ti.SampleCount = int64(t.samples.count)
		if secs := ti.Duration.Seconds(); secs > 0 {
			ti.FrameRate = float64(ti.SampleCount) / secs
			ti.Bitrate = bitsPerSecond(t.bytes, secs)
		}
		if m.duration == 0 {
			info.Duration = max(info.Duration, ti.Duration)
		}
		total = satAdd(total, t.bytes)
		info.Tracks = append(info.Tracks, ti)
	}
	if secs := info.Duration.Seconds(); secs > 0 {
		info.Bitrate = bitsPerSecond(total, secs)
	}
	return info
}

// bitsPerSecond saturates well below the int64 limit, where float conversion stops being exact.
func bitsPerSecond(bytes uint64, secs float64) int64 {
	return int64(min(float64(bytes)*8/secs, 1<<62))
}

// toDuration converts units of a timescale to a Duration, saturating instead of overflowing.
func toDuration(units uint64, timescale uint32) time.Duration {
	if timescale == 0 {
		return 0
	}
	secs := units / uint64(timescale)
	if secs >= uint64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64)
	}
	frac := units % uint64(timescale) * uint64(time.Second) / uint64(timescale)
	return time.Duration(secs)*time.Second + time.Duration(frac)
}

// Video returns the first video track, or nil if there is none.
func (i *Info) Video() *Track { return i.first(TrackVideo) }

// Audio returns the first audio track, or nil if there is none.
func (i *Info) Audio() *Track { return i.first(TrackAudio) }

func (i *Info) first(k TrackKind) *Track {
	for n := range i.Tracks {
		if i.Tracks[n].Kind == k {
			return &i.Tracks[n]
		}
	}
	return nil
}

func (k TrackKind) String() string {
	switch k {
	case TrackVideo:
		return "video"
	case TrackAudio:
		return "audio"
	}
	return "other"
}
