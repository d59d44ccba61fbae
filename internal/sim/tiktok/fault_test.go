package tiktok

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rawInit sends a small Direct Post init with a client that gives up
// after timeout (short for the hang faults, long enough never to cut an
// answer on a loaded machine otherwise) and returns what the transport saw.
func rawInit(e *env, tok string, timeout time.Duration) (*http.Response, []byte, error) {
	body, _ := json.Marshal(map[string]any{"post_info": postInfoOf("f", PrivacyPublic), "source_info": fileSource(100, 100, 1)})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v2/post/publish/video/init/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	client := &http.Client{Timeout: timeout}
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res, raw, err
}

func TestInitFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  Fault
		status int    // 0: the client sees a transport error
		code   string // envelope error.code
		ctype  string
		stored bool
	}{
		{name: "503", fault: Fault{Kind: FaultStatus}, status: 503, code: codeInternal},
		{name: "500 with code", fault: Fault{Kind: FaultStatus, Status: 500, Code: "internal_error"}, status: 500, code: codeInternal},
		{name: "html", fault: Fault{Kind: FaultHTML, Status: 502}, status: 502, ctype: "text/html"},
		{name: "hang", fault: Fault{Kind: FaultHang}},
		{name: "hang after commit", fault: Fault{Kind: FaultHangAfterCommit}, stored: true},
		{name: "503 after commit", fault: Fault{Kind: FaultStatusAfterCommit}, status: 503, code: codeInternal, stored: true},
		{name: "truncated", fault: Fault{Kind: FaultTruncated}, stored: true},
		{name: "rate limit", fault: Fault{Kind: FaultRateLimit}, status: 429, code: codeRateLimit},
		{name: "unauthorized", fault: Fault{Kind: FaultUnauthorized}, status: 401, code: codeTokenInvalid},
		{name: "spam risk", fault: Fault{Kind: FaultSpamRisk}, status: 403, code: codeTooManyPosts},
		{name: "active user cap", fault: Fault{Kind: FaultSpamRisk, Code: codeActiveUserCap}, status: 403, code: codeActiveUserCap},
		{name: "processing failed", fault: Fault{Kind: FaultProcessingFailed, FailReason: "spam_risk_text"}, status: 200, code: "ok", stored: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			_, tok := e.user("faulty")
			tc.fault.Match = "POST /v2/post/publish/video/init"
			e.sim.InjectFault(tc.fault)
			timeout := 30 * time.Second
			if tc.status == 0 {
				timeout = 300 * time.Millisecond // a hang: the transport gives up
			}
			res, body, err := rawInit(e, tok, timeout)
			switch {
			case tc.status == 0 && err == nil:
				t.Fatalf("want a transport error, got %d %s", res.StatusCode, body)
			case tc.status != 0 && (err != nil || res.StatusCode != tc.status):
				t.Fatalf("want %d, got %v %v %s", tc.status, res, err, body)
			case tc.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype):
				t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
			}
			if tc.code != "" {
				var env envelope
				if json.Unmarshal(body, &env) != nil || env.Error.Code != tc.code || env.Error.LogID == "" {
					t.Fatalf("body %s, want code %s", body, tc.code)
				}
			}
			posts := e.sim.Posts()
			if (len(posts) == 1) != tc.stored {
				t.Fatalf("%d publishes stored, want stored=%v", len(posts), tc.stored)
			}
			if tc.fault.Kind == FaultProcessingFailed {
				e.uploadWhole(uploadURLOf(t, body), mp4Head[:100])
				e.clock.Advance(DefaultProcessingDuration)
				if p := e.sim.Posts()[0]; p.Status != StatusFailed || p.FailReason != "spam_risk_text" {
					t.Fatalf("after processing_failed: %+v", p)
				}
			}
			// The fault fired once: the token still works and the next
			// call is served normally.
			if res, body, err := rawInit(e, tok, 30*time.Second); err != nil || res.StatusCode != 200 {
				t.Fatalf("after the fault: %v %v %s", res, err, body)
			}
		})
	}
}

