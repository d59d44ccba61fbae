package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sns-os/snsos"
)

// The Japanese style rules of ui-guide §7, checked on every Japanese
// string of the locale files and on the text of the main Japanese pages
// as the real handler renders them.

// jaPunct are the full-width marks that count as Japanese text.
const jaPunct = "ー。、「」『』（）：？！・〜…"

func isJA(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) || strings.ContainsRune(jaPunct, r)
}

// isLatin is an ASCII letter or digit.
func isLatin(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// jaAllowed are the formats §7 writes with half-width marks: dates such as
// 2026年11月28日(土) 21:00 and 11月28日(土), "今日 21:00", and "(UTC 12:00)".
// They are replaced before the checks by text that keeps their neighbours'
// adjacency (a Japanese character, then digits).
var jaAllowed = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`日\([日月火水木金土]\)(?: \d{1,2}:\d{2})?`), "日00"},
	{regexp.MustCompile(`(今日|明日|昨日) \d{1,2}:\d{2}`), "${1}00"},
	{regexp.MustCompile(` ?\(UTC [0-9:X\- ]+\)`), "（UTC）"},
}

// jaBanned are the terms the §7 table rules out, with what to use.
var jaBanned = []struct{ term, use string }{
	{"再投稿", "再試行"},
	{"取り消", "キャンセル"},
	{"サインイン", "ログイン"},
	{"トークン", "連携 (トークン only for API tokens)"},
	{"ログイン情報", "連携情報"},
	{"認証", "連携"},
	{"アクセス", "連携"},
	{"接続", "連携"},
	{"予約中", "予約済み"},
	{"反応", "数値"},
	{"フィード", "カレンダー配信（iCal）"},
	{"セッション", "ログイン中の端末"},
	{"あなたの", "(nothing)"},
	{"申し訳", "(nothing)"},
	{"！", "(nothing)"},
	{"+1h", "1時間後"},
	{"+24h", "24時間後"},
	{"+7d", "7日後"},
	{"n/a", "対象外"},
}

// jaHourRange is an hour written as a range ("12:00–12:59"): 12時台.
var jaHourRange = regexp.MustCompile(`\d{1,2}:00[–-]\d{1,2}:59`)

// jaProblems returns what in s breaks the mechanical rules of §7. apiTokens
// allows トークン (the text is about API tokens).
func jaProblems(s string, apiTokens bool) []string {
	var out []string
	for _, b := range jaBanned {
		if b.term == "トークン" && apiTokens {
			continue
		}
		if strings.Contains(s, b.term) {
			out = append(out, fmt.Sprintf("%q: use %s", b.term, b.use))
		}
	}
	if m := jaHourRange.FindString(s); m != "" {
		out = append(out, fmt.Sprintf("%q: write hours as 12時台", m))
	}
	for _, a := range jaAllowed {
		s = a.re.ReplaceAllString(s, a.with)
	}
	r := []rune(s)
	at := func(i int) rune {
		if i < 0 || i >= len(r) {
			return 0
		}
		return r[i]
	}
	around := func(i int) string {
		lo, hi := max(0, i-8), min(len(r), i+9)
		return string(r[lo:hi])
	}
	for i, c := range r {
		switch c {
		case '(', ')', ':', '?':
			if isJA(at(i-1)) || isJA(at(i+1)) {
				out = append(out, fmt.Sprintf("half-width %q beside Japanese in %q", c, around(i)))
			}
		case ' ':
			if (isJA(at(i-1)) && isLatin(at(i+1))) || (isLatin(at(i-1)) && isJA(at(i+1))) {
				out = append(out, fmt.Sprintf("a space between Japanese and Latin text in %q", around(i)))
			}
			if at(i-1) == '。' || at(i-1) == '、' || (isJA(at(i-1)) && isJA(at(i+1))) {
				out = append(out, fmt.Sprintf("a space joining Japanese text in %q", around(i)))
			}
		}
	}
	// A half-width parenthesis around Japanese text: "(日時未定)".
	for _, m := range regexp.MustCompile(`\([^()]*\)`).FindAllString(s, -1) {
		if strings.IndexFunc(m, isJA) >= 0 {
			out = append(out, fmt.Sprintf("half-width parentheses around Japanese: %q", m))
		}
	}
	return out
}

func TestJapaneseStyleRules(t *testing.T) {
	bad := []string{"再投稿", "(本文なし)", "投稿日時： 2026年", "sns-os に", "Xの推定費用: $1", "いいですか?", "投稿 12", "です。 次",
		"12:00–12:59", "+24h", "n/a", "トークンの状態", "ログイン情報"}
	for _, s := range bad {
		if len(jaProblems(s, false)) == 0 {
			t.Errorf("%q passes the rules", s)
		}
	}
	good := []string{"2026年11月28日(土) 21:00に保存しました", "11月28日(土)", "今日 21:00・明日 09:00", "(UTC 12:00)・3日後",
		"X 152/280・あと128", "sns-osにログイン", "投稿日時：2026年", "21:00に更新", "エラーの詳細（英語）", "12時台", "Asia/Tokyo (UTC+9)"}
	for _, s := range good {
		if p := jaProblems(s, false); len(p) > 0 {
			t.Errorf("%q breaks the rules: %v", s, p)
		}
	}
}

