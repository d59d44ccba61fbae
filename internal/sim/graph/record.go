package graph

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// MaxRecorded is how many requests a Recorder keeps; older ones are
// dropped first.
const MaxRecorded = 10000

// Masked is what replaces a secret in a recorded request.
const Masked = "***"

// secretParams are the parameters whose values a Recorder masks.
var secretParams = []string{"access_token", "client_secret", "code", "fb_exchange_token", "input_token", "refresh_token"}

// A Request is one recorded request.
type Request struct {
	Time    time.Time
	Method  string
	Path    string // without the version prefix
	Version string // "v25.0", or "" when unversioned
	// Values holds the query and body parameters, secrets (access_token,
	// client_secret, code, …) replaced by Masked.
	Values url.Values
	// TokenFrom says where the access token was (TokenFromHeader, …), ""
	// when there was none.
	TokenFrom string
	// Status is the HTTP status answered, 0 while the request is running
	// or when no answer was sent (hang faults).
	Status int
}

// A Recorder keeps the last MaxRecorded requests. It is safe for
// concurrent use.
type Recorder struct {
	mu   sync.Mutex
	list []*Request
}

// Start records a request that is beginning.
func (rc *Recorder) Start(now time.Time, method string, c *Call) *Request {
	v := url.Values{}
	for k, vs := range c.Params {
		if slices.Contains(secretParams, k) {
			vs = []string{Masked}
		}
		v[k] = slices.Clone(vs)
	}
	req := &Request{Time: now, Method: method, Path: c.Path, Version: c.Version, Values: v, TokenFrom: c.TokenFrom}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.list) >= MaxRecorded {
		rc.list = slices.Delete(rc.list, 0, len(rc.list)-MaxRecorded+1)
	}
	rc.list = append(rc.list, req)
	return req
}

// Finish stores the status answered to req.
func (rc *Recorder) Finish(req *Request, status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	req.Status = status
}

// List returns a copy of the recorded requests, oldest first.
func (rc *Recorder) List() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]Request, len(rc.list))
	for i, r := range rc.list {
		out[i] = *r
		out[i].Values = url.Values{}
		for k, vs := range r.Values {
			out[i].Values[k] = slices.Clone(vs)
		}
	}
	return out
}

// A StatusWriter remembers the status written through it.
type StatusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records status and passes it on.
func (w *StatusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write passes b on, recording an implicit 200.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status returns the status written, 0 if none.
func (w *StatusWriter) Status() int { return w.status }
