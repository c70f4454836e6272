package feed

import (
	"hash/fnv"
	"testing"
)

// Cursors hold these hashes, so hashID must keep giving what hash/fnv's FNV-1a gave.
func TestHashIDIsFNV1a(t *testing.T) {
	for _, id := range []string{"", "a", "01JDXV8Q7M3K2ZC4R5T6Y7U8I9", "vidéo-ünïcode"} {
		h := fnv.New64a()
		h.Write([]byte(id))
		if got, want := hashID(id), h.Sum64(); got != want {
			t.Errorf("hashID(%q) = %x, want %x", id, got, want)
		}
	}
}
