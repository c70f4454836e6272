package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrecedenceFlagsThenEnvThenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kurz.toml")
	os.WriteFile(file, []byte("listen = \":7000\"\nregion = \"us-east\"\nmax-bio = 300\nsession-ttl = \"2h\"\nmax-avatar-bytes = \"2MiB\"\n"), 0o600)
	env := map[string]string{"KURZ_CONFIG": file, "KURZ_LISTEN": ":7100", "KURZ_MAX_BIO": "400"}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	set := Register(fs)
	if err := fs.Parse([]string{"--listen", ":7200"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(set, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":7200" {
		t.Errorf("flag should win: listen %s", c.Listen)
	}
	if c.MaxBio != 400 {
		t.Errorf("env should beat file: max-bio %d", c.MaxBio)
	}
	if c.Region != "us-east" || c.SessionTTL != 2*time.Hour || c.MaxAvatarBytes != 2<<20 {
		t.Errorf("file values: %s %v %v", c.Region, c.SessionTTL, c.MaxAvatarBytes)
	}
	if c.DataDir != "./data" {
		t.Errorf("default: %s", c.DataDir)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	cases := map[string]map[string]string{
		"KURZ_MAX_BIO":                      {"KURZ_MAX_BIO": "lots"},
		"--database-url":                    {"KURZ_DATABASE_URL": "mysql://x"},
		"--region":                          {"KURZ_REGION": "Europe West"},
		"KURZ_SESSION_TTL":                  {"KURZ_SESSION_TTL": "forever"},
		"--page-size":                       {"KURZ_PAGE_SIZE": "500"},
		"KURZ_ARGON2_MEMORY":                {"KURZ_ARGON2_MEMORY": "lots"},
		"notification-retention":            {"KURZ_NOTIFICATION_RETENTION": "1h"},
		"event-retention":                   {"KURZ_EVENT_RETENTION": "48h"},
		"an hour longer than event-max-age": {"KURZ_EVENT_RETENTION": "200h", "KURZ_EVENT_MAX_AGE": "199h30m"},
	}
	for want, env := range cases {
		_, err := Load(nil, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v should name %s", env, err, want)
		}
	}
	file := filepath.Join(t.TempDir(), "k.toml")
	os.WriteFile(file, []byte("lisen = \":1\"\n"), 0o600)
	if _, err := Load(nil, func(k string) string { return map[string]string{"KURZ_CONFIG": file}[k] }); err == nil || !strings.Contains(err.Error(), `unknown setting "lisen"`) {
		t.Errorf("typo in file: %v", err)
	}
}

func TestUsageDocumentsEverySetting(t *testing.T) {
	var b strings.Builder
	Usage(&b, "serve", "Runs.", nil)
	for _, f := range Default().fields() {
		if f.help == "" {
			t.Errorf("%s has no help", f.name)
		}
		if !strings.Contains(b.String(), "--"+f.name+" ") || !strings.Contains(b.String(), f.env) {
			t.Errorf("usage lacks %s / %s", f.name, f.env)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"512MiB": 512 << 20, "10MB": 10e6, "1024": 1024, "64KiB": 64 << 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	if _, err := ParseSize("-1MiB"); err == nil {
		t.Error("negative size accepted")
	}
}
