package tiktok

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// MaxRecorded is how many requests a Sim keeps; older ones are dropped
// first.
const MaxRecorded = 10000

// Masked replaces a secret in a recorded request.
const Masked = "***"

// maxRecordedJSON caps the JSON body kept per request.
const maxRecordedJSON = 64 << 10

// secretParams are the query and form parameters whose values are masked.
var secretParams = []string{"access_token", "client_secret", "code", "code_verifier", "refresh_token", "token", "upload_token"}

// A Request is one recorded request.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	// Query and Form (an urlencoded body) hold the parameters, secrets
	// (client_secret, code, code_verifier, tokens, upload_token) replaced
	// by Masked.
	Query, Form url.Values
	// JSON is a JSON body as sent (Content Posting bodies carry no
	// secrets), cut at 64 KiB.
	JSON string
	// ContentRange is the Content-Range header of an upload PUT.
	ContentRange string
	// Bearer reports whether an Authorization: Bearer token was sent (the
	// token itself is never recorded).
	Bearer bool
	// Status is the HTTP status answered, 0 while the request runs or when
	// no answer was sent (hang faults).
	Status int
}

// recorder keeps the last MaxRecorded requests. It is safe for
// concurrent use.
type recorder struct {
	mu   sync.Mutex
	reqs []*Request
}

// start records a request that is beginning; body is what ServeHTTP read.
func (rc *recorder) start(now time.Time, r *http.Request, body []byte) *Request {
	req := &Request{Time: now, Method: r.Method, Path: r.URL.Path, Query: masked(r.URL.Query()),
		ContentRange: r.Header.Get("Content-Range"), Bearer: tokenOf(r) != ""}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(body) == 0:
	case ct == "application/json":
		req.JSON = string(body[:min(len(body), maxRecordedJSON)])
	default:
		if v, err := url.ParseQuery(string(body)); err == nil {
			req.Form = masked(v)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) >= MaxRecorded {
		rc.reqs = slices.Delete(rc.reqs, 0, len(rc.reqs)-MaxRecorded+1)
	}
	rc.reqs = append(rc.reqs, req)
	return req
}

func masked(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if slices.Contains(secretParams, k) {
			vs = []string{Masked}
		}
		out[k] = slices.Clone(vs)
	}
	return out
}

// finish stores the status answered to req.
func (rc *recorder) finish(req *Request, status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	req.Status = status
}

// list returns a copy of the recorded requests, oldest first.
func (rc *recorder) list() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]Request, len(rc.reqs))
	for i, r := range rc.reqs {
		out[i] = *r
		out[i].Query, out[i].Form = masked(r.Query), masked(r.Form)
	}
	return out
}