func uploadURLOf(t *testing.T, body []byte) string {
	t.Helper()
	var got struct {
		Data struct {
			UploadURL string `json:"upload_url"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &got) != nil || got.Data.UploadURL == "" {
		t.Fatalf("no upload_url in %s", body)
	}
	return got.Data.UploadURL
}

func TestUploadAndStatusFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("gil")
	cr := fmt.Sprintf("bytes 0-%d/%d", len(mp4Head)-1, len(mp4Head))

	// upload_url_expired ends the URL for good.
	_, up := e.initDirect(tok, "a", PrivacyPublic, mp4Head)
	e.sim.InjectFault(Fault{Match: "PUT /upload/video/", Kind: FaultUploadURLExpired})
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 403, codeUploadExpired)
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 403, codeUploadExpired)

	// A 502 on a chunk, twice, then the retry goes through.
	pid, up := e.initDirect(tok, "b", PrivacyPublic, mp4Head)
	e.sim.InjectFault(Fault{Match: "PUT /upload/video/", Kind: FaultStatus, Status: 502, Times: 2})
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 502, codeInternal)
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 502, codeInternal)
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 201, "")

	// processing_failed named by a status fetch, before processing ends.
	e.sim.InjectFault(Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: FaultProcessingFailed, FailReason: "duration_check_failed"})
	e.expect(e.status(tok, pid), 200, "ok")
	e.clock.Advance(DefaultProcessingDuration)
	if r := e.expect(e.status(tok, pid), 200, "ok"); r.str("data", "fail_reason") != "duration_check_failed" {
		t.Fatalf("status %s", r.raw)
	}

	// processing_failed named by a PUT's upload_id.
	pid, up = e.initDirect(tok, "c", PrivacyPublic, mp4Head)
	e.sim.InjectFault(Fault{Match: "PUT /upload/video/", Kind: FaultProcessingFailed})
	e.expect(e.put(up, "video/mp4", cr, mp4Head), 201, "")
	e.clock.Advance(DefaultProcessingDuration)
	if r := e.expect(e.status(tok, pid), 200, "ok"); r.str("data", "fail_reason") != "internal" {
		t.Fatalf("status %s", r.raw)
	}

	// spam_risk on creator_info is HTTP 200.
	e.sim.InjectFault(Fault{Match: "POST /v2/post/publish/creator_info/query/", Kind: FaultSpamRisk, Code: codeBanned})
	e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", tok, nil), 200, codeBanned)
}

func TestOAuthFaultsAndQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u := e.sim.AddUser("hub", "")
	_, rt := e.sim.IssueTokens(u.OpenID)
	form := url.Values{"client_key": {testClientKey}, "client_secret": {testClientSecret},
		"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for kind, want := range map[FaultKind]string{FaultStatus: "server_error", FaultRateLimit: "temporarily_unavailable",
		FaultUnauthorized: "invalid_grant"} {
		e.sim.InjectFault(Fault{Match: "POST /v2/oauth/token/", Kind: kind})
		if r := e.do(http.MethodPost, "/v2/oauth/token/", "", form); r.str("error") != want || r.str("log_id") == "" {
			t.Fatalf("%s on the token endpoint: %d %s", kind, r.status, r.raw)
		}
	}
	e.expect(e.do(http.MethodPost, "/v2/oauth/token/", "", form), 200, "") // rt was never spent

	e.sim.InjectFault(Fault{Match: "* /v2/...", Kind: FaultStatus, Times: -1})
	for range 3 {
		e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", "x", nil), 503, codeInternal)
	}
	e.sim.ClearFaults()
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", "x", nil), 401, codeTokenInvalid)

	for _, f := range []Fault{{Match: "video/init", Kind: FaultStatus}, {Match: "POST /v2/x/", Kind: "explode"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%+v) did not panic", f)
				}
			}()
			e.sim.InjectFault(f)
		}()
	}
}

func TestCloseReleasesHangs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("ivy")
	e.sim.InjectFault(Fault{Match: "POST /v2/post/publish/creator_info/query/", Kind: FaultHang})
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v2/post/publish/creator_info/query/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.sim.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll until the request is in
	}
	e.sim.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
	if r := e.sim.Requests(); len(r) != 1 || !r[0].Bearer || r[0].Path != "/v2/post/publish/creator_info/query/" {
		t.Fatalf("requests %+v", r)
	}
}
