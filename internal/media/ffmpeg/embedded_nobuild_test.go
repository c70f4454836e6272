//go:build nowasm

package ffmpeg

// embeddedBuild says whether this test binary has the WebAssembly engine.
const embeddedBuild = false
