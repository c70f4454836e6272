// Package mp4 probes and remuxes ISO-BMFF (MP4, QuickTime, M4A, 3GP) uploads in pure Go, so the
// upload fast path can decide, without ffmpeg, whether a clip is playable as is, and make it
// stream from the first byte. All input is untrusted: declared sizes are checked before use.
package mp4

import "errors"

// Errors returned by Inspect and Faststart wrap exactly one of these, so callers can map them
// to a message for the uploader with errors.Is. ErrNotMP4 means the bytes are not an MP4 family
// file at all; the others mean a damaged or unusual MP4 that ffmpeg may still be able to read.
var (
	// ErrNotMP4: the file is not an ISO-BMFF movie (see Sniff for what it is instead).
	ErrNotMP4 = errors.New("mp4: not an MP4 or QuickTime movie")
	// ErrTruncated: the file ends before a box it declares does.
	ErrTruncated = errors.New("mp4: file is truncated")
	// ErrBoxOutOfBounds: a box runs past the box that contains it, or is smaller than its header.
	ErrBoxOutOfBounds = errors.New("mp4: box out of bounds")
	// ErrBoxTooLarge: a box that has to be held in memory is larger than its limit.
	ErrBoxTooLarge = errors.New("mp4: box too large")
	// ErrTooDeep: boxes are nested deeper than MaxBoxDepth.
	ErrTooDeep = errors.New("mp4: boxes nested too deeply")
	// ErrNoMoov: there is no movie box, so nothing says where the media samples are.
	ErrNoMoov = errors.New("mp4: no movie box (moov)")
	// ErrOffsetOutOfRange: a chunk of samples lies outside the media data (mdat) of the file.
	ErrOffsetOutOfRange = errors.New("mp4: sample data offset out of range")
	// ErrMalformed: the sample tables contradict themselves or a required box is missing.
	ErrMalformed = errors.New("mp4: malformed movie box")
	// ErrUnsupported: a valid layout this package does not handle (fragmented, encrypted,
	// external data references); the slow ffmpeg path should take it.
	ErrUnsupported = errors.New("mp4: unsupported layout")
)

// Limits on untrusted input. A real moov grows by roughly 10 bytes per sample, so 16 MiB covers
// hours of 60 fps video while keeping a hostile file from making us buffer much.
const (
	// MaxMoovSize is the largest movie box Inspect and Faststart load into memory.
	MaxMoovSize = 16 << 20
	// MaxBoxDepth is the deepest box nesting accepted inside the movie box; real files need 9.
	MaxBoxDepth = 16

	// maxFtypSize bounds the file type box, the only other box that is read whole.
	maxFtypSize = 4 << 10
	// maxTopLevelBoxes bounds the walk over the file so that a file made of millions of tiny
	// boxes cannot turn one probe into millions of reads.
	maxTopLevelBoxes = 1 << 16
	// sniffLen is how much of the file Inspect hands to Sniff.
	sniffLen = 512
)
