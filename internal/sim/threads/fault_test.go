package threads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPublishFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     Fault
		status    int    // 0: the client sees a transport error
		code      string // error code/subcode
		published bool
		header    string // substring of X-Business-Use-Case-Usage
	}{
		{name: "503", fault: Fault{Kind: FaultStatus}, status: 503, code: "2/"},
		{name: "html", fault: Fault{Kind: FaultHTML}, status: 503},
		{name: "hang", fault: Fault{Kind: FaultHang}},
		{name: "hang after commit", fault: Fault{Kind: FaultHangAfterCommit}, published: true},
		{name: "502 after commit", fault: Fault{Kind: FaultStatusAfterCommit, Status: 502}, status: 502, code: "2/", published: true},
		{name: "truncated", fault: Fault{Kind: FaultTruncated}, published: true},
		{name: "rate limit", fault: Fault{Kind: FaultRateLimit}, status: 400, code: "4/", header: `"type":"threads"`},
		{name: "rate limit 613", fault: Fault{Kind: FaultRateLimit, Code: 613, Status: 403}, status: 403, code: "613/", header: `"estimated_time_to_regain_access":1`},
		{name: "unauthorized", fault: Fault{Kind: FaultUnauthorized}, status: 400, code: "190/463"},
		{name: "container not found", fault: Fault{Kind: FaultContainerNotFound}, status: 400, code: "100/33"},
		{name: "media error", fault: Fault{Kind: FaultMediaError, Message: "FAILED_PROCESSING_AUDIO"}, status: 400, code: "24/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			u, tok := e.user("faulty")
			c := e.create(u, tok, map[string]any{"media_type": "TEXT", "text": "fault"})
			e.clock.Advance(DefaultImageProcessing)
			tc.fault.Match = "POST /{id}/threads_publish"
			e.sim.InjectFault(tc.fault)
			res, body, err := rawCall(e, http.MethodPost, "/v1.0/me/threads_publish?creation_id="+c, tok)
			checkTransport(t, tc.fault.Kind, tc.status, "", res, body, err)
			if got := parse(body); tc.code != "" && got.errCode() != tc.code {
				t.Fatalf("error %s, want %s", body, tc.code)
			}
			if tc.header != "" {
				h := res.Header.Get("X-Business-Use-Case-Usage")
				if !strings.Contains(h, `{"`+u.ID+`":[{`) || !strings.Contains(h, tc.header) {
					t.Fatalf("usage header %q", h)
				}
			}
			want := map[bool]string{true: "PUBLISHED", false: "FINISHED"}[tc.published]
			if tc.fault.Kind == FaultMediaError {
				r := e.expect(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
				if r.str("error_message") != "FAILED_PROCESSING_AUDIO" {
					t.Fatalf("media error %s", r.raw)
				}
				want = "ERROR"
			}
			if got := e.status(c, tok); got != want || (len(e.sim.Posts()) == 1) != tc.published {
				t.Fatalf("container %s (want %s), %d posts", got, want, len(e.sim.Posts()))
			}
			if want == "FINISHED" {
				e.expect(e.publish(u, tok, c), 200)
			}
		})
	}
}

func TestCreateFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("creator")
	e.sim.InjectFault(Fault{Match: "POST /{id}/threads", Kind: FaultFetchFail})
	e.expectErr(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": e.mediaURL("photo.jpg")}), 400, "9004/2207052")
	if e.fetches("/photo.jpg") != 0 {
		t.Fatal("fetch_fail still fetched")
	}
	e.sim.InjectFault(Fault{Match: "POST /{id}/threads", Kind: FaultMediaError})
	c := e.expect(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": e.mediaURL("photo.jpg")}), 200).str("id")
	r := e.expect(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
	if r.str("status") != "ERROR" || r.str("error_message") != DefaultMediaError {
		t.Fatalf("failed container %s", r.raw)
	}
	e.sim.InjectFault(Fault{Match: "GET /{id}", Kind: FaultContainerNotFound})
	e.expectErr(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status", tok, nil), 400, "100/33")
	e.expect(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status", tok, nil), 200)
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultStatus, Times: -1})
	e.expect(e.do(http.MethodGet, "/v1.0/me", tok, nil), 503)
	e.expect(e.do(http.MethodGet, "/me", tok, nil), 503)
	e.sim.ClearFaults()
	e.expect(e.do(http.MethodGet, "/v1.0/me", tok, nil), 200)
}

// rawCall sends a request that may never be answered, giving up after
// 200 ms, and returns what arrived.
func rawCall(e *env, method, path, tok string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.http.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	return res, body, err
}

// checkTransport checks a faulty answer: a transport error when status
// is 0 (an unexpected EOF for FaultTruncated, a deadline otherwise), else
// the status and Content-Type prefix.
func checkTransport(t *testing.T, kind FaultKind, status int, ctype string, res *http.Response, body []byte, err error) {
	t.Helper()
	switch {
	case status == 0 && err == nil:
		t.Fatalf("want a transport error, got %d %s", res.StatusCode, body)
	case status == 0 && kind == FaultTruncated:
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

// parse decodes a JSON answer body.
func parse(b []byte) resp {
	r := resp{raw: b}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&r.body)
	return r
}
