package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kurz/internal/testkit"
)

// interestNames lists the names of learned.hashtags or learned.accounts with their strengths.
func interestNames(p map[string]any, list string) map[string]string {
	out := map[string]string{}
	for _, x := range p["learned"].(map[string]any)[list].([]any) {
		m := x.(map[string]any)
		out[m["name"].(string)] = m["strength"].(string)
	}
	return out
}

func inventoryHeld(t *testing.T, c *testkit.Client, name string) bool {
	t.Helper()
	r := c.Do("GET", "/api/v1/me/privacy", nil)
	if r.Status != 200 {
		t.Fatalf("inventory: %d %s", r.Status, r.Body)
	}
	for _, x := range r.JSON()["categories"].([]any) {
		m := x.(map[string]any)
		if m["name"] == name {
			if m["why"] == "" || m["retention"] == "" {
				t.Errorf("category %s does not say why or how long: %v", name, m)
			}
			return m["held"].(bool)
		}
	}
	t.Fatalf("the inventory has no %s category: %s", name, r.Body)
	return false
}

// TestInterestProfile follows one viewer from a blank profile through watching, a like,
// "not interested" marks and the personalisation switch to "Refresh For You", reading the
// profile in words after each step, and checks nobody else's profile is touched.
func TestInterestProfile(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewAppNoWorkers(t, e, nil)
			u := users(a, "chef", "runner", "fan", "nosy")
			var dishes []string
			for i := 0; i < 5; i++ {
				dishes = append(dishes, publish(t, a, u["chef"], map[string]string{"caption": fmt.Sprintf("dish %d #pasta #food", i)}))
			}
			run := publish(t, a, u["runner"], map[string]string{"caption": "long run #marathon"})
			prank := publish(t, a, u["nosy"], map[string]string{"caption": "gotcha #prank"})
			get := func(c *testkit.Client) map[string]any {
				t.Helper()
				r := c.Do("GET", "/api/v1/me/interests", nil)
				if r.Status != 200 {
					t.Fatalf("interests: %d %s", r.Status, r.Body)
				}
				return r.JSON()
			}

			fresh := get(u["fan"])
			if fresh["personalised"] != true || len(interestNames(fresh, "hashtags")) != 0 ||
				!strings.Contains(fmt.Sprint(fresh["summary"]), "Nothing has been learned") {
				t.Fatalf("a new account's profile: %v", fresh)
			}
			if inventoryHeld(t, u["fan"], "interest_profile") {
				t.Fatal("the inventory says an interest profile is held before any activity")
			}
			if r := a.Client().Do("GET", "/api/v1/me/interests", nil); r.Status != 401 {
				t.Fatalf("anonymous: %d %s", r.Status, r.Body)
			}

			// Watch every dish to the end, like the run, turn away from the prank.
			var batch []ev
			for i, v := range dishes {
				batch = append(batch, event("play_start", fmt.Sprintf("dish-start-%02d", i), v),
					event("complete", fmt.Sprintf("dish-done-%02d", i), v, "watch_ms", 1000))
			}
			batch = append(batch, event("play_start", "run-start-01", run),
				event("not_interested", "prank-video-1", prank),
				event("not_interested", "prank-maker-1", prank, "target", "creator"),
				ev{"kind": "not_interested", "key": "prank-tag-001", "target": "hashtag", "hashtag": "#Prank",
					"at": time.Now().UTC().Format(time.RFC3339Nano), "feed": "for_you"})
			if r := u["fan"].Do("POST", "/api/v1/events", map[string]any{"events": batch}); r.Status != 200 {
				t.Fatalf("events: %d %s", r.Status, r.Body)
			}
			if r := u["fan"].Do("POST", "/api/v1/videos/"+run+"/like", nil); r.Status != 200 && r.Status != 201 && r.Status != 204 {
				t.Fatalf("like: %d %s", r.Status, r.Body)
			}

			p := get(u["fan"])
			tags, accounts := interestNames(p, "hashtags"), interestNames(p, "accounts")
			if tags["pasta"] != "strong" || tags["food"] != "strong" || tags["marathon"] == "" || tags["marathon"] == "strong" {
				t.Fatalf("learned hashtags: %v", tags)
			}
			if accounts["chef"] != "strong" || accounts["runner"] == "" {
				t.Fatalf("learned accounts: %v", accounts)
			}
			if _, leaked := accounts[""]; leaked {
				t.Fatalf("an account without a name: %v", accounts)
			}
			learned := p["learned"].(map[string]any)
			if learned["recent_engaged_videos"] != 6.0 || learned["recent_turned_away_videos"] != 1.0 {
				t.Fatalf("recent counts: %v", learned)
			}
			choices := p["choices"].(map[string]any)
			if fmt.Sprint(choices["not_interested_videos"]) != "["+prank+"]" || fmt.Sprint(choices["not_interested_accounts"]) != "[nosy]" ||
				fmt.Sprint(choices["not_interested_hashtags"]) != "[prank]" {
				t.Fatalf("choices: %v", choices)
			}
			summary := fmt.Sprint(p["summary"])
			for _, want := range []string{"Personalisation is on", "#pasta (strong)", "@chef (strong)", "1 video, 1 account and 1 hashtag", "no ads"} {
				if !strings.Contains(summary, want) {
					t.Errorf("summary lacks %q: %s", want, summary)
				}
			}
			if !inventoryHeld(t, u["fan"], "interest_profile") {
				t.Fatal("the inventory does not list the interest profile as held")
			}

			// Nobody else's profile shows any of it.
			other := get(u["nosy"])
			if len(interestNames(other, "hashtags")) != 0 || strings.Contains(fmt.Sprint(other), "pasta") {
				t.Fatalf("another account's profile shows the fan's interests: %v", other)
			}

			// With personalisation off the profile says it is not used.
			u["fan"].Do("PATCH", "/api/v1/me", map[string]any{"personalised": false})
			off := get(u["fan"])
			if off["personalised"] != false || !strings.HasPrefix(fmt.Sprint(off["summary"].([]any)[0]), "Personalisation is off") {
				t.Fatalf("switched off: %v", off)
			}
			u["fan"].Do("PATCH", "/api/v1/me", map[string]any{"personalised": true})

			// Refresh For You forgets every learned part at once; the fan's own choices stay.
			if r := u["fan"].Do("POST", "/api/v1/feed/refresh", nil); r.Status != 204 {
				t.Fatalf("refresh: %d %s", r.Status, r.Body)
			}
			after := get(u["fan"])
			learned = after["learned"].(map[string]any)
			if len(interestNames(after, "hashtags")) != 0 || len(interestNames(after, "accounts")) != 0 ||
				learned["recent_engaged_videos"] != 0.0 || learned["recent_turned_away_videos"] != 0.0 || learned["taste_vector"] != false {
				t.Fatalf("the refresh left learned interests: %v", learned)
			}
			if !strings.Contains(fmt.Sprint(after["summary"]), "Nothing has been learned") || strings.Contains(fmt.Sprint(after["summary"]), "#pasta") {
				t.Fatalf("summary after the refresh: %v", after["summary"])
			}
			if c := after["choices"].(map[string]any); !slices.Equal(strs(c["not_interested_hashtags"]), []string{"prank"}) || len(strs(c["not_interested_accounts"])) != 1 {
				t.Fatalf("the refresh dropped the fan's own choices: %v", c)
			}
		})
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
