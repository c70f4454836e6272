package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/id"
	"kurz/internal/media/mp4"
	"kurz/internal/policy"
)

// Upload is a resumable upload (tus) in progress.
type Upload struct {
	ID      string
	VideoID string
	Length  int64
	Offset  int64
}

// StartUpload creates a video in the uploading state and the upload that will fill it.
// Metadata is checked now, so a bad caption fails before a single byte is sent.
func (s *Service) StartUpload(ctx context.Context, v policy.Viewer, m Meta, length int64) (*Upload, error) {
	if err := policy.VideoDecision(v, policy.UploadVideo, policy.Video{}, policy.Relation{}); err != nil {
		return nil, err
	}
	if length <= 0 {
		return nil, errs.Invalid("length", "empty_upload", "the file is empty; choose a video to upload")
	}
	if length > s.d.Limits.MaxUploadBytes {
		return nil, &errs.Error{Kind: errs.KindTooLarge, Code: "upload_too_large",
			Message: fmt.Sprintf("a video can be at most %d MiB", s.d.Limits.MaxUploadBytes>>20)}
	}
	tags, mentions, err := s.checkMeta(&m)
	if err != nil {
		return nil, err
	}
	now := s.d.Now()
	row := &db.VideoRow{ID: s.d.NewID(), AccountID: v.AccountID, Caption: m.Caption, Visibility: m.Visibility,
		AllowComments: m.AllowComments == nil || *m.AllowComments, AllowDownload: m.AllowDownload != nil && *m.AllowDownload,
		State: StateUploading, CreatedAt: now, UpdatedAt: now, Hashtags: tags, Mentions: mentions, Language: m.Language}
	up := &db.UploadRow{ID: s.d.NewID(), AccountID: v.AccountID, VideoID: row.ID, Length: length, CreatedAt: now, ExpiresAt: now.Add(s.d.Limits.UploadTTL)}
	if err := os.MkdirAll(s.d.StagingDir, 0o750); err != nil {
		return nil, errs.Internal(err)
	}
	if err := s.d.Videos.CreateWithUpload(ctx, row, up); err != nil {
		return nil, errs.Internal(err)
	}
	return &Upload{ID: up.ID, VideoID: row.ID, Length: length}, nil
}

func (s *Service) upload(ctx context.Context, v policy.Viewer, uploadID string) (*db.UploadRow, error) {
	if !id.Valid(uploadID) {
		return nil, errs.NotFound("upload")
	}
	up, err := s.d.Videos.Upload(ctx, uploadID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errs.NotFound("upload")
	}
	if err != nil {
		return nil, errs.Internal(err)
	}
	// Someone else's upload does not exist, as far as this viewer can tell.
	if v.Anonymous() || up.AccountID != v.AccountID || !s.d.Now().Before(up.ExpiresAt) {
		return nil, errs.NotFound("upload")
	}
	return up, nil
}

// UploadStatus returns how much of an upload has arrived, so a client can resume.
func (s *Service) UploadStatus(ctx context.Context, v policy.Viewer, uploadID string) (*Upload, error) {
	up, err := s.upload(ctx, v, uploadID)
	if err != nil {
		return nil, err
	}
	return &Upload{ID: up.ID, VideoID: up.VideoID, Length: up.Length, Offset: up.Offset}, nil
}

func (s *Service) stagingPath(uploadID string) string {
	return filepath.Join(s.d.StagingDir, uploadID+".part")
}

