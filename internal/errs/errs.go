// Package errs gives domain errors a kind, so services say what went wrong in the product's
// words and only the HTTP edge decides the status code. Modelled on WTF Dial's error.go.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the edge. It is not an HTTP status: a CLI maps it too.
type Kind int

const (
	KindInternal        Kind = iota // a bug or an infrastructure failure; details are logged, not shown
	KindInvalid                     // the request is malformed or breaks a rule the client can fix
	KindUnauthenticated             // no valid credentials
	KindForbidden                   // authenticated, but not allowed
	KindNotFound                    // absent, or hidden from this viewer
	KindConflict                    // clashes with existing state (duplicate, wrong state)
	KindTooLarge                    // a body or file over its limit
	KindTooMany                     // throttled; RetryAfter says when to come back
	KindUnavailable                 // a dependency is down; try later
	KindGone                        // existed, but was deleted
	KindUnsupported                 // a media type or format we do not take
	KindUnprocessable               // well-formed, but its content cannot be used (a damaged video)
)

// Error is a domain error: a kind, a stable machine code and a message a person can act on.
type Error struct {
	Kind       Kind
	Code       string // stable, snake_case, e.g. "username_taken"
	Message    string
	RetryAfter time.Duration // only for KindTooMany
	Field      string        // the request field at fault, when there is one
	Err        error         // the underlying cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of a kind.
func E(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid reports a request the client can fix, naming the field at fault.
func Invalid(field, code, message string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: message, Field: field}
}

// NotFound reports that a thing is absent or hidden from the viewer; the two are deliberately
// indistinguishable so that hiding something does not reveal that it exists.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Forbidden reports an authenticated actor without permission.
func Forbidden(code, message string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: message}
}

// Conflict reports a clash with existing state.
func Conflict(code, message string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: message}
}

// TooMany reports throttling.
func TooMany(retryAfter time.Duration) *Error {
	return &Error{Kind: KindTooMany, Code: "rate_limited",
		Message: "too many attempts; wait and try again", RetryAfter: retryAfter}
}

// Unauthenticated reports missing or invalid credentials.
func Unauthenticated(code, message string) *Error {
	return &Error{Kind: KindUnauthenticated, Code: code, Message: message}
}

// Internal wraps an unexpected failure. The message shown to clients is generic.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "something went wrong on our side", Err: err}
}

// As returns the domain error inside err, or wraps err as internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Is reports whether err is a domain error of the kind.
func Is(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}
