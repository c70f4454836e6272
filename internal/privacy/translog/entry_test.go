package translog

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEntryEncodingIsCanonical(t *testing.T) {
	e := Entry{
		At:      time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.FixedZone("CET", 3600)),
		Actor:   "01HZX3K5J8Q2W9N4R7T6Y1M0AB",
		Role:    "support",
		Purpose: "account_recovery",
		Fields:  []string{"phone", "email", "phone"},
		Subject: pseudonym(1),
	}
	data, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// The leaf format is a public contract: verifiers outside kurz parse these bytes.
	want := `{"v":1,"at_ms":1772362800123,"actor":"01HZX3K5J8Q2W9N4R7T6Y1M0AB","role":"support",` +
		`"purpose":"account_recovery","fields":["email","phone"],"subject":"` + pseudonym(1) + `"}`
	if string(data) != want {
		t.Fatalf("encoding\n got %s\nwant %s", data, want)
	}
	// Same access, fields in another order and another time zone: same bytes.
	e2 := e
	e2.Fields = []string{"email", "phone"}
	e2.At = e.At.UTC()
	data2, _ := e2.Encode()
	if string(data2) != string(data) {
		t.Fatal("equivalent entries encode differently")
	}
	back, err := DecodeEntry(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(e.At.Truncate(time.Millisecond)) || back.Actor != e.Actor || strings.Join(back.Fields, ",") != "email,phone" || back.Subject != e.Subject {
		t.Fatalf("decoded %+v", back)
	}
}

func TestDecodeEntryRejectsNonCanonicalBytes(t *testing.T) {
	good, _ := accessBy(3).Encode()
	s := string(good)
	if !strings.HasPrefix(s, `{"v":1,"at_ms":1700000003000,`) {
		t.Fatalf("fixture changed: %s", s)
	}
	for name, bad := range map[string]string{
		"extra space":     strings.Replace(s, `"v":1,`, `"v": 1,`, 1),
		"reordered keys":  strings.Replace(s, `{"v":1,"at_ms":1700000003000,`, `{"at_ms":1700000003000,"v":1,`, 1),
		"unknown field":   strings.Replace(s, `}`, `,"note":"x"}`, 1),
		"unsorted fields": strings.Replace(s, `["email"]`, `["phone","email"]`, 1),
		"trailing bytes":  s + "\n",
		"future version":  strings.Replace(s, `"v":1`, `"v":2`, 1),
		"not json":        "email=ana@example.org",
	} {
		if _, err := DecodeEntry([]byte(bad)); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("%s: got %v, want ErrInvalidEntry", name, err)
		}
	}
}

func TestEntryValidationKeepsPersonalDataOut(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	cases := map[string]func(e *Entry){
		"e-mail as subject":         func(e *Entry) { e.Subject = "ana@example.org" },
		"raw short id as subject":   func(e *Entry) { e.Subject = "u123" },
		"free text purpose":         func(e *Entry) { e.Purpose = "asked by Ana Müller" },
		"e-mail in purpose":         func(e *Entry) { e.Purpose = "ana@example.org" },
		"purpose not allowed":       func(e *Entry) { e.Purpose = "curiosity" },
		"field not allowed":         func(e *Entry) { e.Fields = []string{"email", "home_address"} },
		"role not allowed":          func(e *Entry) { e.Role = "intern" },
		"no fields":                 func(e *Entry) { e.Fields = nil },
		"upper-case field":          func(e *Entry) { e.Fields = []string{"Email"} },
		"e-mail as actor":           func(e *Entry) { e.Actor = "boss@example.org" },
		"empty actor":               func(e *Entry) { e.Actor = "" },
		"overlong actor":            func(e *Entry) { e.Actor = strings.Repeat("A", MaxTokenLen+1) },
		"time before the epoch":     func(e *Entry) { e.At = time.Unix(-5, 0) },
		"newline smuggled in actor": func(e *Entry) { e.Actor = "a\nb" },
	}
	for name, mutate := range cases {
		e := accessBy(1)
		mutate(&e)
		if _, err := f.log.Append(ctx, e); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("%s: got %v, want ErrInvalidEntry", name, err)
		}
	}
	if n, _ := f.log.Size(ctx); n != 0 {
		t.Fatalf("rejected entries were appended: size %d", n)
	}
	// Too many fields, even when each is allowed.
	e := accessBy(1)
	for range MaxFields + 1 {
		e.Fields = append(e.Fields, "email")
	}
	if _, err := e.Encode(); err != nil {
		t.Fatalf("duplicates collapse to one field, so this is fine: %v", err)
	}
	e.Fields = make([]string, MaxFields+1)
	for i := range e.Fields {
		e.Fields[i] = "f" + strings.Repeat("x", i)
	}
	if _, err := e.Encode(); !errors.Is(err, ErrInvalidEntry) {
		t.Fatalf("%d distinct fields accepted", len(e.Fields))
	}
}

func TestAppendStampsMissingTime(t *testing.T) {
	f := newFixture(t)
	e := accessBy(0)
	e.At = time.Time{}
	idx, err := f.log.Append(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.log.Entries(t.Context(), idx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0].Entry.At.UnixMilli(); got != 1_800_000_000_000 {
		t.Fatalf("stamped %d, want the log clock", got)
	}
}

func TestVocabularyMustBeTokens(t *testing.T) {
	skey, _, _ := GenerateSigningKey(testOrigin)
	_, err := Open(t.Context(), Config{Store: NewMemoryStore(), SignerKey: skey, Vocabulary: Vocabulary{Purposes: []string{"Because I Said So"}}})
	if err == nil {
		t.Fatal("free-text purpose accepted into the vocabulary")
	}
}
