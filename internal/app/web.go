package app

import (
	"net/http"

	"kurz/internal/web"
)

// webHandler serves the embedded web client. Its files are compiled in, so New can only
// fail on a damaged build; the API still answers then and the pages say what broke.
func webHandler() http.Handler {
	site, err := web.New(web.Options{})
	if err != nil {
		return web.Broken(err)
	}
	return site
}
