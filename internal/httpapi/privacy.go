package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"kurz/internal/errs"
	"kurz/internal/privacy"
)

var privacyOperations = []operation{
	{method: "get", path: "/api/v1/me/personal-data", summary: "Your personal data as the vault holds it: e-mail, phone, birth date and recent log-in origins", tag: "privacy", auth: true, response: "PersonalData", status: "200"},
	{method: "patch", path: "/api/v1/me/personal-data", summary: "Change your e-mail, phone or birth date (\"\" clears one); an e-mail address another account registered first is kept but does not log in", tag: "privacy", auth: true, request: "PersonalDataEdit", response: "PersonalData", status: "200"},
	{method: "delete", path: "/api/v1/me", summary: "Delete your account: confirm with your password; logging in during the grace period cancels it", tag: "privacy", auth: true, request: "AccountDeletion", response: "Deletion", status: "202", errors: []string{"409", "429"}},
	{method: "get", path: "/api/v1/me/access-log", summary: "Every read of your personal data by someone else, each with an inclusion proof against a signed checkpoint", tag: "privacy", auth: true, response: "AccessLog", status: "200"},
	{method: "get", path: "/api/v1/transparency/checkpoint", summary: "The access log's newest signed checkpoint and the key that verifies it", tag: "transparency", response: "Checkpoint", status: "200"},
	{method: "get", path: "/api/v1/transparency/consistency", summary: "Proof that the log of size from is a prefix of the log of size to", tag: "transparency", response: "ConsistencyProof", status: "200"},
	{method: "post", path: "/api/v1/admin/accounts/{id}/personal-data", summary: "Read an account's personal data for a declared purpose (moderators and administrators); the owner sees the read in their access log", tag: "admin", auth: true, request: "PersonalDataRequest", response: "PersonalData", status: "200", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/me/interests", summary: "What the For You recommender learned about you, in words: hashtags and accounts you engage with and how strongly, your \"not interested\" marks, whether personalisation is on; POST /api/v1/feed/refresh forgets what was learned", tag: "privacy", auth: true, response: "InterestProfile", status: "200"},
	{method: "delete", path: "/api/v1/me/not-interested/{target}/{name}", summary: "Take back one of your \"not interested\" marks: target video (name: the video id), creator (name: the username) or hashtag (name: the hashtag); GET /api/v1/me/interests lists them", tag: "privacy", auth: true, status: "204", errors: []string{"400", "404"}},
	{method: "get", path: "/api/v1/me/privacy", summary: "What kurz stores about you: each category, why, for how long, whether encrypted, and whether it holds any now", tag: "privacy", auth: true, response: "PrivacyInventory", status: "200"},
	{method: "post", path: "/api/v1/me/exports", summary: "Start building an archive of all your data; the answer holds the single-use download link, shown once", tag: "privacy", auth: true, response: "Export", status: "202", errors: []string{"409"}},
	{method: "get", path: "/api/v1/me/exports/{id}", summary: "Progress of one of your exports", tag: "privacy", auth: true, response: "Export", status: "200", errors: []string{"404"}},
	{method: "get", path: "/api/v1/me/exports/{id}/download", summary: "Download your archive (application/zip), once, with the token from the link; expires after export-link-ttl", tag: "privacy", auth: true, response: "binary", status: "200", errors: []string{"403", "404", "409", "410"}},
	{method: "delete", path: "/api/v1/admin/accounts/{id}", summary: "Erase an account at once, without a grace period (administrators)", tag: "admin", auth: true, status: "204", errors: []string{"403", "404"}},
}

