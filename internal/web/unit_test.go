package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func TestSafeNext(t *testing.T) {
	const def = "/"
	ok := []string{"/", "/posts?state=failed&platform=x", "/posts/12", "/calendar?view=month&date=2026-11#today", "/%E6%97%A5"}
	for _, s := range ok {
		if got := safeNext(s, def); got != s {
			t.Errorf("safeNext(%q) = %q, want it kept", s, got)
		}
	}
	bad := []string{"", "posts", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/%5Cevil.example",
		"/\tevil", "/a\nb", "/signin?next=/", "/signout", "/lang/ja?next=/", " /", strings.Repeat("/a", 2000)}
	for _, s := range bad {
		if got := safeNext(s, def); got != def {
			t.Errorf("safeNext(%q) = %q, want %q", s, got, def)
		}
	}
}

func TestThrottle(t *testing.T) {
	clock := newTestClock(testEpoch)
	th := newThrottle(5, 15*time.Minute, 3, clock.Now)
	for i := 1; i <= 4; i++ {
		if blocked, _ := th.Fail("1.2.3.4"); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
	}
	if blocked, _ := th.Blocked("1.2.3.4"); blocked {
		t.Fatal("blocked after 4 failures")
	}
	clock.Add(time.Minute)
	blocked, left := th.Fail("1.2.3.4")
	if !blocked || left != 14*time.Minute {
		t.Fatalf("5th failure: blocked=%v left=%s, want true 14m", blocked, left)
	}
	if blocked, _ := th.Blocked("5.6.7.8"); blocked {
		t.Fatal("another client is blocked")
	}
	clock.Add(14*time.Minute - time.Second)
	if blocked, _ := th.Blocked("1.2.3.4"); !blocked {
		t.Fatal("unblocked before the window ended")
	}
	clock.Add(time.Second)
	if blocked, _ := th.Blocked("1.2.3.4"); blocked {
		t.Fatal("still blocked after the window")
	}
	// Reset forgets failures.
	for range 4 {
		th.Fail("9.9.9.9")
	}
	th.Reset("9.9.9.9")
	if blocked, _ := th.Fail("9.9.9.9"); blocked {
		t.Fatal("blocked after reset")
	}
	// Bounded: never more than max clients.
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		clock.Add(time.Second)
		th.Fail(k)
		if n := th.Len(); n > 3 {
			t.Fatalf("%d clients tracked, max 3", n)
		}
	}
	if blocked, _ := th.Blocked("e"); blocked {
		t.Fatal("e blocked")
	}
}

func TestPickLang(t *testing.T) {
	cases := []struct {
		cookie, accept, want string
	}{
		{"", "", "en"},
		{"", "ja-JP,ja;q=0.9,en;q=0.8", "ja"},
		{"", "ja", "ja"},
		{"", "zh-TW, ja;q=0.5", "ja"},
		{"", "en-GB", "en"},
		{"", "fr-FR", "en"},
		{"", "garbage;;;", "en"},
		{"ja", "en-US", "ja"},
		{"en", "ja", "en"},
		{"xx", "ja", "ja"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: c.cookie})
		}
		if got := langCodes[pickLang(r)]; got != c.want {
			t.Errorf("cookie %q, Accept-Language %q: %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
}

func TestTranslatorFallback(t *testing.T) {
	bundle().MustAddMessages(language.English, &i18n.Message{ID: "test.only-english", Other: "Only in English, {{.Name}}"})
	var missing []string
	ja := newTranslator(langIndex("ja"), func(id string) { missing = append(missing, id) })
	if got := ja.T("nav.home"); got != "ホーム" {
		t.Errorf("ja nav.home = %q", got)
	}
	if got := ja.T("test.only-english", "Name", "Ann"); got != "Only in English, Ann" {
		t.Errorf("fallback = %q, want the English text", got)
	}
	if got := ja.T("no.such.message"); got != "no.such.message" || len(missing) != 1 {
		t.Errorf("missing message = %q (reported %v), want its id, reported once", got, missing)
	}
	en := newTranslator(0, nil)
	if got := en.T("signin.throttled", "Count", 1); got != "Too many attempts. Try again in 1 minute." {
		t.Errorf("en plural one = %q", got)
	}
	if got := en.T("signin.throttled", "Count", 5); got != "Too many attempts. Try again in 5 minutes." {
		t.Errorf("en plural other = %q", got)
	}
	if got := ja.T("signin.throttled", "Count", 1); !strings.Contains(got, "1分後") {
		t.Errorf("ja plural = %q", got)
	}
	if got := string(en.TH("signin.reset", "Command", "<b>")); !strings.Contains(got, "&lt;b&gt;") {
		t.Errorf("TH did not escape a string value: %q", got)
	}
}

// TestLocalesComplete checks that both locale files have the same ids, so
// no Japanese page silently falls back to English.
func TestLocalesComplete(t *testing.T) {
	ids := map[string]map[string]bool{}
	for _, code := range langCodes {
		ids[code] = map[string]bool{}
		files, _ := fs.Glob(localeFS, "locales/*."+code+".json")
		for _, f := range files {
			b, err := localeFS.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for k := range m {
				if ids[code][k] {
					t.Errorf("%s: %q is defined twice", code, k)
				}
				ids[code][k] = true
			}
		}
	}
	for id := range ids["en"] {
		if !ids["ja"][id] {
			t.Errorf("ja lacks %q", id)
		}
	}
	for id := range ids["ja"] {
		if !ids["en"][id] {
			t.Errorf("en lacks %q", id)
		}
	}
}

func TestShortTime(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)
	if got := shortTime("en", at, now); got != "28 Nov 21:00" {
		t.Errorf("en = %q", got)
	}
	if got := shortTime("ja", at, now); got != "11月28日(土) 21:00" {
		t.Errorf("ja = %q", got)
	}
	if got := shortTime("ja", at.AddDate(1, 0, 0), now); got != "2027年11月28日(日) 21:00" {
		t.Errorf("ja next year = %q", got)
	}
}

func TestSessionIDs(t *testing.T) {
	id, hash := newSessionID()
	id2, _ := newSessionID()
	if id == id2 || !validSessionID(id) || len(hash) != 64 || strings.Contains(hash, id) {
		t.Fatalf("id %q hash %q", id, hash)
	}
	for _, bad := range []string{"", "short", strings.Repeat("!", 43), id + "x"} {
		if validSessionID(bad) {
			t.Errorf("validSessionID(%q)", bad)
		}
	}
}
