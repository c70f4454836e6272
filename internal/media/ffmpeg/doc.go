// Package ffmpeg runs ffmpeg and ffprobe for kurz's media pipeline: a pooled runner over the
// system binaries or the embedded WebAssembly build, a probe that says whether an upload is a
// video we can decode, and pure argument builders for the rendition ladder and posters.
package ffmpeg
