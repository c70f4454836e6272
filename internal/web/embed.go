//go:build !noui

package web

import (
	"embed"
	"fmt"
	"io/fs"
)

// The client's files travel inside the binary, so `kurz serve` needs nothing installed.
//
//go:embed all:static
var clientFiles embed.FS

func embeddedClient() (fs.FS, error) {
	sub, err := fs.Sub(clientFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("web: embedded client: %w", err)
	}
	return sub, nil
}
