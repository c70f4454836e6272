package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FS stores objects as files under a root directory.
type FS struct{ root string }

// NewFS returns a filesystem store rooted at dir, creating it if needed.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create media dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &FS{root: abs}, nil
}

// Root is the directory objects live in.
func (s *FS) Root() string { return s.root }

func (s *FS) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Put writes to a temporary file in the same directory and renames it into place, so a
// crash mid-write leaves no partial object under the key.
func (s *FS) Put(ctx context.Context, key string, r io.Reader) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return Info{}, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return Info{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, err
	}
	if err := tmp.Close(); err != nil {
		return Info{}, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return Info{}, err
	}
	done = true
	st, err := os.Stat(p)
	if err != nil {
		return Info{}, err
	}
	return Info{Key: key, Size: n, ModTime: st.ModTime()}, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type fsObject struct {
	*os.File
	info os.FileInfo
}

func (o fsObject) Size() int64        { return o.info.Size() }
func (o fsObject) ModTime() time.Time { return o.info.ModTime() }

// Open opens key.
func (s *FS) Open(_ context.Context, key string) (Object, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return fsObject{File: f, info: st}, nil
}

// Stat describes key.
func (s *FS) Stat(_ context.Context, key string) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, err
	}
	return Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes key and any directories it leaves empty.
func (s *FS) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.pruneEmpty(filepath.Dir(p))
	return nil
}

// DeletePrefix removes a folder of objects.
func (s *FS) DeletePrefix(_ context.Context, prefix string) error {
	prefix = strings.TrimSuffix(prefix, "/")
	p, err := s.path(prefix)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(p); err != nil {
		return err
	}
	s.pruneEmpty(filepath.Dir(p))
	return nil
}

func (s *FS) pruneEmpty(dir string) {
	for dir != s.root && strings.HasPrefix(dir, s.root) {
		if os.Remove(dir) != nil { // fails when not empty: stop there
			return
		}
		dir = filepath.Dir(dir)
	}
}

// List returns keys under prefix, sorted.
func (s *FS) List(_ context.Context, prefix string) ([]Info, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	start := s.root
	if prefix != "" {
		p, err := s.path(prefix)
		if err != nil {
			return nil, err
		}
		start = p
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".put-") {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, p)
		out = append(out, Info{Key: filepath.ToSlash(rel), Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, err
}

// PresignGet is not possible for local files: kurz serves them and signs its own URLs.
func (s *FS) PresignGet(context.Context, string, time.Duration) (string, bool, error) {
	return "", false, nil
}
