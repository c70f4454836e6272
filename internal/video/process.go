package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"kurz/internal/blob"
	"kurz/internal/bus"
	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/media/ffmpeg"
	"kurz/internal/media/mp4"
	"kurz/internal/policy"
)

type processPayload struct {
	VideoID string `json:"video_id"`
}

// process is the job that makes an uploaded video playable: the fast path when the source
// already plays everywhere, the transcode ladder otherwise.
func (s *Service) process(ctx context.Context, j bus.Job) error {
	var p processPayload
	if err := j.Decode(&p); err != nil {
		return bus.Permanent(err)
	}
	row, err := s.d.Videos.ByID(ctx, p.VideoID)
	if errors.Is(err, db.ErrNotFound) {
		return nil // deleted while queued: nothing to do
	}
	if err != nil {
		return err
	}
	if row.State == StateFailed {
		return nil
	}
	if row.State == StateReady { // a retry after the video became playable: finish its ladder
		return s.d.Bus.Enqueue(ctx, JobLadder, p)
	}
	if err := s.d.Videos.SetState(ctx, p.VideoID, StateProcessing, "", "", s.d.Now()); err != nil {
		return err
	}
	dir, src, err := s.fetchSource(ctx, j.ID, p.VideoID)
	if err != nil {
		return s.settle(ctx, p.VideoID, err)
	}
	defer os.RemoveAll(dir)

	if ok, err := s.fastPath(ctx, p.VideoID, dir, src); err != nil {
		return s.settle(ctx, p.VideoID, err)
	} else if ok {
		return s.settle(ctx, p.VideoID, s.d.Bus.Enqueue(ctx, JobLadder, p))
	}
	return s.settle(ctx, p.VideoID, s.ladder(ctx, p.VideoID, dir, src, true))
}

// errVideoGone stops a job whose video was deleted while it ran.
var errVideoGone = errors.New("video: deleted while processing")

// settle ends a job. A job's video can be deleted while it runs — by its creator, or with
// its whole account — and the deletion cannot wait for ffmpeg. So every job checks at its
// end (and after each file it stores, see stored) whether its video still exists; if not,
// it removes whatever it stored under the video after the deletion took the rest, and ends
// without error and without a retry, whatever went wrong on the way.
func (s *Service) settle(ctx context.Context, videoID string, err error) error {
	_, lookErr := s.d.Videos.ByID(ctx, videoID)
	if !errors.Is(lookErr, db.ErrNotFound) {
		return err
	}
	if derr := s.d.Blobs.DeletePrefix(context.WithoutCancel(ctx), "videos/"+videoID); derr != nil {
		return derr // retried: the next attempt finds the video gone at once and cleans again
	}
	if err != nil && !errors.Is(err, errVideoGone) {
		s.d.Log.Info("video deleted while processing; its job stopped", "video", videoID, "err", err)
	}
	return nil
}

// stored is called after each file a job stores and records: it stops the job once the
// video is gone, so nothing more is made for a deleted video (or an erased account).
func (s *Service) stored(ctx context.Context, videoID string) error {
	if _, err := s.d.Videos.ByID(ctx, videoID); errors.Is(err, db.ErrNotFound) {
		return errVideoGone
	} else if err != nil {
		return err
	}
	return nil
}

