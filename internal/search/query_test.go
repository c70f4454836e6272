package search

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"Hello World", "hello world"},
		{`NEAR("quoted" -text*`, "near quoted text"},
		{"a OR b", "a or b"},
		{"caption:cats ^dogs", "caption cats dogs"},
		{"summer_vibes #Dance", "summer vibes dance"},
		{"Ünïcödé Straße 你好世界", "ünïcödé straße 你好世界"},
		{"🎉🎉 café!", "café"},
		{"l'amour", "l amour"},
		{"\x00\xff\"*", ""},
		{"one two three four five six seven eight nine ten", "one two three four five six seven eight"},
	} {
		if got := strings.Join(Terms(tc.q, 8), " "); got != tc.want {
			t.Errorf("Terms(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	for _, tc := range []struct{ q, tag, user string }{
		{"#Dance Party", "danceparty", ""},
		{"@Dan_the.Man", "dan_theman", "dan_the.man"},
		{"dan", "dan", "dan"},
		{"  dan  ", "dan", "dan"},
		{"Ünï", "ünï", ""},
		{`"*-`, "", ""},
		{"@", "", ""},
	} {
		if got := HashtagPrefix(tc.q, 100); got != tc.tag {
			t.Errorf("HashtagPrefix(%q) = %q, want %q", tc.q, got, tc.tag)
		}
		if got := UsernamePrefix(tc.q, 24); got != tc.user {
			t.Errorf("UsernamePrefix(%q) = %q, want %q", tc.q, got, tc.user)
		}
	}
	if got := HashtagPrefix(strings.Repeat("ab", 80), 100); utf8.RuneCountInString(got) != 100 {
		t.Errorf("hashtag prefix not cut: %d characters", utf8.RuneCountInString(got))
	}
	if got := UsernamePrefix(strings.Repeat("a", 25), 24); got != "" {
		t.Errorf("a username prefix longer than any username: %q", got)
	}
}

func TestNormalizeTag(t *testing.T) {
	for in, want := range map[string]string{"Dance": "dance", "#dance": "dance", "summer_vibes": "summer_vibes", "Ünï": "ünï", "2024tour": "2024tour"} {
		if got, err := NormalizeTag(in); err != nil || got != want {
			t.Errorf("NormalizeTag(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "#", "12345", "a b", "a-b", "##a", strings.Repeat("x", 101), "a\x00"} {
		if got, err := NormalizeTag(in); err == nil {
			t.Errorf("NormalizeTag(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzTerms checks what the store relies on, whatever a client sends: every term is a
// non-empty lower-case run of letters, digits and marks (so no engine operator survives),
// there are at most max of them, and the hashtag and username prefixes hold only what a
// hashtag or username can.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"", "cats", `NEAR("a" b)`, `"*-^:()`, "\x00\xff", "Ünï 你好 🎉", "a OR b AND NOT c",
		"'x':* & y | !z <-> w", "@dan_the.man", "#Dance_Party", "İSTANBUL ǅ", "e\u0301", "\u202eabc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		const max = 8
		terms := Terms(q, max)
		if len(terms) > max {
			t.Fatalf("%d terms", len(terms))
		}
		for _, term := range terms {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("bad term %q", term)
			}
			for _, r := range term {
				if !textRune(r) {
					t.Fatalf("term %q holds %q", term, r)
				}
			}
			if strings.ToLower(term) != term {
				t.Fatalf("term %q is not lower case", term)
			}
		}
		tag := HashtagPrefix(q, 100)
		if utf8.RuneCountInString(tag) > 100 || !utf8.ValidString(tag) {
			t.Fatalf("hashtag prefix %q", tag)
		}
		for _, r := range tag {
			if !tagRune(r) {
				t.Fatalf("hashtag prefix %q holds %q", tag, r)
			}
		}
		user := UsernamePrefix(q, 24)
		if len(user) > 24 || strings.IndexFunc(user, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || unicode.IsDigit(r) && r < 128 || r == '_' || r == '.')
		}) >= 0 {
			t.Fatalf("username prefix %q", user)
		}
		if _, err := NormalizeTag(q); err == nil {
			for _, r := range strings.TrimPrefix(q, "#") {
				if !tagRune(r) && !unicode.IsUpper(r) {
					t.Fatalf("NormalizeTag accepted %q", q)
				}
			}
		}
	})
}
