package ffmpeg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProbeResult is what kurz needs to know about an upload before deciding how to process it.
type ProbeResult struct {
	Format   string        // container as ffprobe names it, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Duration time.Duration // of the container, or of the longest stream when it has none
	Bitrate  int64         // bits per second over the whole file; 0 when unknown

	HasVideo     bool
	VideoCodec   string  // e.g. "h264", "hevc"
	VideoProfile string  // e.g. "High", "Main"; the same on both engines
	PixelFormat  string  // e.g. "yuv420p", "yuv420p10le"
	Width        int     // as coded, before rotation
	Height       int     // as coded, before rotation
	Rotation     int     // clockwise degrees a player turns the picture: 0, 90, 180 or 270
	FrameRate    float64 // average frames per second; 0 when unknown

	HasAudio      bool
	AudioCodec    string // e.g. "aac"
	AudioProfile  string // e.g. "LC"
	AudioChannels int
}

// DisplaySize is the picture's size as a viewer sees it, after rotation.
func (p *ProbeResult) DisplaySize() (width, height int) {
	if p.Rotation%180 != 0 {
		return p.Height, p.Width
	}
	return p.Width, p.Height
}

// ErrUndecodable is matched by errors.Is for every *UndecodableError.
var ErrUndecodable = errors.New("undecodable media")

// UndecodableError says a file is not media kurz can decode: empty, truncated, not a media
// container at all, or a still image. Reason is short, free of server paths, and fit to show
// to the person who uploaded it.
type UndecodableError struct {
	Reason string
}

func (e *UndecodableError) Error() string { return "undecodable media: " + e.Reason }

// Is makes errors.Is(err, ErrUndecodable) true.
func (e *UndecodableError) Is(target error) bool { return target == ErrUndecodable }

// Probe describes the media file at path (absolute). A file that is not decodable media is an
// *UndecodableError; a file with audio and no video is not an error, and has HasVideo false.
func (r *Runner) Probe(ctx context.Context, path string) (*ProbeResult, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	if info.Size() == 0 {
		return nil, &UndecodableError{Reason: "the file is empty"}
	}
	out, err := r.Run(ctx, FFprobe, ProbeArgs(path), ReadOnly(filepath.Dir(path)))
	var exit *ExitError
	if errors.As(err, &exit) {
		return nil, &UndecodableError{Reason: undecodableReason(exit.Stderr, path)}
	}
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", filepath.Base(path), err)
	}
	return parseProbe(out.Stdout, string(out.Stderr))
}

// ProbeArgs are the ffprobe arguments Probe uses. -count_packets makes ffprobe demux the
// whole file (without decoding), which is how a truncated file shows itself: its index
// promises more packets than the file holds.
func ProbeArgs(path string) []string {
	return []string{
		"-hide_banner", "-loglevel", "error",
		"-print_format", "json",
		"-show_format", "-show_streams",
		"-count_packets",
		path,
	}
}

// undecodableReason drops the server path ffprobe puts in front of its messages.
func undecodableReason(stderr, path string) string {
	msg := strings.ReplaceAll(stderr, path+": ", "")
	msg = strings.ReplaceAll(msg, path, filepath.Base(path))
	if msg == "" {
		return "ffprobe could not read the file"
	}
	return msg
}