// ladderJob makes the renditions of a video already published by the fast path.
func (s *Service) ladderJob(ctx context.Context, j bus.Job) error {
	var p processPayload
	if err := j.Decode(&p); err != nil {
		return bus.Permanent(err)
	}
	if _, err := s.d.Videos.ByID(ctx, p.VideoID); errors.Is(err, db.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	dir, src, err := s.fetchSource(ctx, j.ID, p.VideoID)
	if err != nil {
		return s.settle(ctx, p.VideoID, err)
	}
	defer os.RemoveAll(dir)
	return s.settle(ctx, p.VideoID, s.ladder(ctx, p.VideoID, dir, src, false))
}

// fetchSource copies the source to local scratch space: ffmpeg reads local paths, and the
// object store may be remote.
func (s *Service) fetchSource(ctx context.Context, jobID, videoID string) (dir, path string, err error) {
	dir = filepath.Join(s.d.WorkDir, jobID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", err
	}
	o, err := s.d.Blobs.Open(ctx, sourceKey(videoID))
	if errors.Is(err, blob.ErrNotFound) {
		os.RemoveAll(dir)
		return "", "", bus.Permanent(fmt.Errorf("source of %s is missing", videoID))
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	defer o.Close()
	path = filepath.Join(dir, "source")
	f, err := os.Create(path)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	_, err = io.Copy(f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, path, nil
}

// fastPathEligible says whether a source plays in every browser as it is: H.264 (any
// profile browsers decode) with AAC or no sound, upright, at most 1080 on its short edge,
// within the bitrate limit. Then only a remux is needed.
func (s *Service) fastPathEligible(info *mp4.Info) bool {
	v := info.Video()
	if v == nil || info.Fragmented || v.Rotation != 0 || v.Mirrored {
		return false
	}
	if v.Codec != "avc1" && v.Codec != "avc3" {
		return false
	}
	switch v.Profile {
	case 66, 77, 100: // Baseline, Main, High
	default:
		return false
	}
	if a := info.Audio(); a != nil && a.Codec != "mp4a" {
		return false
	}
	if min(v.Width, v.Height) > 1080 || info.Bitrate > s.d.Limits.FastPathMaxBitrate {
		return false
	}
	for _, t := range info.Tracks {
		if t.Kind == mp4.TrackOther {
			return false // timed metadata tracks (GPS, telemetry) need the transcode to drop them
		}
	}
	return true
}

func (s *Service) fastPath(ctx context.Context, videoID, dir, src string) (bool, error) {
	f, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	info, err := mp4.Inspect(f, st.Size())
	if err != nil || !s.fastPathEligible(info) {
		return false, nil
	}
	out := filepath.Join(dir, "original.mp4")
	w, err := os.Create(out)
	if err != nil {
		return false, err
	}
	if err := mp4.Faststart(w, f, st.Size()); err != nil {
		w.Close()
		s.d.Log.Info("fast path remux refused; transcoding instead", "video", videoID, "err", err)
		return false, nil
	}
	if err := w.Close(); err != nil {
		return false, err
	}
	v := info.Video()
	if err := s.d.Videos.SetMedia(ctx, videoID, info.Duration.Milliseconds(), v.Width, v.Height, s.d.Now()); err != nil {
		return false, err
	}
	if err := s.publish(ctx, videoID, "original", out, v.Width, v.Height, info.Bitrate); err != nil {
		return false, err
	}
	return true, nil
}

// publish stores a rendition file and records it; the first one makes the video ready.
func (s *Service) publish(ctx context.Context, videoID, name, path string, w, h int, bitrate int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	key := fmt.Sprintf("videos/%s/%s.mp4", videoID, name)
	info, err := s.d.Blobs.Put(ctx, key, f)
	if err != nil {
		return err
	}
	before, err := s.d.Videos.ByID(ctx, videoID)
	if err != nil {
		return err
	}
	if err := s.d.Videos.AddRendition(ctx, &db.RenditionRow{VideoID: videoID, Name: name, BlobKey: key, Width: w, Height: h,
		Bitrate: bitrate, Bytes: info.Size}, s.d.Now()); err != nil {
		_ = s.d.Blobs.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	if err := s.stored(ctx, videoID); err != nil {
		return err
	}
	if before.State != StateReady {
		// An account being deleted is hidden from everyone: its video is neither announced
		// to the recommender nor are the accounts it mentions notified. Erasure must find no
		// event about it logged after its own sweep. Should the owner cancel, Restored
		// does both then.
		owner, err := s.owner(ctx, before.AccountID)
		if err != nil || owner.State == string(policy.StateDeleting) {
			return nil
		}
		if row, err := s.d.Videos.ByID(ctx, videoID); err == nil {
			s.published(ctx, row, owner)
		}
	}
	return nil
}

// ladder probes with ffprobe, refuses what cannot be served, then makes the poster and the
// renditions, smallest first so the video is watchable as soon as possible.
func (s *Service) ladder(ctx context.Context, videoID, dir, src string, first bool) error {
	pr, err := s.d.Media.Probe(ctx, src)
	if errors.Is(err, ffmpeg.ErrUndecodable) {
		return bus.Permanent(&rejection{errs.KindUnprocessable, "undecodable", "the video cannot be decoded: " + err.Error()})
	}
	if err != nil {
		return err
	}
	w, h := pr.DisplaySize()
	if rej := s.judge(pr.HasVideo, pr.Duration, w, h); rej != nil {
		return bus.Permanent(rej)
	}
	if first {
		if err := s.d.Videos.SetMedia(ctx, videoID, pr.Duration.Milliseconds(), w, h, s.d.Now()); err != nil {
			return err
		}
	}
	row, err := s.d.Videos.ByID(ctx, videoID)
	if err != nil {
		return err
	}
	if row.PosterKey == "" {
		poster := filepath.Join(dir, "poster.jpg")
		at := min(pr.Duration.Seconds()*0.2, 3)
		if err := s.d.Media.Poster(ctx, src, poster, at, 1280); err != nil {
			return fmt.Errorf("poster: %w", err)
		}
		pf, err := os.Open(poster)
		if err != nil {
			return err
		}
		key := "videos/" + videoID + "/poster.jpg"
		_, err = s.d.Blobs.Put(ctx, key, pf)
		pf.Close()
		if err != nil {
			return err
		}
		if err := s.d.Videos.SetPoster(ctx, videoID, key, s.d.Now()); err != nil {
			return err
		}
		if err := s.stored(ctx, videoID); err != nil {
			return err
		}
	}
	have, err := s.d.Videos.Renditions(ctx, videoID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, r := range have {
		done[r.Name] = true
	}
	for _, r := range s.rungs(pr) {
		if done[r.Name] {
			continue // made by an earlier attempt
		}
		if first && len(done) > 0 {
			// The video plays; the larger renditions are the ladder job's, which has its own
			// time limit and keeps the video when it gives up.
			return s.d.Bus.Enqueue(ctx, JobLadder, processPayload{VideoID: videoID})
		}
		out := filepath.Join(dir, r.Name+".mp4")
		if err := s.d.Media.Transcode(ctx, src, out, r, pr.FrameRate); err != nil {
			if errors.Is(err, ffmpeg.ErrUndecodable) {
				return bus.Permanent(&rejection{errs.KindUnprocessable, "undecodable", "the video cannot be decoded: " + err.Error()})
			}
			return fmt.Errorf("transcode %s: %w", r.Name, err)
		}
		if err := s.publish(ctx, videoID, r.Name, out, r.Width, r.Height, int64(r.VideoBitrate+r.AudioBitrate)); err != nil {
			return err
		}
		done[r.Name] = true
		os.Remove(out)
	}
	return nil
}

// giveUp runs when processing failed for good: the creator sees why, and every file is
// removed. Only the row remains, in the failed state, until the creator deletes it.
func (s *Service) giveUp(ctx context.Context, j bus.Job, err error) {
	var p processPayload
	if j.Decode(&p) != nil {
		return
	}
	code, msg := "processing_failed", "the video could not be processed; try uploading it again"
	var rej *rejection
	if errors.As(err, &rej) {
		code, msg = rej.code, rej.message
	}
	if err := s.d.Blobs.DeletePrefix(ctx, "videos/"+p.VideoID); err != nil {
		s.d.Log.Error("delete files of failed video", "video", p.VideoID, "err", err)
	}
	if err := s.d.Videos.SetState(ctx, p.VideoID, StateFailed, code, msg, s.d.Now()); err != nil {
		s.d.Log.Error("mark video failed", "video", p.VideoID, "err", err)
	}
}

// rungs is the rendition ladder for a source, cut at the configured largest rendition (the
// smallest rung is always kept, so every video gets one).
func (s *Service) rungs(pr *ffmpeg.ProbeResult) []ffmpeg.Rendition {
	all := ffmpeg.Ladder(pr.Width, pr.Height, pr.Rotation)
	if s.d.Limits.MaxRendition <= 0 {
		return all
	}
	var out []ffmpeg.Rendition
	for i, r := range all {
		if i == 0 || min(r.Width, r.Height) <= s.d.Limits.MaxRendition {
			out = append(out, r)
		}
	}
	return out
}

// published announces a video that has just become ready, as just read, and notifies the
// accounts its caption mentions.
func (s *Service) published(ctx context.Context, v *db.VideoRow, owner *db.AccountRow) {
	s.announceRow(ctx, v, owner)
	if s.d.Mentions != nil && len(v.Mentions) > 0 {
		s.d.Mentions.NotifyCaptionMentions(ctx, policy.Viewer{AccountID: v.AccountID}, v.ID, v.Mentions)
	}
}

// Restored does for an account whose owner cancelled its deletion what processing left
// undone while the deletion was pending: it announces each video that became ready since
// pendingSince and notifies the accounts those mention. Without it such a video stayed
// out of For You for good.
func (s *Service) Restored(ctx context.Context, accountID string, pendingSince time.Time) {
	owner, err := s.owner(ctx, accountID)
	if err != nil {
		s.d.Log.Warn("announce the videos of a restored account", "account", accountID, "err", err)
		return
	}
	after := ""
	for {
		rows, err := s.d.Videos.ListByAccount(ctx, accountID, []string{StateReady}, []string{"public", "followers", "private"}, after, 100)
		if err != nil {
			s.d.Log.Warn("announce the videos of a restored account", "account", accountID, "err", err)
			return
		}
		for _, v := range rows {
			if v.ReadyAt.Before(pendingSince) {
				continue
			}
			full, err := s.d.Videos.ByID(ctx, v.ID) // the listing leaves out hashtags and mentions
			if err != nil {
				s.d.Log.Warn("announce a video of a restored account", "video", v.ID, "err", err)
				continue
			}
			s.published(ctx, full, owner)
		}
		if len(rows) < 100 {
			return
		}
		after = rows[len(rows)-1].ID
	}
}