// TestJapaneseLocaleStyle checks every string of locales/*.ja.json, with
// each placeholder read as a Latin word.
func TestJapaneseLocaleStyle(t *testing.T) {
	files, err := fs.Glob(localeFS, "locales/*.ja.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Japanese locales: %v", err)
	}
	placeholder := regexp.MustCompile(`\{\{[^}]*\}\}`)
	n := 0
	for _, f := range files {
		raw, err := fs.ReadFile(localeFS, f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ids := make([]string, 0, len(msgs))
		for id := range msgs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			var texts []string
			var one string
			if json.Unmarshal(msgs[id], &one) == nil {
				texts = []string{one}
			} else {
				var forms map[string]string
				if err := json.Unmarshal(msgs[id], &forms); err != nil {
					t.Fatalf("%s %s: %v", f, id, err)
				}
				for _, s := range forms {
					texts = append(texts, s)
				}
			}
			api := strings.HasPrefix(id, "settings.tokens") || strings.HasPrefix(id, "settings.flash.token")
			for _, s := range texts {
				n++
				for _, p := range jaProblems(placeholder.ReplaceAllString(s, "X"), api) {
					t.Errorf("%s %s = %q: %s", f, id, s, p)
				}
			}
		}
	}
	if n < 300 {
		t.Errorf("read only %d Japanese strings", n)
	}
}

var (
	jaDropBlocks = regexp.MustCompile(`(?is)<(script|style|code|textarea|datalist)\b[^>]*>.*?</(script|style|code|textarea|datalist)>`)
	// English that must stay (a platform's raw error, the language
	// switch) is marked lang="en".
	jaDropEnglish = regexp.MustCompile(`(?is)<(p|span|a|div|td|pre)\b[^>]*\blang="en"[^>]*>.*?</(p|span|a|div|td|pre)>`)
	// Decorative marks (aria-hidden) and badges stand apart from the text
	// beside them.
	jaDropHidden = regexp.MustCompile(`(?s)<span\b[^>]*aria-hidden="true"[^>]*>[^<]*</span>`)
	jaBoxes      = regexp.MustCompile(`<span class="(?:nav)?badge\b[^"]*"[^>]*>|<span class="cal-todaymark">`)
	jaTags       = regexp.MustCompile(`(?s)<[^>]*>`)
	jaURLs       = regexp.MustCompile(`https?://\S+`)
)

