package graph

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A FaultEnv is what Serve needs from the simulator for one request.
type FaultEnv struct {
	// Routes serves the request normally.
	Routes http.Handler
	// ErrorType is the envelope type of injected non-token errors.
	ErrorType string
	// UsageType is the "type" in X-Business-Use-Case-Usage ("instagram").
	UsageType string
	// ThrottleCode is FaultRateLimit's code when Fault.Code is 0.
	ThrottleCode int
	// Now is the simulator's time.
	Now time.Time
	// Account is the id the usage header is keyed by (the caller's).
	Account string
	// Container is the container the request names, "" if none.
	Container string
	// FailContainer applies FaultMediaError to a container.
	FailContainer func(id string, f Fault)
	// Fetcher is armed by FaultFetchFail.
	Fetcher *Fetcher
	// Log gets one line per fault.
	Log *slog.Logger
}

// Serve answers r according to f. r must carry its Call (WithCall).
func (q *Faults) Serve(w http.ResponseWriter, r *http.Request, f Fault, env FaultEnv) {
	env.Log.Info("graph sim: injecting fault", "kind", string(f.Kind), "method", r.Method, "path", r.URL.Path)
	switch f.Kind {
	case FaultStatus:
		writeStatusFault(w, f, env)
	case FaultHTML:
		status := orDefault(f.Status, http.StatusServiceUnavailable)
		if f.Body == "" {
			f.Body = "<!DOCTYPE html><html><head><title>" + http.StatusText(status) +
				"</title></head><body><h1>Sorry, something went wrong.</h1><p>We're working on getting this fixed as soon as we can.</p></body></html>\n"
			f.ContentType = "text/html; charset=utf-8"
		}
		writeBody(w, status, f)
	case FaultHang:
		q.Hang(r.Context())
	case FaultRateLimit:
		q.rateLimit(w, f, env)
	case FaultUnauthorized:
		e := Expired(env.Now.Add(-time.Hour), env.Now)
		if f.Message != "" {
			e.Message = f.Message
		}
		WriteError(w, e)
	case FaultContainerNotFound:
		id := env.Container
		if id == "" {
			id, _, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		}
		WriteError(w, NotFound(r.Method, id))
	case FaultFetchFail:
		env.Fetcher.FailNext()
		env.Routes.ServeHTTP(w, r)
	case FaultMediaError:
		if env.Container != "" {
			env.FailContainer(env.Container, f)
			env.Routes.ServeHTTP(w, r)
			return
		}
		rec := q.run(r, env)
		var created struct{ ID string }
		if json.Unmarshal(rec.body.Bytes(), &created) == nil && created.ID != "" {
			env.FailContainer(created.ID, f)
		}
		rec.replay(w)
	case FaultHangAfterCommit, FaultStatusAfterCommit, FaultTruncated:
		q.afterCommit(w, r, f, env)
	}
}

func (q *Faults) afterCommit(w http.ResponseWriter, r *http.Request, f Fault, env FaultEnv) {
	rec := q.run(r, env)
	switch f.Kind {
	case FaultHangAfterCommit:
		q.Hang(r.Context())
	case FaultStatusAfterCommit:
		writeStatusFault(w, f, env)
	case FaultTruncated:
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := rec.body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.statusCode())
		_, _ = w.Write(body[:len(body)/2])
	}
}

func (q *Faults) run(r *http.Request, env FaultEnv) *buffered {
	rec := &buffered{header: make(http.Header)}
	env.Routes.ServeHTTP(rec, r)
	return rec
}

func (q *Faults) rateLimit(w http.ResponseWriter, f Fault, env FaultEnv) {
	code := orDefault(f.Code, env.ThrottleCode)
	msg := f.Message
	if msg == "" {
		msg = throttleMessages[code]
	}
	if msg == "" {
		msg = "(#" + strconv.Itoa(code) + ") Rate limit reached"
	}
	typ := env.ErrorType
	if code == 4 || code == 17 || code == 32 || code == 613 {
		typ = TypeOAuth
	}
	regain := f.Reset
	if regain <= 0 {
		regain = time.Minute
	}
	account := env.Account
	if account == "" {
		account = "0"
	}
	w.Header().Set("X-Business-Use-Case-Usage", usageHeader(account, env.UsageType, regain))
	WriteError(w, Error{Status: orDefault(f.Status, http.StatusBadRequest), Code: code, Type: typ,
		Message: msg, Transient: Bool(true)})
}

// writeStatusFault writes a server-side failure.
func writeStatusFault(w http.ResponseWriter, f Fault, env FaultEnv) {
	status := orDefault(f.Status, http.StatusServiceUnavailable)
	if f.Body != "" {
		writeBody(w, status, f)
		return
	}
	msg := f.Message
	if msg == "" {
		msg = "An unexpected error has occurred. Please retry your request later."
	}
	WriteError(w, Error{Status: status, Code: orDefault(f.Code, 2), Type: env.ErrorType, Message: msg, Transient: Bool(true)})
}

func writeBody(w http.ResponseWriter, status int, f Fault) {
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// buffered holds a response so a fault can spoil it after the handler ran.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the buffered headers.
func (b *buffered) Header() http.Header { return b.header }

// WriteHeader records the first status.
func (b *buffered) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// Write buffers p, recording an implicit 200.
func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *buffered) statusCode() int { return orDefault(b.status, http.StatusOK) }

// replay writes the buffered response to w unchanged.
func (b *buffered) replay(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.statusCode())
	_, _ = w.Write(b.body.Bytes())
}
