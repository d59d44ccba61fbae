package tiktok

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// initSmall starts a one-chunk Direct Post and returns the answer.
func (e *env) initSmall(token, privacy string) resp {
	e.t.Helper()
	return e.do(http.MethodPost, "/v2/post/publish/video/init/", token,
		map[string]any{"post_info": postInfoOf("x", privacy), "source_info": fileSource(100, 100, 1)})
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		route string
		limit int
		call  func(e *env, tok, pid string) resp
	}{
		{route: "video/init", limit: 6, call: func(e *env, tok, _ string) resp { return e.initSmall(tok, PrivacyPublic) }},
		{route: "status/fetch", limit: 30, call: func(e *env, tok, pid string) resp { return e.status(tok, pid) }},
		{route: "creator_info", limit: 20, call: func(e *env, tok, _ string) resp {
			return e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", tok, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.route, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			u, tok := e.user("zed")
			other, _ := e.sim.IssueTokens(u.OpenID)
			pid, _ := e.initDirect(other, "p", PrivacyPublic, mp4Head)
			for range tc.limit {
				e.expect(tc.call(e, tok, pid), 200, "ok")
			}
			r := e.expect(tc.call(e, tok, pid), http.StatusTooManyRequests, codeRateLimit)
			if r.header.Get("Retry-After") != "" || r.header.Get("X-Ratelimit-Remaining") != "" {
				t.Fatalf("TikTok sends no rate-limit headers: %v", r.header)
			}
			e.expect(tc.call(e, other, pid), 200, "ok") // per token
			e.clock.Advance(59 * time.Second)
			e.expect(tc.call(e, tok, pid), http.StatusTooManyRequests, codeRateLimit)
			e.clock.Advance(time.Second)
			e.expect(tc.call(e, tok, pid), 200, "ok")
		})
	}
}

func TestDailyPostCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AccessTokenTTL: 48 * time.Hour})
	_, tok := e.user("amy")
	for i := range DefaultDailyPostCap {
		if i > 0 && i%6 == 0 {
			e.clock.Advance(time.Minute) // stay under 6 inits per minute
		}
		e.expect(e.initSmall(tok, PrivacyPublic), 200, "ok")
	}
	e.clock.Advance(time.Minute)
	r := e.expect(e.initSmall(tok, PrivacyPublic), 403, codeTooManyPosts)
	if r.str("error", "message") == "" {
		t.Fatalf("no message: %s", r.raw)
	}
	e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", tok, nil), 200, codeTooManyPosts)
	// Inbox uploads have their own cap.
	e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
		map[string]any{"source_info": fileSource(100, 100, 1)}), 200, "ok")
	e.clock.Advance(24 * time.Hour)
	e.expect(e.initSmall(tok, PrivacyPublic), 200, "ok")
}

func TestPendingShareCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("ben")
	inbox := func() resp {
		return e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok, map[string]any{"source_info": fileSource(100, 100, 1)})
	}
	for range DefaultPendingShareCap {
		e.expect(inbox(), 200, "ok")
	}
	e.clock.Advance(time.Minute)
	e.expect(inbox(), 403, codePendingShares)
}

func TestActiveUserCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Unaudited: true})
	var toks []string
	for i := range DefaultActiveUserCap + 1 {
		_, tok := e.user(fmt.Sprintf("user%d", i))
		toks = append(toks, tok)
	}
	for _, tok := range toks[:DefaultActiveUserCap] {
		e.expect(e.initSmall(tok, PrivacySelfOnly), 200, "ok")
	}
	sixth := toks[DefaultActiveUserCap]
	e.expect(e.initSmall(sixth, PrivacySelfOnly), 403, codeActiveUserCap)
	e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", sixth, nil), 200, codeActiveUserCap)
	e.expect(e.initSmall(toks[0], PrivacySelfOnly), 200, "ok") // an active account may go on
}

func TestUnlimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Unlimited: true, Unaudited: true})
	_, tok := e.user("cyd")
	for range DefaultDailyPostCap + 10 {
		e.expect(e.initSmall(tok, PrivacySelfOnly), 200, "ok")
	}
	if n := len(e.sim.Posts()); n != DefaultDailyPostCap+10 {
		t.Fatalf("%d posts", n)
	}
}
