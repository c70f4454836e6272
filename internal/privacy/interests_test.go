package privacy_test

import (
	"strings"
	"testing"

	"kurz/internal/privacy"
)

func TestInterestSummaryInWords(t *testing.T) {
	empty := (&privacy.InterestProfile{Personalised: true}).Summary()
	if !strings.HasPrefix(empty[0], "Personalisation is on") || !strings.Contains(strings.Join(empty, " "), "Nothing has been learned") {
		t.Fatalf("empty profile: %q", empty)
	}
	p := &privacy.InterestProfile{
		Hashtags:              []privacy.Interest{{Name: "pasta", Strength: "strong"}, {Name: "food", Strength: "some"}},
		Creators:              []privacy.Interest{{Name: "chef", Strength: "slight"}},
		RecentEngaged:         1,
		NotInterestedHashtags: []string{"prank"},
		NotInterestedCreators: []string{"a", "b"},
	}
	got := strings.Join(p.Summary(), "\n")
	for _, want := range []string{
		"Personalisation is off",
		"Hashtags you engage with: #pasta (strong), #food (some).",
		"Accounts you engage with: @chef (slight).",
		"Learned from 1 video you recently watched through, liked or shared.",
		"You marked 2 accounts and 1 hashtag as not interesting",
		"None of this is used for advertising",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, " 0 ") || strings.Contains(got, "taste vector") || strings.Contains(got, "Nothing has been learned") {
		t.Errorf("summary speaks of what is not there:\n%s", got)
	}
	if !p.Learned() || !p.Held() || (&privacy.InterestProfile{Watched: 3}).Learned() || !(&privacy.InterestProfile{Watched: 3}).Held() {
		t.Error("Learned and Held disagree with the profile")
	}
}
