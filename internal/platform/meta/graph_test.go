package meta

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

func TestDecodeToken(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Token
	}{
		{"flat with a big id", `{"access_token":"IGAA1","user_id":17841400000000001,"permissions":["instagram_business_basic","instagram_business_content_publish"]}`,
			Token{AccessToken: "IGAA1", UserID: "17841400000000001", Permissions: []string{"instagram_business_basic", "instagram_business_content_publish"}}},
		{"wrapped as documented", `{"data":[{"access_token":"IGAA2","user_id":"1020","permissions":"instagram_business_basic, instagram_business_manage_insights"}]}`,
			Token{AccessToken: "IGAA2", UserID: "1020", Permissions: []string{"instagram_business_basic", "instagram_business_manage_insights"}}},
		{"long-lived", `{"access_token":"IGAAlong","token_type":"bearer","expires_in":5183944}`,
			Token{AccessToken: "IGAAlong", TokenType: "bearer", ExpiresIn: 5183944}},
		{"threads", `{"access_token":"THQ","user_id":17841405793187218}`, Token{AccessToken: "THQ", UserID: "17841405793187218"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeToken([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != tc.want.AccessToken || got.UserID != tc.want.UserID || got.ExpiresIn != tc.want.ExpiresIn ||
				got.TokenType != tc.want.TokenType || !slices.Equal(got.Permissions, tc.want.Permissions) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`{}`, `{"access_token":""}`, `[]`, `{"access_token":"a","expires_in":"soon"}`, `{"access_token":"a","user_id":1.5}`} {
		if _, err := DecodeToken([]byte(bad)); err == nil {
			t.Errorf("DecodeToken(%s) accepted", bad)
		}
	}
}

func TestMissing(t *testing.T) {
	want := []string{"a", "b", "c"}
	if m := Missing(want, nil); m != nil {
		t.Errorf("nothing granted said: %v", m)
	}
	if m := Missing(want, []string{"a", "c"}); !slices.Equal(m, []string{"b"}) {
		t.Errorf("Missing = %v", m)
	}
}

func TestDecodeInsights(t *testing.T) {
	body := `{"data":[
	 {"name":"views","period":"lifetime","values":[{"value":120}],"id":"1/insights/views/lifetime"},
	 {"name":"likes","period":"day","total_value":{"value":42}},
	 {"name":"profile_activity","total_value":{"value":3,"breakdowns":[]}},
	 {"name":"navigation","values":[{"value":{"tap_forward":2}}]},
	 {"name":"reach","values":[{"value":7,"end_time":"2026-10-01T07:00:00+0000"},{"value":9}]}]}`
	got, err := DecodeInsights([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"views": 120, "likes": 42, "profile_activity": 3, "reach": 9}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	empty, err := DecodeInsights([]byte(`{"data":[]}`))
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty data: %v %v", empty, err)
	}
}

func TestParseTimeAndSameText(t *testing.T) {
	if got := ParseTime("2026-10-01T12:00:00+0000"); !got.Equal(t0) {
		t.Errorf("ParseTime = %v", got)
	}
	if !ParseTime("soon").IsZero() {
		t.Error("ParseTime read nonsense")
	}
	if !SameText("a  b\r\nc ", "a b\nc") || SameText("a b", "a c") {
		t.Error("SameText")
	}
}

func TestGraphDo(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = r
		switch r.URL.Path {
		case "/v25.0/1/media":
			w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
			w.Write([]byte(`{"id":"17889455560051444"}`))
		case "/v25.0/1/media_publish":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(envelope(9007, 2207027, "")))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"error":{"message":"Unsupported get request","type":"IGApiException","code":100,"error_subcode":33}}`))
		}
	}))
	defer srv.Close()
	g := &Graph{Platform: snsos.PlatformInstagram, HTTP: platform.NewHTTPClient(platform.HTTPOptions{}), Base: srv.URL, Version: "v25.0",
		Now: func() time.Time { return t0 }}
	ctx := context.Background()
	var c struct{ ID platform.ID }
	err := g.Do(ctx, Call{Op: "create container", Method: "POST", Path: "/1/media", Token: snsos.Secret("IGAAtok"),
		Params: map[string][]string{"image_url": {"https://x/m/1"}, "caption": {"hi"}}}, &c)
	if err != nil || c.ID != "17889455560051444" {
		t.Fatalf("create: %v %q", err, c.ID)
	}
	if got.Header.Get("Authorization") != "Bearer IGAAtok" || got.PostForm.Get("caption") != "hi" {
		t.Fatalf("request: auth %q form %v", got.Header.Get("Authorization"), got.PostForm)
	}
	err = g.Do(ctx, Call{Op: "publish", Method: "POST", Path: "/1/media_publish", Mutating: true}, nil)
	if at, ok := platform.RetryAt(err); !ok || at != t0.Add(NotReadyWait) {
		t.Fatalf("publish too early: %v", err)
	}
	err = g.Do(ctx, Call{Op: "read", Path: "/2", Params: map[string][]string{"fields": {"id"}}}, nil)
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != platform.KindRejected || pe.Code != "100/33" || !strings.Contains(got.URL.RawQuery, "fields=id") {
		t.Fatalf("error with a 200 status: %v", err)
	}
}

func TestPollingWait(t *testing.T) {
	var slept []time.Duration
	p := Polling{First: time.Second, Max: 4 * time.Second, Budget: 10 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	n := 0
	c, err := p.Wait(context.Background(), "container", func(context.Context) (*Container, error) {
		n++
		if n < 4 {
			return &Container{Status: InProgress}, nil
		}
		return &Container{Status: Finished}, nil
	})
	if err != nil || c.Status != Finished || !slices.Equal(slept, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
		t.Fatalf("Wait = %v %v after %v", c, err, slept)
	}
	slept = nil
	_, err = p.Wait(context.Background(), "video", func(context.Context) (*Container, error) { return &Container{Status: InProgress}, nil })
	after, ok := platform.ContinueAfter(err)
	if !ok || after != 4*time.Second {
		t.Fatalf("over budget: %v", err)
	}
	var total time.Duration
	for _, d := range slept {
		total += d
	}
	if total > 10*time.Second {
		t.Fatalf("slept %v beyond the budget", total)
	}
}

// TestPollingStopsBeforeTheJobsDeadline: a wait that would outlast the
// caller's deadline is handed back as a Continue instead of being cut off.
func TestPollingStopsBeforeTheJobsDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var slept []time.Duration
	p := Polling{First: 2 * time.Second, Max: 30 * time.Second, Budget: time.Hour,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	_, err := p.Wait(ctx, "video", func(context.Context) (*Container, error) { return &Container{Status: InProgress}, nil })
	if _, ok := platform.ContinueAfter(err); !ok {
		t.Fatalf("Wait = %v, want a Continue", err)
	}
	// 2 s and 4 s fit before the deadline with the 15 s margin kept; 8 s
	// would not.
	if !slices.Equal(slept, []time.Duration{2 * time.Second, 4 * time.Second}) {
		t.Fatalf("slept %v with 20 s to the deadline and a 15 s margin", slept)
	}
}