func privacySchemas() map[string]any {
	integer := func(d string) map[string]any { return map[string]any{"type": "integer", "description": d} }
	b64 := func(d string) map[string]any {
		return map[string]any{"type": "string", "contentEncoding": "base64", "description": d}
	}
	fields := map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": privacy.AllFields}}
	var purposes []string
	for _, p := range privacy.Purposes {
		if p.StaffMayDeclare {
			purposes = append(purposes, p.Name)
		}
	}
	strs := func(d string) map[string]any { return map[string]any{"type": "array", "items": str(d)} }
	interests := map[string]any{"type": "array", "description": "strongest first", "items": obj([]string{"name", "strength", "score"}, map[string]any{
		"name":     str("hashtag or username"),
		"strength": map[string]any{"type": "string", "enum": []string{"strong", "some", "slight"}},
		"score":    map[string]any{"type": "number", "description": "decayed engagement count; halves each week without new activity"},
	})}
	checkpoint := obj([]string{"note", "origin", "tree_size", "root", "verifier_key"}, map[string]any{
		"note":         str("the signed checkpoint (C2SP tlog-checkpoint signed note); verify it with verifier_key"),
		"origin":       str("the log's name"),
		"tree_size":    integer("number of entries the checkpoint covers"),
		"root":         b64("RFC 6962 Merkle tree root hash"),
		"verifier_key": str("Ed25519 note verifier key; pin it and compare over time"),
	})
	return map[string]any{
		"PersonalData": obj(nil, map[string]any{
			"email": str(""), "phone": str("international form"), "birth_date": str("YYYY-MM-DD"),
			"sessions": map[string]any{"type": "array", "items": obj([]string{"session_id", "at"}, map[string]any{
				"session_id": str(""), "ip": str("truncated to /24 (IPv4) or /48 (IPv6)"), "user_agent": str(""), "at": timeSchema})},
			"fields":           fields,
			"access_log_index": integer("the access-log entry recording this read, when someone other than the owner read"),
		}),
		"PersonalDataEdit": obj(nil, map[string]any{"email": str("\"\" removes it"), "phone": str("\"\" removes it"),
			"birth_date": str("YYYY-MM-DD; \"\" removes it")}),
		"PersonalDataRequest": obj([]string{"purpose"}, map[string]any{
			"purpose": map[string]any{"type": "string", "enum": purposes, "description": "why you read it; the owner sees this"},
			"fields":  fields,
		}),
		"AccountDeletion": obj([]string{"password"}, map[string]any{"password": str("your current password")}),
		"Deletion": obj([]string{"state", "purge_at"}, map[string]any{"state": str("deleting"), "requested_at": timeSchema,
			"purge_at": timeSchema}),
		"Checkpoint": checkpoint,
		"AccessLog": obj([]string{"checkpoint", "items"}, map[string]any{
			"checkpoint": ref("Checkpoint"),
			"items": map[string]any{"type": "array", "items": obj([]string{"index", "leaf", "inclusion_proof"}, map[string]any{
				"index": integer("position in the log"), "at": timeSchema, "actor": str("account id of the reader, or a service name"),
				"role": str("moderator, admin, system or operator"), "purpose": str(""), "fields": fields,
				"leaf":            b64("the logged entry exactly as hashed"),
				"inclusion_proof": map[string]any{"type": "array", "items": b64("")},
			})},
			"next_cursor": str("absent on the last page"),
		}),
		"PrivacyInventory": obj([]string{"categories"}, map[string]any{"categories": map[string]any{"type": "array", "items": obj(
			[]string{"name", "data", "why", "retention", "encrypted", "held", "in_export"}, map[string]any{
				"name": str("profile, password, contact_and_age, sessions, log_in_origins, invites, deletion_request, videos, video_files, uploads, " +
					"comments, comment_filters, likes, follows, blocks_and_mutes, notifications, watch_history, not_interested, interest_profile, " +
					"creator_analytics, access_log, exports"),
				"data": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}, "why": str(""), "retention": str(""),
				"encrypted": boolean("kept encrypted under a key that erasure destroys"), "held": boolean("kurz holds some of it for you now"),
				"count":     integer("how many items kurz holds (absent where it does not count)"),
				"amount":    str("the count in words, e.g. \"3 videos, 41.2 MB of video\""),
				"in_export": strs("where the data export archive holds it: a file path, a pattern such as videos/*.mp4, or file#key for one key of a JSON file; empty when the archive leaves it out")})}}),
		"InterestProfile": obj([]string{"personalised", "summary", "learned", "choices", "memory"}, map[string]any{
			"personalised": boolean("whether For You uses this profile (the account's switch)"),
			"summary":      map[string]any{"type": "array", "items": str("one sentence in plain words")},
			"learned": obj([]string{"hashtags", "accounts", "recent_engaged_videos", "recent_turned_away_videos", "taste_vector"}, map[string]any{
				"hashtags": interests, "accounts": interests,
				"recent_engaged_videos":     integer("recent videos watched through, looped, liked, shared or commented on"),
				"recent_turned_away_videos": integer("recent videos skipped early or marked not interested"),
				"taste_vector":              boolean("a learned list of numbers that places you near videos you watch to the end"),
			}),
			"choices": obj([]string{"not_interested_videos", "not_interested_accounts", "not_interested_hashtags", "following"}, map[string]any{
				"not_interested_videos":   strs("video ids"),
				"not_interested_accounts": strs("usernames"),
				"not_interested_hashtags": strs("hashtags"),
				"following":               integer("accounts you follow, as the recommender knows them"),
			}),
			"memory": obj([]string{"videos_remembered_as_seen", "videos_opened"}, map[string]any{
				"videos_remembered_as_seen": integer("kept so seen videos are not recommended again"),
				"videos_opened":             integer("videos opened since the recommender first saw you"),
				"region":                    str("your region as your app last sent it with watch events"),
				"language":                  str("your language as your app last sent it with watch events: the one chosen in Settings, else your browser's"),
			}),
		}),
		"Export": obj([]string{"id", "state", "progress"}, map[string]any{"id": str(""),
			"state":    map[string]any{"type": "string", "enum": []string{"running", "ready", "failed", "downloaded", "expired"}},
			"progress": integer("percent"), "bytes": integer("archive size, when ready"), "failure": str(""),
			"created_at": timeSchema, "expires_at": timeSchema,
			"download_url": str("only in the answer that started the export: keep it, it is not shown again")}),
		"ConsistencyProof": obj([]string{"from", "to", "proof"}, map[string]any{"from": integer(""), "to": integer(""),
			"proof": map[string]any{"type": "array", "items": b64("")}}),
	}
}

