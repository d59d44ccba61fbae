package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFetcherImage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a.jpg":
			w.Write(AvatarJPEG("a"))
		case "/a.gif":
			w.Write([]byte("GIF89a\x01\x00\x01\x00"))
		case "/big.jpg":
			w.Write([]byte{0xFF, 0xD8, 0xFF, 0xE0})
			w.Write(make([]byte, MaxImageBytes))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	jpeg := ImageRule{Type: TypeIGAPI, Formats: []string{FormatJPEG}, FetchFailed: "cannot fetch"}
	both := ImageRule{Type: TypeThreads, Formats: []string{FormatJPEG, FormatPNG}, FetchFailed: "cannot fetch"}
	for _, tc := range []struct {
		name, path string
		rule       ImageRule
		code       int
		userMsg    string // substring
	}{
		{"jpeg", "/a.jpg", jpeg, 0, ""},
		{"gif for a JPEG rule", "/a.gif", jpeg, 36001, "Only JPEG images are supported; " + srv.URL + "/a.gif is GIF."},
		{"gif for a JPEG and PNG rule", "/a.gif", both, 36001, "Only JPEG and PNG images are supported"},
		{"too large", "/big.jpg", both, 36000, "larger than 8 MiB"},
		{"missing", "/gone.jpg?sig=secret", jpeg, 9004, srv.URL + "/gone.jpg (HTTP status 404)"},
	} {
		f, e := NewFetcher(nil, time.Second).Image(context.Background(), srv.URL+tc.path, tc.rule)
		switch {
		case tc.code == 0 && (e != nil || f.Format != FormatJPEG):
			t.Errorf("%s: %+v %v", tc.name, f, e)
		case tc.code != 0 && (e == nil || e.Code != tc.code || e.Type != tc.rule.Type || !strings.Contains(e.UserMsg, tc.userMsg)):
			t.Errorf("%s: error %+v", tc.name, e)
		case e != nil && strings.Contains(e.UserMsg, "secret"):
			t.Errorf("%s: the query string leaked: %s", tc.name, e.UserMsg)
		}
	}
}

func TestListSpecParse(t *testing.T) {
	t.Parallel()
	spec := ListSpec{Node: "ThreadsMedia", Fields: []string{"id", "text"}, PageType: TypeThreads, FieldType: TypeThreads,
		TimeError: InvalidParam(TypeThreads, "Params since and until must be Unix timestamps")}
	q, e := spec.Parse(url.Values{"since": {"1000"}, "until": {"2000"}, "limit": {"5"}})
	if e != nil || strings.Join(q.Fields, ",") != "id" || q.Page.Limit != 5 || !q.Since.Equal(time.Unix(1000, 0)) {
		t.Fatalf("Parse = %+v, %v", q, e)
	}
	if !q.Within(time.Unix(1000, 0)) || q.Within(time.Unix(2000, 0)) || q.Within(time.Unix(999, 0)) {
		t.Fatal("Within does not bound [since, until)")
	}
	for name, v := range map[string]url.Values{
		"Params since":      {"until": {"yesterday"}},
		"Param limit":       {"limit": {"0"}},
		"nonexisting field": {"fields": {"id,bogus"}},
	} {
		if _, e := spec.Parse(v); e == nil || e.Type != TypeThreads || !strings.Contains(e.Message, name) {
			t.Errorf("%v: %+v", v, e)
		}
	}
}

func TestFilesAndPositive(t *testing.T) {
	t.Parallel()
	type mediaFile struct {
		ID, Kind, URL string
		Bytes         int64
		Format        string
	}
	got := Files([]mediaFile{{Kind: "IMAGE", URL: "u", Bytes: 3, Format: FormatJPEG}})
	if len(got) != 1 || got[0] != (File{Kind: "IMAGE", URL: "u", Bytes: 3, Format: FormatJPEG}) || Files([]mediaFile(nil)) == nil {
		t.Fatalf("Files = %+v", got)
	}
	if Positive(0, 7) != 7 || Positive(-time.Second, time.Minute) != time.Minute || Positive(int64(3), 9) != 3 {
		t.Fatal("Positive")
	}
}

func TestCoreAccounts(t *testing.T) {
	t.Parallel()
	withApp := NewCore(Config{UserIDStart: 17841400000000001, AppIDStart: 26100000000000001, Name: "igsim"})
	a := withApp.AddUser("Alice", "")
	if a.ID == a.UserID || a.Name != "Alice" || withApp.AddUser("alice", "other") != a {
		t.Fatalf("accounts with app ids: %+v", a)
	}
	plain := NewCore(Config{UserIDStart: 25000000000000001})
	if b := plain.AddUser("bob", "Bob"); b.ID != b.UserID || len(plain.Accounts()) != 1 {
		t.Fatalf("accounts without app ids: %+v", b)
	}
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "igsim: IssueTokens: unknown user") {
			t.Fatalf("IssueTokens of an unknown user: %v", r)
		}
	}()
	withApp.IssueTokens("nobody")
}
