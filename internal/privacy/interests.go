package privacy

import (
	"context"
	"fmt"
	"strings"

	"kurz/internal/errs"
	"kurz/internal/policy"
)

// InterestProfile is what the For You recommender holds about an account, for its owner to
// read: what it learned from their watching (which "Refresh For You" forgets), the owner's
// own choices (which a refresh keeps), and what it remembers so seen videos do not return.
type InterestProfile struct {
	Personalised bool // the account's switch: whether For You uses any of this

	// Learned from watching; a refresh forgets all of it.
	Hashtags        []Interest // strongest first
	Creators        []Interest // by username, strongest first
	RecentEngaged   int        // recent videos watched through, looped, liked, shared or commented on
	RecentTurnedOff int        // recent videos skipped early or marked not interested
	TasteVector     bool       // a learned list of numbers that places the account near videos it watches to the end

	// The owner's own choices; a refresh keeps them.
	NotInterestedVideos   []string // video ids
	NotInterestedCreators []string // usernames
	NotInterestedHashtags []string
	Following             int

	// Kept by a refresh too.
	Watched  int // videos remembered as seen, so they are not recommended again
	Views    int // videos opened since the recommender first saw the account
	Region   string
	Language string
}

// Interest is one learned interest in a hashtag or a creator, with its strength in words
// ("strong", "some" or "slight") and the decayed score behind it.
type Interest struct {
	Name     string
	Strength string
	Score    float64
}

// Learned reports whether anything a refresh would forget is held.
func (p *InterestProfile) Learned() bool {
	return len(p.Hashtags) > 0 || len(p.Creators) > 0 || p.RecentEngaged > 0 || p.RecentTurnedOff > 0 || p.TasteVector
}

// Held reports whether the recommender holds anything at all about the account.
func (p *InterestProfile) Held() bool {
	return p.Learned() || len(p.NotInterestedVideos)+len(p.NotInterestedCreators)+len(p.NotInterestedHashtags) > 0 ||
		p.Following > 0 || p.Watched > 0 || p.Views > 0
}

// InterestProfiler reads an account's interest profile from the recommender. The feed
// provides it; the service only adds the owner check, the export and the inventory.
type InterestProfiler interface {
	InterestProfile(ctx context.Context, accountID string) (*InterestProfile, error)
}

// SetInterests hands the service the recommender's profiles. Without it the profile is
// empty: an instance without a recommender has learned nothing.
func (s *Service) SetInterests(p InterestProfiler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interests = p
}

func (s *Service) interestProfile(ctx context.Context, accountID string, personalised bool) (*InterestProfile, error) {
	s.mu.Lock()
	p := s.interests
	s.mu.Unlock()
	if p == nil {
		return &InterestProfile{Personalised: personalised}, nil
	}
	out, err := p.InterestProfile(ctx, accountID)
	if err != nil {
		return nil, errs.Internal(err)
	}
	out.Personalised = personalised
	return out, nil
}

