package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kurz/internal/db"
	"kurz/internal/errs"
	"kurz/internal/policy"
)

// Category is one kind of data kurz keeps about an account: what it is, why it is kept, for
// how long, whether it is encrypted, whether kurz holds any of it for this account now and,
// where counting is cheap, how much. Export says where the data export archive holds it.
type Category struct {
	Name      string
	Data      []string
	Why       string
	Retention string
	Encrypted bool
	Held      bool
	// Count is how many items are held when Amount is set; Amount says it in words
	// ("3 videos, 41.2 MB"). An empty Amount means kurz does not count this category.
	Count  int64
	Amount string
	// Export lists where the archive holds the category: file paths (path.Match patterns
	// such as "videos/*.mp4") or "file#key" for one top-level key of a JSON file that holds
	// several categories. Empty: the category is not in the archive.
	Export []string
}

type holdingStore interface {
	Count(ctx context.Context, accountID string) (*db.HoldingCounts, error)
}

// notificationRetention says how long a notification is kept.
func notificationRetention(keep time.Duration, accountEnd string) string {
	goes := "the follow, like, comment or video it is about goes, or " + accountEnd
	if keep <= 0 {
		return "until " + goes
	}
	return days(keep) + ", then deleted; sooner if " + goes
}

// historyRetention says how long the watch history is kept.
func historyRetention(keep time.Duration, untilDeleted string) string {
	inProgress := ". A play in progress is dropped a few hours after you stop watching"
	if keep <= 0 {
		return untilDeleted + ": it is the source every count and recommendation is rebuilt from" + inProgress
	}
	return "what you were shown and watched, and your likes, shares and comments as events: " + days(keep) +
		", then deleted (the likes and comments themselves stay, see above); a follow you ended or a \"not interested\" mark you took back: " +
		days(keep) + " after you did, then deleted with what ended it; follows and marks still in force, and resets: " +
		untilDeleted + ", as the recommender is rebuilt from them" + inProgress
}

// days writes a duration as people say it.
func days(d time.Duration) string {
	switch n := int(d / (24 * time.Hour)); {
	case d%(24*time.Hour) != 0 || n == 0:
		if d%time.Hour == 0 && d < 24*time.Hour {
			return plural(int64(d/time.Hour), "hour", "hours")
		}
		return d.String()
	case n == 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", n)
	}
}

// plural says n things: "1 video", "3 videos".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// megabytes says a size the way a file manager does.
func megabytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	default:
		return plural(n, "byte", "bytes")
	}
}

// counted sets a category's count and says it in words.
func (c Category) counted(n int64, one, many string) Category {
	c.Count, c.Amount, c.Held = n, plural(n, one, many), n > 0
	return c
}

