package meta

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

var t0 = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)

func response(status int, body string, mutating bool, header http.Header) *platform.Response {
	req := &platform.Request{Platform: "instagram", Op: "publish", Mutating: mutating, Redact: []string{"IGAAsecret"}}
	if header == nil {
		header = http.Header{"Content-Type": {"application/json"}}
	}
	return platform.NewResponse(status, header, []byte(body), req)
}

func envelope(code, subcode int, extra string) string {
	s := `{"error":{"message":"m","type":"OAuthException","code":` + itoa(code)
	if subcode != 0 {
		s += `,"error_subcode":` + itoa(subcode)
	}
	return s + extra + `,"fbtrace_id":"F"}}`
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		mutating bool
		header   http.Header
		kind     platform.Kind
		wait     time.Duration // expected RetryAt - now, for rate limits
		code     string
	}{
		{"expired token", 400, envelope(190, 463, ""), true, nil, platform.KindAuth, 0, "190/463"},
		{"app throttle", 400, envelope(4, 0, ""), false, nil, platform.KindRateLimited, ThrottleWait, "4"},
		{"instagram BUC with header", 400, envelope(80002, 0, ""), true,
			http.Header{"X-Business-Use-Case-Usage": {`{"1784":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":12}]}`}},
			platform.KindRateLimited, 12 * time.Minute, "80002"},
		{"user throttle", 403, envelope(17, 0, ""), false, nil, platform.KindRateLimited, ThrottleWait, "17"},
		{"custom throttle", 400, envelope(613, 0, ""), false, nil, platform.KindRateLimited, ThrottleWait, "613"},
		{"publish quota", 400, envelope(9, 2207042, ""), true, nil, platform.KindRateLimited, QuotaWait, "9/2207042"},
		{"not ready", 400, envelope(9007, 2207027, ""), true, nil, platform.KindRateLimited, NotReadyWait, "9007/2207027"},
		{"fetch failed", 400, envelope(9004, 2207052, ""), false, nil, platform.KindTransient, 0, "9004/2207052"},
		{"server error on publish", 400, envelope(-1, 2207001, ""), true, nil, platform.KindOutcomeUnknown, 0, "-1/2207001"},
		{"server error creating a container", 400, envelope(-1, 2207001, ""), false, nil, platform.KindTransient, 0, "-1/2207001"},
		{"upload failed on publish", 400, envelope(-1, 2207082, ""), true, nil, platform.KindOutcomeUnknown, 0, "-1/2207082"},
		{"expired container on publish", 400, envelope(-2, 2207020, ""), true, nil, platform.KindTransient, 0, "-2/2207020"},
		{"container gone on publish", 400, envelope(24, 2207006, ""), true, nil, platform.KindTransient, 0, "24/2207006"},
		{"caption too long", 400, envelope(36004, 2207010, ""), false, nil, platform.KindRejected, 0, "36004/2207010"},
		{"bad parameter", 400, envelope(100, 0, ""), false, nil, platform.KindRejected, 0, "100"},
		{"spam", 400, envelope(4, 2207051, ""), true, nil, platform.KindRejected, 0, "4/2207051"},
		{"unknown error on publish", 500, envelope(1, 0, ""), true, nil, platform.KindOutcomeUnknown, 0, "1"},
		{"unknown error on a read", 500, envelope(2, 0, ""), false, nil, platform.KindTransient, 0, "2"},
		{"is_transient on publish", 400, envelope(1, 2207001, `,"is_transient":true`), true, nil, platform.KindOutcomeUnknown, 0, "1/2207001"},
		{"is_transient on a read", 400, envelope(1, 2207001, `,"is_transient":true`), false, nil, platform.KindTransient, 0, "1/2207001"},
		{"is_transient elsewhere", 400, envelope(55, 0, `,"is_transient":true`), true, nil, platform.KindOutcomeUnknown, 0, "55"},
		{"token endpoint envelope", 400, `{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}`, true, nil, platform.KindRejected, 0, "400"},
		{"html from a proxy", 502, `<html>bad gateway</html>`, true, http.Header{"Content-Type": {"text/html"}}, platform.KindOutcomeUnknown, 0, ""},
		{"html 503 on a read", 503, `<html></html>`, false, http.Header{"Content-Type": {"text/html"}}, platform.KindTransient, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Classify(response(tc.status, tc.body, tc.mutating, tc.header), t0)
			if e.Kind != tc.kind {
				t.Fatalf("kind = %v, want %v (%v)", e.Kind, tc.kind, e)
			}
			if e.Code != tc.code {
				t.Errorf("code = %q, want %q", e.Code, tc.code)
			}
			if tc.kind == platform.KindRateLimited && e.RetryAt.Sub(t0) != tc.wait {
				t.Errorf("retry at +%v, want +%v", e.RetryAt.Sub(t0), tc.wait)
			}
			if tc.kind != platform.KindRateLimited && !e.RetryAt.IsZero() {
				t.Errorf("retry at set on %v", e.Kind)
			}
		})
	}
}

func TestClassifyRetryAfterWins(t *testing.T) {
	h := http.Header{"Retry-After": {"3600"}, "Content-Type": {"application/json"}}
	e := Classify(response(429, envelope(4, 0, ""), false, h), time.Now())
	if d := time.Until(e.RetryAt); d < 59*time.Minute {
		t.Fatalf("retry in %v, want the hour Retry-After gave", d)
	}
}

func TestClassifyRedacts(t *testing.T) {
	body := `{"error":{"message":"Invalid OAuth access token - Cannot parse access token IGAAsecret","type":"OAuthException","code":190}}`
	e := Classify(response(400, body, false, nil), t0)
	if strings.Contains(e.Error(), "IGAAsecret") {
		t.Fatalf("token in error: %v", e)
	}
	if !errors.Is(e, platform.ErrAuth) {
		t.Fatalf("not an auth error: %v", e)
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *GraphError
	}{
		{`{"error":{"message":"x","type":"THApiException","code":"24"}}`, &GraphError{Message: "x", Type: "THApiException", Code: 24}},
		{`{"error":"denied"}`, &GraphError{Message: "denied"}},
		{`{"id":"1"}`, nil},
		{`not json`, nil},
		{`{"error":{"code":1.5}}`, &GraphError{}},
	} {
		got := ParseError([]byte(tc.body))
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("ParseError(%s) = %+v, want %+v", tc.body, got, tc.want)
		}
	}
}

func TestUsageAndStatusCode(t *testing.T) {
	if d, ok := Usage(`{"a":[{"estimated_time_to_regain_access":3}],"b":[{"estimated_time_to_regain_access":"7"}]}`); !ok || d != 7*time.Minute {
		t.Errorf("Usage = %v %v, want 7m", d, ok)
	}
	if _, ok := Usage(`[1,2]`); ok {
		t.Error("Usage read a list")
	}
	if n := StatusErrorCode("Error: Media upload has failed with error code 2207026"); n != 2207026 {
		t.Errorf("StatusErrorCode = %d", n)
	}
	if n := StatusErrorCode("FAILED_DOWNLOADING_VIDEO"); n != 0 {
		t.Errorf("StatusErrorCode = %d", n)
	}
}

func TestClassifyWithoutMessage(t *testing.T) {
	e := Classify(response(400, `{"error":{}}`, true, nil), t0)
	if e.Reason == "" || e.Kind != platform.KindRejected {
		t.Fatalf("empty envelope: %+v", e)
	}
}
