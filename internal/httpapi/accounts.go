package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"kurz/internal/auth"
	"kurz/internal/avatar"
	"kurz/internal/blob"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// accountJSON is the public shape of an account. It is a promise to clients: fields are
// added, never renamed.
type accountJSON struct {
	ID          string            `json:"id"`
	Username    string            `json:"username"`
	DisplayName string            `json:"display_name"`
	Bio         string            `json:"bio"`
	Avatar      map[string]string `json:"avatar"`
	Private     bool              `json:"private"`
	Role        string            `json:"role,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

// meJSON adds what only the owner sees.
type meJSON struct {
	accountJSON
	Personalised bool   `json:"personalised"`
	Region       string `json:"region"`
	Language     string `json:"language"`
	State        string `json:"state"`
	CSRFToken    string `json:"csrf_token,omitempty"`
}

func (s *Server) accountOut(a *auth.Account) accountJSON {
	out := accountJSON{ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Bio: a.Bio,
		Private: a.Private, CreatedAt: a.CreatedAt}
	if a.Role != policy.RoleUser {
		out.Role = string(a.Role) // staff are labelled publicly, as on Mastodon
	}
	if a.AvatarKey != "" {
		out.Avatar = map[string]string{}
		for _, n := range avatar.Sizes {
			out.Avatar[fmt.Sprint(n)] = fmt.Sprintf("/media/%s/%d.jpg", a.AvatarKey, n)
		}
	}
	return out
}

func (s *Server) meOut(a *auth.Account, p *auth.Principal) meJSON {
	out := meJSON{accountJSON: s.accountOut(a), Personalised: a.Personalised, Region: a.Region, Language: a.Language,
		State: string(a.State)}
	out.Role = string(a.Role)
	if p != nil && p.Session.Kind == "browser" {
		out.CSRFToken = s.d.Auth.CSRFToken(p)
	}
	return out
}

type sessionJSON struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Device     string    `json:"device"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

func sessionOut(x *auth.Session, current string) sessionJSON {
	return sessionJSON{ID: x.ID, Kind: x.Kind, Device: x.Device, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt,
		ExpiresAt: x.ExpiresAt, Current: x.ID == current}
}

// loginJSON answers sign-up and log-in.
type loginJSON struct {
	Account meJSON      `json:"account"`
	Session sessionJSON `json:"session"`
	Token   string      `json:"token,omitempty"` // only for API token log-ins; browsers get a cookie
}

func (s *Server) loggedInAnswer(w http.ResponseWriter, r *http.Request, code int, a *auth.Account, sess *auth.Session, token string) {
	p := &auth.Principal{Account: a, Session: sess}
	out := loginJSON{Account: s.meOut(a, p), Session: sessionOut(sess, sess.ID)}
	if sess.Kind == "token" {
		out.Token = token
	} else {
		s.setSessionCookie(w, r, token)
	}
	writeJSON(w, code, out)
}

func (s *Server) signUp(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Username    string `json:"username"`
		Password    string `json:"password"`
		DisplayName string `json:"display_name"`
		InviteCode  string `json:"invite_code"`
		Token       bool   `json:"token"`
		Email       string `json:"email"`
		BirthDate   string `json:"birth_date"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	a, sess, tok, err := s.d.Auth.SignUp(r.Context(), auth.SignUpInput{Username: in.Username, Password: in.Password,
		DisplayName: in.DisplayName, InviteCode: in.InviteCode, TokenLogin: in.Token, Email: in.Email, BirthDate: in.BirthDate}, c.client)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/accounts/"+a.Username)
	s.loggedInAnswer(w, r, http.StatusCreated, a, sess, tok)
	return nil
}

func (s *Server) logIn(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Token    bool   `json:"token"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	a, sess, tok, err := s.d.Auth.LogIn(r.Context(), in.Username, in.Password, in.Token, c.client)
	if err != nil {
		return err
	}
	s.loggedInAnswer(w, r, http.StatusCreated, a, sess, tok)
	return nil
}

func (s *Server) logOut(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Auth.LogOut(r.Context(), c.p); err != nil {
		return err
	}
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	sessions, err := s.d.Auth.Sessions(r.Context(), c.p, after, limit)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(sessions))
	for i, x := range sessions {
		out[i] = sessionOut(x, c.p.Session.ID)
	}
	writeJSON(w, http.StatusOK, makeList(out, limit, func(x sessionJSON) string { return x.ID }))
	return nil
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, c *call) error {
	sid := r.PathValue("id")
	if err := s.d.Auth.RevokeSession(r.Context(), c.p, sid); err != nil {
		return err
	}
	if sid == c.p.Session.ID {
		s.clearCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, s.meOut(c.p.Account, c.p))
	return nil
}

func (s *Server) patchMe(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		DisplayName  *string `json:"display_name"`
		Bio          *string `json:"bio"`
		Private      *bool   `json:"private"`
		Personalised *bool   `json:"personalised"`
		Language     *string `json:"language"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	a, err := s.d.Auth.UpdateProfile(r.Context(), c.p, auth.ProfileInput{DisplayName: in.DisplayName, Bio: in.Bio,
		Private: in.Private, Personalised: in.Personalised, Language: in.Language})
	if err != nil {
		return err
	}
	if in.Private != nil && !*in.Private {
		if err := s.d.Social.PrivacyChanged(r.Context(), a.ID, false); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, s.meOut(a, c.p))
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	if err := s.d.Auth.ChangePassword(r.Context(), c.p, in.Current, in.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putAvatar takes the image as the raw body; its type is decided from the bytes.
func (s *Server) putAvatar(w http.ResponseWriter, r *http.Request, c *call) error {
	limit := int64(s.d.Config.MaxAvatarBytes)
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return &errs.Error{Kind: errs.KindTooLarge, Code: "avatar_too_large",
			Message: fmt.Sprintf("an avatar can be at most %s", s.d.Config.MaxAvatarBytes), Field: "avatar"}
	}
	if len(data) == 0 {
		return errs.Invalid("avatar", "empty_body", "send the image as the request body")
	}
	a, err := s.d.Auth.SetAvatar(r.Context(), c.p, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.meOut(a, c.p))
	return nil
}

func (s *Server) deleteAvatar(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.d.Auth.RemoveAvatar(r.Context(), c.p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.meOut(a, c.p))
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.d.Social.Profile(r.Context(), c.viewer(), r.PathValue("username"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.profileOut(p))
	return nil
}

// serveAvatar serves public avatar files with long cache lifetimes: their keys change
// whenever the picture does.
func (s *Server) serveAvatar(w http.ResponseWriter, r *http.Request) {
	key := "avatars/" + r.PathValue("path")
	if !blob.ValidKey(key) || !strings.HasSuffix(key, ".jpg") {
		writeError(w, r, s.d.Log, errs.NotFound("file"))
		return
	}
	// A suspended account's picture is hidden like its profile.
	owner, _, _ := strings.Cut(r.PathValue("path"), "/")
	if a, err := s.d.Auth.AccountByID(r.Context(), owner); err != nil || a.State != policy.StateActive {
		writeError(w, r, s.d.Log, errs.NotFound("file"))
		return
	}
	o, err := s.d.Blobs.Open(r.Context(), key)
	if err != nil {
		writeError(w, r, s.d.Log, errs.NotFound("file"))
		return
	}
	defer o.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", o.ModTime(), o)
}
