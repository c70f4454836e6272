package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"kurz/internal/errs"
	"kurz/internal/policy"
	"kurz/internal/video"
)

// Shared links unfurl in chat tools: the single-video page carries Open Graph and Twitter
// card tags rendered on the server, with oEmbed discovery, and /embed/{id} is a player
// other sites may frame. Only public videos get any of this; for anything else the page is
// the plain app shell, exactly as for a video that does not exist.

type headInjector interface {
	ServeShellWithHead(w http.ResponseWriter, r *http.Request, head []byte)
}

func (s *Server) routesShare() {
	s.mux.HandleFunc("GET /v/{id}", s.sharePage)
	s.mux.HandleFunc("GET /oembed", s.oembed)
	s.mux.HandleFunc("GET /embed/{id}", s.embedPage)
}

// publicVideo returns the video if anyone, logged in or not, may see it.
func (s *Server) publicVideo(r *http.Request, id string) (*video.Video, *videoJSON, bool) {
	v, err := s.d.Videos.Get(r.Context(), policy.Viewer{}, id)
	if err != nil || v.State != video.StateReady || len(v.Renditions) == 0 {
		return nil, nil, false
	}
	out := s.videoOut(r.Context(), &call{}, v)
	return v, &out, true
}

var shareHead = template.Must(template.New("head").Parse(`
<meta property="og:type" content="video.other">
<meta property="og:site_name" content="{{.Site}}">
<meta property="og:title" content="{{.Title}}">
<meta property="og:description" content="{{.Description}}">
<meta property="og:url" content="{{.URL}}">
{{if .Poster}}<meta property="og:image" content="{{.Poster}}">
<meta name="twitter:image" content="{{.Poster}}">{{end}}
<meta property="og:video" content="{{.Video}}">
<meta property="og:video:type" content="video/mp4">
<meta property="og:video:width" content="{{.Width}}">
<meta property="og:video:height" content="{{.Height}}">
<meta name="twitter:card" content="player">
<meta name="twitter:title" content="{{.Title}}">
<meta name="twitter:player" content="{{.Embed}}">
<meta name="twitter:player:width" content="{{.Width}}">
<meta name="twitter:player:height" content="{{.Height}}">
<link rel="alternate" type="application/json+oembed" href="{{.OEmbed}}" title="{{.Title}}">
`))

type shareData struct {
	Site, Title, Description, URL, Poster, Video, Embed, OEmbed string
	Width, Height                                               int
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (s *Server) shareData(vj *videoJSON) shareData {
	base := s.d.Config.PublicURL()
	author := "kurz"
	if vj.Author != nil {
		author = "@" + vj.Author.Username
	}
	best := vj.Renditions[0]
	for _, r := range vj.Renditions {
		if r.Height <= 1280 && r.Height > best.Height {
			best = r
		}
	}
	d := shareData{Site: s.d.Config.InstanceName, Title: clip(author+" on "+s.d.Config.InstanceName, 100),
		Description: clip(vj.Caption, 200), URL: base + "/v/" + vj.ID, Video: base + best.URL, Embed: base + "/embed/" + vj.ID,
		OEmbed: base + "/oembed?format=json&url=" + url.QueryEscape(base+"/v/"+vj.ID), Width: best.Width, Height: best.Height}
	if vj.Poster != "" {
		d.Poster = base + vj.Poster
	}
	return d
}

func (s *Server) sharePage(w http.ResponseWriter, r *http.Request) {
	inj, ok := s.d.Web.(headInjector)
	if !ok {
		if s.d.Web != nil {
			s.d.Web.ServeHTTP(w, r)
		} else {
			http.NotFound(w, r)
		}
		return
	}
	_, vj, ok := s.publicVideo(r, r.PathValue("id"))
	if !ok {
		s.d.Web.ServeHTTP(w, r) // the same shell a missing video gets
		return
	}
	var head bytes.Buffer
	if err := shareHead.Execute(&head, s.shareData(vj)); err != nil {
		s.d.Web.ServeHTTP(w, r)
		return
	}
	inj.ServeShellWithHead(w, r, head.Bytes())
}

// oembed answers the oEmbed protocol (https://oembed.com) for public videos' share URLs.
func (s *Server) oembed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		w.WriteHeader(http.StatusNotImplemented) // the spec's answer for an unsupported format
		return
	}
	u, err := url.Parse(q.Get("url"))
	base, _ := url.Parse(s.d.Config.PublicURL())
	if err != nil || u.Host != base.Host || !strings.HasPrefix(u.Path, "/v/") {
		writeError(w, r, s.d.Log, errs.NotFound("video"))
		return
	}
	_, vj, ok := s.publicVideo(r, strings.TrimPrefix(u.Path, "/v/"))
	if !ok {
		writeError(w, r, s.d.Log, errs.NotFound("video"))
		return
	}
	d := s.shareData(vj)
	width, height := 325, 578 // a 9:16 player at TikTok's embed size
	if mw, err := strconv.Atoi(q.Get("maxwidth")); err == nil && mw > 0 && mw < width {
		width, height = mw, mw*16/9
	}
	if mh, err := strconv.Atoi(q.Get("maxheight")); err == nil && mh > 0 && mh < height {
		width, height = mh*9/16, mh
	}
	var iframe bytes.Buffer
	_ = template.Must(template.New("f").Parse(`<iframe src="{{.}}" width="WIDTH" height="HEIGHT" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`)).Execute(&iframe, d.Embed)
	html := strings.NewReplacer("WIDTH", strconv.Itoa(width), "HEIGHT", strconv.Itoa(height)).Replace(iframe.String())
	out := map[string]any{"version": "1.0", "type": "video", "provider_name": s.d.Config.InstanceName,
		"provider_url": s.d.Config.PublicURL(), "title": d.Description, "html": html, "width": width, "height": height}
	if vj.Author != nil {
		out["author_name"] = vj.Author.Username
		out["author_url"] = s.d.Config.PublicURL() + "/@" + vj.Author.Username
	}
	if d.Poster != "" {
		out["thumbnail_url"], out["thumbnail_width"], out["thumbnail_height"] = d.Poster, vj.Width, vj.Height
	}
	w.Header().Set("Access-Control-Allow-Origin", "*") // oEmbed consumers fetch it from anywhere
	writeJSON(w, http.StatusOK, out)
}

const embedStyle = `html,body{margin:0;height:100%;background:#000}video{width:100%;height:100%;object-fit:contain;display:block}`

var embedCSP = "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'sha256-" + func() string {
	h := sha256.Sum256([]byte(embedStyle))
	return base64.StdEncoding.EncodeToString(h[:])
}() + "'; frame-ancestors *; base-uri 'none'"

var embedPage = template.Must(template.New("embed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><meta name="robots" content="noindex"><style>` + embedStyle + `</style></head>
<body><video src="{{.Video}}"{{if .Poster}} poster="{{.Poster}}"{{end}} controls playsinline loop preload="metadata" aria-label="{{.Title}}: {{.Description}}"></video></body></html>
`))

// embedPage is a bare player other sites may frame; it runs no script.
func (s *Server) embedPage(w http.ResponseWriter, r *http.Request) {
	_, vj, ok := s.publicVideo(r, r.PathValue("id"))
	if !ok {
		writeError(w, r, s.d.Log, errs.NotFound("video"))
		return
	}
	h := w.Header()
	h.Del("X-Frame-Options") // this page exists to be framed
	h.Set("Content-Security-Policy", embedCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	_ = embedPage.Execute(w, s.shareData(vj))
}
