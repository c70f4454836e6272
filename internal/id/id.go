// Package id makes the opaque identifiers kurz exposes: ULIDs, which sort by creation time
// and carry 80 random bits, so they can be used in URLs without being guessable.
package id

import (
	"crypto/rand"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Generator makes IDs. It is safe for concurrent use. IDs made within one millisecond are
// monotonic (sortable) but still unguessable: the monotonic increment is itself random.
type Generator struct {
	mu      sync.Mutex
	entropy io.Reader
}

// NewGenerator returns a generator seeded from crypto/rand.
func NewGenerator() *Generator {
	return &Generator{entropy: ulid.Monotonic(rand.Reader, 1<<32)}
}

// New returns a new lower-case ULID string, 26 characters.
func (g *Generator) New() string {
	return g.At(time.Now())
}

// At returns an ID for a given time; used by imports and tests that need ordering.
func (g *Generator) At(t time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.ToLower(ulid.MustNew(ulid.Timestamp(t), g.entropy).String())
}

// Valid reports whether s looks like an ID kurz made. Handlers check this before a lookup
// so a malformed ID is a clear 404 rather than a database round trip.
func Valid(s string) bool {
	if len(s) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(strings.ToUpper(s))
	return err == nil
}

// Floor returns the smallest ID of time t: every ID made at t or later sorts after it, so a
// range scan by ID finds the rows made since t.
func Floor(t time.Time) string {
	var u ulid.ULID
	if err := u.SetTime(ulid.Timestamp(t)); err != nil {
		return strings.Repeat("0", ulid.EncodedSize) // before 1970: everything is later
	}
	return strings.ToLower(u.String())
}
