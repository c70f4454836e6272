package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(t *testing.T, base string) {
	for i := 0; i < 100; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not start")
}

// TestServeFinishesInFlightRequestsOnShutdown starts the real server, begins a slow upload,
// asks the server to stop (as SIGTERM does) and checks the upload still completes.
func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--data-dir", t.TempDir(), "--argon2-memory", "8MiB", "--argon2-time", "1"},
			strings.NewReader(""), io.Discard, &logs)
	}()
	waitUp(t, base)

	body, _ := json.Marshal(map[string]any{"username": "uploader", "password": "a long enough passphrase", "token": true})
	res, err := http.Post(base+"/api/v1/accounts", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("sign up: %v %v", err, res)
	}
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()

	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 64, 64)))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", base+"/api/v1/me/avatar", pr)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	req.ContentLength = int64(img.Len())
	got := make(chan int, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			got <- 0
			return
		}
		r.Body.Close()
		got <- r.StatusCode
	}()
	half := img.Len() / 2
	pw.Write(img.Bytes()[:half])
	time.Sleep(200 * time.Millisecond) // the request is now being read by the server
	stop()                             // what SIGINT/SIGTERM do
	time.Sleep(200 * time.Millisecond)
	pw.Write(img.Bytes()[half:])
	pw.Close()
	if code := <-got; code != 200 {
		t.Fatalf("in-flight upload answered %d", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no orderly stop in logs:\n%s", logs.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"version"}, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "kurz ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate", "--data-dir", dir}, nil, &out, &errOut); err != nil || !strings.Contains(out.String(), "schema version") {
		t.Fatalf("migrate: %v %q", err, out.String())
	}
	out.Reset()
	err := run(ctx, []string{"user", "create", "--data-dir", dir, "--username", "Boss", "--password-stdin", "--argon2-memory", "8MiB"},
		strings.NewReader("a long enough passphrase\n"), &out, &errOut)
	if err != nil || !strings.Contains(out.String(), "created admin boss") {
		t.Fatalf("user create: %v %q", err, out.String())
	}
	out.Reset()
	err = run(ctx, []string{"user", "create", "--data-dir", dir, "--username", "boss"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("duplicate user create: %v", err)
	}
	errOut.Reset()
	if err := run(ctx, []string{"serve", "--help"}, nil, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "KURZ_DATABASE_URL") {
		t.Fatalf("serve --help: %v\n%s", err, errOut.String())
	}
	if err := run(ctx, []string{"serve", "--lisen", ":1"}, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("unknown flag: %v", err)
	}
	if err := run(ctx, []string{"frobnicate"}, nil, &out, &errOut); err == nil {
		t.Fatal("unknown command accepted")
	}
}
