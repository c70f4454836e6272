// Package video owns a video's life: the upload (resumable or in one request), the
// processing job that probes, rejects with a reason, remuxes or transcodes it, the files it
// becomes, and who may fetch them. It decides nothing about access itself: it asks policy.
package video

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kurz/internal/blob"
	"kurz/internal/bus"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/lang"
	"kurz/internal/media/ffmpeg"
	"kurz/internal/policy"
)

// States of a video, as creators see them.
const (
	StateUploading  = "uploading"
	StateQueued     = "queued"
	StateProcessing = "processing"
	StateReady      = "ready"
	StateFailed     = "failed"
)

// Video is a video as the rest of kurz sees it.
type Video struct {
	ID            string
	OwnerID       string
	Caption       string
	Hashtags      []string
	Mentions      []string
	Visibility    string
	Language      string // "" when unknown
	AllowComments bool
	AllowDownload bool
	State         string
	FailureCode   string
	FailureReason string
	Duration      time.Duration
	Width, Height int
	PosterKey     string
	Removed       bool
	OwnerActive   bool // the creator's account is neither suspended nor being deleted
	CreatedAt     time.Time
	Renditions    []Rendition
}

// Rendition is one playable file.
type Rendition struct {
	Name          string
	Key           string
	Width, Height int
	Bitrate       int64
	Bytes         int64
}

// Meta is what a creator says about a video.
type Meta struct {
	Caption       string
	Visibility    string
	AllowComments *bool
	AllowDownload *bool
	// Language is the language the video is in, a two- or three-letter code (ISO 639), or
	// "" when unknown. The HTTP edge fills it from the uploader's browser when they leave
	// it out.
	Language string
}

// Limits are the named, configurable limits on videos.
type Limits struct {
	MaxUploadBytes     int64
	MaxDuration        time.Duration
	MaxPixels          int
	MaxCaption         int
	UploadTTL          time.Duration
	FastPathMaxBitrate int64
	SignedURLTTL       time.Duration
	MaxRendition       int // largest rendition by short edge; 0 means no limit
}

// Media runs ffmpeg; *ffmpeg.Runner implements it.
type Media interface {
	Probe(ctx context.Context, path string) (*ffmpeg.ProbeResult, error)
	Transcode(ctx context.Context, in, out string, r ffmpeg.Rendition, fps float64) error
	Poster(ctx context.Context, in, out string, atSeconds float64, maxEdge int) error
}

type videoStore interface {
	CreateWithUpload(ctx context.Context, v *db.VideoRow, up *db.UploadRow) error
	ByID(ctx context.Context, id string) (*db.VideoRow, error)
	Renditions(ctx context.Context, videoID string) ([]*db.RenditionRow, error)
	Page(ctx context.Context, ids []string) (*db.PageRows, error)
	Upload(ctx context.Context, id string) (*db.UploadRow, error)
	AdvanceUpload(ctx context.Context, id string, from, to int64) error
	FinishUpload(ctx context.Context, uploadID, videoID string, job *db.JobRow, now time.Time) error
	ExpiredUploads(ctx context.Context, now time.Time) ([]*db.UploadRow, error)
	SetState(ctx context.Context, id, state, failCode, failReason string, now time.Time) error
	SetMedia(ctx context.Context, id string, durationMS int64, width, height int, now time.Time) error
	SetPoster(ctx context.Context, id, key string, now time.Time) error
	AddRendition(ctx context.Context, r *db.RenditionRow, now time.Time) error
	Update(ctx context.Context, id string, e db.VideoEdit, now time.Time) error
	Delete(ctx context.Context, id string) error
	ListByAccount(ctx context.Context, accountID string, states, visibilities []string, after string, limit int) ([]*db.VideoRow, error)
	UploadsOf(ctx context.Context, accountID string) ([]*db.UploadRow, error)
	VideoIDsOf(ctx context.Context, accountID string, limit int) ([]string, error)
}

type accountStore interface {
	ByID(ctx context.Context, id string) (*db.AccountRow, error)
}

// Relations tells how a viewer stands to an account. The social graph implements it; nil
// means no relationships exist.
type Relations interface {
	Relation(ctx context.Context, viewerID, ownerID string) (policy.Relation, error)
	// Relations is Relation for several owners, by owner ID.
	Relations(ctx context.Context, viewerID string, ownerIDs []string) (map[string]policy.Relation, error)
}

