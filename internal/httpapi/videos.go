package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kurz/internal/auth"
	"kurz/internal/errs"
	"kurz/internal/policy"
	"kurz/internal/social"
	"kurz/internal/video"
)

var videoOperations = []operation{
	{method: "options", path: "/api/v1/uploads", summary: "tus 1.0 capabilities (creation, termination) and the size limit", tag: "videos", status: "204"},
	{method: "post", path: "/api/v1/uploads", summary: "Start a resumable (tus 1.0) upload: Upload-Length and Upload-Metadata (caption, visibility, allow_comments, allow_download, language, base64; language defaults to the browser's)", tag: "videos", auth: true, response: "UploadCreated", status: "201", errors: []string{"413"}},
	{method: "head", path: "/api/v1/uploads/{id}", summary: "Where to resume: Upload-Offset and Upload-Length headers", tag: "videos", auth: true, status: "200", errors: []string{"404"}},
	{method: "patch", path: "/api/v1/uploads/{id}", summary: "Send bytes at Upload-Offset (application/offset+octet-stream); the last chunk checks the file and queues processing", tag: "videos", auth: true, request: "binary", status: "204", errors: []string{"404", "409", "415", "422"}},
	{method: "delete", path: "/api/v1/uploads/{id}", summary: "Abandon an upload", tag: "videos", auth: true, status: "204", errors: []string{"404"}},
	{method: "post", path: "/api/v1/videos", summary: "Upload a whole video in one request: multipart/form-data (caption, visibility, allow_comments, allow_download, language, then file) or the raw file with those as query parameters; language defaults to the browser's", tag: "videos", auth: true, request: "binary", response: "Video", status: "201", errors: []string{"413", "415", "422"}},
	{method: "get", path: "/api/v1/videos/{id}", summary: "A video: renditions, poster, duration, processing state", tag: "videos", response: "Video", status: "200", errors: []string{"404"}},
	{method: "patch", path: "/api/v1/videos/{id}", summary: "Edit caption, visibility, permissions or language (creator)", tag: "videos", auth: true, request: "VideoEdit", response: "Video", status: "200", errors: []string{"403", "404"}},
	{method: "delete", path: "/api/v1/videos/{id}", summary: "Delete a video and all its files (creator)", tag: "videos", auth: true, status: "204", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/videos/{id}/events", summary: "Server-sent events with the video each time its processing state changes (creator)", tag: "videos", auth: true, response: "Video", status: "200", errors: []string{"403", "404"}},
	{method: "get", path: "/api/v1/accounts/{username}/videos", summary: "An account's videos the viewer may see, newest first", tag: "videos", response: "Video", paginated: true, status: "200", errors: []string{"404"}},
}

func videoSchemas() map[string]any {
	rendition := obj([]string{"name", "url", "width", "height"}, map[string]any{
		"name": str("480p, 720p, 1080p, or original (the fast-path remux)"), "url": str("progressive MP4; signed for non-public videos"),
		"width": map[string]any{"type": "integer"}, "height": map[string]any{"type": "integer"},
		"bitrate": map[string]any{"type": "integer", "description": "bits per second"}, "bytes": map[string]any{"type": "integer"}})
	return map[string]any{
		"Rendition": rendition,
		"Video": obj([]string{"id", "state"}, map[string]any{
			"id": str(""), "author": ref("Account"), "caption": str(""),
			"hashtags":       map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"mentions":       map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"visibility":     map[string]any{"type": "string", "enum": []string{"public", "followers", "private"}},
			"allow_comments": boolean(""), "allow_download": boolean(""),
			"language":    str("the language the video is in (ISO 639 code), \"\" when unknown"),
			"state":       map[string]any{"type": "string", "enum": []string{"uploading", "queued", "processing", "ready", "failed"}},
			"failure":     obj([]string{"code", "message"}, map[string]any{"code": str(""), "message": str("why, in words for the creator")}),
			"duration_ms": map[string]any{"type": "integer"}, "width": map[string]any{"type": "integer"}, "height": map[string]any{"type": "integer"},
			"poster":     str("poster image URL, when there is one"),
			"renditions": map[string]any{"type": "array", "items": ref("Rendition")},
			"share_url":  str(""), "created_at": timeSchema}),
		"VideoEdit": obj(nil, map[string]any{"caption": str(""), "visibility": str("public, followers or private"),
			"allow_comments": boolean(""), "allow_download": boolean(""), "language": str("ISO 639 code such as en or de, \"\" for unknown")}),
		"UploadCreated": obj([]string{"upload_id", "video_id"}, map[string]any{"upload_id": str(""), "video_id": str("")}),
	}
}

func (s *Server) routesVideos() {
	s.handle("OPTIONS /api/v1/uploads", anyone, s.tusOptions)
	s.handle("POST /api/v1/uploads", loggedIn, s.tusCreate)
	s.handle("HEAD /api/v1/uploads/{id}", loggedIn, s.tusHead)
	s.handle("PATCH /api/v1/uploads/{id}", loggedIn, s.tusPatch)
	s.handle("DELETE /api/v1/uploads/{id}", loggedIn, s.tusDelete)
	s.handle("POST /api/v1/videos", loggedIn, s.uploadWhole)
	s.handle("GET /api/v1/videos/{id}", anyone, s.getVideo)
	s.handle("PATCH /api/v1/videos/{id}", loggedIn, s.patchVideo)
	s.handle("DELETE /api/v1/videos/{id}", loggedIn, s.deleteVideo)
	s.handle("GET /api/v1/videos/{id}/events", loggedIn, s.videoEvents)
	s.handle("GET /api/v1/accounts/{username}/videos", anyone, s.accountVideos)
	s.mux.HandleFunc("GET /media/videos/{id}/{file}", s.serveVideoMedia)
}

type renditionJSON struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Bitrate int64  `json:"bitrate"`
	Bytes   int64  `json:"bytes"`
}

type failureJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type videoJSON struct {
	ID            string          `json:"id"`
	Author        *accountJSON    `json:"author,omitempty"`
	Caption       string          `json:"caption"`
	Hashtags      []string        `json:"hashtags"`
	Mentions      []string        `json:"mentions"`
	Visibility    string          `json:"visibility"`
	Language      string          `json:"language"`
	AllowComments bool            `json:"allow_comments"`
	AllowDownload bool            `json:"allow_download"`
	State         string          `json:"state"`
	Failure       *failureJSON    `json:"failure,omitempty"`
	DurationMS    int64           `json:"duration_ms"`
	Width         int             `json:"width"`
	Height        int             `json:"height"`
	Poster        string          `json:"poster,omitempty"`
	Renditions    []renditionJSON `json:"renditions"`
	ShareURL      string          `json:"share_url"`
	WhoCanComment string          `json:"who_can_comment"`
	Counts        countsJSON      `json:"counts"`
	Viewer        viewerJSON      `json:"viewer"`
	CreatedAt     time.Time       `json:"created_at"`
}

// viewerJSON is the viewer's own standing with a video, for the buttons.
type viewerJSON struct {
	Liked     bool `json:"liked"`
	Following bool `json:"following"`
}

func (s *Server) videoOut(ctx context.Context, c *call, v *video.Video) videoJSON {
	return s.videoOutKnown(ctx, c, v, known{})
}

// known is what a caller of videoOutKnown has already read about a video (video.GetMany
// reads it for a whole page, once per owner); the zero value of a field means read it.
type known struct {
	author        *auth.Account
	rel           *policy.Relation // how the viewer stands to the author
	whoCanComment string
	counts        *social.VideoCounts // from pageCounts
}

// pageCounts reads the counts of a page of videos in one batch, by video ID; rels is how the
// viewer stands to the owners known so far (may be nil). Nil when that fails, and then each
// video reads its own, as it did before.
func (s *Server) pageCounts(ctx context.Context, c *call, vids []*video.Video, rels map[string]policy.Relation) map[string]social.VideoCounts {
	if s.d.Social == nil || len(vids) == 0 {
		return nil
	}
	refs := make([]social.VideoRef, len(vids))
	for i, v := range vids {
		refs[i] = social.VideoRef{ID: v.ID, OwnerID: v.OwnerID}
	}
	counts, err := s.d.Social.CountsMany(ctx, c.viewer(), refs, rels)
	if err != nil {
		return nil
	}
	return counts
}

