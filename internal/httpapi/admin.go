package httpapi

import (
	"net/http"
	"time"

	"kurz/internal/auth"
	"kurz/internal/errs"
	"kurz/internal/id"
)

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request, c *call) error {
	mode, err := s.d.Auth.RegistrationMode(r.Context())
	if err != nil {
		return errs.Internal(err)
	}
	cfg := s.d.Config
	writeJSON(w, http.StatusOK, map[string]any{
		"name": cfg.InstanceName, "region": cfg.Region, "registration": mode, "version": s.d.Version,
		"limits": map[string]any{
			"min_password_length": cfg.MinPasswordLen, "max_password_length": cfg.MaxPasswordLen,
			"max_display_name": cfg.MaxDisplayName, "max_bio": cfg.MaxBio,
			"max_avatar_bytes": int64(cfg.MaxAvatarBytes), "max_json_body": int64(cfg.MaxJSONBody),
			"max_page_size": cfg.MaxPageSize,
		},
	})
	return nil
}

type adminAccountJSON struct {
	accountJSON
	Role  string `json:"role"`
	State string `json:"state"`
}

func (s *Server) adminAccountOut(a *auth.Account) adminAccountJSON {
	return adminAccountJSON{accountJSON: s.accountOut(a), Role: string(a.Role), State: string(a.State)}
}

func (s *Server) adminListAccounts(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	accs, err := s.d.Auth.ListAccounts(r.Context(), c.viewer(), after, limit)
	if err != nil {
		return err
	}
	out := make([]adminAccountJSON, len(accs))
	for i, a := range accs {
		out[i] = s.adminAccountOut(a)
	}
	writeJSON(w, http.StatusOK, makeList(out, limit, func(x adminAccountJSON) string { return x.ID }))
	return nil
}

func pathID(r *http.Request, what string) (string, error) {
	v := r.PathValue("id")
	if !id.Valid(v) {
		return "", errs.NotFound(what)
	}
	return v, nil
}

func (s *Server) adminSuspend(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.suspension(w, r, c, true)
}

func (s *Server) adminUnsuspend(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.suspension(w, r, c, false)
}

func (s *Server) suspension(w http.ResponseWriter, r *http.Request, c *call, suspend bool) error {
	aid, err := pathID(r, "account")
	if err != nil {
		return err
	}
	a, err := s.d.Auth.Suspend(r.Context(), c.viewer(), aid, suspend)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.adminAccountOut(a))
	return nil
}

func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request, c *call) error {
	aid, err := pathID(r, "account")
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	a, err := s.d.Auth.SetRole(r.Context(), c.viewer(), aid, in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.adminAccountOut(a))
	return nil
}

func (s *Server) adminSetRegistration(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Mode string `json:"mode"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	if err := s.d.Auth.SetRegistrationMode(r.Context(), c.viewer(), in.Mode); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"registration": in.Mode})
	return nil
}

func (s *Server) adminCreateInvite(w http.ResponseWriter, r *http.Request, c *call) error {
	in := struct {
		ExpiresInHours int `json:"expires_in_hours"`
	}{ExpiresInHours: 24 * 7}
	if r.ContentLength != 0 {
		if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
			return err
		}
	}
	inv, err := s.d.Auth.CreateInvite(r.Context(), c.viewer(), time.Duration(in.ExpiresInHours)*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": inv.ID, "code": inv.Code, "expires_at": inv.ExpiresAt})
	return nil
}
