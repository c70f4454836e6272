package video

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kurz/internal/blob"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/policy"
)

// Public media is served at a stable URL that any cache may keep. Followers-only and private
// media is served only through a signed URL, bound to the video, the file and the viewer,
// that expires after SignedURLTTL.

// MediaURL is the URL the viewer should fetch file (e.g. "480p.mp4", "poster.jpg") from.
func (s *Service) MediaURL(v policy.Viewer, vid *Video, file string) string {
	path := "/media/videos/" + vid.ID + "/" + file
	if vid.Visibility == "public" && vid.State == StateReady && !vid.Removed && vid.OwnerActive {
		return path // the same rule OpenMedia applies to unsigned requests
	}
	exp := s.d.Now().Add(s.d.Limits.SignedURLTTL).Unix()
	q := url.Values{}
	q.Set("viewer", v.AccountID)
	q.Set("exp", strconv.FormatInt(exp, 10))
	q.Set("sig", s.sign(vid.ID, file, v.AccountID, exp))
	return path + "?" + q.Encode()
}

func (s *Service) sign(videoID, file, viewer string, exp int64) string {
	m := hmac.New(sha256.New, s.d.Secret)
	m.Write([]byte("media\x00" + videoID + "\x00" + file + "\x00" + viewer + "\x00" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MediaFile is an open media file with how it may be cached.
type MediaFile struct {
	blob.Object
	ContentType string
	Public      bool          // cacheable by anyone
	MaxAge      time.Duration // for private files, until the URL expires
	ETag        string
}

var errBadSignature = errs.Forbidden("invalid_media_url", "this media link is invalid or has expired; reload the video")

// OpenMedia opens a file of a video for the viewer. Unsigned requests get public media only;
// a signed request must carry a valid, unexpired signature for this viewer, and the viewer
// must still be allowed to see the video.
func (s *Service) OpenMedia(ctx context.Context, v policy.Viewer, videoID, file string, q url.Values) (*MediaFile, error) {
	if !id.Valid(videoID) || !validFile(file) {
		return nil, errs.NotFound("file")
	}
	signed := q.Has("sig") || q.Has("exp") || q.Has("viewer")
	if signed {
		exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
		if err != nil || q.Get("viewer") == "" {
			return nil, errBadSignature
		}
		want := s.sign(videoID, file, q.Get("viewer"), exp)
		if !hmac.Equal([]byte(want), []byte(q.Get("sig"))) || s.d.Now().Unix() > exp {
			return nil, errBadSignature
		}
		if v.Anonymous() || v.AccountID != q.Get("viewer") {
			return nil, errs.Forbidden("invalid_media_url", "this media link belongs to another account")
		}
	}
	row, err := s.d.Videos.ByID(ctx, videoID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, s.hidden(signed)
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	owner, err := s.owner(ctx, row.AccountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	public := row.Visibility == "public" && row.State == StateReady && !row.Removed && owner.State == string(policy.StateActive)
	if !signed && !public {
		// An unsigned URL for media that is not public answers exactly like a missing file,
		// so it cannot be used to learn that a hidden video exists.
		return nil, errs.NotFound("file")
	}
	rel, err := s.relation(ctx, v, row.AccountID)
	if err != nil {
		return nil, err
	}
	if signed {
		if err := policy.VideoDecision(v, policy.ViewVideo, target(row, owner), rel); err != nil {
			return nil, s.hidden(signed)
		}
	}
	key, ctype, err := s.fileKey(ctx, row, file)
	if err != nil {
		return nil, err
	}
	o, err := s.d.Blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, errs.NotFound("file")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	mf := &MediaFile{Object: o, ContentType: ctype, Public: public && !signed,
		ETag: `"` + strconv.FormatInt(o.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(o.Size(), 36) + `"`}
	if signed {
		exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
		mf.MaxAge = max(time.Unix(exp, 0).Sub(s.d.Now()), 0)
	}
	return mf, nil
}

func (s *Service) hidden(signed bool) error {
	if signed {
		return errs.Forbidden("invalid_media_url", "you cannot see this video")
	}
	return errs.NotFound("file")
}

func validFile(f string) bool {
	if f == "poster.jpg" {
		return true
	}
	name, ok := strings.CutSuffix(f, ".mp4")
	if !ok || name == "" || len(name) > 16 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Service) fileKey(ctx context.Context, row *db.VideoRow, file string) (string, string, error) {
	if file == "poster.jpg" {
		if row.PosterKey == "" {
			return "", "", errs.NotFound("file")
		}
		return row.PosterKey, "image/jpeg", nil
	}
	rends, err := s.d.Videos.Renditions(ctx, row.ID)
	if err != nil {
		return "", "", errs.Internal(err)
	}
	for _, r := range rends {
		if r.Name+".mp4" == file {
			return r.BlobKey, "video/mp4", nil
		}
	}
	return "", "", errs.NotFound("file")
}
