package x

import (
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

func TestDuplicateWindow(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, "http://127.0.0.1:1")
	var dw platform.DuplicateWindower = c
	if got := dw.DuplicateWindow(); got != 24*time.Hour {
		t.Errorf("DuplicateWindow = %v, want 24h", got)
	}
}

func TestPostIDFromURL(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, "http://127.0.0.1:1")
	var r platform.URLResolver = c
	const id = "1900000000000000123"
	good := []string{
		"https://x.com/snsos_demo/status/" + id,
		"https://x.com/snsos_demo/status/" + id + "/",
		"https://x.com/snsos_demo/status/" + id + "?s=20&t=AbCdEf",
		"https://x.com/snsos_demo/status/" + id + "#reply",
		"https://x.com/snsos_demo/status/" + id + "/?s=46#m",
		"https://www.x.com/snsos_demo/status/" + id,
		"https://mobile.x.com/snsos_demo/status/" + id,
		"https://twitter.com/snsos_demo/status/" + id,
		"https://www.twitter.com/snsos_demo/status/" + id,
		"https://mobile.twitter.com/snsos_demo/status/" + id,
		"http://twitter.com/snsos_demo/status/" + id,
		"HTTPS://X.COM/SnsOs_Demo/status/" + id,
		"https://X.com./snsos_demo/status/" + id,
		"  https://x.com/snsos_demo/status/" + id + "\n",
		"x.com/snsos_demo/status/" + id,
		"www.twitter.com/snsos_demo/status/" + id,
		"https://twitter.com/snsos_demo/statuses/" + id,
		"https://x.com/snsos_demo/status/" + id + "/photo/1",
		"https://x.com/snsos_demo/status/" + id + "/video/1",
		"https://x.com/i/web/status/" + id, // PostURL without a handle
		"https://x.com/i/status/" + id,
		"https://x.com/a/status/" + id,
		PostURL("snsos_demo", id),
		PostURL("", id),
	}
	for _, u := range good {
		got, err := r.PostIDFromURL(u)
		if err != nil || got != id {
			t.Errorf("PostIDFromURL(%q) = %q, %v; want %s", u, got, err, id)
		}
	}
	if got, err := c.PostIDFromURL("https://x.com/jack/status/20"); err != nil || got != "20" {
		t.Errorf("short id: %q, %v", got, err)
	}

	bad := []struct{ in, why string }{
		{"", "no link given"},
		{"   ", "no link given"},
		{id, "not a link"},
		{"https://x.com/snsos_demo", "not a link to a post"},
		{"https://x.com/snsos_demo/status/", "no post id"},
		{"https://x.com/snsos_demo/status/abc", "invalid post id"},
		{"https://x.com/snsos_demo/status/" + id + "0", "invalid post id"},          // 20 digits
		{"https://x.com/snsos_demo/status/99999999999999999999", "invalid post id"}, // over int64
		{"https://x.com/snsos_demo/status/0", "invalid post id"},
		{"https://x.com/snsos_demo/status/0123", "invalid post id"},
		{"https://x.com/snsos_demo/status/-1", "invalid post id"},
		{"https://x.com/snsos_demo/status/1e5", "invalid post id"},
		{"https://x.com/snsos_demo/status/%31%32", "invalid post id"},
		{"https://x.com/snsos_demo/status/" + id + "/likes", "not a link to a post"},
		{"https://x.com/snsos_demo/status/" + id + "/photo/x", "not a link to a post"},
		{"https://x.com/snsos_demo/likes/" + id, "not a link to a post"},
		{"https://x.com/bad-handle!/status/" + id, "invalid handle"},
		{"https://x.com/this_handle_is_too_long_for_x/status/" + id, "invalid handle"},
		{"https://x.com//status/" + id, "invalid handle"},
		{"https://evil.example/snsos_demo/status/" + id, "not an X link"},
		{"https://x.com.evil.example/snsos_demo/status/" + id, "not an X link"},
		{"https://evilx.com/snsos_demo/status/" + id, "not an X link"},
		{"https://x.com@evil.example/snsos_demo/status/" + id, "not an X link"},
		{"https://user@x.com/snsos_demo/status/" + id, "not an X link"},
		{"https://x.com:8443/snsos_demo/status/" + id, "not an X link"},
		{"ftp://x.com/snsos_demo/status/" + id, "not an X link"},
		{"javascript:alert(1)//x.com/a/status/" + id, "not an X link"},
		{"https://www.instagram.com/p/Cabc/", "not an X link"},
		{"https://x.com/snsos_demo/status/" + id + "\x00", "not a"},
		{"https://x.com/snsos_demo/status/1900000000000000123 2", ""},
	}
	for _, tt := range bad {
		got, err := r.PostIDFromURL(tt.in)
		if err == nil {
			t.Errorf("PostIDFromURL(%q) = %q, want an error", tt.in, got)
			continue
		}
		if snsos.ErrorCode(err) != snsos.EINVALID {
			t.Errorf("PostIDFromURL(%q): code %q, want %q (%v)", tt.in, snsos.ErrorCode(err), snsos.EINVALID, err)
		}
		if !strings.Contains(err.Error(), tt.why) {
			t.Errorf("PostIDFromURL(%q) = %v, want it to say %q", tt.in, err, tt.why)
		}
	}
}

// FuzzPostIDFromURL: the link comes from a person. Whatever it is, the
// parser does not panic, refuses with EINVALID, or returns a canonical id
// that appears in the link and survives a round trip through PostURL.
func FuzzPostIDFromURL(f *testing.F) {
	for _, s := range []string{
		"https://x.com/snsos_demo/status/1900000000000000123",
		"https://mobile.twitter.com/snsos_demo/status/1900000000000000123/?s=20#frag",
		"x.com/i/web/status/20",
		"https://x.com/a/status/1/photo/1",
		"https://x.com.evil.example/a/status/1",
		"https://x.com/a/status/%31",
		"",
	} {
		f.Add(s)
	}
	c := New(Config{ClientID: "cid", RedirectURL: "http://127.0.0.1/cb", BaseURL: "http://127.0.0.1:1"})
	f.Fuzz(func(t *testing.T, in string) {
		id, err := c.PostIDFromURL(in)
		if err != nil {
			if id != "" {
				t.Fatalf("id %q with error %v", id, err)
			}
			if snsos.ErrorCode(err) != snsos.EINVALID || err.Error() == "" {
				t.Fatalf("error %#v", err)
			}
			if n := len(err.Error()); n > 600 { // the input is quoted, at most 80 bytes of it
				t.Fatalf("error of %d bytes", n)
			}
			return
		}
		if !validPostID(id) || !strings.Contains(in, id) {
			t.Fatalf("PostIDFromURL(%q) = %q", in, id)
		}
		low := strings.ToLower(in)
		if !strings.Contains(low, "x.com") && !strings.Contains(low, "twitter.com") {
			t.Fatalf("PostIDFromURL(%q) = %q from a link to another site", in, id)
		}
		for _, u := range []string{PostURL("", id), PostURL("someone", id)} {
			if again, err := c.PostIDFromURL(u); err != nil || again != id {
				t.Fatalf("round trip %q = %q, %v; want %q", u, again, err, id)
			}
		}
	})
}
