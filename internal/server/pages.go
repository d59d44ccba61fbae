package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// DefaultPageTimeout bounds a page's work when Options.PageTimeout is zero.
const DefaultPageTimeout = 5 * time.Second

// PageTimedOut reports whether r's page deadline has passed: its handler
// should answer 503 ("took too long"), not 500, whatever error the
// interrupted database work returned.
func PageTimedOut(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.DeadlineExceeded)
}

// pages gives every request its context (Options.Context: the store's read
// pool mark) and bounds the work of a GET or HEAD by PageTimeout, so a slow
// page is cut off with a 503 instead of holding a connection and the
// reader it uses. LongPaths and SlowPaths are exempt: their time goes to a
// file download, a platform's token exchange or an export, not to a page.
// A handler that returns without answering once its deadline has passed
// gets the 503 from here.
func (s *Server) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if s.opts.Context != nil {
			ctx = s.opts.Context(ctx)
		}
		if s.opts.PageTimeout < 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead) || s.exempt(r.URL.Path) {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx, cancel := context.WithTimeout(ctx, s.opts.PageTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 && PageTimedOut(r) {
			Error(sw, r, http.StatusServiceUnavailable, TimeoutMessage(s.opts.PageTimeout))
		}
	})
}

// TimeoutMessage is the English answer to a page cut off at its deadline.
func TimeoutMessage(d time.Duration) string {
	return "This page took longer than " + d.String() + " and was stopped. Try again in a moment, or ask for less (a shorter range)."
}

func (s *Server) exempt(path string) bool {
	for _, list := range [][]string{s.opts.LongPaths, s.opts.SlowPaths} {
		for _, p := range list {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
	}
	return false
}