// MyInterests returns the viewer's own interest profile. Nobody else may read it, staff
// included: it is not vault data with a declared purpose, it is theirs.
func (s *Service) MyInterests(ctx context.Context, v policy.Viewer) (*InterestProfile, error) {
	acc, t, err := s.target(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	if err := policy.PrivacyDecision(v, policy.ManageOwnPrivacy, t); err != nil {
		return nil, err
	}
	return s.interestProfile(ctx, acc.ID, acc.Personalised)
}

// Summary puts the profile in sentences a person can read, in the order a person asks:
// is it used, what did it learn, what did I choose, what does a refresh do.
func (p *InterestProfile) Summary() []string {
	var out []string
	if p.Personalised {
		out = append(out, "Personalisation is on: your For You feed is chosen using what is below.")
	} else {
		out = append(out, "Personalisation is off: your For You feed uses only your region and language. "+
			"What is below still follows your activity but is not used while the switch is off.")
	}
	if !p.Learned() {
		out = append(out, "Nothing has been learned about your interests yet (or you reset them).")
	} else {
		if s := strengths(p.Hashtags, "#"); s != "" {
			out = append(out, "Hashtags you engage with: "+s+".")
		}
		if s := strengths(p.Creators, "@"); s != "" {
			out = append(out, "Accounts you engage with: "+s+".")
		}
		var from []string
		if p.RecentEngaged > 0 {
			from = append(from, count(p.RecentEngaged, "video")+" you recently watched through, liked or shared")
		}
		if p.RecentTurnedOff > 0 {
			from = append(from, count(p.RecentTurnedOff, "video")+" you recently skipped or turned away from")
		}
		if len(from) > 0 {
			out = append(out, "Learned from "+and(from)+".")
		}
		if p.TasteVector {
			out = append(out, "A taste vector: a list of numbers learned from what you watch to the end, used to find similar videos.")
		}
	}
	var marked []string
	for _, m := range []struct {
		n    int
		noun string
	}{{len(p.NotInterestedVideos), "video"}, {len(p.NotInterestedCreators), "account"}, {len(p.NotInterestedHashtags), "hashtag"}} {
		if m.n > 0 {
			marked = append(marked, count(m.n, m.noun))
		}
	}
	if len(marked) > 0 {
		out = append(out, "You marked "+and(marked)+" as not interesting; they stay hidden.")
	}
	out = append(out, "Resetting your interests (Refresh For You) forgets everything learned. Your \"not interested\" marks, "+
		"the accounts you follow and the list of videos you have seen stay, so those videos do not come back.",
		"None of this is used for advertising: kurz shows no ads and shares your profile with nobody.")
	return out
}

func strengths(list []Interest, prefix string) string {
	var parts []string
	for _, x := range list {
		parts = append(parts, prefix+x.Name+" ("+x.Strength+")")
	}
	return strings.Join(parts, ", ")
}

// and joins a list the way a sentence does: "a", "a and b", "a, b and c".
func and(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// InterestProfileDoc is the profile as a document: interests/interest_profile.json in the
// export archive (described by schema.json) and the answer of GET /api/v1/me/interests, so
// the archive and the privacy page show the same words.
type InterestProfileDoc struct {
	Personalised bool     `json:"personalised"`
	Summary      []string `json:"summary"`
	Learned      struct {
		Hashtags         []InterestDoc `json:"hashtags"`
		Creators         []InterestDoc `json:"accounts"`
		RecentEngaged    int           `json:"recent_engaged_videos"`
		RecentTurnedAway int           `json:"recent_turned_away_videos"`
		TasteVector      bool          `json:"taste_vector"`
	} `json:"learned"`
	Choices struct {
		NotInterestedVideos   []string `json:"not_interested_videos"`
		NotInterestedCreators []string `json:"not_interested_accounts"`
		NotInterestedHashtags []string `json:"not_interested_hashtags"`
		Following             int      `json:"following"`
	} `json:"choices"`
	Memory struct {
		Watched  int    `json:"videos_remembered_as_seen"`
		Views    int    `json:"videos_opened"`
		Region   string `json:"region"`
		Language string `json:"language"`
	} `json:"memory"`
}

// InterestDoc is one learned interest of InterestProfileDoc.
type InterestDoc struct {
	Name     string  `json:"name"`
	Strength string  `json:"strength"`
	Score    float64 `json:"score"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Doc returns the profile as a document, with empty lists rather than null.
func (p *InterestProfile) Doc() InterestProfileDoc {
	var j InterestProfileDoc
	j.Personalised, j.Summary = p.Personalised, p.Summary()
	j.Learned.Hashtags, j.Learned.Creators = interestDocs(p.Hashtags), interestDocs(p.Creators)
	j.Learned.RecentEngaged, j.Learned.RecentTurnedAway, j.Learned.TasteVector = p.RecentEngaged, p.RecentTurnedOff, p.TasteVector
	j.Choices.NotInterestedVideos = nonNil(p.NotInterestedVideos)
	j.Choices.NotInterestedCreators = nonNil(p.NotInterestedCreators)
	j.Choices.NotInterestedHashtags = nonNil(p.NotInterestedHashtags)
	j.Choices.Following = p.Following
	j.Memory.Watched, j.Memory.Views, j.Memory.Region, j.Memory.Language = p.Watched, p.Views, p.Region, p.Language
	return j
}

func interestDocs(list []Interest) []InterestDoc {
	out := make([]InterestDoc, 0, len(list))
	for _, x := range list {
		out = append(out, InterestDoc{Name: x.Name, Strength: x.Strength, Score: x.Score})
	}
	return out
}

// WriteInterestProfile adds the profile to an export archive as interest_profile.json.
func WriteInterestProfile(w *ExportWriter, p *InterestProfile) error {
	j := p.Doc()
	return w.JSON("interest_profile.json", j, "what the For You recommender learned about you, in words (summary) and in detail: "+
		"learned: hashtags and accounts you engage with and how strongly (strong, some or slight; scores halve each week without new activity), "+
		"which Refresh For You forgets; choices: your \"not interested\" marks and follows; memory: what it keeps so seen videos do not come back")
}
