package lang

import (
	"errors"
	"testing"

	"kurz/internal/errs"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{"en": "en", " DE ": "de", "fil": "fil", "": "", "  ": ""} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"english", "e1", "e", "en-GB", "de_CH", "ελ", "abcd"} {
		got, err := Parse(in)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalid || e.Code != "invalid_language" || e.Field != "language" || got != "" {
			t.Errorf("Parse(%q) = %q, %v; want an invalid_language error", in, got, err)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"de-CH;q=0.9, en": "de",
		"en-GB,de":        "en",
		"FIL":             "fil",
		"*":               "",
		"":                "",
		"x-klingon, en":   "",
		"english":         "",
	} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}
