package graph

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStripVersion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"/v25.0/me":          {"/me", "v25.0"},
		"/v1.0/me/threads":   {"/me/threads", "v1.0"},
		"/v3.14":             {"/", "v3.14"},
		"/me":                {"/me", ""},
		"/v25/me":            {"/v25/me", ""},
		"/oauth/authorize":   {"/oauth/authorize", ""},
		"/v25.0x/me":         {"/v25.0x/me", ""},
		"/access_token/v1.0": {"/access_token/v1.0", ""},
	} {
		rest, v := StripVersion(in)
		if rest != want[0] || v != want[1] {
			t.Errorf("StripVersion(%q) = %q, %q; want %q", in, rest, v, want)
		}
	}
}

// parseOne runs ParseCall on a request to a handler and returns the Call.
func parseOne(t *testing.T, req *http.Request) *Call {
	t.Helper()
	c, err := ParseCall(req)
	if err != nil {
		t.Fatalf("ParseCall: %v", err.Message)
	}
	return c
}

func TestParseCall(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/v25.0/1/media?caption=q&access_token=fromquery",
		strings.NewReader(`{"children":["1","2"],"n":17841400000000001,"ok":true,"tags":[{"x":0.5}],"access_token":"fromjson"}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	c := parseOne(t, req)
	if c.Path != "/1/media" || c.Version != "v25.0" || c.Params.Get("children") != "1,2" || c.Params.Get("n") != "17841400000000001" ||
		c.Params.Get("ok") != "true" || c.Params.Get("tags") != `[{"x":0.5}]` || c.Params.Get("caption") != "q" {
		t.Fatalf("call %+v", c)
	}
	if c.Token != "fromquery" || c.TokenFrom != TokenFromQuery {
		t.Fatalf("token %q from %s", c.Token, c.TokenFrom)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("code", "AQBxyz")
	_ = mw.WriteField("access_token", "frommultipart")
	_ = mw.Close()
	req = httptest.NewRequest(http.MethodPost, "/oauth/access_token", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c = parseOne(t, req); c.Params.Get("code") != "AQBxyz" || c.TokenFrom != TokenFromForm || c.Token != "frommultipart" {
		t.Fatalf("multipart call %+v", c)
	}

	req = httptest.NewRequest(http.MethodPost, "/me/threads", strings.NewReader("text=a+b&access_token=form"))
	req.Header.Set("Authorization", "OAuth fromheader")
	if c = parseOne(t, req); c.Params.Get("text") != "a b" || c.Token != "fromheader" || c.TokenFrom != TokenFromHeader {
		t.Fatalf("form call %+v", c)
	}

	req = httptest.NewRequest(http.MethodPost, "/me", strings.NewReader(strings.Repeat("a", MaxBodyBytes+1)))
	if _, err := ParseCall(req); err == nil || err.Code != 100 {
		t.Fatalf("oversized body: %v", err)
	}
	req = httptest.NewRequest(http.MethodPost, "/me", strings.NewReader("[1,2]"))
	req.Header.Set("Content-Type", "application/json")
	if _, err := ParseCall(req); err == nil {
		t.Fatal("a JSON array body was accepted")
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	var got string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := ParseCall(r)
		got = BaseURL(WithCall(r, c), "")
	})
	mux := http.NewServeMux()
	mux.Handle("/sim/ig/", http.StripPrefix("/sim/ig", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/sim/ig/v25.0/me?x=1", "/sim/ig/me", "/sim/ig/v1.0/1/media"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got != srv.URL+"/sim/ig" {
			t.Errorf("BaseURL for %s = %q", path, got)
		}
	}
	if b := BaseURL(httptest.NewRequest(http.MethodGet, "/me", nil), "https://x.example/p/"); b != "https://x.example/p" {
		t.Fatalf("configured base %q", b)
	}
}

func TestIDsAndShortcodes(t *testing.T) {
	t.Parallel()
	g := NewIDs(17841400000000001)
	prev := uint64(0)
	seen := map[string]bool{}
	for range 1000 {
		id := g.Next()
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil || len(id) != 17 || n <= 1<<53 || n <= prev {
			t.Fatalf("id %s after %d", id, prev)
		}
		prev = n
		sc := Shortcode(id)
		if len(sc) != 11 || (sc[0] != 'C' && sc[0] != 'D') || seen[sc] || Shortcode(id) != sc {
			t.Fatalf("shortcode %q of %s", sc, id)
		}
		seen[sc] = true
	}
	if id := NewIDs(5).Next(); id != strconv.FormatUint(MinID, 10) {
		t.Fatalf("small start gives %s", id)
	}
}

func TestContainerStatus(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewContainer("1", "u", t0, 10*time.Second)
	steps := []struct {
		at   time.Duration
		want Status
	}{{0, StatusInProgress}, {9 * time.Second, StatusInProgress}, {10 * time.Second, StatusFinished},
		{ContainerTTL - 1, StatusFinished}, {ContainerTTL, StatusExpired}}
	for _, s := range steps {
		if got := c.Status(t0.Add(s.at)); got != s.want {
			t.Errorf("at %v: %s, want %s", s.at, got, s.want)
		}
	}
	c.Fail("boom", t0.Add(5*time.Second))
	if c.Status(t0.Add(4*time.Second)) != StatusInProgress || c.Status(t0.Add(5*time.Second)) != StatusError || c.Status(t0.Add(ContainerTTL)) != StatusError {
		t.Fatal("failure not reported from FailAt on")
	}
	c.Publish("m", t0.Add(time.Minute))
	if c.Status(t0.Add(48*time.Hour)) != StatusPublished {
		t.Fatal("published container changed state")
	}
}

func TestRolling(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := NewRolling(QuotaWindow)
	q.Add("a", t0)
	q.Add("a", t0.Add(time.Hour))
	q.Add("b", t0)
	if q.Used("a", t0.Add(time.Hour)) != 2 || q.Used("a", t0.Add(24*time.Hour)) != 1 || q.Used("a", t0.Add(25*time.Hour)) != 0 {
		t.Fatal("window arithmetic")
	}
	if q.Used("b", t0.Add(time.Minute)) != 1 || q.UsedSince("b", t0.Add(-time.Second), t0.Add(time.Minute)) != 1 || q.UsedSince("b", t0, t0.Add(time.Minute)) != 0 {
		t.Fatal("per key / since")
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	for want, head := range map[string]string{
		FormatJPEG: "\xff\xd8\xff\xe0\x00\x10JFIF", FormatPNG: "\x89PNG\r\n\x1a\n....", FormatGIF: "GIF89a....",
		FormatWebP: "RIFF\x00\x00\x00\x00WEBPVP8 ", FormatMP4: "\x00\x00\x00\x18ftypisom....", FormatMOV: "\x00\x00\x00\x14ftypqt  ....",
		"": "hello world, not media",
	} {
		if got := Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestFetcher(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Write([]byte{0xff, 0xd8, 0xff})
		w.Write(make([]byte, 997))
	}))
	defer srv.Close()
	f := NewFetcher(nil, time.Second)
	ctx := context.Background()
	if got := f.Fetch(ctx, srv.URL+"/a.jpg", 1000); !got.OK() || got.Bytes != 1000 || got.TooLarge || got.Format != FormatJPEG || got.Status != 200 {
		t.Fatalf("fetch %+v", got)
	}
	if got := f.Fetch(ctx, srv.URL+"/a.jpg", 999); !got.TooLarge || got.Bytes != 999 {
		t.Fatalf("limited fetch %+v", got)
	}
	if got := f.Fetch(ctx, srv.URL+"/gone", 1000); got.OK() || got.Status != 410 || got.Err != "HTTP status 410" {
		t.Fatalf("410 fetch %+v", got)
	}
	f.FailNext()
	if got := f.Fetch(ctx, srv.URL+"/a.jpg", 1000); got.OK() || got.Status != 0 {
		t.Fatalf("FailNext fetch %+v", got)
	}
	if got := f.Fetch(ctx, srv.URL+"/a.jpg", 1000); !got.OK() {
		t.Fatalf("fetch after the failure %+v", got)
	}
}

func TestListHelpers(t *testing.T) {
	t.Parallel()
	if got := ParseFields(" id, children{id,media_url},owner{id} ,id,caption"); strings.Join(got, "|") != "id|children|owner|caption" {
		t.Fatalf("ParseFields = %q", got)
	}
	if e := CheckFields([]string{"id", "bogus"}, []string{"id"}, "IGMedia"); e == nil || !strings.Contains(e.Message, "(bogus) on node type (IGMedia)") {
		t.Fatalf("CheckFields: %v", e)
	}
	ids := []string{"5", "4", "3", "2", "1"}
	for _, tc := range []struct {
		pr       PageRequest
		from, to int
	}{
		{PageRequest{Limit: 2}, 0, 2}, {PageRequest{Limit: 2, After: "4"}, 2, 4}, {PageRequest{Limit: 2, After: "2"}, 4, 5},
		{PageRequest{Limit: 2, Before: "2"}, 1, 3}, {PageRequest{Limit: 2, After: "9"}, 5, 5},
	} {
		if from, to := tc.pr.Slice(ids); from != tc.from || to != tc.to {
			t.Errorf("%+v: %d..%d, want %d..%d", tc.pr, from, to, tc.from, tc.to)
		}
	}
	pr, err := ParsePage(map[string][]string{"limit": {"500"}, "after": {Cursor("3")}}, 25, 100, TypeIGAPI)
	if err != nil || pr.Limit != 100 || pr.After != "3" {
		t.Fatalf("ParsePage %+v %v", pr, err)
	}
	if _, err := ParsePage(map[string][]string{"after": {"!!"}}, 25, 100, TypeIGAPI); err == nil {
		t.Fatal("bad cursor accepted")
	}
}

func TestFaultMatch(t *testing.T) {
	t.Parallel()
	q := NewFaults()
	q.Inject(Fault{Match: "POST /{id}/media_publish", Kind: FaultStatus})
	q.Inject(Fault{Match: "* /__x/...", Kind: FaultHTML, Times: -1})
	if q.Take(http.MethodGet, "/1/media_publish") != nil || q.Take(http.MethodPost, "/1/media") != nil {
		t.Fatal("matched the wrong request")
	}
	if f := q.Take(http.MethodPost, "/178/media_publish"); f == nil || f.Kind != FaultStatus {
		t.Fatal("did not match")
	}
	if q.Take(http.MethodPost, "/178/media_publish") != nil {
		t.Fatal("fired twice")
	}
	for range 3 {
		if q.Take(http.MethodDelete, "/__x/a/b") == nil {
			t.Fatal("unlimited fault stopped")
		}
	}
	q.Clear()
	if q.Take(http.MethodDelete, "/__x/a") != nil {
		t.Fatal("Clear kept a fault")
	}
}

func TestGrow(t *testing.T) {
	t.Parallel()
	prev := int64(0)
	for h := 0; h < 200; h++ {
		v := Grow(1000, 6*time.Hour, time.Duration(h)*time.Hour)
		if v < prev || (h > 0 && v == 0) {
			t.Fatalf("Grow at %dh = %d after %d", h, v, prev)
		}
		prev = v
	}
	if Grow(1000, time.Hour, 0) != 0 || Part(1000, 0, 0, 100, 1) != 100 {
		t.Fatal("Grow at 0 or Part")
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	got := RedactURL("https://user:pw@bucket.example/a/b.jpg?X-Amz-Signature=secret#frag")
	if got != "https://bucket.example/a/b.jpg" {
		t.Fatalf("RedactURL = %q", got)
	}
}
