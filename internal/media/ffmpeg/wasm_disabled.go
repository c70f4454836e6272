//go:build nowasm

package ffmpeg

import (
	"context"
	"errors"
)

// Built with -tags nowasm, the binary leaves out the 20 MB embedded build (which go-ffmpreg
// also decompresses into memory at start) and needs ffmpeg and ffprobe on PATH.
func newWasmEngine(context.Context, string) (engine, error) {
	return nil, errors.New("built with -tags nowasm: install ffmpeg and ffprobe on PATH")
}
