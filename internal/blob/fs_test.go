package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestFS(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	info, err := s.Put(ctx, "videos/abc/r480.mp4", bytes.NewReader(data))
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("put: %v %v", info, err)
	}
	o, err := s.Open(ctx, "videos/abc/r480.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Seek(5000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(o, buf); err != nil || string(buf) != "0123456789" {
		t.Fatalf("range read %q %v", buf, err)
	}
	o.Close()
	if _, err := s.Put(ctx, "videos/abc/poster.jpg", strings.NewReader("jpeg")); err != nil {
		t.Fatal(err)
	}
	list, _ := s.List(ctx, "videos/abc")
	if len(list) != 2 || list[0].Key != "videos/abc/poster.jpg" {
		t.Fatalf("list %+v", list)
	}
	if err := s.DeletePrefix(ctx, "videos/abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "videos/abc/r480.mp4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if entries, _ := os.ReadDir(s.Root()); len(entries) != 0 {
		t.Fatalf("empty folders left behind: %v", entries)
	}
	if err := s.Delete(ctx, "missing/key"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
}

func TestFSRefusesKeysThatEscape(t *testing.T) {
	s, _ := NewFS(t.TempDir())
	for _, k := range []string{"../x", "a/../../x", "/etc/passwd", ".hidden", "a//b", "A/B", "a/.b", ""} {
		if _, err := s.Put(context.Background(), k, strings.NewReader("x")); !errors.Is(err, ErrBadKey) {
			t.Errorf("key %q accepted: %v", k, err)
		}
	}
}

func TestFSFailedPutLeavesNothing(t *testing.T) {
	s, _ := NewFS(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "up/x", strings.NewReader("data")); err == nil {
		t.Fatal("put with cancelled context succeeded")
	}
	list, _ := s.List(context.Background(), "")
	if len(list) != 0 {
		t.Fatalf("left behind: %+v", list)
	}
	if entries, _ := os.ReadDir(s.Root() + "/up"); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}
