package tiktok

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

func TestClassifyFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		status   int
		ct       string
		mutating bool
		kind     platform.Kind
		quota    bool
		code     string
		say      []string
	}{
		{"error_access_token_invalid.json", 401, "application/json", false, platform.KindAuth, false, "access_token_invalid", []string{"refresh it"}},
		// One project saw a wrong token answered with HTTP 200.
		{"error_access_token_invalid.json", 200, "application/json", true, platform.KindAuth, false, "access_token_invalid", nil},
		{"error_scope_not_authorized.json", 401, "application/json", false, platform.KindAuth, false, "scope_not_authorized", []string{"permission"}},
		{"error_rate_limit.json", 429, "application/json", true, platform.KindRateLimited, false, "rate_limit_exceeded", nil},
		{"error_spam_too_many_posts.json", 200, "application/json", false, platform.KindRejected, true, "spam_risk_too_many_posts", []string{"daily posting limit"}},
		{"error_spam_too_many_posts.json", 403, "application/json", true, platform.KindRejected, true, "spam_risk_too_many_posts", []string{"tomorrow"}},
		{"error_banned.json", 200, "application/json", false, platform.KindRejected, false, "spam_risk_user_banned_from_posting", []string{"banned"}},
		{"error_reached_cap.json", 200, "application/json", false, platform.KindRejected, true, "reached_active_user_cap", []string{"5 accounts"}},
		{"error_pending_share.json", 403, "application/json", true, platform.KindRejected, true, "spam_risk_too_many_pending_share", []string{"inbox"}},
		{"error_unaudited.json", 403, "application/json", true, platform.KindRejected, false, "unaudited_client_can_only_post_to_private_accounts",
			[]string{"audit", "\"Only me\" (SELF_ONLY)", "private"}},
		{"error_privacy_mismatch.json", 403, "application/json", true, platform.KindRejected, false, "privacy_level_option_mismatch",
			[]string{"audit", "\"Only me\" (SELF_ONLY)"}},
		{"error_invalid_param.json", 400, "application/json", true, platform.KindRejected, false, "invalid_params", []string{"chunk_size is invalid"}},
		{"error_invalid_publish_id.json", 400, "application/json", false, platform.KindRejected, false, "invalid_publish_id", nil},
		{"error_internal.json", 500, "application/json", false, platform.KindTransient, false, "internal_error", nil},
		{"error_internal.json", 500, "application/json", true, platform.KindOutcomeUnknown, false, "internal_error", []string{"may have taken effect"}},
		{"error_internal.json", 200, "application/json", true, platform.KindOutcomeUnknown, false, "internal_error", nil},
		{"error_internal.json", 200, "application/json", false, platform.KindTransient, false, "internal_error", nil},
		{"error_bad_gateway.html", 502, "text/html", true, platform.KindOutcomeUnknown, false, "", []string{"text/html"}},
		{"error_bad_gateway.html", 503, "text/html", false, platform.KindTransient, false, "", []string{"text/html"}},
		{"oauth_error.json", 400, "application/json", false, platform.KindRejected, false, "invalid_grant", []string{"Authorization code is expired"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.file, tt.status, tt.mutating), func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Content-Type": {tt.ct}}
			e := ClassifyResponse(platform.NewResponse(tt.status, h, fixture(t, tt.file), &platform.Request{Op: "op", Mutating: tt.mutating}), testNow)
			if e.Kind != tt.kind || e.Quota != tt.quota || e.Code != tt.code || e.Status != tt.status {
				t.Errorf("got kind %v quota %v code %q status %d: %v", e.Kind, e.Quota, e.Code, e.Status, e)
			}
			for _, s := range tt.say {
				if !strings.Contains(e.Error(), s) {
					t.Errorf("%q missing from %v", s, e)
				}
			}
			if strings.Contains(e.Error(), "<html") {
				t.Errorf("reason carries the page: %v", e)
			}
			if tt.code != "" && tt.file != "oauth_error.json" && !strings.Contains(e.Reason, "log_id") {
				t.Errorf("no log_id in %q", e.Reason)
			}
		})
	}
}

func TestRateLimitRetryAt(t *testing.T) {
	t.Parallel()
	body := fixture(t, "error_rate_limit.json")
	e := ClassifyResponse(platform.NewResponse(429, http.Header{"Content-Type": {"application/json"}}, body, nil), testNow)
	if !e.RetryAt.Equal(testNow.Add(time.Minute)) {
		t.Errorf("RetryAt %v, want the one-minute window", e.RetryAt)
	}
	// A later Retry-After wins (NewResponse reads it against the real clock).
	later := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	h := http.Header{"Content-Type": {"application/json"}, "Retry-After": {later.Format(http.TimeFormat)}}
	e = ClassifyResponse(platform.NewResponse(429, h, body, nil), testNow)
	if !e.RetryAt.Equal(later) {
		t.Errorf("RetryAt %v, want %v", e.RetryAt, later)
	}
	// The same refusal with HTTP 200 on a real call.
	f, srv := newFake(t)
	f.override["POST /v2/post/publish/status/fetch/"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) }
	c, _ := newClient(t, srv.URL)
	_, err := c.fetchStatus(context.Background(), testAuth(), "v_pub_file~1")
	if at, ok := platform.RetryAt(err); !errors.Is(err, platform.ErrRateLimited) || !ok || !at.Equal(testNow.Add(time.Minute)) {
		t.Errorf("status 200 rate limit: %v %v", err, at)
	}
}

// Every answer's envelope is read, HTTP 200 included; an answer without a
// verdict on a mutating call is outcome-unknown.
func TestEnvelopeOnEveryAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		mutating bool
		want     platform.Kind
	}{
		{"ok", 200, `{"data":{"x":1},"error":{"code":"ok","message":"","log_id":"L"}}`, true, 0},
		{"ok without an error object", 200, `{"data":{"x":1}}`, true, 0},
		{"no data and no verdict", 200, `{}`, true, platform.KindOutcomeUnknown},
		{"no data and no verdict, read", 200, `{}`, false, platform.KindTransient},
		{"error with 200", 200, `{"data":{},"error":{"code":"spam_risk","message":"m","log_id":"L"}}`, true, platform.KindRejected},
		{"ok code with an error status", 500, `{"data":{},"error":{"code":"ok","message":"","log_id":"L"}}`, true, platform.KindOutcomeUnknown},
		{"truncated 200", 200, `{"data":{"publish_id":"v_`, true, platform.KindOutcomeUnknown},
		{"unknown code with 200", 200, `{"error":{"code":"brand_new_code","message":"m","log_id":"L"}}`, false, platform.KindRejected},
		{"numeric code", 400, `{"error":{"code":40001,"message":"m","log_id":"L"}}`, false, platform.KindRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /v2/x/"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, []byte(tt.body)) }
			c, _ := newClient(t, srv.URL)
			_, _, err := c.do(context.Background(), call{op: "op", method: http.MethodPost, path: "/v2/x/", token: testToken, mutating: tt.mutating})
			if platform.KindOf(err) != tt.want || tt.want == 0 && err != nil {
				t.Fatalf("kind %v, want %v: %v", platform.KindOf(err), tt.want, err)
			}
		})
	}
}
