package ffmpeg

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"time"
)

// nativeEngine runs the system ffmpeg and ffprobe.
type nativeEngine struct {
	paths map[Program]string
}

func (e *nativeEngine) run(ctx context.Context, prog Program, args []string, _ []Mount, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, e.paths[prog], args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A killed ffmpeg can leave children holding the pipes; do not wait on them forever.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

func (e *nativeEngine) close(context.Context) error { return nil }