func (s *Server) routesPrivacy() {
	s.handle("GET /api/v1/me/personal-data", loggedIn, s.getPersonalData)
	s.handle("PATCH /api/v1/me/personal-data", loggedIn, s.patchPersonalData)
	s.handle("DELETE /api/v1/me", loggedIn, s.deleteMe)
	s.handle("GET /api/v1/me/access-log", loggedIn, s.getAccessLog)
	s.handle("GET /api/v1/transparency/checkpoint", anyone, s.getCheckpoint)
	s.handle("GET /api/v1/transparency/consistency", anyone, s.getConsistency)
	s.handle("POST /api/v1/admin/accounts/{id}/personal-data", loggedIn, s.adminReadPersonalData)
	s.handle("DELETE /api/v1/admin/accounts/{id}", loggedIn, s.adminEraseAccount)
	s.handle("GET /api/v1/me/privacy", loggedIn, s.getPrivacyInventory)
	s.handle("GET /api/v1/me/interests", loggedIn, s.getInterests)
	s.handle("DELETE /api/v1/me/not-interested/{target}/{name}", loggedIn, s.undoNotInterested)
	s.handle("POST /api/v1/me/exports", loggedIn, s.startExport)
	s.handle("GET /api/v1/me/exports/{id}", loggedIn, s.getExport)
	s.handle("GET /api/v1/me/exports/{id}/download", loggedIn, s.downloadExport)
}

