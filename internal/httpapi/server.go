// Package httpapi is the HTTP edge of kurz: it decodes requests, authenticates them, calls
// a service, encodes the answer and maps domain errors to status codes. It holds no
// business rules; services never import it.
package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kurz/internal/analytics"
	"kurz/internal/auth"
	"kurz/internal/blob"
	"kurz/internal/config"
	"kurz/internal/feed"
	"kurz/internal/privacy"
	"kurz/internal/search"
	"kurz/internal/social"
	"kurz/internal/video"
)

// Deps are what the edge needs, handed over by main.
type Deps struct {
	Config   *config.Config
	Auth     *auth.Service
	Videos   *video.Service
	Privacy  *privacy.Service
	Social   *social.Service
	Search   *search.Service
	Feed     *feed.Service
	Blobs    blob.Store
	Ready    func(ctx context.Context) error // the database answers
	Registry *prometheus.Registry
	Log      *slog.Logger
	Version  string
	// Web serves everything outside /api, /media and the operational endpoints: the web
	// client. Nil serves a 404 there.
	Web http.Handler

	// Analytics reads creator analytics.
	Analytics *analytics.Service
}

// Server routes requests.
type Server struct {
	d       Deps
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics
	cop     *http.CrossOriginProtection
}

// Route is one registered API operation; the OpenAPI test compares them with the document.
type Route struct {
	Method, Pattern string
}

// New builds the router.
func New(d Deps) *Server {
	s := &Server{d: d, mux: http.NewServeMux(), metrics: newMetrics(d.Registry), cop: http.NewCrossOriginProtection()}
	if u := d.Config.BaseURL; u != "" {
		_ = s.cop.AddTrustedOrigin(strings.TrimRight(u, "/"))
	}
	// Our own JSON error for a cross-origin browser request.
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.d.Log, errCrossOrigin)
	}))
	s.routesAPI()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry}))
	s.mux.HandleFunc("GET /media/avatars/{path...}", s.serveAvatar)
	s.routesShare()
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.d.Log, errNoRoute)
	})
	if d.Web != nil {
		s.mux.Handle("/", d.Web)
	}
	return s
}

// Handler returns the server with its middleware: recovery, security headers, metrics and
// logging, cross-origin protection.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = s.cop.Handler(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	return h
}

// Routes lists the registered API operations.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.d.Ready(ctx); err != nil {
		s.d.Log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable",
			"error": map[string]string{"code": "database_unavailable", "message": "the database does not answer"}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}

// clientInfo returns the caller's IP (from X-Forwarded-For only when configured to trust a
// proxy: otherwise anyone could pick their own IP and dodge throttling) and User-Agent.
func (s *Server) clientInfo(r *http.Request) auth.Client {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if s.d.Config.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			ip = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return auth.Client{IP: ip, UserAgent: r.UserAgent()}
}
