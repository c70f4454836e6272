package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"kurz/internal/errs"
)

var (
	errNoRoute     = errs.E(errs.KindNotFound, "no_such_endpoint", "there is no API endpoint at this path; see /api/v1/openapi.json")
	errPanic       = errs.Internal(errors.New("panic"))
	errCrossOrigin = errs.Forbidden("cross_origin", "cross-origin requests that change state are refused")
)

// errorBody is the one error shape every client gets.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func status(k errs.Kind) int {
	switch k {
	case errs.KindInvalid:
		return http.StatusBadRequest
	case errs.KindUnauthenticated:
		return http.StatusUnauthorized
	case errs.KindForbidden:
		return http.StatusForbidden
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindConflict:
		return http.StatusConflict
	case errs.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.KindTooMany:
		return http.StatusTooManyRequests
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	case errs.KindGone:
		return http.StatusGone
	case errs.KindUnsupported:
		return http.StatusUnsupportedMediaType
	case errs.KindUnprocessable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := errs.As(err)
	code := status(e.Kind)
	if code >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Kind == errs.KindTooMany && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if e.Kind == errs.KindUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kurz"`)
	}
	writeJSON(w, code, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true) // user text inside JSON stays inert even if mis-served as HTML
	_ = enc.Encode(v)
}

// decode reads exactly one JSON object of at most limit bytes into v, refusing unknown
// fields, so a client's typo is an error rather than a silently ignored setting.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &errs.Error{Kind: errs.KindUnsupported, Code: "json_required", Message: "send the body as application/json"}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err, limit)
		}
		return errs.Invalid("", "invalid_json", "the body must hold a single JSON object")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return &errs.Error{Kind: errs.KindTooLarge, Code: "body_too_large", Message: fmt.Sprintf("the body is larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return errs.Invalid("", "invalid_json", "the body is empty; send a JSON object")
	case errors.As(err, &syn):
		return errs.Invalid("", "invalid_json", fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		return errs.Invalid(typ.Field, "invalid_json", fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Invalid(name, "unknown_field", fmt.Sprintf("unknown field %q", name))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalid("", "invalid_json", "the body ends in the middle of the JSON")
	}
	return errs.Invalid("", "invalid_json", "the body is not valid JSON")
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