type sessionOriginJSON struct {
	SessionID string    `json:"session_id"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	At        time.Time `json:"at"`
}

type personalJSON struct {
	Email          string              `json:"email,omitempty"`
	Phone          string              `json:"phone,omitempty"`
	BirthDate      string              `json:"birth_date,omitempty"`
	Sessions       []sessionOriginJSON `json:"sessions,omitempty"`
	Fields         []privacy.Field     `json:"fields"`
	AccessLogIndex *uint64             `json:"access_log_index,omitempty"`
}

func personalOut(d *privacy.Disclosure) personalJSON {
	out := personalJSON{Email: d.Email, Phone: d.Phone, BirthDate: d.BirthDate, Fields: d.Fields}
	for _, o := range d.Sessions {
		out.Sessions = append(out.Sessions, sessionOriginJSON{SessionID: o.SessionID, IP: o.IP, UserAgent: o.UserAgent, At: o.At})
	}
	if d.Logged {
		idx := d.LogIndex
		out.AccessLogIndex = &idx
	}
	return out
}

func (s *Server) getPersonalData(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.d.Privacy.MyPersonalData(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, personalOut(d))
	return nil
}

func (s *Server) patchPersonalData(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Email     *string `json:"email"`
		Phone     *string `json:"phone"`
		BirthDate *string `json:"birth_date"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	d, err := s.d.Privacy.UpdateMyPersonalData(r.Context(), c.viewer(), privacy.PersonalInput{Email: in.Email, Phone: in.Phone, BirthDate: in.BirthDate})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, personalOut(d))
	return nil
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	d, err := s.d.Privacy.RequestDeletion(r.Context(), c.viewer(), in.Password)
	if err != nil {
		return err
	}
	// Every session ended with the request; the cookie is dead.
	s.clearCookie(w, r)
	writeJSON(w, http.StatusAccepted, map[string]any{"state": "deleting", "requested_at": d.RequestedAt, "purge_at": d.PurgeAt})
	return nil
}

type checkpointJSON struct {
	Note        string `json:"note"`
	Origin      string `json:"origin"`
	TreeSize    uint64 `json:"tree_size"`
	Root        []byte `json:"root"`
	VerifierKey string `json:"verifier_key"`
}

func checkpointOut(cp *privacy.PublicCheckpoint) checkpointJSON {
	return checkpointJSON{Note: string(cp.Note), Origin: cp.Origin, TreeSize: cp.Size, Root: cp.Root, VerifierKey: cp.VerifierKey}
}

type accessRecordJSON struct {
	Index          uint64    `json:"index"`
	At             time.Time `json:"at"`
	Actor          string    `json:"actor"`
	Role           string    `json:"role"`
	Purpose        string    `json:"purpose"`
	Fields         []string  `json:"fields"`
	Leaf           []byte    `json:"leaf"`
	InclusionProof [][]byte  `json:"inclusion_proof"`
}

type accessLogJSON struct {
	Checkpoint checkpointJSON     `json:"checkpoint"`
	Items      []accessRecordJSON `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// uintParam reads an optional non-negative integer query parameter.
func uintParam(r *http.Request, name string) (uint64, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, errs.Invalid(name, "invalid_"+name, name+" must be a whole number")
	}
	return n, true, nil
}

func (s *Server) getAccessLog(w http.ResponseWriter, r *http.Request, c *call) error {
	limit := s.d.Config.PageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.d.Config.MaxPageSize {
			return errs.Invalid("limit", "invalid_limit", "limit must be between 1 and "+strconv.Itoa(s.d.Config.MaxPageSize))
		}
		limit = n
	}
	var from uint64
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, convErr := strconv.ParseUint(string(b), 10, 64)
		if err != nil || convErr != nil {
			return errs.Invalid("cursor", "invalid_cursor", "the cursor is not one this server gave out")
		}
		from = n
	}
	size, _, err := uintParam(r, "tree_size")
	if err != nil {
		return err
	}
	page, err := s.d.Privacy.MyAccessLog(r.Context(), c.viewer(), from, limit, size)
	if err != nil {
		return err
	}
	out := accessLogJSON{Checkpoint: checkpointOut(page.Checkpoint), Items: []accessRecordJSON{}}
	for _, rec := range page.Records {
		out.Items = append(out.Items, accessRecordJSON{Index: rec.Index, At: rec.Entry.At, Actor: rec.Entry.Actor, Role: rec.Entry.Role,
			Purpose: rec.Entry.Purpose, Fields: rec.Entry.Fields, Leaf: rec.Leaf, InclusionProof: rec.Proof})
	}
	if page.More {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(page.Next, 10)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, c *call) error {
	cp, err := s.d.Privacy.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, checkpointOut(cp))
	return nil
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request, c *call) error {
	from, okFrom, err := uintParam(r, "from")
	if err != nil {
		return err
	}
	to, okTo, err := uintParam(r, "to")
	if err != nil {
		return err
	}
	if !okFrom || !okTo {
		return errs.Invalid("from", "invalid_range", "give both from and to, the tree sizes of two checkpoints")
	}
	p, err := s.d.Privacy.Consistency(r.Context(), from, to)
	if err != nil {
		return err
	}
	if p == nil {
		p = [][]byte{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "proof": p})
	return nil
}

func (s *Server) adminReadPersonalData(w http.ResponseWriter, r *http.Request, c *call) error {
	aid, err := pathID(r, "account")
	if err != nil {
		return err
	}
	var in struct {
		Purpose string   `json:"purpose"`
		Fields  []string `json:"fields"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	d, err := s.d.Privacy.ReadPersonalData(r.Context(), c.viewer(), aid, in.Purpose, in.Fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, personalOut(d))
	return nil
}

