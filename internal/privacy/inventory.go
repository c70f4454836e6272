package privacy

import (
	"context"

	"fmt"
	"time"

	"kurz/internal/errs"
	"kurz/internal/policy"
)

// Category is one kind of data kurz keeps about an account: what it is, why it is kept, for
// how long, whether it is encrypted, and whether kurz holds any of it for this account now.
type Category struct {
	Name      string
	Data      []string
	Why       string
	Retention string
	Encrypted bool
	Held      bool
}

// days writes a duration as people say it.
func days(d time.Duration) string {
	switch n := int(d / (24 * time.Hour)); {
	case d%(24*time.Hour) != 0 || n == 0:
		return d.String()
	case n == 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", n)
	}
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
	sessions, err := s.d.Sessions.ListByAccount(ctx, v.AccountID, "", 1, s.d.Now())
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
	untilDeleted := fmt.Sprintf("until you delete your account, then %s more in case you change your mind", days(s.d.Limits.DeletionGrace))
	pending, err := s.PendingDeletion(ctx, v.AccountID)
	if err == nil {
		untilDeleted = "until " + pending.PurgeAt.Format(time.RFC3339) + ", when your account is erased"
	} else if !errs.Is(err, errs.KindNotFound) {
		return nil, err
	}
	return []Category{
		{Name: "profile", Data: []string{"username", "display name", "bio", "profile picture", "private and personalised settings", "home region"},
			Why: "to show your profile and apply your settings", Retention: untilDeleted, Held: true},
		{Name: "password", Data: []string{"an argon2id hash of your password"},
			Why: "to check it is you when you log in; the password itself is never stored", Retention: untilDeleted, Held: acc.PasswordHash != ""},
		{Name: "contact_and_age", Data: []string{"e-mail address", "phone number", "birth date"},
			Why:       "to let you log in with your e-mail and recover your account, and to keep the accounts of minors private by default",
			Retention: untilDeleted + "; erasure destroys the key, so no backup can be read either", Encrypted: true,
			Held: mine.Email != "" || mine.Phone != "" || mine.BirthDate != ""},
		{Name: "sessions", Data: []string{"a coarse device label such as \"Firefox on Android\"", "when each log-in started and was last used"},
			Why: "so you can see and end your log-ins", Retention: fmt.Sprintf("until you log out, or %s without use", days(s.d.Limits.SessionTTL)), Held: len(sessions) > 0},
		{Name: "log_in_origins", Data: []string{"the network part of your IP address (/24 or /48) at each log-in", "your browser's User-Agent at each log-in"},
			Why:       "to spot log-ins that were not you",
			Retention: days(s.d.Limits.SessionIPRetention) + ", then deleted", Encrypted: true, Held: len(mine.Sessions) > 0},
		{Name: "interest_profile", Data: []string{"the hashtags and accounts you engage with, and how strongly",
			"how many recent videos you engaged with or turned away from", "a taste vector learned from what you watch to the end",
			"your \"not interested\" marks, and the videos you have seen so they do not come back"},
			Why: "to choose the videos of your For You feed, and only while personalisation is on; never for advertising",
			Retention: "learned interests fade by half each week without new activity and are forgotten at once when you reset them " +
				"(Refresh For You); \"not interested\" marks stay until you delete your account",
			Held: interests.Held()},
		{Name: "access_log", Data: []string{"who read your personal data, in what role, why, which fields and when"},
			Why:       "so you and auditors can check nobody reads your data unseen",
			Retention: "forever: the log is append-only; it names you by a keyed pseudonym, never by your id or e-mail", Held: len(logged) > 0},
		{Name: "exports", Data: []string{"the archive of your data you asked for"},
			Why: "so you can download it", Retention: fmt.Sprintf("until you download it once, or %s after it is ready", days(s.d.Limits.ExportTTL)), Encrypted: true, Held: exported},
	}, nil
}
