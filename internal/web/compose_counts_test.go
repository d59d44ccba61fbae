package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

// TestComposeEntityCounts: the counts beside the length agree with the
// rules' own limits on both sides of them: distinct items, ignoring case,
// the Threads link attachment among the links.
func TestComposeEntityCounts(t *testing.T) {
	t.Parallel()
	items := func(n int, f string) string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf(f, i))
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		name string
		p    snsos.Platform
		text string
		opts rules.Options
		want map[string]int
	}{
		{"none", snsos.PlatformInstagram, "A quiet harbour", rules.Options{}, map[string]int{"hashtags": 0, "mentions": 0}},
		{"repeats and case", snsos.PlatformInstagram, "#Boat #boat ＃港 @ann @Ann mail@example.com", rules.Options{},
			map[string]int{"hashtags": 2, "mentions": 1}},
		{"at the limits", snsos.PlatformInstagram, items(30, "#t%d") + " " + items(20, "@u%d"), rules.Options{}, map[string]int{"hashtags": 30, "mentions": 20}},
		{"over", snsos.PlatformInstagram, items(31, "#t%d") + " " + items(45, "@u%d"), rules.Options{}, map[string]int{"hashtags": 31, "mentions": 45}},
		{"links", snsos.PlatformThreads, items(4, "https://example.com/%d") + " https://example.com/0", rules.Options{}, map[string]int{"links": 4}},
		{"link attachment", snsos.PlatformThreads, items(5, "https://example.com/%d"), rules.Options{LinkAttachment: "https://example.org/"}, map[string]int{"links": 6}},
		{"X has none", snsos.PlatformX, "#a @b https://example.com", rules.Options{}, map[string]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := map[string]int{}
			for _, e := range composeEntityCounts(tc.p, tc.text, tc.opts) {
				got[e.what] = e.n
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("counts %v, want %v", got, tc.want)
			}
		})
	}
}

// TestComposeCountersMeta: /compose/check gives Instagram's and Threads'
// counters lines, per part for a Threads thread.
func TestComposeCountersMeta(t *testing.T) {
	ce := newComposeEnv(t)
	ig, th := ce.metaAccounts(t)
	jpg := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg")
	f := ce.form("Boats #harbour #sea with @ann https://example.com", "")
	f["account"] = []string{itoa(ig.ID), itoa(th.ID)}
	f["media"] = []string{itoa(jpg)}
	f.Set("thread_threads", "1")
	f["part_threads"] = []string{"First https://example.com 🚢", "Second"}
	f.Set("link_attachment_threads", "https://example.org/")
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	var res composeCheckResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range res.Counters {
		lines = append(lines, c.Line)
	}
	first := rules.ThreadsLength("First https://example.com 🚢")
	want := []string{
		"Threads 1/2 " + itoa(int64(first)) + "/500 · " + itoa(int64(500-first)) + " left · links 2/5",
		"Threads 2/2 6/500 · 494 left · links 0/5",
		"Instagram 49/2,200 · 2,151 left · hashtags 2/30 · mentions 1/20",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// Over the hashtag limit: the counter is over, and says why.
	var tags []string
	for i := range 31 {
		tags = append(tags, fmt.Sprintf("#t%d", i))
	}
	f = ce.form(strings.Join(tags, " "), "")
	f["account"] = []string{itoa(ig.ID)}
	f["media"] = []string{itoa(jpg)}
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	res = composeCheckResult{}
	json.Unmarshal([]byte(body), &res)
	if c := res.Counters[0]; c.State != "over" || !strings.Contains(c.Line, "hashtags 31/30") || len(c.Problems) != 1 ||
		c.Problems[0] != "Instagram allows at most 30 hashtags." {
		t.Fatalf("counter %+v", c)
	}
	// "Post now" refuses it for its hashtags, not its length.
	f.Set("do", "now")
	f.Set("token", newComposeToken())
	f.Set("zone", "Asia/Tokyo")
	resp, page := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != 422 || !strings.Contains(page, "Instagram allows at most 30 hashtags.") || strings.Contains(page, "Too long for Instagram") {
		t.Fatalf("post now with 31 hashtags: %d", resp.StatusCode)
	}
	// In Japanese, with units and no spaces.
	setLang(t, &pagesEnv{testEnv: ce.testEnv, c: ce.c}, "ja")
	f = url.Values{"account": {itoa(ig.ID)}, "body": {"港 #boats"}, "media": {itoa(jpg)}}
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	res = composeCheckResult{}
	json.Unmarshal([]byte(body), &res)
	if l := res.Counters[0].Line; l != "Instagram 8/2,200・あと2,192・ハッシュタグ1/30個・メンション0/20個" {
		t.Fatalf("Japanese line %q", l)
	}
}
