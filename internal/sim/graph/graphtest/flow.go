package graphtest

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

var (
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// AuthorizeQuery is the query of GET /oauth/authorize for an app
// (clientID, redirect) asking for scope with state.
func AuthorizeQuery(clientID, redirect, scope, state string) url.Values {
	return url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {scope}, "state": {state}}
}

// Consent loads the authorize page for query, submits its form as a
// browser would (approving or denying as username) and returns the
// Location the simulator redirected to.
func (e *Env[U]) Consent(query url.Values, approve bool, username string) string {
	e.T.Helper()
	page := e.Expect(e.Do(http.MethodGet, "/oauth/authorize?"+query.Encode(), "", nil), 200)
	m := actionRe.FindSubmatch(page.Raw)
	if m == nil || !bytes.Contains(page.Raw, []byte(`id="approve"`)) || !bytes.Contains(page.Raw, []byte(`id="deny"`)) {
		e.T.Fatalf("consent page lacks its form or buttons: %s", page.Raw)
	}
	base, _ := url.Parse(e.Srv.URL + "/oauth/authorize")
	action, _ := base.Parse(html.UnescapeString(string(m[1])))
	form := url.Values{"username": {username}}
	for _, h := range hiddenRe.FindAllSubmatch(page.Raw, -1) {
		form.Set(string(h[1]), html.UnescapeString(string(h[2])))
	}
	if approve {
		form.Set("approve", "1")
	} else {
		form.Set("deny", "1")
	}
	req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.Expect(e.Send(req), http.StatusFound).Header.Get("Location")
}

// Code approves the authorize request query as username and returns the
// code of the callback, checking its state and Meta's "#_" fragment.
func (e *Env[U]) Code(query url.Values, username string) string {
	e.T.Helper()
	loc := e.Consent(query, true, username)
	u, _ := url.Parse(strings.TrimSuffix(loc, "#_"))
	if !strings.HasSuffix(loc, "#_") || u.Query().Get("state") != query.Get("state") || u.Query().Get("code") == "" {
		e.T.Fatalf("callback %s lacks #_, the state or the code", loc)
	}
	return u.Query().Get("code")
}

// RawCall sends a request that may never be answered, giving up after
// 200 ms, and returns what arrived.
func (e *Env[U]) RawCall(method, path, tok string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.Srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.HTTP.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	return res, body, err
}

// CheckTransport checks a faulty answer: a transport error when status
// is 0 (an unexpected EOF for FaultTruncated, a deadline otherwise), else
// the status and Content-Type prefix.
func CheckTransport(t *testing.T, kind graph.FaultKind, status int, ctype string, res *http.Response, body []byte, err error) {
	t.Helper()
	switch {
	case status == 0 && err == nil:
		t.Fatalf("want a transport error, got %d %s", res.StatusCode, body)
	case status == 0 && kind == graph.FaultTruncated:
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(string(body), `{"id":`) {
			t.Fatalf("truncated: %v %q", err, body)
		}
	case status == 0:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want deadline exceeded, got %v", err)
		}
	case err != nil:
		t.Fatal(err)
	case res.StatusCode != status:
		t.Fatalf("status %d %s, want %d", res.StatusCode, body, status)
	case ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), ctype):
		t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
	}
}
