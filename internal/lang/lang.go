// Package lang is what kurz takes for a language: a two- or three-letter ISO 639 code in
// lower case. Videos are in one, an account can choose the one it watches in, and a
// browser's Accept-Language stands in when nobody said.
package lang

import (
	"regexp"
	"strings"

	"kurz/internal/errs"
)

// codeRE is what a language code looks like: ISO 639-1 or -3, lower case.
var codeRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// Parse returns s as a language code, trimmed and in lower case; "" stays "" (none given).
// Anything else is an invalid_language error on the field "language".
func Parse(s string) (string, error) {
	code := strings.ToLower(strings.TrimSpace(s))
	if code != "" && !codeRE.MatchString(code) {
		return "", errs.Invalid("language", "invalid_language",
			`language must be a two- or three-letter ISO 639 code such as en, de or fil, or "" for none`)
	}
	return code, nil
}

// FromAcceptLanguage is the language code of an Accept-Language header's first choice, or
// "" when it has none that looks like one ("de-CH;q=0.9, en" gives "de").
func FromAcceptLanguage(header string) string {
	tag, _, _ := strings.Cut(header, ",")
	tag, _, _ = strings.Cut(tag, ";")
	code, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	if !codeRE.MatchString(code) {
		return ""
	}
	return code
}
