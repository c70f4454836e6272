// Package blob stores media files: avatars, uploads, renditions and posters. The local
// filesystem is the default; an S3-compatible store fits the same small interface, so
// callers never know which one runs.
package blob

import (
	"context"
	"errors"
	"io"
	"regexp"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("blob: not found")

// ErrBadKey is returned for keys outside the allowed alphabet. Keys are made by kurz
// (IDs and fixed names), never from client file names.
var ErrBadKey = errors.New("blob: invalid key")

// Object is an open stored file. It seeks, so http.ServeContent can answer range requests;
// an S3 implementation turns seeks into ranged GETs.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// Info describes a stored file.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store is object storage.
type Store interface {
	// Put streams r into key, replacing what was there. The object appears whole or not at
	// all: readers never see a half-written file.
	Put(ctx context.Context, key string, r io.Reader) (Info, error)
	// Open opens key for reading.
	Open(ctx context.Context, key string) (Object, error)
	// Stat describes key.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every key under prefix (a video's folder, say).
	DeletePrefix(ctx context.Context, prefix string) error
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]Info, error)
	// PresignGet returns a time-limited URL a client can fetch directly, or ok=false when the
	// store cannot make one (the filesystem store): kurz then serves the file itself.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (url string, ok bool, err error)
}

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$`)

// ValidKey reports whether key is a well-formed object key: lower-case path segments that
// never start with a dot, so no key can climb out of the store.
func ValidKey(key string) bool {
	return len(key) <= 512 && keyRE.MatchString(key)
}
