// Command run is the offline evaluation as a standalone program, the same function the kurz
// binary exposes as `kurz recsys offline`: go run ./internal/recsys/offline/run --help.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"kurz/internal/recsys/offline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := offline.RunOffline(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