// WriteUpload appends r at offset. A wrong offset is a conflict (the client must ask where
// to resume). When the last byte arrives the upload is checked and handed to processing;
// then the finished video is returned.
func (s *Service) WriteUpload(ctx context.Context, v policy.Viewer, uploadID string, offset int64, r io.Reader) (*Upload, *Video, error) {
	up, err := s.upload(ctx, v, uploadID)
	if err != nil {
		return nil, nil, err
	}
	if offset != up.Offset {
		return nil, nil, errs.Conflict("offset_mismatch", fmt.Sprintf("the upload is at byte %d, not %d; resume from there", up.Offset, offset))
	}
	f, err := os.OpenFile(s.stagingPath(up.ID), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, errs.Internal(err)
	}
	// Whatever an earlier, interrupted write left past the recorded offset is overwritten.
	if err := f.Truncate(up.Offset); err != nil {
		f.Close()
		return nil, nil, errs.Internal(err)
	}
	if _, err := f.Seek(up.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, errs.Internal(err)
	}
	n, copyErr := io.Copy(f, io.LimitReader(r, up.Length-up.Offset))
	syncErr := f.Sync()
	f.Close()
	if syncErr != nil {
		return nil, nil, errs.Internal(syncErr)
	}
	// Bytes that arrived before a dropped connection still count: that is what makes the
	// upload resumable.
	next := up.Offset + n
	if n > 0 {
		if err := s.d.Videos.AdvanceUpload(ctx, up.ID, up.Offset, next); err != nil {
			if !errors.Is(err, db.ErrNotFound) {
				return nil, nil, errs.Internal(err)
			}
			if _, err := s.d.Videos.Upload(ctx, up.ID); errors.Is(err, db.ErrNotFound) {
				// Cancelled, expired or erased with its account while these bytes arrived:
				// the file this write made again must not outlive the upload.
				if err := os.Remove(s.stagingPath(up.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
					s.d.Log.Error("remove the partial file of a deleted upload", "upload", up.ID, "err", err)
				}
				return nil, nil, errs.NotFound("upload")
			}
			return nil, nil, errs.Conflict("offset_mismatch", "another request wrote to this upload at the same time; ask for the offset and resume")
		}
	}
	status := &Upload{ID: up.ID, VideoID: up.VideoID, Length: up.Length, Offset: next}
	if copyErr != nil {
		return status, nil, errs.Invalid("body", "upload_interrupted", fmt.Sprintf("the upload stopped at byte %d; resume from there", next))
	}
	if next < up.Length {
		return status, nil, nil
	}
	vid, err := s.finish(ctx, v, up)
	return status, vid, err
}

// CancelUpload abandons an upload and its video.
func (s *Service) CancelUpload(ctx context.Context, v policy.Viewer, uploadID string) error {
	up, err := s.upload(ctx, v, uploadID)
	if err != nil {
		return err
	}
	return s.discard(ctx, up)
}

// discard removes an upload's partial file, its row and its video. The file is removed
// again once the row is gone: a write that was in flight may have made it anew, and a
// write that starts later finds no upload and removes its own file (see WriteUpload).
func (s *Service) discard(ctx context.Context, up *db.UploadRow) error {
	if err := os.Remove(s.stagingPath(up.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errs.Internal(err)
	}
	if err := s.purge(ctx, up.VideoID); err != nil { // the upload row goes with the video
		return err
	}
	if err := os.Remove(s.stagingPath(up.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errs.Internal(err)
	}
	return nil
}

// eraseUploads removes an account's unfinished uploads, for its erasure: the partial files
// in staging (which hold the start of a video and sit outside the database and the object
// store), the upload rows and the videos they were filling.
func (s *Service) eraseUploads(ctx context.Context, accountID string) error {
	ups, err := s.d.Videos.UploadsOf(ctx, accountID)
	if err != nil {
		return err
	}
	for _, up := range ups {
		if err := s.discard(ctx, up); err != nil {
			return err
		}
	}
	return nil
}

// UploadWhole takes a complete file in one request (scripts, small clips): it streams to
// staging and then follows the same path as a resumable upload.
func (s *Service) UploadWhole(ctx context.Context, v policy.Viewer, m Meta, r io.Reader, length int64) (*Video, error) {
	if length < 0 { // unknown (multipart): spool first to learn the size, within the limit
		tmp, err := os.CreateTemp(s.d.StagingDir, "whole-*.part")
		if err != nil {
			if err := os.MkdirAll(s.d.StagingDir, 0o750); err != nil {
				return nil, errs.Internal(err)
			}
			if tmp, err = os.CreateTemp(s.d.StagingDir, "whole-*.part"); err != nil {
				return nil, errs.Internal(err)
			}
		}
		defer os.Remove(tmp.Name())
		n, err := io.Copy(tmp, io.LimitReader(r, s.d.Limits.MaxUploadBytes+1))
		tmp.Close()
		if err != nil {
			return nil, errs.Invalid("file", "upload_interrupted", "the upload did not arrive whole; try again")
		}
		if n > s.d.Limits.MaxUploadBytes {
			return nil, &errs.Error{Kind: errs.KindTooLarge, Code: "upload_too_large",
				Message: fmt.Sprintf("a video can be at most %d MiB", s.d.Limits.MaxUploadBytes>>20)}
		}
		f, err := os.Open(tmp.Name())
		if err != nil {
			return nil, errs.Internal(err)
		}
		defer f.Close()
		r, length = f, n
	}
	up, err := s.StartUpload(ctx, v, m, length)
	if err != nil {
		return nil, err
	}
	status, vid, err := s.WriteUpload(ctx, v, up.ID, 0, r)
	if err != nil {
		if vid == nil && (status == nil || status.Offset < length) {
			_ = s.discard(context.WithoutCancel(ctx), &db.UploadRow{ID: up.ID, VideoID: up.VideoID})
		}
		return nil, err
	}
	if vid == nil {
		_ = s.discard(context.WithoutCancel(ctx), &db.UploadRow{ID: up.ID, VideoID: up.VideoID})
		return nil, errs.Invalid("file", "upload_interrupted", "the upload did not arrive whole; try again")
	}
	return vid, nil
}

// rejection is a reason to refuse a video, in words for its creator.
type rejection struct {
	kind    errs.Kind
	code    string
	message string
}

func (r *rejection) Error() string { return r.code + ": " + r.message }

func (r *rejection) domain() *errs.Error {
	return &errs.Error{Kind: r.kind, Code: r.code, Message: r.message, Field: "file"}
}

// check decides from the bytes alone, cheaply and at once, whether a file can be a video:
// sniffing, then the pure-Go MP4 probe. Files it cannot judge (other containers, unusual
// MP4 layouts) go on to ffprobe in the processing job.
func (s *Service) check(f *os.File, size int64) *rejection {
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	kind := mp4.Sniff(head[:n])
	switch {
	case kind == mp4.KindEmpty:
		return &rejection{errs.KindInvalid, "empty_file", "the file is empty; choose a video to upload"}
	case kind == mp4.KindMatroska || kind == mp4.KindAVI:
		return nil // WebM, MKV, AVI: ffmpeg decides
	case !kind.IsMovie():
		return &rejection{errs.KindUnsupported, "not_a_video", fmt.Sprintf("this file is %s, not a video", kind.Describe())}
	}
	info, err := mp4.Inspect(f, size)
	switch {
	case err == nil:
	case errors.Is(err, mp4.ErrUnsupported):
		return nil
	case errors.Is(err, mp4.ErrNotMP4):
		return &rejection{errs.KindUnsupported, "not_a_video", "this file is not a video"}
	case errors.Is(err, mp4.ErrTruncated):
		return &rejection{errs.KindUnprocessable, "incomplete_file", "the video file is incomplete: it ends before its own end; upload the whole file again"}
	case errors.Is(err, mp4.ErrNoMoov):
		return &rejection{errs.KindUnprocessable, "undecodable", "the video cannot be played: it has no index (moov box), as happens when a recording is cut off"}
	default:
		return &rejection{errs.KindUnprocessable, "undecodable", "the video file is damaged and cannot be played (" + err.Error() + ")"}
	}
	w, h := dims(info)
	return s.judge(info.Video() != nil, info.Duration, w, h)
}

func dims(info *mp4.Info) (w, h int) {
	if v := info.Video(); v != nil {
		return v.Width, v.Height
	}
	return 0, 0
}

// judge applies the limits every path shares.
func (s *Service) judge(hasVideo bool, d interface{ Seconds() float64 }, w, h int) *rejection {
	if !hasVideo {
		return &rejection{errs.KindUnprocessable, "no_video_stream", "this file has no picture, only sound; upload a video"}
	}
	if max := s.d.Limits.MaxDuration; d.Seconds() > max.Seconds() {
		return &rejection{errs.KindUnprocessable, "too_long", fmt.Sprintf("the video is %.0f seconds long; the limit is %.0f", d.Seconds(), max.Seconds())}
	}
	if w*h > s.d.Limits.MaxPixels {
		return &rejection{errs.KindUnprocessable, "too_many_pixels", fmt.Sprintf("the picture is %dx%d; the limit is %d pixels", w, h, s.d.Limits.MaxPixels)}
	}
	return nil
}

// finish runs when the last byte arrived: check the file, store it as the source, and
// queue processing — or refuse it and leave nothing behind.
func (s *Service) finish(ctx context.Context, v policy.Viewer, up *db.UploadRow) (*Video, error) {
	path := s.stagingPath(up.ID)
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.Internal(err)
	}
	defer f.Close()
	if rej := s.check(f, up.Length); rej != nil {
		if err := s.discard(context.WithoutCancel(ctx), up); err != nil {
			s.d.Log.Error("discard refused upload", "video", up.VideoID, "err", err)
		}
		return nil, rej.domain()
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, errs.Internal(err)
	}
	key := sourceKey(up.VideoID)
	if _, err := s.d.Blobs.Put(ctx, key, f); err != nil {
		return nil, errs.Internal(err)
	}
	job, err := s.d.Bus.Row(JobProcess, processPayload{VideoID: up.VideoID})
	if err != nil {
		return nil, errs.Internal(err)
	}
	if err := s.d.Videos.FinishUpload(ctx, up.ID, up.VideoID, job, s.d.Now()); err != nil {
		_ = s.d.Blobs.Delete(context.WithoutCancel(ctx), key)
		return nil, errs.Internal(err)
	}
	s.d.Bus.Wake()
	return s.Get(ctx, v, up.VideoID)
}

func sourceKey(videoID string) string { return "videos/" + videoID + "/source" }

// SweepUploads removes uploads abandoned past their expiry, with their videos and files.
func (s *Service) SweepUploads(ctx context.Context) (int, error) {
	ups, err := s.d.Videos.ExpiredUploads(ctx, s.d.Now())
	if err != nil {
		return 0, err
	}
	for _, up := range ups {
		if err := s.discard(ctx, up); err != nil {
			return 0, err
		}
	}
	return len(ups), nil
}