// WhatWeStore lists every category of data kurz keeps about the viewer. Reading it is the
// owner reading their own data, which is not logged.
func (s *Service) WhatWeStore(ctx context.Context, v policy.Viewer) ([]Category, error) {
	acc, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	mine, err := s.d.Vault.Read(ctx, v.AccountID, Access{Actor: v.AccountID, Role: RoleOwner})
	if err != nil {
		return nil, err
	}
	sessions, err := s.d.Sessions.ListByAccount(ctx, v.AccountID, "", 1000, s.d.Now())
	if err != nil {
		return nil, errs.Internal(err)
	}
	logged, err := s.d.AccessLog.EntriesFor(ctx, s.d.Vault.Pseudonym(v.AccountID), 0, 1)
	if err != nil {
		return nil, errs.Internal(err)
	}
	exported, err := s.d.Exports.Held(ctx, v.AccountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	interests, err := s.interestProfile(ctx, acc.ID, acc.Personalised)
	if err != nil {
		return nil, err
	}
	h := &db.HoldingCounts{}
	if s.d.Holdings != nil {
		if h, err = s.d.Holdings.Count(ctx, v.AccountID); err != nil {
			return nil, errs.Internal(err)
		}
	}
	// accountEnd is when everything kept "as long as the account" goes.
	accountEnd := fmt.Sprintf("you delete your account (then %s more, in case you change your mind)", days(s.d.Limits.DeletionGrace))
	pending, err := s.PendingDeletion(ctx, v.AccountID)
	if err == nil {
		accountEnd = "your account is erased on " + pending.PurgeAt.Format(time.RFC3339)
	} else if !errs.Is(err, errs.KindNotFound) {
		return nil, err
	}
	untilDeleted := "until " + accountEnd
	marks := int64(len(interests.NotInterestedVideos) + len(interests.NotInterestedCreators) + len(interests.NotInterestedHashtags))
	var follows []string
	for _, x := range []struct {
		n         int64
		one, many string
	}{{h.Following, "account you follow", "accounts you follow"}, {h.Followers, "follower", "followers"},
		{h.RequestsSent, "request you sent", "requests you sent"}, {h.RequestsReceived, "request to you", "requests to you"}} {
		if x.n > 0 {
			follows = append(follows, plural(x.n, x.one, x.many))
		}
	}
	followCount := h.Following + h.Followers + h.RequestsSent + h.RequestsReceived
	followAmount := strings.Join(follows, ", ")
	if followAmount == "" {
		followAmount = "none"
	}
	files := Category{Name: "video_files",
		Data: []string{"the original file of each video you uploaded (repackaged so it plays at once, when it could be)",
			"copies at 480p, 720p and 1080p for small screens and slow connections", "a poster image of each video"},
		Why:       "to play your videos on every screen and connection",
		Retention: "until you delete the video, or " + accountEnd,
		Export:    []string{"videos/*.mp4"}}.counted(h.VideoFiles, "file", "files")
	if h.VideoBytes > 0 {
		files.Amount += ", " + megabytes(h.VideoBytes) + " of video"
	}
	pendingCat := Category{Name: "deletion_request", Data: []string{"when you asked to delete your account, and when it will be erased"},
		Why:       "to erase your account when the grace period ends, and to let you cancel by logging in before then",
		Retention: "until your account is erased, or you log in and the request is cancelled"}
	if pending != nil {
		pendingCat.Held = true
	}
	return []Category{
		// The account.
		{Name: "profile", Data: []string{"username", "display name", "bio", "profile picture", "private and personalised settings", "home region",
			"the video language you chose, if you chose one",
			"your display name as words in the search index"},
			Why: "to show your profile, let people find you and apply your settings", Retention: untilDeleted, Held: true,
			Export: []string{"account.json", "avatar/*"}},
		{Name: "password", Data: []string{"an argon2id hash of your password"},
			Why: "to check it is you when you log in; the password itself is never stored", Retention: untilDeleted, Held: acc.PasswordHash != ""},
		{Name: "contact_and_age", Data: []string{"e-mail address", "phone number", "birth date"},
			Why:       "to let you log in with your e-mail and recover your account, and to keep the accounts of minors private by default",
			Retention: untilDeleted + "; erasure destroys the key, so no backup can be read either", Encrypted: true,
			Held:   mine.Email != "" || mine.Phone != "" || mine.BirthDate != "",
			Export: []string{"personal_data.json#email", "personal_data.json#phone", "personal_data.json#birth_date"}},
		Category{Name: "sessions", Data: []string{"a coarse device label such as \"Firefox on Android\"", "when each log-in started and was last used"},
			Why: "so you can see and end your log-ins", Retention: fmt.Sprintf("until you log out, or %s without use", days(s.d.Limits.SessionTTL)),
			Export: []string{"sessions.json"}}.counted(int64(len(sessions)), "log-in", "log-ins"),
		Category{Name: "log_in_origins", Data: []string{"the network part of your IP address (/24 or /48) at each log-in", "your browser's User-Agent at each log-in"},
			Why:       "to spot log-ins that were not you",
			Retention: days(s.d.Limits.SessionIPRetention) + ", then deleted", Encrypted: true,
			Export: []string{"personal_data.json#log_in_origins"}}.counted(int64(len(mine.Sessions)), "log-in", "log-ins"),
		Category{Name: "invites", Data: []string{"the invitation you signed up with, if you needed one: who made it and when you used it",
			"the invitations you made, as an administrator"},
			Why:       "so a server that admits people by invitation knows whom it let in",
			Retention: "until the account that made the invitation is deleted; an unused one also stops working when it expires"}.counted(h.Invites, "invitation", "invitations"),
		pendingCat,

		// What you publish and say.
		Category{Name: "videos", Data: []string{"captions with their hashtags and mentions, also as words in the search index",
			"who may see each video, whether it can be commented on or downloaded", "processing state, length and size",
			"how often each was viewed, liked, commented on and shared"},
			Why:       "to show your videos to the people you chose",
			Retention: "until you delete the video, or " + accountEnd,
			Export:    []string{"videos/videos.json"}}.counted(h.Videos, "video", "videos"),
		files,
		Category{Name: "uploads", Data: []string{"the part of a video file you have sent so far, and its expected size"},
			Why:       "so an interrupted upload can resume where it stopped",
			Retention: fmt.Sprintf("until it finishes and becomes a video, or %s after it started", days(s.d.Limits.UploadTTL))}.counted(h.Uploads, "upload", "uploads"),
		Category{Name: "comments", Data: []string{"the comments and replies you wrote, on which video and when", "the comments you liked"},
			Why:       "to show them under the videos",
			Retention: "until you or the video's creator delete the comment, or " + accountEnd,
			Export:    []string{"social/activity.json#comments"}}.counted(h.Comments, "comment", "comments"),
		Category{Name: "comment_filters", Data: []string{"the keywords that hold back comments on your videos"},
			Why: "to hold back comments with words you do not want on your videos", Retention: "until you remove them, or " + accountEnd,
			Export: []string{"social/activity.json#comment_filter_keywords"}}.counted(h.CommentFilters, "keyword", "keywords"),

		// You and other people.
		Category{Name: "likes", Data: []string{"the videos you liked, and when"},
			Why:       "to count likes, show which videos you liked and tell the creator",
			Retention: "until you take the like back, or " + accountEnd,
			Export:    []string{"social/activity.json#likes"}}.counted(h.Likes, "like", "likes"),
		{Name: "follows", Data: []string{"the accounts you follow and the accounts that follow you, since when",
			"follow requests you sent to private accounts, and those sent to you, while they wait"},
			Why:       "to build your Following feed, show follower lists and let private accounts choose their followers",
			Retention: "until you or they end the follow, a block ends it, or " + accountEnd,
			Held:      followCount > 0, Count: followCount, Amount: followAmount,
			Export: []string{"social/activity.json#following", "social/activity.json#followers"}},
		Category{Name: "blocks_and_mutes", Data: []string{"the accounts you blocked", "the accounts you muted"},
			Why:       "to keep those accounts away from you and out of your feeds; they are not told",
			Retention: "until you unblock or unmute them, or " + accountEnd,
			Export:    []string{"social/activity.json#blocked_usernames", "social/activity.json#muted_usernames"}}.counted(h.Blocked+h.Muted, "account", "accounts"),
		Category{Name: "notifications", Data: []string{"what you are told about: who followed you, liked or commented on your videos or mentioned you, and whether you read it",
			"what others are told about your own follows, likes, comments and mentions"},
			Why:       "to tell you and others what happened",
			Retention: notificationRetention(s.d.Limits.NotificationRetention, accountEnd)}.counted(h.Notifications, "notification", "notifications"),

		// What you watch, and what is learned from it.
		Category{Name: "watch_history", Data: []string{"every event your app reports while you watch: videos shown, played, watched to a point, finished, looped, replayed or skipped, with the feed, time and how long",
			"your likes, shares, comments, follows and unfollows, \"not interested\" marks, the marks you took back, and interest resets",
			"your region and language, on the first event after they changed",
			"while a play goes on, how far it got, under a hash of your session, so creators' analytics count it once"},
			Why:       "it is the record that the For You recommender, view counts, trending and creators' analytics are computed from",
			Retention: historyRetention(s.d.Limits.EventRetention, untilDeleted),
			Export:    []string{"history/watch_history.json"}}.counted(h.Events+h.PlaysInProgress, "event", "events"),
		Category{Name: "not_interested", Data: []string{"the videos, accounts and hashtags you marked \"not interested\""},
			Why:       "to keep them out of your For You feed",
			Retention: "until you take the mark back (under Your interests) or " + accountEnd + "; resetting your interests keeps them",
			Export:    []string{"interests/interest_profile.json#choices"}}.counted(marks, "mark", "marks"),
		{Name: "interest_profile", Data: []string{"the hashtags and accounts you engage with, and how strongly",
			"how many recent videos you engaged with or turned away from", "a taste vector learned from what you watch to the end",
			"the videos you have seen, so they do not come back, and your region and language (your account's, else your browser's language) as your app last sent them with watch events",
			"held in the server's memory and in the recommender's snapshot files"},
			Why: "to choose the videos of your For You feed, and only while personalisation is on; never for advertising",
			Retention: "learned interests fade by half each week without new activity and are forgotten at once when you reset them " +
				"(Refresh For You); the list of seen videos keeps the newest only; erasure removes it all and the snapshots that held it",
			Held:   interests.Learned() || interests.Watched > 0 || interests.Views > 0,
			Export: []string{"interests/interest_profile.json#personalised", "interests/interest_profile.json#summary", "interests/interest_profile.json#learned", "interests/interest_profile.json#memory"}},
		Category{Name: "creator_analytics", Data: []string{"for each of your videos and each day: views, plays, watch time, completions, likes, shares and comments",
			"for each video: plays by feed, and how far plays got (retention)", "for each day: followers gained and lost",
			"totals only: no viewer is named in them"},
			Why:       "to show you how your videos do (Analytics)",
			Retention: untilDeleted + "; the numbers of a deleted video stay in your totals"}.counted(h.AnalyticsDays, "day of figures", "days of figures"),

		// Your data about your data.
		{Name: "access_log", Data: []string{"who read your personal data, in what role, why, which fields and when"},
			Why:       "so you and auditors can check nobody reads your data unseen",
			Retention: "forever: the log is append-only; it names you by a keyed pseudonym, never by your id or e-mail", Held: len(logged) > 0,
			Export: []string{"access_log.json", "personal_data.json#read_logged_as_entry"}},
		{Name: "exports", Data: []string{"the archive of your data you asked for"},
			Why: "so you can download it", Retention: fmt.Sprintf("until you download it once, or %s after it is ready", days(s.d.Limits.ExportTTL)), Encrypted: true, Held: exported},
	}, nil
}
