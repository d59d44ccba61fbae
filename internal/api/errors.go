package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sns-os/snsos"
)

// The API's own error codes, for HTTP-only failures; every other code is
// one of snsos's.
const (
	eUnsupportedMediaType = "unsupported_media_type" // a request body of the wrong type (415)
	eMethodNotAllowed     = "method_not_allowed"     // the path exists for other methods (405)
)

// problemBase prefixes the stable problem type URIs.
const problemBase = "https://sns-os.dev/problems/"

// statuses maps error codes to HTTP statuses; anything else is a 500.
var statuses = map[string]int{
	snsos.EINVALID:        http.StatusBadRequest,
	snsos.EUNAUTHORIZED:   http.StatusUnauthorized,
	snsos.EFORBIDDEN:      http.StatusForbidden,
	snsos.ENOTFOUND:       http.StatusNotFound,
	snsos.ECONFLICT:       http.StatusConflict,
	snsos.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	eUnsupportedMediaType: http.StatusUnsupportedMediaType,
	eMethodNotAllowed:     http.StatusMethodNotAllowed,
	snsos.ERATELIMITED:    http.StatusTooManyRequests,
	snsos.EUNAVAILABLE:    http.StatusServiceUnavailable,
}

// statusOf is the one translation of errors to HTTP statuses. A request body
// cut by http.MaxBytesReader is 413 wherever the error surfaced.
func statusOf(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	if s, ok := statuses[snsos.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []snsos.FieldError `json:"errors"`
}

// error writes err as problem+json. Only the operator-safe message of a
// snsos error is shown; an internal error is logged with the request path
// and answered "Internal error.".
func (a *API) error(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	p := problem{Status: status, Title: http.StatusText(status), Errors: []snsos.FieldError{}}
	switch {
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		// The page deadline (SNSOS_PAGE_TIMEOUT) cut the read off: whatever
		// the interrupted query returned, the client may simply try again.
		a.log.Warn("api: request deadline passed", "method", r.Method, "path", r.URL.Path)
		p.Status, p.Title = http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable)
		p.Type, p.Detail = problemBase+"timeout", "The request took too long and was stopped; try again, or ask for less."
		w.Header().Set("Retry-After", "5")
		status = p.Status
	case status == http.StatusInternalServerError:
		a.log.Error("api internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Type, p.Detail = "about:blank", "Internal error."
	case status == http.StatusRequestEntityTooLarge && snsos.ErrorCode(err) != snsos.ETOOLARGE:
		p.Type, p.Detail = problemBase+"too-large", "The request body is too large."
	default:
		a.log.Debug("api request refused", "method", r.Method, "path", r.URL.Path, "status", status, "code", snsos.ErrorCode(err))
		p.Type, p.Detail = problemBase+strings.ReplaceAll(snsos.ErrorCode(err), "_", "-"), snsos.ErrorMessage(err)
		var v snsos.ValidationErrors
		if errors.As(err, &v) && len(v) > 0 {
			p.Type = problemBase + "validation"
			p.Errors = append(p.Errors, v...)
		}
	}
	writeJSONAs(w, status, "application/problem+json", p)
}

// invalid returns an EINVALID error wrapping one field error.
func invalid(field, rule, format string, args ...any) error {
	var v snsos.ValidationErrors
	v.Add(field, rule, format, args...)
	return v.Err()
}
