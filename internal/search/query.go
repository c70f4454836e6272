package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Terms splits a query into the words an index can match: runs of letters, digits and
// combining marks, lower-cased, at most max of them. Everything else — quotes, stars,
// parentheses, minus signs, colons, which full-text engines read as operators — only
// separates words, so no query can change the meaning of the search the store builds.
// Underscores separate words too, as both engines' tokenizers split on them.
func Terms(q string, max int) []string {
	var out []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !textRune(r) }) {
		if len(out) == max {
			break
		}
		out = append(out, strings.ToLower(w))
	}
	return out
}

func textRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// tagRune is what a hashtag is made of, as the caption parser reads it.
func tagRune(r rune) bool { return r == '_' || textRune(r) }

// HashtagPrefix is the start of a hashtag a query asks for: its hashtag characters run
// together and lower-cased ("#Dance Party" asks for hashtags starting "danceparty"), cut to
// max characters. It is "" when the query holds none.
func HashtagPrefix(q string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if !tagRune(r) {
			continue
		}
		if n == max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.ToLower(b.String())
}

// UsernamePrefix is the start of a username a query asks for: the query lower-cased, without
// a leading @, when it could begin a username (a-z, 0-9, _ and . only, at most max long);
// otherwise "".
func UsernamePrefix(q string, max int) string {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if q == "" || len(q) > max {
		return ""
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return ""
		}
	}
	return q
}
