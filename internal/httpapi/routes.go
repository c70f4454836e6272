package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kurz/internal/auth"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
)

const sessionCookie = "kurz_session"

// access says whether an operation needs a logged-in caller.
type access int

const (
	anyone   access = iota // anonymous callers welcome; a principal is attached when present
	loggedIn               // 401 without a valid session or token
)

// call is what a handler gets besides the request: the caller, if any.
type call struct {
	p      *auth.Principal
	client auth.Client
}

func (c *call) viewer() policy.Viewer {
	if c.p == nil {
		return policy.Viewer{}
	}
	return c.p.Account.Viewer()
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c *call) error

// routesAPI registers every /api/v1 operation. The OpenAPI document must list exactly these.
func (s *Server) routesAPI() {
	s.handle("GET /api/v1/openapi.json", anyone, s.openAPI)
	s.handle("GET /api/v1/instance", anyone, s.getInstance)

	s.handle("POST /api/v1/accounts", anyone, s.signUp)
	s.handle("GET /api/v1/accounts/{username}", anyone, s.getAccount)

	s.handle("POST /api/v1/sessions", anyone, s.logIn)
	s.handle("GET /api/v1/sessions", loggedIn, s.listSessions)
	s.handle("DELETE /api/v1/sessions/current", loggedIn, s.logOut)
	s.handle("DELETE /api/v1/sessions/{id}", loggedIn, s.revokeSession)

	s.handle("GET /api/v1/me", loggedIn, s.getMe)
	s.handle("PATCH /api/v1/me", loggedIn, s.patchMe)
	s.handle("PUT /api/v1/me/password", loggedIn, s.changePassword)
	s.handle("PUT /api/v1/me/avatar", loggedIn, s.putAvatar)
	s.handle("DELETE /api/v1/me/avatar", loggedIn, s.deleteAvatar)

	s.handle("GET /api/v1/admin/accounts", loggedIn, s.adminListAccounts)
	s.handle("POST /api/v1/admin/accounts/{id}/suspension", loggedIn, s.adminSuspend)
	s.handle("DELETE /api/v1/admin/accounts/{id}/suspension", loggedIn, s.adminUnsuspend)
	s.handle("PUT /api/v1/admin/accounts/{id}/role", loggedIn, s.adminSetRole)
	s.handle("PUT /api/v1/admin/registration", loggedIn, s.adminSetRegistration)
	s.handle("POST /api/v1/admin/invites", loggedIn, s.adminCreateInvite)

	s.routesVideos()
	s.routesPrivacy()
	s.routesSocial()
	s.routesSearch()
	s.routesFeed()
	s.routesAnalytics()
}

func (s *Server) handle(pattern string, a access, h apiHandler) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, Route{Method: method, Pattern: path})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := &call{client: s.clientInfo(r)}
		if err := s.authenticate(w, r, c, a); err != nil {
			writeError(w, r, s.d.Log, err)
			return
		}
		if err := h(w, r, c); err != nil {
			writeError(w, r, s.d.Log, err)
		}
	})
}

// authenticate attaches the principal. A bearer token wins over a cookie. A browser session
// (cookie) must also send its CSRF token on every state-changing request; bearer tokens
// cannot be sent by another site, so they need none.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, c *call, a access) error {
	token, viaCookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return errs.Unauthenticated("invalid_authorization", "the Authorization header must be \"Bearer <token>\"")
		}
		token = strings.TrimSpace(tok)
	} else if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		token, viaCookie = ck.Value, true
	}
	if token == "" {
		if a == loggedIn {
			return errs.Unauthenticated("login_required", "log in to do this")
		}
		return nil
	}
	p, err := s.d.Auth.Authenticate(r.Context(), token)
	if err != nil {
		if viaCookie {
			s.clearCookie(w, r)
		}
		// A dead cookie on a public page just means "anonymous"; a dead bearer token is
		// always reported, since an API client must know its token stopped working.
		if a == anyone && viaCookie && errs.Is(err, errs.KindUnauthenticated) {
			return nil
		}
		return err
	}
	if viaCookie && unsafeMethod(r.Method) {
		if err := s.d.Auth.CheckCSRF(p, r.Header.Get("X-CSRF-Token")); err != nil {
			return err
		}
	}
	c.p = p
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.d.Config.BaseURL, "https://")
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secureCookies(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.d.Config.SessionTTL / time.Second),
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// limit reads ?limit alone, for lists whose cursors are not IDs.
func (s *Server) limit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return s.d.Config.PageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > s.d.Config.MaxPageSize {
		return 0, errs.Invalid("limit", "invalid_limit", "limit must be between 1 and "+strconv.Itoa(s.d.Config.MaxPageSize))
	}
	return n, nil
}

// page reads ?limit and ?cursor. Cursors are opaque to clients: today the last ID seen,
// base64url-encoded, so the encoding can change without breaking anyone.
func (s *Server) page(r *http.Request) (after string, limit int, err error) {
	limit = s.d.Config.PageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 || n > s.d.Config.MaxPageSize {
			return "", 0, errs.Invalid("limit", "invalid_limit", "limit must be between 1 and "+strconv.Itoa(s.d.Config.MaxPageSize))
		}
		limit = n
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, decErr := base64.RawURLEncoding.DecodeString(c)
		if decErr != nil || !id.Valid(string(b)) {
			return "", 0, errs.Invalid("cursor", "invalid_cursor", "the cursor is not one this server gave out")
		}
		after = string(b)
	}
	return after, limit, nil
}

// list is the shape of every paginated answer.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func makeList[T any](items []T, limit int, lastID func(T) string) list[T] {
	l := list[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(items) == limit && limit > 0 {
		l.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(lastID(items[len(items)-1])))
	}
	return l
}

func ctxNoCancel(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
