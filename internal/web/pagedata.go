package web

import (
	"errors"
	"net/http"
)

// stepError is a server failure met while building a page's data, with
// the word the log names the failed step by.
type stepError struct {
	what string
	err  error
}

func (e *stepError) Error() string { return e.what + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// failed wraps err as the failure of the step named what.
func failed(what string, err error) error { return &stepError{what: what, err: err} }

// pageError answers a page builder's error: a logged 500, named by the
// step that failed.
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	var se *stepError
	if errors.As(err, &se) {
		h.serverError(w, r, se.what, se.err)
		return
	}
	h.serverError(w, r, "page", err)
}
