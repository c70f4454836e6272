package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRecsysSubcommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"recsys", "simulate", "--help"}, nil, &out, &errOut); err != nil {
		t.Fatalf("recsys simulate --help: %v", err)
	}
	for _, flag := range []string{"-users", "-videos", "-swipes", "-seed", "-out"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("recsys simulate --help does not list %s:\n%s", flag, out.String())
		}
	}
	err := run(context.Background(), []string{"recsys", "simulate", "--users", "1"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--users") {
		t.Errorf("recsys simulate --users 1: %v, want an error about --users", err)
	}
	err = run(context.Background(), []string{"recsys", "replay"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "simulate") || !strings.Contains(err.Error(), "offline") {
		t.Errorf("unknown recsys command: %v, want one naming offline and simulate", err)
	}
}