func (s *Server) adminEraseAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	aid, err := pathID(r, "account")
	if err != nil {
		return err
	}
	if err := s.d.Privacy.EraseNow(r.Context(), c.viewer(), aid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type categoryJSON struct {
	Name      string   `json:"name"`
	Data      []string `json:"data"`
	Why       string   `json:"why"`
	Retention string   `json:"retention"`
	Encrypted bool     `json:"encrypted"`
	Held      bool     `json:"held"`
	Count     *int64   `json:"count,omitempty"`
	Amount    string   `json:"amount,omitempty"`
	InExport  []string `json:"in_export"`
}

func (s *Server) getPrivacyInventory(w http.ResponseWriter, r *http.Request, c *call) error {
	cats, err := s.d.Privacy.WhatWeStore(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	out := make([]categoryJSON, len(cats))
	for i, x := range cats {
		out[i] = categoryJSON{Name: x.Name, Data: x.Data, Why: x.Why, Retention: x.Retention, Encrypted: x.Encrypted, Held: x.Held,
			Amount: x.Amount, InExport: x.Export}
		if x.Amount != "" {
			n := x.Count
			out[i].Count = &n
		}
		if out[i].InExport == nil {
			out[i].InExport = []string{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
	return nil
}

func (s *Server) getInterests(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.d.Privacy.MyInterests(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p.Doc())
	return nil
}

type exportJSON struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Progress    int       `json:"progress"`
	Bytes       int64     `json:"bytes,omitempty"`
	Failure     string    `json:"failure,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	DownloadURL string    `json:"download_url,omitempty"`
}

func exportOut(e *privacy.Export) exportJSON {
	return exportJSON{ID: e.ID, State: e.State, Progress: e.Progress, Bytes: e.Bytes, Failure: e.Failure, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt}
}

func (s *Server) startExport(w http.ResponseWriter, r *http.Request, c *call) error {
	e, token, err := s.d.Privacy.StartExport(r.Context(), c.viewer())
	if err != nil {
		return err
	}
	out := exportOut(e)
	out.DownloadURL = "/api/v1/me/exports/" + e.ID + "/download?token=" + token
	w.Header().Set("Location", "/api/v1/me/exports/"+e.ID)
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

func (s *Server) getExport(w http.ResponseWriter, r *http.Request, c *call) error {
	eid, err := pathID(r, "export")
	if err != nil {
		return err
	}
	e, err := s.d.Privacy.ExportStatus(r.Context(), c.viewer(), eid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, exportOut(e))
	return nil
}

func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request, c *call) error {
	eid, err := pathID(r, "export")
	if err != nil {
		return err
	}
	data, err := s.d.Privacy.DownloadExport(r.Context(), c.viewer(), eid, r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="kurz-export-`+eid+`.zip"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

func (s *Server) undoNotInterested(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Feed.UndoNotInterested(r.Context(), c.viewer(), r.PathValue("target"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
