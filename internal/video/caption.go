package video

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTags bounds how many hashtags or mentions one caption can carry, so a caption cannot
// fan out into thousands of index rows or notifications.
const maxTags = 30

// ParseCaption finds the #hashtags and @mentions in a caption or comment. Hashtags are
// lower-cased letters, digits and _ in any script; mentions are usernames. A # or @ glued to
// the end of a word (an e-mail address, "C#") does not start one.
func ParseCaption(text string) (hashtags, mentions []string) {
	seenTag, seenMention := map[string]bool{}, map[string]bool{}
	prev := ' '
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if (r == '#' || r == '@') && !isWordRune(prev) && prev != '#' && prev != '@' {
			j := i + size
			for j < len(text) {
				c, n := utf8.DecodeRuneInString(text[j:])
				if r == '#' && !isWordRune(c) {
					break
				}
				if r == '@' && !(c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.')) {
					break
				}
				j += n
			}
			word := strings.ToLower(text[i+size : j])
			if r == '@' {
				word = strings.TrimRight(word, ".")
				if n := len(word); n >= 3 && n <= 24 && !seenMention[word] && len(mentions) < maxTags {
					seenMention[word] = true
					mentions = append(mentions, word)
				}
			} else if n := utf8.RuneCountInString(word); n >= 1 && n <= 100 && !allDigits(word) && !seenTag[word] && len(hashtags) < maxTags {
				seenTag[word] = true
				hashtags = append(hashtags, word)
			}
			if j > i+size {
				prev, _ = utf8.DecodeLastRuneInString(text[:j])
				i = j
				continue
			}
		}
		prev = r
		i += size
	}
	return hashtags, mentions
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func allDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
