package tiktok

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestVideoInitRefusals(t *testing.T) {
	t.Parallel()
	good := func() map[string]any {
		return map[string]any{"post_info": postInfoOf("hi", PrivacyPublic), "source_info": fileSource(1000, 1000, 1)}
	}
	pi := func(b map[string]any) map[string]any { return b["post_info"].(map[string]any) }
	tests := []struct {
		name    string
		opts    Options
		creator Creator
		edit    func(map[string]any)
		status  int
		code    string
	}{
		{name: "no privacy_level", edit: func(b map[string]any) { delete(pi(b), "privacy_level") }, status: 400, code: codeInvalidParams},
		{name: "bogus privacy_level", edit: func(b map[string]any) { pi(b)["privacy_level"] = "FRIENDS" }, status: 400, code: codeInvalidParams},
		{name: "no brand_content_toggle", edit: func(b map[string]any) { delete(pi(b), "brand_content_toggle") }, status: 400, code: codeInvalidParams},
		{name: "no brand_organic_toggle", edit: func(b map[string]any) { delete(pi(b), "brand_organic_toggle") }, status: 400, code: codeInvalidParams},
		{name: "no post_info", edit: func(b map[string]any) { delete(b, "post_info") }, status: 400, code: codeInvalidParams},
		{name: "title over 2200 UTF-16", edit: func(b map[string]any) { pi(b)["title"] = strings.Repeat("😀", 1101) }, status: 400, code: codeInvalidParams},
		{name: "option the creator lacks", creator: Creator{Private: true}, status: 403, code: codePrivacyMismatch},
		{name: "unaudited public", opts: Options{Unaudited: true}, status: 403, code: codeUnaudited},
		{name: "unaudited mutual", opts: Options{Unaudited: true}, edit: func(b map[string]any) { pi(b)["privacy_level"] = PrivacyMutual },
			status: 403, code: codeUnaudited},
		{name: "branded SELF_ONLY", edit: func(b map[string]any) {
			pi(b)["privacy_level"], pi(b)["brand_content_toggle"] = PrivacySelfOnly, true
		}, status: 400, code: codeInvalidParams},
		{name: "banned", creator: Creator{BannedFromPosting: true}, status: 403, code: codeBanned},
		{name: "no source_info", edit: func(b map[string]any) { delete(b, "source_info") }, status: 400, code: codeInvalidParams},
		{name: "unknown source", edit: func(b map[string]any) { b["source_info"] = map[string]any{"source": "CARRIER_PIGEON"} }, status: 400, code: codeInvalidParams},
		{name: "pull without url", edit: func(b map[string]any) { b["source_info"] = map[string]any{"source": "PULL_FROM_URL"} }, status: 400, code: codeInvalidParams},
		{name: "pull unverified", opts: Options{VerifiedURLPrefixes: []string{"https://media.example/"}},
			edit: func(b map[string]any) {
				b["source_info"] = map[string]any{"source": "PULL_FROM_URL", "video_url": "https://other.example/a.mp4"}
			}, status: 403, code: codeURLUnverified},
		{name: "bad JSON types", edit: func(b map[string]any) { b["source_info"] = "FILE_UPLOAD" }, status: 400, code: codeInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			u, tok := e.user("fay")
			if err := e.sim.SetCreator(u.OpenID, tc.creator); err != nil {
				t.Fatal(err)
			}
			body := good()
			if tc.edit != nil {
				tc.edit(body)
			}
			r := e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", tok, body), tc.status, tc.code)
			if r.str("error", "message") == "" || r.str("data") != "{}" {
				t.Fatalf("refusal without a message or with data: %s", r.raw)
			}
			if n := len(e.sim.Posts()); n != 0 {
				t.Fatalf("a refused init stored %d publishes", n)
			}
		})
	}
}

func TestChunkPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		size, chunk, n    int64
		ok                bool
		messageMentioning string
	}{
		{name: "small whole", size: 1000, chunk: 1000, n: 1, ok: true},
		{name: "small chunked", size: 4 * mib, chunk: 2 * mib, n: 2, messageMentioning: "uploaded whole"},
		{name: "small count 0", size: 1000, chunk: 1000, n: 0, messageMentioning: "uploaded whole"},
		{name: "5 MiB whole", size: 5 * mib, chunk: 5 * mib, n: 1, ok: true},
		{name: "64 MiB whole", size: 64 * mib, chunk: 64 * mib, n: 1, ok: true},
		{name: "65 MiB whole", size: 65 * mib, chunk: 65 * mib, n: 1, messageMentioning: "64 MB"},
		{name: "doc example", size: 50_000_123, chunk: 10_000_000, n: 5, ok: true},
		{name: "count rounded up", size: 50_000_123, chunk: 10_000_000, n: 6, messageMentioning: "= 5"},
		{name: "chunk under 5 MiB", size: 20 * mib, chunk: 4 * mib, n: 5, messageMentioning: "between 5 MB and 64 MB"},
		{name: "chunk over size", size: 6 * mib, chunk: 7 * mib, n: 1, messageMentioning: "larger than video_size"},
		{name: "last absorbs", size: 10*mib - 1, chunk: 5 * mib, n: 1, ok: true},
		{name: "too many chunks", size: 1001 * 5 * mib, chunk: 5 * mib, n: 1001, messageMentioning: "4 GB"},
		{name: "zero size", size: 0, chunk: 0, n: 0, messageMentioning: "video_size"},
	}
	for _, tc := range tests {
		msg := checkChunkPlan(&sourceInfo{Source: SourceFile, VideoSize: tc.size, ChunkSize: tc.chunk, TotalChunkCount: tc.n})
		if (msg == "") != tc.ok || !strings.Contains(msg, tc.messageMentioning) {
			t.Errorf("%s: message %q, want ok=%v mentioning %q", tc.name, msg, tc.ok, tc.messageMentioning)
		}
	}
	// Over HTTP, a bad plan is 400 invalid_params.
	e := newEnv(t, Options{})
	_, tok := e.user("gus")
	body := map[string]any{"post_info": postInfoOf("x", PrivacySelfOnly), "source_info": fileSource(20*mib, 10*mib, 3)}
	e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", tok, body), 400, codeInvalidParams)
}

func TestInitAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("hal")
	pid, up := e.initDirect(tok, "hi", PrivacySelfOnly, mp4Head)
	if !regexp.MustCompile(`^v_pub_file~v2-1\.[0-9]+$`).MatchString(pid) || len(pid) > 64 {
		t.Fatalf("publish_id %q", pid)
	}
	if !regexp.MustCompile(`^`+e.srv.URL+`/upload/video/\?upload_id=[0-9]+&upload_token=[A-Za-z0-9_-]+$`).MatchString(up) || len(up) > 256 {
		t.Fatalf("upload_url %q", up)
	}
	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
		map[string]any{"source_info": fileSource(1000, 1000, 1)}), 200, "ok")
	if !strings.HasPrefix(r.str("data", "publish_id"), "v_inbox_file~v2-1.") || r.str("data", "upload_url") == "" {
		t.Fatalf("inbox init %s", r.raw)
	}
	r = e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
		map[string]any{"source_info": map[string]any{"source": "PULL_FROM_URL", "video_url": e.mediaURL("clip.mp4")}}), 200, "ok")
	if !strings.HasPrefix(r.str("data", "publish_id"), "v_inbox_url~v2-1.") || r.str("data", "upload_url") != "" {
		t.Fatalf("inbox pull init %s", r.raw)
	}
	// A token without video.publish cannot Direct Post; without
	// video.upload it cannot upload to the inbox.
	u := e.sim.Users()[0]
	up1, _ := e.sim.IssueTokensWithScopes(u.OpenID, []string{ScopeUserBasic, ScopeVideoUpload})
	e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", up1, map[string]any{}), 401, codeScopeNotAuthorized)
	pub1, _ := e.sim.IssueTokensWithScopes(u.OpenID, []string{ScopeUserBasic, ScopeVideoPublish})
	e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", pub1, map[string]any{}), 401, codeScopeNotAuthorized)
}

func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("/sim/tiktok/", http.StripPrefix("/sim/tiktok", e.sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, tok := e.user("pre")
	r := e.expect(e.do(http.MethodPost, srv.URL+"/sim/tiktok/v2/post/publish/video/init/", tok, map[string]any{
		"post_info": postInfoOf("prefixed", PrivacyPublic), "source_info": fileSource(100, 100, 1)}), 200, "ok")
	up := r.str("data", "upload_url")
	if !strings.HasPrefix(up, srv.URL+"/sim/tiktok/upload/video/?") {
		t.Fatalf("upload_url %s", up)
	}
	e.expect(e.put(up, "video/mp4", "bytes 0-99/100", mp4Head[:100]), 201, "")
	if got := e.sim.Requests(); got[len(got)-1].Path != "/upload/video/" || got[len(got)-1].ContentRange != "bytes 0-99/100" {
		t.Fatalf("recorded %+v", got[len(got)-1])
	}
}
