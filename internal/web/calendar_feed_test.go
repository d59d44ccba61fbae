package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// icsParse unfolds an iCalendar stream and returns its events as maps of
// property name (without parameters) to value, checking the framing.
func icsParse(t *testing.T, raw string) []map[string]string {
	t.Helper()
	if !strings.HasSuffix(raw, "\r\n") {
		t.Fatal("the feed does not end with CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i, line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i)
		}
	}
	unfolded := strings.ReplaceAll(raw, "\r\n ", "")
	var events []map[string]string
	var cur map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("not a content line: %q", line)
		}
		name, _, _ = strings.Cut(name, ";")
		switch {
		case name == "BEGIN" && value == "VEVENT":
			cur = map[string]string{}
		case name == "END" && value == "VEVENT":
			events = append(events, cur)
			cur = nil
		case cur != nil:
			cur[name] = value
		}
	}
	return events
}

// icsUnescape reverses icsText.
func icsUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestCalendarFeed(t *testing.T) {
	ce := newCalEnv(t, nil)
	long := "長い日本語の投稿です。カレンダーの行の折り返しで、文字の途中が切れないことを確かめます。絵文字も🎉入れておきます, with a comma; a semicolon and a back\\slash.\nSecond line"
	sched := ce.post(t, long, time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{})
	pub := ce.post(t, "Published one", time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 3, 0, 0, 0, time.UTC))
	ce.post(t, "Too far ahead", time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "Long ago", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "Just a draft", time.Time{}, time.Time{})

	u, err := ce.h.feedURL(context.Background())
	if err != nil || !strings.HasPrefix(u, "/feeds/schedule.ics?token=") {
		t.Fatalf("feed URL %q, %v", u, err)
	}
	token := strings.TrimPrefix(u, "/feeds/schedule.ics?token=")

	// No session needed: a calendar app fetches it.
	anon := ce.client(t)
	resp, raw := do(t, anon, "GET", ce.srv.URL+u, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	if !strings.HasPrefix(raw, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(raw, "END:VCALENDAR\r\n") {
		t.Fatalf("framing:\n%s", raw)
	}
	if strings.Contains(raw, token) || strings.Contains(raw, string(bytes.Repeat([]byte{9}, 32))) {
		t.Fatal("the feed contains its token or key")
	}
	events := icsParse(t, raw)
	if len(events) != 2 {
		t.Fatalf("%d events, want 2:\n%s", len(events), raw)
	}
	byUID := map[string]map[string]string{}
	for _, ev := range events {
		byUID[ev["UID"]] = ev
		for _, k := range []string{"UID", "DTSTAMP", "DTSTART", "SUMMARY", "URL"} {
			if ev[k] == "" {
				t.Errorf("event lacks %s: %v", k, ev)
			}
		}
		if ev["DTSTAMP"] != "20270210T010000Z" {
			t.Errorf("DTSTAMP %s", ev["DTSTAMP"])
		}
	}
	ev := byUID["target-"+itoa(sched.Targets[0].ID)+"@sns-os"]
	if ev == nil {
		t.Fatalf("no event for the scheduled target: %v", byUID)
	}
	if ev["DTSTART"] != "20270212T153000Z" || ev["URL"] != ce.srv.URL+"/posts/"+itoa(sched.ID) {
		t.Errorf("scheduled event %v", ev)
	}
	if s := icsUnescape(ev["SUMMARY"]); !strings.HasPrefix(s, "X: 長い日本語の投稿です。") {
		t.Errorf("SUMMARY %q", s)
	}
	if d := icsUnescape(ev["DESCRIPTION"]); !strings.Contains(d, "with a comma; a semicolon and a back\\slash.\nSecond line") ||
		!strings.HasPrefix(d, "Scheduled on X as @cal_demo.") {
		t.Errorf("DESCRIPTION %q", d)
	}
	if !strings.Contains(ev["DESCRIPTION"], `\, with a comma\; a semicolon and a back\\slash.\nSecond line`) {
		t.Errorf("DESCRIPTION not escaped: %q", ev["DESCRIPTION"])
	}
	if ev := byUID["target-"+itoa(pub.Targets[0].ID)+"@sns-os"]; ev == nil || ev["DTSTART"] != "20270201T030000Z" || ev["CATEGORIES"] != "published" {
		t.Errorf("published event %v", ev)
	}

	// A wrong token, and a truncated one, are not found.
	for _, bad := range []string{"/feeds/schedule.ics?token=" + strings.Repeat("A", len(token)), "/feeds/schedule.ics?token=" + token[:10], "/feeds/schedule.ics?token=x", "/feeds/schedule.ics"} {
		if resp, body := do(t, anon, "GET", ce.srv.URL+bad, nil); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "VCALENDAR") {
			t.Errorf("%s: %d", bad, resp.StatusCode)
		}
	}

	// The calendar page shows the feed's address.
	_, body := ce.get(t, "/calendar")
	wantAll(t, "calendar footer", body, ce.srv.URL+u, `action="/calendar/feed/regenerate"`)

	// Regenerating invalidates the old address.
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings" {
		t.Fatalf("regenerate: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	u2, err := ce.h.feedURL(context.Background())
	if err != nil || u2 == u {
		t.Fatalf("new URL %q (old %q), %v", u2, u, err)
	}
	if resp, _ := do(t, anon, "GET", ce.srv.URL+u, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("old URL after regenerating: %d", resp.StatusCode)
	}
	if resp, _ := do(t, anon, "GET", ce.srv.URL+u2, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("new URL: %d", resp.StatusCode)
	}
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{"next": {"/calendar?view=week&flash=feed"}})
	if resp.Header.Get("Location") != "/calendar?view=week&flash=feed" {
		t.Errorf("regenerate with next: %s", resp.Header.Get("Location"))
	}
	// Regenerating needs a session.
	if resp, _ := do(t, anon, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{}); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("regenerate without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestCalendarFeedDisabledAndPublicURL(t *testing.T) {
	ce := newCalEnv(t, func(c *Config) { c.FeedKey = nil })
	if u, err := ce.h.feedURL(context.Background()); u != "" || err != nil {
		t.Fatalf("disabled feed URL %q, %v", u, err)
	}
	tok := base64Token(bytes.Repeat([]byte{9}, 32), "0")
	if resp, _ := do(t, ce.client(t), "GET", ce.srv.URL+"/feeds/schedule.ics?token="+tok, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("disabled feed: %d", resp.StatusCode)
	}
	_, body := ce.get(t, "/calendar")
	wantAll(t, "calendar", body, "The calendar feed is off on this server.")

	h := New(Config{Store: ce.store, PublicURL: "https://sns.example.com/", FeedKey: []byte("k"), Now: ce.clock.Now})
	u, err := h.feedURL(context.Background())
	if err != nil || u != "https://sns.example.com/feeds/schedule.ics?token="+base64Token([]byte("k"), "0") {
		t.Errorf("feed URL with a public URL: %q, %v", u, err)
	}
}

// base64Token computes the feed token independently of the handler.
func base64Token(key []byte, gen string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("ical-feed:" + gen))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestICSFoldAndEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{`a,b;c\d`, `a\,b\;c\\d`},
		{"two\nlines\r\nthree", `two\nlines\nthree`},
		{"tab\tand bell\a", "tab\tand bell"},
	}
	for _, c := range cases {
		if got := icsText(c.in); got != c.want {
			t.Errorf("icsText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	var b bytes.Buffer
	icsFold(&b, "SUMMARY:"+strings.Repeat("あ", 40))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) != 2 || len(lines[0]) != 74 || !strings.HasPrefix(lines[1], " ") {
		t.Errorf("folded %q", lines)
	}
	b.Reset()
	icsFold(&b, strings.Repeat("x", 75))
	if b.String() != strings.Repeat("x", 75)+"\r\n" {
		t.Errorf("75 octets must not fold: %q", b.String())
	}
}

func FuzzICSFold(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("é", 60), "日本語🎉,;\\\n" + strings.Repeat("z", 100), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := icsText(s)
		var b bytes.Buffer
		icsFold(&b, "DESCRIPTION:"+text)
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatal("no CRLF at the end")
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 75 || !utf8.ValidString(line) || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad physical line %q", line)
			}
		}
		unfolded := strings.TrimSuffix(strings.ReplaceAll(out, "\r\n ", ""), "\r\n")
		if want := "DESCRIPTION:" + strings.ToValidUTF8(text, "\uFFFD"); unfolded != want {
			t.Fatalf("unfolds to %q, want %q", unfolded, want)
		}
		// Escaping round-trips for text without other control characters.
		clean := strings.Map(func(r rune) rune {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
				return -1
			}
			return r
		}, strings.ReplaceAll(s, "\r", ""))
		if got := icsUnescape(icsText(clean)); got != clean {
			t.Fatalf("round trip %q -> %q", clean, got)
		}
	})
}