// pageOut renders vids, loaded with vp (video.Service.GetMany or a list built on it),
// reusing what the load read: owners, the viewer's relations to them and comment
// policies; the counts are read in one batch. So a list of videos costs the same few
// queries whatever its length.
func (s *Server) pageOut(ctx context.Context, c *call, vp *video.Page, vids []*video.Video) []videoJSON {
	authors := make(map[string]*auth.Account, len(vp.Owners))
	for id, row := range vp.Owners {
		if row != nil {
			authors[id] = auth.FromRow(row)
		}
	}
	counts := s.pageCounts(ctx, c, vids, vp.Relations)
	out := make([]videoJSON, len(vids))
	for i, vid := range vids {
		k := known{author: authors[vid.OwnerID], whoCanComment: vp.WhoCanComment[vid.ID]}
		if rel, ok := vp.Relations[vid.OwnerID]; ok {
			k.rel = &rel
		}
		if cs, ok := counts[vid.ID]; ok {
			k.counts = &cs
		}
		out[i] = s.videoOutKnown(ctx, c, vid, k)
	}
	return out
}

// videoOutKnown is videoOut reusing what the caller already knows.
func (s *Server) videoOutKnown(ctx context.Context, c *call, v *video.Video, k known) videoJSON {
	author, rel := k.author, k.rel
	out := videoJSON{ID: v.ID, Caption: v.Caption, Hashtags: nonNil(v.Hashtags), Mentions: nonNil(v.Mentions),
		Visibility: v.Visibility, Language: v.Language, AllowComments: v.AllowComments, AllowDownload: v.AllowDownload, State: v.State,
		DurationMS: v.Duration.Milliseconds(), Width: v.Width, Height: v.Height, Renditions: []renditionJSON{},
		ShareURL: s.d.Config.PublicURL() + "/v/" + v.ID, CreatedAt: v.CreatedAt}
	viewer := c.viewer()
	if v.State == video.StateFailed && viewer.AccountID == v.OwnerID {
		out.Failure = &failureJSON{Code: v.FailureCode, Message: v.FailureReason}
	}
	if s.d.Social != nil {
		var counts social.VideoCounts
		var err error
		if k.counts != nil {
			counts = *k.counts
		} else if rel != nil {
			counts, err = s.d.Social.CountsWithRelation(ctx, viewer, v.ID, v.OwnerID, *rel)
		} else {
			counts, err = s.d.Social.Counts(ctx, viewer, v.ID, v.OwnerID)
		}
		if err == nil {
			out.Counts = countsOut(counts)
			out.Viewer = viewerJSON{Liked: counts.Liked, Following: counts.Following}
		}
		out.WhoCanComment = k.whoCanComment
		if out.WhoCanComment == "" {
			out.WhoCanComment, _ = s.d.Social.CommentPolicy(ctx, v.ID)
		}
	}
	if author == nil {
		author, _ = s.d.Auth.AccountByID(ctx, v.OwnerID)
	}
	if author != nil {
		aj := s.accountOut(author)
		out.Author = &aj
	}
	if v.State == video.StateReady {
		if v.PosterKey != "" {
			out.Poster = s.d.Videos.MediaURL(viewer, v, "poster.jpg")
		}
		for _, r := range v.Renditions {
			out.Renditions = append(out.Renditions, renditionJSON{Name: r.Name, URL: s.d.Videos.MediaURL(viewer, v, r.Name+".mp4"),
				Width: r.Width, Height: r.Height, Bitrate: r.Bitrate, Bytes: r.Bytes})
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const tusVersion = "1.0.0"

func (s *Server) tusHeaders(w http.ResponseWriter) {
	w.Header().Set("Tus-Resumable", tusVersion)
	w.Header().Set("Cache-Control", "no-store")
}

// tusCheck refuses a tus request from a client speaking another protocol version.
func (s *Server) tusCheck(w http.ResponseWriter, r *http.Request) error {
	s.tusHeaders(w)
	if v := r.Header.Get("Tus-Resumable"); v != tusVersion {
		w.Header().Set("Tus-Version", tusVersion)
		return &errs.Error{Kind: errs.KindInvalid, Code: "tus_version", Message: "send Tus-Resumable: 1.0.0 (this server speaks tus 1.0.0)"}
	}
	return nil
}

func (s *Server) tusOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	s.tusHeaders(w)
	w.Header().Set("Tus-Version", tusVersion)
	w.Header().Set("Tus-Extension", "creation,termination")
	w.Header().Set("Tus-Max-Size", strconv.FormatInt(int64(s.d.Config.MaxUploadBytes), 10))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseTusMetadata reads "key base64value,key2 base64value2".
func parseTusMetadata(h string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k == "" {
			return nil, errs.Invalid("Upload-Metadata", "invalid_metadata", "Upload-Metadata must be comma-separated \"key base64value\" pairs")
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, errs.Invalid("Upload-Metadata", "invalid_metadata", fmt.Sprintf("the value of %q is not base64", k))
		}
		out[k] = string(b)
	}
	return out, nil
}

// metaFrom reads an upload's metadata. Without a language the one the uploader chose to
// watch in stands in, else their browser's first (Accept-Language): most people post in
// the language they read.
func metaFrom(r *http.Request, c *call, get func(string) string) (video.Meta, error) {
	m := video.Meta{Caption: get("caption"), Visibility: get("visibility"), Language: get("language")}
	if m.Language == "" {
		m.Language = callerLanguage(r, c)
	}
	for name, dst := range map[string]**bool{"allow_comments": &m.AllowComments, "allow_download": &m.AllowDownload} {
		if v := get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return m, errs.Invalid(name, "invalid_flag", name+" must be true or false")
			}
			*dst = &b
		}
	}
	return m, nil
}