// probeJSON is the part of ffprobe's JSON that Probe reads. ffprobe prints most numbers as
// strings, and leaves out what it does not know.
type probeJSON struct {
	Streams []struct {
		CodecType     string `json:"codec_type"`
		CodecName     string `json:"codec_name"`
		Profile       string `json:"profile"`
		PixFmt        string `json:"pix_fmt"`
		Width         int    `json:"width"`
		Height        int    `json:"height"`
		Channels      int    `json:"channels"`
		AvgFrameRate  string `json:"avg_frame_rate"`
		RealFrameRate string `json:"r_frame_rate"`
		Duration      string `json:"duration"`
		NbFrames      string `json:"nb_frames"`
		NbReadPackets string `json:"nb_read_packets"`
		Disposition   struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
		Tags struct {
			Rotate string `json:"rotate"`
		} `json:"tags"`
		SideDataList []sideData `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		BitRate    string `json:"bit_rate"`
	} `json:"format"`
}

type sideData struct {
	SideDataType string          `json:"side_data_type"`
	Rotation     json.RawMessage `json:"rotation"` // a number; some builds print a string
}

// parseProbe turns ffprobe's JSON into a ProbeResult, or an *UndecodableError when the file
// parses but is not something kurz can treat as a clip. stderr holds ffprobe's error-level
// messages from demuxing the whole file.
func parseProbe(stdout []byte, stderr string) (*ProbeResult, error) {
	var pj probeJSON
	if err := json.Unmarshal(stdout, &pj); err != nil {
		return nil, fmt.Errorf("probe: decode ffprobe output: %w", err)
	}
	format := pj.Format.FormatName
	if format == "image2" || strings.HasSuffix(format, "_pipe") {
		return nil, &UndecodableError{Reason: "the file is a still image, not a video"}
	}
	if strings.Contains(stderr, "partial file") {
		return nil, &UndecodableError{Reason: "the file is incomplete (cut off before its end)"}
	}

	res := &ProbeResult{
		Format:  format,
		Bitrate: int64(parseFloat(pj.Format.BitRate)),
	}
	seconds := parseFloat(pj.Format.Duration)
	for _, s := range pj.Streams {
		switch s.CodecType {
		case "video":
			// Cover art in an audio file is a one-frame "video" stream; it is not a clip.
			if res.HasVideo || s.Disposition.AttachedPic == 1 {
				continue
			}
			res.HasVideo = true
			res.VideoCodec = s.CodecName
			res.VideoProfile = profileName(s.CodecName, s.Profile)
			res.PixelFormat = s.PixFmt
			res.Width, res.Height = s.Width, s.Height
			res.Rotation = streamRotation(s.Tags.Rotate, s.SideDataList)
			res.FrameRate = parseRate(s.AvgFrameRate)
			if res.FrameRate == 0 {
				res.FrameRate = parseRate(s.RealFrameRate)
			}
			if want, got := parseInt(s.NbFrames), parseInt(s.NbReadPackets); want > 0 && got < want {
				return nil, &UndecodableError{Reason: fmt.Sprintf(
					"the file is incomplete: it holds %d of its %d video frames", got, want)}
			}
		case "audio":
			if res.HasAudio {
				continue
			}
			res.HasAudio = true
			res.AudioCodec = s.CodecName
			res.AudioProfile = profileName(s.CodecName, s.Profile)
			res.AudioChannels = s.Channels
		default:
			continue
		}
		if pj.Format.Duration == "" {
			seconds = max(seconds, parseFloat(s.Duration))
		}
	}
	if !res.HasVideo && !res.HasAudio {
		return nil, &UndecodableError{Reason: "the file has no audio or video"}
	}
	// Without a decoder for the codec, ffprobe names the stream but cannot size its picture.
	if res.HasVideo && (res.Width <= 0 || res.Height <= 0) {
		return nil, &UndecodableError{Reason: fmt.Sprintf("the video codec %q is not supported", res.VideoCodec)}
	}
	res.Duration = time.Duration(seconds * float64(time.Second))
	return res, nil
}

// streamRotation reads the display matrix (ffprobe's "rotation" is counter-clockwise) or,
// from ffmpeg before 5.0, the legacy "rotate" tag (clockwise), as clockwise degrees 0-270.
func streamRotation(rotateTag string, sides []sideData) int {
	for _, sd := range sides {
		if sd.SideDataType == "Display Matrix" && len(sd.Rotation) > 0 {
			return normalizeRotation(-parseFloat(strings.Trim(string(sd.Rotation), `"`)))
		}
	}
	if rotateTag != "" {
		return normalizeRotation(parseFloat(rotateTag))
	}
	return 0
}

// normalizeRotation rounds to a quarter turn in [0, 360).
func normalizeRotation(deg float64) int {
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	return q * 90
}

// profileName spells out the numeric profiles that builds configured with --enable-small,
// like the embedded one, print, so a ProbeResult reads the same on both engines.
func profileName(codec, profile string) string {
	var name string
	switch codec {
	case "h264":
		name = map[string]string{"66": "Baseline", "578": "Constrained Baseline", "77": "Main",
			"88": "Extended", "100": "High", "110": "High 10", "122": "High 4:2:2",
			"244": "High 4:4:4 Predictive"}[profile]
	case "hevc":
		name = map[string]string{"1": "Main", "2": "Main 10", "3": "Main Still Picture", "4": "Rext"}[profile]
	case "aac":
		name = map[string]string{"0": "Main", "1": "LC", "2": "SSR", "3": "LTP", "4": "HE-AAC",
			"28": "HE-AACv2"}[profile]
	}
	if name == "" {
		return profile
	}
	return name
}

func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func parseInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// parseRate reads ffprobe's "30000/1001" rationals; "0/0" means unknown.
func parseRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return parseFloat(s)
	}
	n, d := parseFloat(num), parseFloat(den)
	if d == 0 {
		return 0
	}
	return n / d
}
