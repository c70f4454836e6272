//go:build noui

package web

import "io/fs"

// Built with -tags noui the binary carries no web client: an API-only server for
// deployments whose users arrive through other apps (PocketBase's ui/embed_no_ui.go).
func embeddedClient() (fs.FS, error) { return nil, nil }