func (s *Server) tusCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.tusCheck(w, r); err != nil {
		return err
	}
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		return errs.Invalid("Upload-Length", "invalid_length", "send the file size in bytes as Upload-Length (deferred length is not supported)")
	}
	md, err := parseTusMetadata(r.Header.Get("Upload-Metadata"))
	if err != nil {
		return err
	}
	meta, err := metaFrom(r, c, func(k string) string { return md[k] })
	if err != nil {
		return err
	}
	up, err := s.d.Videos.StartUpload(r.Context(), c.viewer(), meta, length)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/uploads/"+up.ID)
	w.Header().Set("Upload-Offset", "0")
	writeJSON(w, http.StatusCreated, map[string]string{"upload_id": up.ID, "video_id": up.VideoID})
	return nil
}

func (s *Server) tusHead(w http.ResponseWriter, r *http.Request, c *call) error {
	s.tusHeaders(w)
	up, err := s.d.Videos.UploadStatus(r.Context(), c.viewer(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(up.Offset, 10))
	w.Header().Set("Upload-Length", strconv.FormatInt(up.Length, 10))
	w.Header().Set("Kurz-Video-Id", up.VideoID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) tusPatch(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.tusCheck(w, r); err != nil {
		return err
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/offset+octet-stream" {
		return &errs.Error{Kind: errs.KindUnsupported, Code: "tus_content_type", Message: "send upload chunks as application/offset+octet-stream"}
	}
	offset, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		return errs.Invalid("Upload-Offset", "invalid_offset", "send the byte offset this chunk starts at as Upload-Offset")
	}
	up, vid, err := s.d.Videos.WriteUpload(r.Context(), c.viewer(), r.PathValue("id"), offset, r.Body)
	if up != nil {
		w.Header().Set("Upload-Offset", strconv.FormatInt(up.Offset, 10))
		w.Header().Set("Kurz-Video-Id", up.VideoID)
	}
	if err != nil {
		return err
	}
	if vid != nil {
		w.Header().Set("Kurz-Video-State", vid.State)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) tusDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	s.tusHeaders(w)
	if err := s.d.Videos.CancelUpload(r.Context(), c.viewer(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// uploadWhole takes multipart/form-data (fields first, then "file") or the raw file with
// the metadata as query parameters. The client's file name and Content-Type are ignored:
// the bytes decide what the file is.
func (s *Server) uploadWhole(w http.ResponseWriter, r *http.Request, c *call) error {
	limit := int64(s.d.Config.MaxUploadBytes) + 1<<20
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		meta, err := metaFrom(r, c, r.URL.Query().Get)
		if err != nil {
			return err
		}
		vid, err := s.d.Videos.UploadWhole(r.Context(), c.viewer(), meta, r.Body, r.ContentLength)
		if err != nil {
			return uploadErr(err)
		}
		writeJSON(w, http.StatusCreated, s.videoOut(r.Context(), c, vid))
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.Invalid("body", "invalid_multipart", "the multipart body cannot be read")
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return errs.Invalid("file", "missing_file", "send the video in a form field named \"file\"")
		}
		if err != nil {
			return uploadErr(errs.Invalid("body", "invalid_multipart", "the multipart body is malformed"))
		}
		name := part.FormName()
		if name != "file" {
			b, err := io.ReadAll(io.LimitReader(part, int64(s.d.Config.MaxCaption)*4+1))
			if err != nil {
				return errs.Invalid(name, "invalid_multipart", "the form field "+name+" cannot be read")
			}
			fields[name] = string(b)
			continue
		}
		meta, err := metaFrom(r, c, func(k string) string { return fields[k] })
		if err != nil {
			return err
		}
		vid, err := s.d.Videos.UploadWhole(r.Context(), c.viewer(), meta, part, -1)
		if err != nil {
			return uploadErr(err)
		}
		writeJSON(w, http.StatusCreated, s.videoOut(r.Context(), c, vid))
		return nil
	}
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errorsAs(err, &mbe) {
		return &errs.Error{Kind: errs.KindTooLarge, Code: "upload_too_large", Message: "the video is larger than this server accepts"}
	}
	return err
}

func (s *Server) getVideo(w http.ResponseWriter, r *http.Request, c *call) error {
	vid, err := s.d.Videos.Get(r.Context(), c.viewer(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.videoOut(r.Context(), c, vid))
	return nil
}

func (s *Server) patchVideo(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Caption       *string `json:"caption"`
		Visibility    *string `json:"visibility"`
		AllowComments *bool   `json:"allow_comments"`
		AllowDownload *bool   `json:"allow_download"`
		Language      *string `json:"language"`
	}
	if err := decode(w, r, int64(s.d.Config.MaxJSONBody), &in); err != nil {
		return err
	}
	vid, err := s.d.Videos.Edit(r.Context(), c.viewer(), r.PathValue("id"), in.Caption, in.Visibility, in.AllowComments, in.AllowDownload,
		in.Language)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.videoOut(r.Context(), c, vid))
	return nil
}

func (s *Server) deleteVideo(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.d.Videos.Delete(r.Context(), c.viewer(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// videoEvents streams the video whenever it changes, until it is ready with every
// rendition made, or failed. It reads the database, so it works whichever replica or worker
// does the processing.
func (s *Server) videoEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := s.d.Videos.CheckEdit(ctx, c.viewer(), id); err != nil {
		return err
	}
	vid, err := s.d.Videos.Get(ctx, c.viewer(), id)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastWrite := time.Now()
	for {
		b, _ := json.Marshal(s.videoOut(ctx, c, vid))
		if string(b) != last {
			last = string(b)
			if _, err := fmt.Fprintf(w, "event: video\ndata: %s\n\n", b); err != nil {
				return nil
			}
			_ = rc.Flush()
			lastWrite = time.Now()
		} else if time.Since(lastWrite) > 15*time.Second {
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			_ = rc.Flush()
			lastWrite = time.Now()
		}
		if vid.State == video.StateFailed {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		vid, err = s.d.Videos.Get(ctx, c.viewer(), id)
		if err != nil {
			fmt.Fprintf(w, "event: gone\ndata: {}\n\n")
			_ = rc.Flush()
			return nil
		}
	}
}

func (s *Server) accountVideos(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	p, err := s.d.Social.Profile(r.Context(), c.viewer(), r.PathValue("username"))
	if err != nil {
		return err
	}
	vp, next, err := s.d.Videos.AccountPage(r.Context(), c.viewer(), p.Account.ID, after, limit)
	if err != nil {
		return err
	}
	out := list[videoJSON]{Items: s.pageOut(r.Context(), c, vp, vp.Videos)}
	if next != "" {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// serveVideoMedia serves rendition and poster files with Range support. Public files carry
// long cache lifetimes; signed ones are private to the viewer and expire with the link.
func (s *Server) serveVideoMedia(w http.ResponseWriter, r *http.Request) {
	c := &call{client: s.clientInfo(r)}
	if err := s.authenticate(w, r, c, anyone); err != nil {
		writeError(w, r, s.d.Log, err)
		return
	}
	f, err := s.d.Videos.OpenMedia(r.Context(), c.viewer(), r.PathValue("id"), r.PathValue("file"), r.URL.Query())
	if err != nil {
		writeError(w, r, s.d.Log, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("ETag", f.ETag)
	h.Set("Accept-Ranges", "bytes")
	if f.Public {
		h.Set("Cache-Control", "public, max-age=604800")
	} else {
		h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d", int(f.MaxAge.Seconds())))
	}
	http.ServeContent(w, r, "", f.ModTime(), f)
}
