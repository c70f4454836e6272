package app

import "net/http"

// webHandler serves the web client. Until the client lands it answers with a short page
// that points at the API, so `kurz serve` then opening the browser shows a live server.
func webHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>kurz</title><h1>kurz</h1><p>The server is running. The API is described at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></html>`))
	})
}