// Catalogue is told when a video can be recommended and when it no longer can (the feed).
type Catalogue interface {
	Published(ctx context.Context, videoID, creatorID string, durationMS int64, hashtags []string, region, language string)
	Updated(ctx context.Context, videoID string, hashtags []string, language string)
	Removed(ctx context.Context, videoID string)
}

// Mentioner notifies the accounts a caption mentions, once the video can be watched.
type Mentioner interface {
	NotifyCaptionMentions(ctx context.Context, author policy.Viewer, videoID string, usernames []string)
}

// Deps are what the service needs, handed over by main.
type Deps struct {
	Mentions   Mentioner // may be nil
	Catalogue  Catalogue // may be nil
	Videos     videoStore
	Accounts   accountStore
	Relations  Relations
	Blobs      blob.Store
	Bus        *bus.Bus
	Media      Media
	NewID      func() string
	Now        func() time.Time
	Limits     Limits
	StagingDir string // partial uploads, on local disk
	WorkDir    string // scratch space for processing
	Secret     []byte // signs media URLs
	Workers    int    // videos processed at once
	Log        *slog.Logger
}

// Service is the video service.
type Service struct{ d Deps }

// Job kinds.
const (
	JobProcess = "video.process" // probe, then fast path or transcode
	JobLadder  = "video.ladder"  // the renditions after a fast-path publish
)

// New returns the service and registers its jobs on the bus.
func New(d Deps) *Service {
	s := &Service{d: d}
	d.Bus.Register(bus.Kind{Name: JobProcess, Handler: s.process, Concurrency: max(d.Workers, 1), MaxAttempts: 4, Lease: 30 * time.Minute,
		OnGiveUp: s.giveUp})
	d.Bus.Register(bus.Kind{Name: JobLadder, Handler: s.ladderJob, Concurrency: max(d.Workers, 1), MaxAttempts: 4, Lease: 60 * time.Minute,
		OnGiveUp: func(ctx context.Context, j bus.Job, err error) {
			d.Log.Warn("ladder gave up; the video stays playable in its fast-path rendition", "job", j.ID, "err", err)
		}})
	return s
}

