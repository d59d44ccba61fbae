package threads

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
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
			u, tok := e.User("faulty")
			c := e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": "fault"})
			e.Clock.Advance(DefaultImageProcessing)
			tc.fault.Match = "POST /{id}/threads_publish"
			e.sim.InjectFault(tc.fault)
			res, body, err := e.RawCall(http.MethodPost, "/v1.0/me/threads_publish?creation_id="+c, tok)
			graphtest.CheckTransport(t, tc.fault.Kind, tc.status, "", res, body, err)
			if got := graphtest.Parse(body); tc.code != "" && got.ErrCode() != tc.code {
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
				r := e.Expect(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
				if r.Str("error_message") != "FAILED_PROCESSING_AUDIO" {
					t.Fatalf("media error %s", r.Raw)
				}
				want = "ERROR"
			}
			if got := e.Status(c, tok); got != want || (len(e.sim.Posts()) == 1) != tc.published {
				t.Fatalf("container %s (want %s), %d posts", got, want, len(e.sim.Posts()))
			}
			if want == "FINISHED" {
				e.Expect(e.Publish(u, tok, c), 200)
			}
		})
	}
}

func TestCreateFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.User("creator")
	e.sim.InjectFault(Fault{Match: "POST /{id}/threads", Kind: FaultFetchFail})
	e.ExpectErr(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": e.MediaURL("photo.jpg")}), 400, "9004/2207052")
	if e.Fetches("/photo.jpg") != 0 {
		t.Fatal("fetch_fail still fetched")
	}
	e.sim.InjectFault(Fault{Match: "POST /{id}/threads", Kind: FaultMediaError})
	c := e.Expect(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": e.MediaURL("photo.jpg")}), 200).Str("id")
	r := e.Expect(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
	if r.Str("status") != "ERROR" || r.Str("error_message") != DefaultMediaError {
		t.Fatalf("failed container %s", r.Raw)
	}
	e.sim.InjectFault(Fault{Match: "GET /{id}", Kind: FaultContainerNotFound})
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status", tok, nil), 400, "100/33")
	e.Expect(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status", tok, nil), 200)
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultStatus, Times: -1})
	e.Expect(e.Do(http.MethodGet, "/v1.0/me", tok, nil), 503)
	e.Expect(e.Do(http.MethodGet, "/me", tok, nil), 503)
	e.sim.ClearFaults()
	e.Expect(e.Do(http.MethodGet, "/v1.0/me", tok, nil), 200)
}
