package httpapi_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"kurz/internal/config"
	"kurz/internal/testkit"
)

// shape is the sorted keys of an answer and of its account, which is what tells two
// answers apart beyond the values that differ for every account.
func shape(r *testkit.Response) string {
	body := r.JSON()
	acc, _ := body["account"].(map[string]any)
	return fmt.Sprint(r.Status, slices.Sorted(maps.Keys(body)), slices.Sorted(maps.Keys(acc)))
}

// TestEmailAddressesCannotBeEnumerated checks that neither sign-up nor changing one's
// e-mail address tells whether another account registered an address, and that the
// address still logs in only to the account that registered it first. Usernames are
// public (profiles are at /@name), so a taken one may be said so.
func TestEmailAddressesCannotBeEnumerated(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t, e, func(c *config.Config) { c.SignupPerIP = 100 })
			olga, olgaID := signUpWith(t, a, "olga", map[string]any{"email": "olga@example.org"})

			signUp := func(username, email string) (*testkit.Client, *testkit.Response) {
				c := a.Client()
				return c, c.Do("POST", "/api/v1/accounts", map[string]any{"username": username, "password": "a different pass phrase", "email": email})
			}
			fresh, freshAnswer := signUp("nina", "nina@example.org")
			taken, takenAnswer := signUp("mallory", " OLGA@Example.org ")
			if freshAnswer.Status != 201 || shape(takenAnswer) != shape(freshAnswer) {
				t.Fatalf("a registered address answers differently: %s vs %s\n%s\n%s", shape(takenAnswer), shape(freshAnswer), takenAnswer.Body, freshAnswer.Body)
			}
			// Each account sees the address it gave; nothing says one of them logs in with it.
			for c, want := range map[*testkit.Client]string{fresh: "nina@example.org", taken: "OLGA@Example.org"} {
				pd := c.Do("GET", "/api/v1/me/personal-data", nil)
				if pd.Status != 200 || pd.JSON()["email"] != want {
					t.Errorf("personal data: %d %s", pd.Status, pd.Body)
				}
			}
			// The address logs in to the account that registered it first, and only with its password.
			login := func(name, password string) *testkit.Response {
				return a.Client().Do("POST", "/api/v1/sessions", map[string]any{"username": name, "password": password})
			}
			if r := login("olga@example.org", testkit.Password); r.Status != 201 || r.JSON()["account"].(map[string]any)["id"] != olgaID {
				t.Fatalf("the first account's e-mail log-in: %d %s", r.Status, r.Body)
			}
			if r := login("olga@example.org", "a different pass phrase"); r.Status != 401 {
				t.Fatalf("the second account logs in with the address: %d %s", r.Status, r.Body)
			}
			if r := login("nina@example.org", "a different pass phrase"); r.Status != 201 {
				t.Fatalf("a fresh address does not log in: %d %s", r.Status, r.Body)
			}

			// Changing to a registered address answers like changing to a free one.
			toTaken := fresh.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"email": "olga@example.org"})
			toFree := taken.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"email": "mallory@example.org"})
			if toTaken.Status != 200 || toFree.Status != 200 || toTaken.JSON()["email"] != "olga@example.org" ||
				fmt.Sprint(slices.Sorted(maps.Keys(toTaken.JSON()))) != fmt.Sprint(slices.Sorted(maps.Keys(toFree.JSON()))) {
				t.Fatalf("changing the address: %d %s / %d %s", toTaken.Status, toTaken.Body, toFree.Status, toFree.Body)
			}
			if r := login("olga@example.org", testkit.Password); r.Status != 201 || r.JSON()["account"].(map[string]any)["id"] != olgaID {
				t.Fatalf("after another account took the address in its settings: %d %s", r.Status, r.Body)
			}
			if r := login("mallory@example.org", "a different pass phrase"); r.Status != 201 {
				t.Fatalf("the freed-up account's new address does not log in: %d %s", r.Status, r.Body)
			}
			if pd := olga.Do("GET", "/api/v1/me/personal-data", nil); pd.JSON()["email"] != "olga@example.org" {
				t.Fatalf("the first account's address changed: %s", pd.Body)
			}
			// Once the first account lets the address go, whoever saves it next logs in with it.
			olga.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"email": ""})
			fresh.Do("PATCH", "/api/v1/me/personal-data", map[string]any{"email": "olga@example.org"})
			if r := login("olga@example.org", "a different pass phrase"); r.Status != 201 || r.JSON()["account"].(map[string]any)["username"] != "nina" {
				t.Fatalf("the released address: %d %s", r.Status, r.Body)
			}

			// Usernames are public: a taken one is said so, and nothing is created.
			before := accountCount(t, a)
			if _, r := signUp("OLGA", "someone@example.org"); r.Status != 409 || r.ErrorCode() != "username_taken" {
				t.Fatalf("taken username: %d %s", r.Status, r.Body)
			}
			if accountCount(t, a) != before {
				t.Fatal("a refused sign-up left an account behind")
			}
		})
	}
}
