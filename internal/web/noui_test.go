//go:build noui

package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kurz/internal/web"
)

// Built with -tags noui there is no client: "/" says so and points at the API, and
// client routes are 404s.
func TestNoUI(t *testing.T) {
	s, err := web.New(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != 200 || !strings.Contains(string(b), "/api/v1/openapi.json") || strings.Contains(string(b), "<script") {
		t.Errorf("GET / without a client: %d %s", rec.Code, b)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/settings", nil))
	if rec.Code != 404 {
		t.Errorf("GET /settings without a client: %d", rec.Code)
	}
}
