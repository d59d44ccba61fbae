package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

func TestPrefixMatches(t *testing.T) {
	t.Parallel()
	tok := "snsos_abcdefghijklmnop"
	tests := []struct {
		stored string
		want   bool
	}{
		{TokenPrefix(tok), true},
		{"snsos_abc", true}, // a shorter stored prefix still has to match
		{"", true},
		{"snsos_abcdeX", false},
		{"Snsos_abcdef", false},
		{tok + "x", false},
	}
	for _, tc := range tests {
		if got := prefixMatches(tc.stored, tok); got != tc.want {
			t.Errorf("prefixMatches(%q) = %v, want %v", tc.stored, got, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		rule string
	}{
		{in: "2026-12-24T09:00:00+09:00", want: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-24T00:00:00Z", want: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-24T00:00:00.5-01:00", want: time.Date(2026, 12, 24, 1, 0, 0, 5e8, time.UTC)},
		{in: "2026-12-24T09:00:00", rule: "timezone"},
		{in: "2026-12-24T09:00:00.123", rule: "timezone"},
		{in: "2026-12-24", rule: "format"},
		{in: "tomorrow", rule: "format"},
		{in: "2026-12-24T25:00:00Z", rule: "format"},
	}
	for _, tc := range tests {
		got, err := parseTime("scheduled_at", tc.in)
		if tc.rule == "" {
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		var v snsos.ValidationErrors
		if !errors.As(err, &v) || len(v) != 1 || v[0].Field != "scheduled_at" || v[0].Rule != tc.rule {
			t.Errorf("parseTime(%q) error = %v, want rule %s", tc.in, err, tc.rule)
		}
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{snsos.Errorf(snsos.EINVALID, "x"), 400},
		{snsos.ValidationErrors{{Field: "f", Rule: "r", Message: "m"}}.Err(), 400},
		{snsos.Errorf(snsos.EUNAUTHORIZED, "x"), 401},
		{snsos.Errorf(snsos.EFORBIDDEN, "x"), 403},
		{snsos.Errorf(snsos.ENOTFOUND, "x"), 404},
		{snsos.Errorf(snsos.ECONFLICT, "x"), 409},
		{snsos.Errorf(snsos.ETOOLARGE, "x"), 413},
		{&http.MaxBytesError{Limit: 1}, 413},
		{snsos.Errorf(snsos.ERATELIMITED, "x"), 429},
		{snsos.Errorf(snsos.EUNAVAILABLE, "x"), 503},
		{snsos.Errorf(snsos.EINTERNAL, "x"), 500},
		{errors.New("x"), 500},
	}
	for _, tc := range tests {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// FuzzDecodeJSON feeds arbitrary bodies to the JSON decoder: it must not
// panic, and must answer nil or a 4xx error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"body":"hi","targets":[{"account_id":1,"options":{"a":[1,{}]}}]}`,
		`{"body":1}`, `{"x":1}`, `{} {}`, `[`, `null`, `"s"`, `{"scheduled_at":"2026-12-24T09:00:00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/posts", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var req createPostRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		if err != nil && statusOf(err) >= 500 {
			t.Fatalf("decodeJSON(%q) = %v: a 5xx for bad input", body, err)
		}
		if err == nil && req.ScheduledAt != "" {
			if _, err := parseTime("scheduled_at", req.ScheduledAt); err != nil && statusOf(err) != 400 {
				t.Fatalf("parseTime(%q) = %v", req.ScheduledAt, err)
			}
		}
	})
}
