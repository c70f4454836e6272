package auth

import (
	"strings"
	"testing"
	"time"
)

func TestHasher(t *testing.T) {
	h := Hasher{Memory: 8 << 10, Time: 1, Threads: 1}
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("encoding %s", enc)
	}
	if ok, _ := h.Verify(enc, "correct horse battery"); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := h.Verify(enc, "correct horse batterz"); ok {
		t.Fatal("wrong password accepted")
	}
	// A hash made with other parameters still verifies: the parameters travel with it.
	other, _ := Hasher{Memory: 16 << 10, Time: 2, Threads: 2}.Hash("pw pw pw pw pw")
	if ok, _ := h.Verify(other, "pw pw pw pw pw"); !ok {
		t.Fatal("old-parameter hash refused")
	}
	again, _ := h.Hash("correct horse battery")
	if again == enc {
		t.Fatal("salt not random")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$aa$bb", "$argon2id$v=19$m=8192,t=0,p=1$c2FsdA$aGFzaA", "plain"} {
		if _, err := h.Verify(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	th := NewThrottle(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := th.Allow("ip"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := th.Allow("ip")
	if ok || wait <= 0 || wait > 20*time.Second {
		t.Fatalf("fourth attempt: %v wait %v", ok, wait)
	}
	if ok, _ := th.Allow("other"); !ok {
		t.Fatal("keys are not independent")
	}
	now = now.Add(wait)
	if ok, _ := th.Allow("ip"); !ok {
		t.Fatal("not refilled after the wait")
	}
}

func TestDeviceLabel(t *testing.T) {
	cases := map[string]string{
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":                       "Chrome on Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"curl/8.5.0": "curl",
		"":           "Unknown device",
		"<script>alert(1)</script> MARKER-ua-123": "Unknown browser",
	}
	for ua, want := range cases {
		if got := deviceLabel(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	if u, err := NormalizeUsername("  Alice.B_1 "); err != nil || u != "alice.b_1" {
		t.Fatalf("%q %v", u, err)
	}
	for _, bad := range []string{"ab", ".alice", "alice.", "al..ice", "ålice", "api", "Settings", strings.Repeat("a", 25)} {
		if _, err := NormalizeUsername(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