func (s *Service) checkMeta(m *Meta) (hashtags, mentions []string, err error) {
	m.Caption = strings.TrimSpace(m.Caption)
	if !utf8.ValidString(m.Caption) {
		return nil, nil, errs.Invalid("caption", "invalid_text", "the caption is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(m.Caption); n > s.d.Limits.MaxCaption {
		return nil, nil, errs.Invalid("caption", "too_long", fmt.Sprintf("a caption can have at most %d characters (this has %d)", s.d.Limits.MaxCaption, n))
	}
	for _, r := range m.Caption {
		if unicode.IsControl(r) && r != '\n' && r != '\t' || r == '\u202e' || r == '\u202d' {
			return nil, nil, errs.Invalid("caption", "invalid_text", "the caption contains control characters")
		}
	}
	if m.Visibility == "" {
		m.Visibility = "public"
	}
	switch m.Visibility {
	case "public", "followers", "private":
	default:
		return nil, nil, errs.Invalid("visibility", "invalid_visibility", "visibility must be public, followers or private")
	}
	if m.Language, err = lang.Parse(m.Language); err != nil {
		return nil, nil, err
	}
	hashtags, mentions = ParseCaption(m.Caption)
	return hashtags, mentions, nil
}

func (s *Service) owner(ctx context.Context, id string) (*db.AccountRow, error) {
	a, err := s.d.Accounts.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns a video the viewer may see.
func (s *Service) Get(ctx context.Context, v policy.Viewer, id string) (*Video, error) {
	vid, _, err := s.load(ctx, v, policy.ViewVideo, id)
	return vid, err
}

// load fetches a video and asks policy whether v may do a with it.
func (s *Service) load(ctx context.Context, v policy.Viewer, a policy.Action, id string) (*Video, *db.AccountRow, error) {
	row, err := s.d.Videos.ByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, errs.NotFound("video")
	}
	if err != nil {
		return nil, nil, errs.Internal(err)
	}
	owner, err := s.owner(ctx, row.AccountID)
	if err != nil {
		return nil, nil, errs.Internal(err)
	}
	rel, err := s.relation(ctx, v, row.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if err := policy.VideoDecision(v, a, target(row, owner), rel); err != nil {
		return nil, nil, err
	}
	vid := fromRow(row)
	vid.OwnerActive = owner.State == string(policy.StateActive)
	rends, err := s.d.Videos.Renditions(ctx, id)
	if err != nil {
		return nil, nil, errs.Internal(err)
	}
	for _, r := range rends {
		vid.Renditions = append(vid.Renditions, Rendition{Name: r.Name, Key: r.BlobKey, Width: r.Width, Height: r.Height, Bitrate: r.Bitrate, Bytes: r.Bytes})
	}
	return vid, owner, nil
}

// Page is what GetMany returns: the videos, and for each owner read on the way its account
// and how the viewer stands to it, for the caller to reuse.
type Page struct {
	Videos    []*Video // the videos v may see, in the order asked for
	Owners    map[string]*db.AccountRow
	Relations map[string]policy.Relation // by owner ID; the zero Relation for v's own videos and for anonymous viewers
	// WhoCanComment is each video's comment policy (everyone, followers, friends or
	// nobody), by video ID, for display; CommentDecision in package social still decides.
	WhoCanComment map[string]string
}

// GetMany returns those of the videos that v may see, in the order asked for, leaving out
// the rest as Get would refuse them, with the same policy decision for each. It reads the
// videos, their tags, renditions, comment policies and owners in a few batched queries,
// and the viewer's relation to each owner once however many of the videos it made.
func (s *Service) GetMany(ctx context.Context, v policy.Viewer, ids []string) (*Page, error) {
	return s.getMany(ctx, v, ids, nil, nil)
}

// getMany is GetMany reusing v's relations to owners that the caller has read already (nil
// if none), and the owners' accounts it has (which stand in for the rows read here).
func (s *Service) getMany(ctx context.Context, v policy.Viewer, ids []string, knownOwners map[string]*db.AccountRow,
	knownRels map[string]policy.Relation) (*Page, error) {
	// The videos, their renditions and their owners come from the video cache in one read;
	// the relations are the viewer's own and are read each time.
	pr, err := s.d.Videos.Page(ctx, ids)
	if err != nil {
		return nil, errs.Internal(err)
	}
	rows, owners := pr.Videos, pr.Owners
	var ownerIDs, unrelated []string
	seen := map[string]bool{}
	for _, row := range rows {
		o := row.AccountID
		if seen[o] {
			continue
		}
		seen[o] = true
		ownerIDs = append(ownerIDs, o)
		if _, ok := knownRels[o]; !ok {
			unrelated = append(unrelated, o)
		}
	}
	page := &Page{Relations: map[string]policy.Relation{}, WhoCanComment: map[string]string{}}
	if s.d.Relations != nil && !v.Anonymous() && len(unrelated) > 0 {
		if page.Relations, err = s.d.Relations.Relations(ctx, v.AccountID, unrelated); err != nil {
			return nil, errs.Internal(err)
		}
	}
	if owners == nil {
		owners = map[string]*db.AccountRow{}
	}
	if page.Relations == nil {
		page.Relations = map[string]policy.Relation{}
	}
	page.Owners = owners
	for _, o := range ownerIDs {
		if a := knownOwners[o]; a != nil {
			owners[o] = a
		}
		if rel, ok := knownRels[o]; ok {
			page.Relations[o] = rel
		} else if _, ok := page.Relations[o]; !ok {
			page.Relations[o] = policy.Relation{} // anonymous, or no relations at all
		}
	}
	for _, id := range ids {
		row := rows[id]
		if row == nil {
			continue
		}
		owner := owners[row.AccountID]
		if owner == nil {
			continue // as Get would fail
		}
		rel := page.Relations[row.AccountID]
		if policy.VideoDecision(v, policy.ViewVideo, target(row, owner), rel) != nil {
			continue
		}
		vid := fromRow(row)
		vid.OwnerActive = owner.State == string(policy.StateActive)
		page.WhoCanComment[id] = row.CommentPolicy
		page.Videos = append(page.Videos, vid)
	}
	for _, vid := range page.Videos {
		for _, r := range pr.Renditions[vid.ID] {
			vid.Renditions = append(vid.Renditions, Rendition{Name: r.Name, Key: r.BlobKey, Width: r.Width, Height: r.Height, Bitrate: r.Bitrate, Bytes: r.Bytes})
		}
	}
	return page, nil
}

func (s *Service) relation(ctx context.Context, v policy.Viewer, ownerID string) (policy.Relation, error) {
	if s.d.Relations == nil || v.Anonymous() || v.AccountID == ownerID {
		return policy.Relation{}, nil
	}
	rel, err := s.d.Relations.Relation(ctx, v.AccountID, ownerID)
	if err != nil {
		return rel, errs.Internal(err)
	}
	return rel, nil
}

func target(row *db.VideoRow, owner *db.AccountRow) policy.Video {
	return policy.Video{ID: row.ID, OwnerID: row.AccountID, Visibility: row.Visibility, Ready: row.State == StateReady,
		Removed: row.Removed, OwnerState: policy.State(owner.State)}
}

func fromRow(r *db.VideoRow) *Video {
	return &Video{ID: r.ID, OwnerID: r.AccountID, Caption: r.Caption, Hashtags: r.Hashtags, Mentions: r.Mentions,
		Visibility: r.Visibility, AllowComments: r.AllowComments, AllowDownload: r.AllowDownload, State: r.State,
		FailureCode: r.FailureCode, FailureReason: r.FailureReason, Duration: time.Duration(r.DurationMS) * time.Millisecond,
		Width: r.Width, Height: r.Height, PosterKey: r.PosterKey, Removed: r.Removed, CreatedAt: r.CreatedAt, Language: r.Language}
}

// CheckEdit answers whether the viewer may manage the video (its creator), without
// changing anything: the processing-state stream uses it.
func (s *Service) CheckEdit(ctx context.Context, v policy.Viewer, id string) error {
	_, _, err := s.load(ctx, v, policy.EditVideo, id)
	return err
}

// Edit changes a video's caption, visibility, permissions or language, and tells the
// recommender what of it concerns a ready public video.
func (s *Service) Edit(ctx context.Context, v policy.Viewer, id string, caption, visibility *string, allowComments, allowDownload *bool,
	language *string) (*Video, error) {
	cur, _, err := s.load(ctx, v, policy.EditVideo, id)
	if err != nil {
		return nil, err
	}
	e := db.VideoEdit{AllowComments: allowComments, AllowDownload: allowDownload}
	m := Meta{Caption: cur.Caption, Visibility: cur.Visibility, Language: cur.Language}
	if language != nil {
		m.Language = *language
	}
	if caption != nil {
		m.Caption = *caption
	}
	if visibility != nil {
		m.Visibility = *visibility
		if m.Visibility == "" {
			return nil, errs.Invalid("visibility", "invalid_visibility", "visibility must be public, followers or private")
		}
	}
	tags, mentions, err := s.checkMeta(&m)
	if err != nil {
		return nil, err
	}
	if caption != nil {
		e.Caption, e.Hashtags, e.Mentions = &m.Caption, tags, mentions
	}
	if visibility != nil {
		e.Visibility = &m.Visibility
	}
	if language != nil {
		e.Language = &m.Language
	}
	if err := s.d.Videos.Update(ctx, id, e, s.d.Now()); err != nil {
		return nil, errs.Internal(err)
	}
	switch {
	case cur.State != StateReady || s.d.Catalogue == nil:
	case e.Visibility != nil && *e.Visibility != cur.Visibility && *e.Visibility == "public":
		s.announce(ctx, id) // with the new hashtags and language
	case e.Visibility != nil && *e.Visibility != cur.Visibility:
		s.d.Catalogue.Removed(ctx, id)
	case m.Visibility == "public" && ((caption != nil && !slices.Equal(tags, cur.Hashtags)) || m.Language != cur.Language):
		s.d.Catalogue.Updated(ctx, id, tags, m.Language)
	}
	return s.Get(ctx, v, id)
}

// Delete removes a video and every file it has.
func (s *Service) Delete(ctx context.Context, v policy.Viewer, id string) error {
	if _, _, err := s.load(ctx, v, policy.DeleteVideo, id); err != nil {
		return err
	}
	return s.purge(ctx, id)
}

// purge deletes the files first and the row last, so a crash in between leaves a row that
// can be deleted again rather than files nobody knows about. The files are deleted once
// more after the row: a processing job that stored one in between finds the row gone
// after its write and removes what it wrote, or wrote it before this second pass.
func (s *Service) purge(ctx context.Context, id string) error {
	if s.d.Catalogue != nil {
		s.d.Catalogue.Removed(ctx, id)
	}
	if err := s.d.Blobs.DeletePrefix(ctx, "videos/"+id); err != nil {
		return errs.Internal(err)
	}
	if err := s.d.Videos.Delete(ctx, id); err != nil && !errors.Is(err, db.ErrNotFound) {
		return errs.Internal(err)
	}
	if err := s.d.Blobs.DeletePrefix(ctx, "videos/"+id); err != nil {
		return errs.Internal(err)
	}
	return nil
}

// EraseAccount deletes every video of an account with its files, removed ones included,
// and its unfinished uploads with their partial files, for account erasure.
func (s *Service) EraseAccount(ctx context.Context, accountID string) error {
	if err := s.eraseUploads(ctx, accountID); err != nil {
		return err
	}
	for {
		ids, err := s.d.Videos.VideoIDsOf(ctx, accountID, 100)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		for _, id := range ids {
			if err := s.purge(ctx, id); err != nil {
				return err
			}
		}
	}
}

// ListByAccount pages through the videos of an account that the viewer may see, as
// AccountPage lists them.
func (s *Service) ListByAccount(ctx context.Context, v policy.Viewer, accountID, after string, limit int) ([]*Video, error) {
	p, _, err := s.AccountPage(ctx, v, accountID, after, limit)
	if err != nil {
		return nil, err
	}
	return p.Videos, nil
}

// AccountPage lists a page of an account's videos that v may see, newest first, after the
// video with ID after. It loads them as GetMany does, with the same decision for each and
// what a page shows of their owner, so a page costs the same few queries whatever its
// size. next is the ID to list after for the following page, "" when this one is the last.
func (s *Service) AccountPage(ctx context.Context, v policy.Viewer, accountID, after string, limit int) (page *Page, next string, err error) {
	owner, err := s.owner(ctx, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, "", errs.NotFound("account")
	}
	if err != nil {
		return nil, "", errs.Internal(err)
	}
	rel, err := s.relation(ctx, v, accountID)
	if err != nil {
		return nil, "", err
	}
	// Ask policy which visibilities and states this viewer may see, using probe targets, so
	// the list never disagrees with the single-video answer.
	var states, vis []string
	for _, st := range []string{StateUploading, StateQueued, StateProcessing, StateReady, StateFailed} {
		probe := policy.Video{OwnerID: accountID, Visibility: "public", Ready: st == StateReady, OwnerState: policy.State(owner.State)}
		if policy.VideoDecision(v, policy.ViewVideo, probe, rel) == nil {
			states = append(states, st)
		}
	}
	for _, vv := range []string{"public", "followers", "private"} {
		probe := policy.Video{OwnerID: accountID, Visibility: vv, Ready: true, OwnerState: policy.State(owner.State)}
		if policy.VideoDecision(v, policy.ViewVideo, probe, rel) == nil {
			vis = append(vis, vv)
		}
	}
	rows, err := s.d.Videos.ListByAccount(ctx, accountID, states, vis, after, limit)
	if err != nil {
		return nil, "", errs.Internal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	// The cursor follows what was listed, not what is shown: a video deleted since the
	// listing leaves its page short without ending the list.
	if limit > 0 && len(rows) == limit {
		next = ids[len(ids)-1]
	}
	page, err = s.getMany(ctx, v, ids, map[string]*db.AccountRow{accountID: owner}, map[string]policy.Relation{accountID: rel})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

// announce tells the catalogue a public, ready video can be recommended.
func (s *Service) announce(ctx context.Context, id string) {
	if s.d.Catalogue == nil {
		return
	}
	if row, err := s.d.Videos.ByID(ctx, id); err == nil {
		s.announceRow(ctx, row, nil)
	}
}

// announceRow is announce for a row just read, and its owner if the caller has it (nil:
// read it).
func (s *Service) announceRow(ctx context.Context, row *db.VideoRow, owner *db.AccountRow) {
	if s.d.Catalogue == nil || row.State != StateReady || row.Visibility != "public" {
		return
	}
	if owner == nil {
		var err error
		if owner, err = s.owner(ctx, row.AccountID); err != nil {
			return
		}
	}
	s.d.Catalogue.Published(ctx, row.ID, row.AccountID, row.DurationMS, row.Hashtags, owner.Region, row.Language)
}