// jaPageText is the text of a page as a reader sees it: no tags, scripts,
// styles, code, English fragments, URLs or the test's own seed text.
func jaPageText(html string, seeds []string) string {
	s := jaDropBlocks.ReplaceAllString(html, "\n")
	s = jaDropEnglish.ReplaceAllString(s, "\n")
	s = jaDropHidden.ReplaceAllString(s, "\n")
	s = jaBoxes.ReplaceAllString(s, "\n")
	s = jaTags.ReplaceAllString(s, "")
	for _, e := range [][2]string{{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", `"`}, {"&#39;", "'"}, {"&#43;", "+"}, {"&quot;", `"`}} {
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	s = jaURLs.ReplaceAllString(s, "URL")
	for _, seed := range seeds {
		s = strings.ReplaceAll(s, seed, "Seed")
	}
	return s
}

// jaCheckPage fails on the rule breaks of one Japanese page.
func jaCheckPage(t *testing.T, name string, status int, html string, seeds []string) {
	t.Helper()
	if status >= 500 {
		t.Errorf("%s: status %d", name, status)
		return
	}
	if !strings.Contains(html, `<html lang="ja"`) {
		t.Errorf("%s is not Japanese (status %d)", name, status)
		return
	}
	api := strings.HasPrefix(name, "/settings")
	for _, line := range strings.Split(jaPageText(html, seeds), "\n") {
		for _, p := range jaProblems(line, api) {
			t.Errorf("%s: %s\n\tline %q", name, p, strings.TrimSpace(line))
		}
	}
}

// jaSeeds is the user content the tests store: English, and left out.
var jaSeeds = []string{"Scheduled <post>", "Failed post", "Unknown post", "Published post", "Waiting post", "Demo X", "Demo Threads", "Demo",
	"X said: duplicate content", "Slot post", "Unavailable post", "Across midnight", "Moved post", "operator"}

// TestJapanesePagesStyle renders the main pages in Japanese, with posts in
// every state the dashboard and the post page explain, and checks their text.
func TestJapanesePagesStyle(t *testing.T) {
	pe := newPagesEnv(t)
	fa := &fakeAccounts{pe: pe}
	reconfigure(t, pe, func(c *Config) { c.Accounts = fa })
	waiting := needsOperatorPost(t, pe, "Waiting post", true)
	setLang(t, pe, "ja")
	xID := pe.scheduled.Targets[0].AccountID
	paths := []string{"/", "/posts", "/posts?state=attention", "/posts?state=canceled", "/posts?q=nothing-matches",
		postHref(pe.failed.ID), postHref(pe.unknown.ID), postHref(pe.published.ID), postHref(pe.scheduled.ID), postHref(waiting.ID),
		postHref(pe.scheduled.ID) + "?flash=cancel.ok", postHref(pe.failed.ID) + "?flash=retry.ok",
		"/accounts", "/accounts/" + strconv.FormatInt(xID, 10) + "/disconnect", "/settings", "/compose",
		postHref(pe.scheduled.ID) + "/edit", "/no-such-page"}
	for _, p := range paths {
		resp, body := pe.get(t, p)
		jaCheckPage(t, p, resp.StatusCode, body, jaSeeds)
	}
	// Forms sent back with errors.
	resp, body := do(t, pe.c, "POST", pe.srv.URL+resolvePath(waiting), url.Values{"outcome": {"published"}, "remote_url": {"nope"}})
	jaCheckPage(t, "resolve with a bad link", resp.StatusCode, body, jaSeeds)
	resp, body = do(t, pe.c, "POST", pe.srv.URL+"/settings", url.Values{"lang": {"ja"}, "timezone": {"Nowhere/Land"}, "week_start": {"sunday"}, "theme": {"dark"}})
	jaCheckPage(t, "/settings with errors", resp.StatusCode, body, append(jaSeeds, "Nowhere/Land"))

	// Sign-in, signed out.
	c := pe.client(t)
	u, _ := url.Parse(pe.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: "ja", Path: "/"}})
	resp, body = do(t, c, "GET", pe.srv.URL+"/signin", nil)
	jaCheckPage(t, "/signin", resp.StatusCode, body, jaSeeds)
	resp, body = do(t, c, "POST", pe.srv.URL+"/signin", url.Values{"password": {"wrong"}})
	jaCheckPage(t, "/signin with a wrong password", resp.StatusCode, body, jaSeeds)
}

// TestJapaneseCalendarAnalyticsStyle renders the calendar, the reschedule
// form and analytics (with best hours) in Japanese.
func TestJapaneseCalendarAnalyticsStyle(t *testing.T) {
	ce := newCalEnv(t, nil)
	for k := range 4 { // Saturdays 21:00, then Mondays 09:00: enough for best hours
		for _, d := range []time.Time{time.Date(2027, 1, 9, 21, 0, 0, 0, calTokyo), time.Date(2027, 1, 4, 9, 0, 0, 0, calTokyo),
			time.Date(2027, 1, 6, 12, 0, 0, 0, calTokyo)} {
			at := d.AddDate(0, 0, -7*k)
			p := ce.post(t, "Slot post", at.Add(-time.Hour), at)
			ce.anSnap(t, p.Targets[0].ID, snsos.Checkpoint1h, at.Add(time.Hour), snsos.SnapshotOK, anViews(100+int64(k)))
			ce.anSnap(t, p.Targets[0].ID, snsos.Checkpoint24h, at.Add(24*time.Hour), snsos.SnapshotOK, anViews(200+int64(k)))
		}
	}
	// Published two days ago: +7d due later; +1h not reported.
	at := time.Date(2027, 2, 8, 21, 0, 0, 0, calTokyo)
	un := ce.post(t, "Unavailable post", at.Add(-time.Hour), at)
	ce.anSnap(t, un.Targets[0].ID, snsos.Checkpoint1h, at.Add(time.Hour), snsos.SnapshotUnavailable, nil)
	moved := ce.post(t, "Moved post", time.Date(2027, 2, 13, 12, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "Across midnight", time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{})
	setLangCal(t, ce, "ja")
	for _, p := range []string{"/calendar?view=month&date=2027-02", "/calendar?view=week&date=2027-02-10", "/calendar?view=month&date=2030-01",
		"/calendar/posts/" + itoa(moved.ID) + "/time", "/analytics?range=all", "/analytics?range=7d&platform=instagram"} {
		resp, body := ce.get(t, p)
		jaCheckPage(t, p, resp.StatusCode, body, jaSeeds)
	}
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/calendar/posts/"+itoa(moved.ID)+"/time", url.Values{"at": {"2027-01-01 10:00"}, "zone": {"Asia/Tokyo"}})
	jaCheckPage(t, "reschedule to the past", resp.StatusCode, body, jaSeeds)
}
