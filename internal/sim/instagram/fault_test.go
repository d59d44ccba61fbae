package instagram

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

func TestPublishFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     Fault
		status    int    // 0: the client sees a transport error
		code      string // error code/subcode
		ctype     string
		published bool
		header    string // substring of X-Business-Use-Case-Usage
	}{
		{name: "503", fault: Fault{Kind: FaultStatus}, status: 503, code: "2/"},
		{name: "500 code 1", fault: Fault{Kind: FaultStatus, Status: 500, Code: 1}, status: 500, code: "1/"},
		{name: "html", fault: Fault{Kind: FaultHTML, Status: 502}, status: 502, ctype: "text/html"},
		{name: "hang", fault: Fault{Kind: FaultHang}},
		{name: "hang after commit", fault: Fault{Kind: FaultHangAfterCommit}, published: true},
		{name: "503 after commit", fault: Fault{Kind: FaultStatusAfterCommit}, status: 503, code: "2/", published: true},
		{name: "truncated", fault: Fault{Kind: FaultTruncated}, published: true},
		{name: "rate limit", fault: Fault{Kind: FaultRateLimit, Reset: 7 * time.Minute}, status: 400, code: "80002/",
			header: `"estimated_time_to_regain_access":7`},
		{name: "rate limit 4", fault: Fault{Kind: FaultRateLimit, Code: 4}, status: 400, code: "4/", header: `"type":"instagram"`},
		{name: "unauthorized", fault: Fault{Kind: FaultUnauthorized}, status: 400, code: "190/463"},
		{name: "container not found", fault: Fault{Kind: FaultContainerNotFound}, status: 400, code: "100/33"},
		{name: "media error", fault: Fault{Kind: FaultMediaError}, status: 400, code: "9007/2207027"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			u, tok := e.User("faulty")
			c := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
			e.Clock.Advance(DefaultImageProcessing)
			tc.fault.Match = "POST /{id}/media_publish"
			e.sim.InjectFault(tc.fault)

			res, body, err := e.RawCall(http.MethodPost, "/v25.0/"+u.UserID+"/media_publish?creation_id="+c, tok)
			graphtest.CheckTransport(t, tc.fault.Kind, tc.status, tc.ctype, res, body, err)
			if tc.code != "" {
				got := graphtest.Parse(body)
				if got.ErrCode() != tc.code {
					t.Fatalf("error %s, want %s", body, tc.code)
				}
				if tc.fault.Kind == FaultContainerNotFound && !strings.Contains(got.Str("error", "message"), "'"+c+"'") {
					t.Fatalf("container_not_found should name %s: %s", c, body)
				}
			}
			if tc.header != "" {
				h := res.Header.Get("X-Business-Use-Case-Usage")
				if !strings.Contains(h, `{"`+u.UserID+`":[{`) || !strings.Contains(h, tc.header) || !strings.Contains(h, `"call_count":100`) {
					t.Fatalf("usage header %q", h)
				}
			}
			want := "FINISHED"
			switch {
			case tc.published:
				want = "PUBLISHED"
			case tc.fault.Kind == FaultMediaError:
				want = "ERROR"
			}
			if got := e.Status(c, tok); got != want {
				t.Fatalf("container after the fault: %s, want %s", got, want)
			}
			if tc.published && len(e.sim.Posts()) != 1 {
				t.Fatalf("%d posts after a committed publish", len(e.sim.Posts()))
			}
			// The fault fired once: a retry is served normally.
			if want == "FINISHED" {
				e.Expect(e.Publish(u, tok, c), 200)
			}
		})
	}
}

func TestMediaErrorAndFetchFailFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("media_faults")
	// On a create request, the new container is the one that fails.
	e.sim.InjectFault(Fault{Match: "POST /{id}/media", Kind: FaultMediaError, Code: 2207082})
	c := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	r := e.Expect(e.Do(http.MethodGet, "/v25.0/"+c+"?fields=status_code,status", tok, nil), 200)
	if r.Str("status_code") != "ERROR" || r.Str("status") != "Error: Media upload has failed with error code 2207082" {
		t.Fatalf("failed container %s", r.Raw)
	}
	// On a status poll, the container polled fails.
	c2 := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	e.sim.InjectFault(Fault{Match: "GET /{id}", Kind: FaultMediaError, Message: "Error: Media upload has failed with error code 2207001"})
	r = e.Expect(e.Do(http.MethodGet, "/v25.0/"+c2+"?fields=status_code,status", tok, nil), 200)
	if r.Str("status") != "Error: Media upload has failed with error code 2207001" {
		t.Fatalf("polled container %s", r.Raw)
	}
	// fetch_fail: the next media fetch fails without reaching the server.
	before := e.Fetches("/photo.jpg")
	e.sim.InjectFault(Fault{Match: "POST /{id}/media", Kind: FaultFetchFail})
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"image_url": e.MediaURL("photo.jpg")}), 400, "9004/2207052")
	if e.Fetches("/photo.jpg") != before {
		t.Fatal("fetch_fail still fetched")
	}
	e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.User("matching")
	e.sim.InjectFault(Fault{Match: "GET /me", Kind: FaultStatus, Times: 2})
	e.sim.InjectFault(Fault{Match: "* /{id}/content_publishing_limit", Kind: FaultStatus, Status: 500, Times: -1})
	// Match paths have no version; requests may have one.
	e.Expect(e.Do(http.MethodGet, "/v25.0/me", tok, nil), 503)
	e.Expect(e.Do(http.MethodGet, "/me", tok, nil), 503)
	e.Expect(e.Do(http.MethodGet, "/v25.0/me", tok, nil), 200)
	for range 3 {
		e.Expect(e.Do(http.MethodGet, "/v24.0/me/content_publishing_limit", tok, nil), 500)
	}
	e.sim.ClearFaults()
	e.Expect(e.Do(http.MethodGet, "/me/content_publishing_limit", tok, nil), 200)
	for _, bad := range []Fault{{Match: "GET /v25.0/me", Kind: FaultStatus}, {Match: "/me", Kind: FaultStatus}, {Match: "GET /me", Kind: "nope"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%+v) did not panic", bad)
				}
			}()
			e.sim.InjectFault(bad)
		}()
	}
}
