package video

import (
	"fmt"
	"testing"
)

func TestParseCaption(t *testing.T) {
	cases := []struct {
		in             string
		tags, mentions string
	}{
		{"Sunset at the #Beach with @Alice and @bob_99!", "[beach]", "[alice bob_99]"},
		{"#one#two #one", "[one]", "[]"},
		{"mail me@example.com or see #café #東京 #2024", "[café 東京]", "[]"},
		{"C# is not a tag, but #csharp is; @ab is too short; @carol.", "[csharp]", "[carol]"},
		{"<script>#x</script> @<img>", "[x]", "[]"},
		{"", "[]", "[]"},
	}
	for _, c := range cases {
		tags, mentions := ParseCaption(c.in)
		if got := fmt.Sprint(nonNil(tags)); got != c.tags {
			t.Errorf("%q hashtags %s, want %s", c.in, got, c.tags)
		}
		if got := fmt.Sprint(nonNil(mentions)); got != c.mentions {
			t.Errorf("%q mentions %s, want %s", c.in, got, c.mentions)
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func FuzzParseCaption(f *testing.F) {
	f.Add("#a @bbb #c#d @@x ##y")
	f.Fuzz(func(t *testing.T, s string) {
		tags, mentions := ParseCaption(s)
		if len(tags) > maxTags || len(mentions) > maxTags {
			t.Fatal("too many")
		}
		for _, m := range mentions {
			if len(m) < 3 || len(m) > 24 {
				t.Fatalf("mention %q", m)
			}
		}
	})
}
