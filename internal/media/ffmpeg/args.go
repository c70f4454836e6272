package ffmpeg

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// maxFrameRate caps renditions: phones record 120 and 240 fps slow motion, which browsers
// play no better than 60 and which would double the bitrate needed.
const maxFrameRate = 60

// keyframeSeconds spaces keyframes so a player can start or seek within two seconds.
const keyframeSeconds = 2

// quiet are the leading arguments of every ffmpeg run: no banner, no stdin, no progress
// lines, only errors on stderr (they become error messages), and overwrite the output.
func quiet() []string {
	return []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"}
}

// RenditionArgs are the ffmpeg arguments that transcode in to the rendition r at out: H.264
// High and AAC in an MP4 with its index at the front, upright, at most 60 fps, stripped of
// every tag the phone wrote (GPS position, device model, creation time). fps is the source's
// frame rate, or 0 when unknown. A source without audio gives an output without audio.
func RenditionArgs(in, out string, r Rendition, fps float64) []string {
	filters := ""
	outFPS := fps
	if fps > maxFrameRate {
		filters = fmt.Sprintf("fps=%d,", maxFrameRate)
		outFPS = maxFrameRate
	}
	// ffmpeg rotates the picture upright itself (autorotate) before these filters run, and
	// writes no rotation into the output. setsar=1 keeps pixels square after rounding.
	filters += fmt.Sprintf("scale=%d:%d,setsar=1", r.Width, r.Height)

	preset := r.Preset
	if preset == "" {
		preset = DefaultPreset
	}

	args := append(quiet(),
		"-i", in,
		// The first video stream and, when there is one, the first audio stream ("?").
		"-map", "0:v:0", "-map", "0:a:0?",
		"-vf", filters,
		"-c:v", "libx264", "-profile:v", "high", "-preset", preset, "-pix_fmt", "yuv420p",
		"-b:v", strconv.Itoa(r.VideoBitrate),
		"-maxrate", strconv.Itoa(r.MaxRate),
		"-bufsize", strconv.Itoa(r.BufSize),
	)
	if outFPS > 0 {
		// -g bounds the GOP for constant frame rates; -force_key_frames holds for variable ones.
		args = append(args, "-g", strconv.Itoa(int(math.Round(outFPS*keyframeSeconds))))
	}
	audio := r.AudioBitrate
	if audio <= 0 {
		audio = audioBitrate
	}
	args = append(args,
		"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", keyframeSeconds),
		"-c:a", "aac", "-b:a", strconv.Itoa(audio), "-ac", "2",
		"-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
		// bitexact leaves out the encoder tags and the creation time.
		"-fflags", "+bitexact",
		"-movflags", "+faststart",
		// Phones often start audio well before video; give the muxer room to interleave.
		"-max_muxing_queue_size", "1024",
		"-f", "mp4",
		out,
	)
	return args
}

// PosterArgs are the ffmpeg arguments that write one upright JPEG frame of in, taken at
// atSeconds, to out, with neither edge longer than maxEdge (and never upscaled) and without
// metadata.
func PosterArgs(in, out string, atSeconds float64, maxEdge int) []string {
	at := strconv.FormatFloat(max(atSeconds, 0), 'f', 3, 64)
	// Fit within maxEdge x maxEdge, or the source's own size when that is smaller.
	scale := fmt.Sprintf("scale='min(iw,%d)':'min(ih,%d)':force_original_aspect_ratio=decrease,setsar=1",
		maxEdge, maxEdge)
	return append(quiet(),
		// Before -i, -ss seeks the input: ffmpeg decodes from the keyframe before atSeconds
		// instead of from the start.
		"-ss", at,
		"-i", in,
		"-map", "0:v:0",
		"-frames:v", "1",
		"-vf", scale,
		"-c:v", "mjpeg", "-q:v", "3",
		"-map_metadata", "-1",
		"-fflags", "+bitexact",
		"-f", "image2", "-update", "1",
		out,
	)
}

// PosterTime picks the moment a poster shows: a fifth into the clip, where the opening
// fade or black frame is over, but no later than five seconds so long clips show their start.
func PosterTime(duration time.Duration) float64 {
	return min(duration.Seconds()*0.2, 5)
}
