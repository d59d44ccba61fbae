package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

// checkSplit asserts splitX's contract on text: every part passes X's
// check, no part is blank or carries "1/n" numbering, nothing is lost or
// reordered (the text without white space is the parts' text without white
// space) and no part starts or ends with white space.
func checkSplit(t *testing.T, name, text string) []string {
	t.Helper()
	parts := splitX(text)
	if strings.TrimSpace(text) != "" && len(parts) == 0 {
		t.Fatalf("%s: no parts", name)
	}
	for i, p := range parts {
		if r := rules.Check(snsos.PlatformX, p, rules.Options{}); !r.Valid {
			t.Errorf("%s: part %d (%d weighted) fails X's check: %v\n%q", name, i+1, r.Length, r.Errors, p)
		}
		if strings.TrimSpace(p) != p {
			t.Errorf("%s: part %d has white space at an end: %q", name, i+1, p)
		}
		if !utf8.ValidString(p) {
			t.Errorf("%s: part %d is not valid UTF-8", name, i+1)
		}
	}
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	if got, want := squash(strings.Join(parts, "")), squash(text); got != want {
		t.Errorf("%s: the parts do not give back the text\n got %q\nwant %q", name, got, want)
	}
	return parts
}

func TestSplitXFits(t *testing.T) {
	for _, text := range []string{"", "   ", "Short.", strings.Repeat("a", 280), "日本語の短い文。"} {
		parts := checkSplit(t, "short", text)
		if strings.TrimSpace(text) == "" && len(parts) != 0 || strings.TrimSpace(text) != "" && (len(parts) != 1 || parts[0] != strings.TrimSpace(text)) {
			t.Errorf("split(%q) = %q", text, parts)
		}
	}
}

func TestSplitXParagraphsFirst(t *testing.T) {
	p1 := strings.Repeat("First paragraph words. ", 5) + "End of one."
	p2 := strings.Repeat("Second paragraph goes on. ", 6) + "End of two."
	p3 := "A third, short one."
	text := p1 + "\n\n" + p2 + "\n\n\n" + p3
	parts := checkSplit(t, "paragraphs", text)
	// p1+p2 do not fit together (over 280); p2+p3 do.
	if len(parts) != 2 || parts[0] != p1 || parts[1] != p2+"\n\n\n"+p3 {
		t.Fatalf("paragraph split: %q", parts)
	}
	// Words come back in order.
	if got := strings.Fields(strings.Join(parts, " ")); strings.Join(got, " ") != strings.Join(strings.Fields(text), " ") {
		t.Fatalf("words changed: %q", got)
	}
}

func TestSplitXSentences(t *testing.T) {
	// One paragraph longer than a part: cut at the last sentence end that
	// fits, never inside the sentence.
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteString("This sentence is part of a long paragraph! ")
	}
	text := strings.TrimSpace(b.String()) + " Is it over?"
	parts := checkSplit(t, "sentences", text)
	if len(parts) < 2 {
		t.Fatalf("parts %q", parts)
	}
	for i, p := range parts[:len(parts)-1] {
		if !strings.HasSuffix(p, "!") {
			t.Errorf("part %d does not end at a sentence: %q", i+1, p)
		}
	}
	// "e.g." inside a sentence is no sentence end unless a space follows;
	// a decimal number never is.
	if endsSentence("costs 3") || !endsSentence("done.") || !endsSentence(`said "yes!"`) || !endsSentence("終わり。」") {
		t.Error("endsSentence")
	}
}

func TestSplitXSpaces(t *testing.T) {
	// No sentence ends at all: cut at the last space that fits.
	text := strings.TrimSpace(strings.Repeat("word ", 100))
	parts := checkSplit(t, "spaces", text)
	if len(parts) != 2 || len(parts[0]) != 279 || strings.HasSuffix(parts[0], "wor") {
		t.Fatalf("parts %d %q", len(parts), parts)
	}
	if got := strings.Fields(strings.Join(parts, " ")); len(got) != 100 {
		t.Fatalf("words %d", len(got))
	}
}

func TestSplitXJapanese(t *testing.T) {
	// No spaces: CJK counts 2, so about 140 characters per part, cut at 。
	sentence := "今日は港の灯台について少し長く書いてみます。" // 22 characters
	text := strings.Repeat(sentence, 20)
	parts := checkSplit(t, "japanese", text)
	if len(parts) < 3 {
		t.Fatalf("parts %q", parts)
	}
	for i, p := range parts {
		if !strings.HasSuffix(p, "。") {
			t.Errorf("part %d does not end at 。: %q", i+1, p)
		}
		if n := rules.XWeightedLength(p); n < 200 && i < len(parts)-1 {
			t.Errorf("part %d is short (%d)", i+1, n)
		}
	}
	// No punctuation at all: cut between characters, as full as possible.
	text = strings.Repeat("あ", 500)
	parts = checkSplit(t, "no punctuation", text)
	if len(parts) != 4 || utf8.RuneCountInString(parts[0]) != 140 {
		t.Fatalf("parts %d, first %d characters", len(parts), utf8.RuneCountInString(parts[0]))
	}
	// Full-width punctuation with brackets: 」 stays with its sentence.
	text = strings.Repeat("彼は「そうですね。」と言った。", 30)
	for i, p := range checkSplit(t, "brackets", text) {
		if strings.HasPrefix(p, "」") {
			t.Errorf("part %d starts with a closing bracket", i+1)
		}
	}
}

func TestSplitXURL(t *testing.T) {
	// A long URL counts 23 and is never cut, even at the "last resort".
	u := "https://example.com/" + strings.Repeat("path/", 60) + "end?q=1"
	text := strings.Repeat("x", 270) + " " + u + strings.Repeat("y", 50)
	parts := checkSplit(t, "url after a word", text)
	found := false
	for _, p := range parts {
		if strings.Contains(p, u) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the URL was cut: %q", parts)
	}
	// A URL among words.
	text = strings.Repeat("Look at this. ", 18) + u + " " + strings.Repeat("more words ", 10)
	found = false
	for _, p := range checkSplit(t, "url among words", text) {
		found = found || strings.Contains(p, u)
	}
	if !found {
		t.Fatal("the URL was cut")
	}
	// Japanese running into a URL without a space.
	text = strings.Repeat("説明", 130) + u + strings.Repeat("続き", 20)
	found = false
	for _, p := range checkSplit(t, "url in japanese", text) {
		found = found || strings.Contains(p, u)
	}
	if !found {
		t.Fatal("the URL was cut in Japanese text")
	}
	// The same where the URL would straddle the limit: the part ends
	// before it.
	text = strings.Repeat("説明", 67) + u + strings.Repeat("続き", 20)
	parts = checkSplit(t, "url at the limit", text)
	if len(parts) != 2 || parts[0] != strings.Repeat("説明", 67) || !strings.HasPrefix(parts[1], u) {
		t.Fatalf("parts %q", parts)
	}
}

func TestSplitXEmoji(t *testing.T) {
	// Emoji (surrogate pairs in UTF-16), ZWJ sequences, flags, skin tones
	// and combining marks are never cut.
	clusters := []string{"😀", "👨‍👩‍👧‍👦", "🇯🇵", "👍🏽", "e\u0301", "か\u3099", "1\ufe0f\u20e3"}
	var b strings.Builder
	for i := 0; i < 400; i++ {
		b.WriteString(clusters[i%len(clusters)])
	}
	text := b.String()
	parts := checkSplit(t, "emoji", text)
	if len(parts) < 2 {
		t.Fatalf("parts %d", len(parts))
	}
	joined := ""
	for _, p := range parts {
		// Each part is a run of whole clusters.
		rest := p
		for rest != "" {
			ok := false
			for _, c := range clusters {
				if strings.HasPrefix(rest, c) {
					rest, ok = rest[len(c):], true
					break
				}
			}
			if !ok {
				t.Fatalf("a part starts inside a cluster: %q", rest[:min(len(rest), 12)])
			}
		}
		joined += p
	}
	if joined != text {
		t.Fatal("the parts do not join back")
	}
}

func TestSplitXLongWord(t *testing.T) {
	// One word longer than a part: cut inside it, as a last resort.
	text := "Start " + strings.Repeat("z", 600) + " end"
	parts := checkSplit(t, "long word", text)
	// A space comes first: "Start" alone, then the word in two.
	if len(parts) != 4 || parts[0] != "Start" || parts[1] != strings.Repeat("z", 280) || parts[3] != strings.Repeat("z", 40)+" end" {
		t.Fatalf("parts %q", parts)
	}
}

// TestComposeSplit: the "Split into parts" button fills the X thread parts
// on the server (without JavaScript), keeps everything else, and is there
// in Japanese too.
func TestComposeSplit(t *testing.T) {
	ce := newComposeEnv(t)
	_, body := do(t, ce.c, "GET", ce.srv.URL+"/compose", nil)
	wantAll(t, "button", body, `name="do" value="split:x"`, "Split into parts")

	text := strings.Repeat("The harbour at dawn is quiet. ", 12) + "\n\n" + strings.Repeat("港の朝は静かです。", 20)
	f := ce.form(text, "split:x")
	f.Set("date", "2030-01-02")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("split: %d", resp.StatusCode)
	}
	parts := splitX(text)
	if len(parts) < 2 {
		t.Fatalf("parts %q", parts)
	}
	wantAll(t, "split form", body, `name="thread_x" value="1" data-thread-toggle="x" checked`, `id="part_x_0" name="part_x"`,
		`id="part_x_1" name="part_x"`, `value="2030-01-02"`, `data-open-tab="x"`)
	for i := range parts {
		f.Add("part_x", parts[i])
	}
	// The parts are checked one by one: all fit.
	f.Set("do", "check")
	f.Set("thread_x", "1")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if strings.Contains(body, "c-over") || !strings.Contains(body, "X 1/") {
		t.Fatalf("split parts do not all fit:\n%s", body)
	}
	// Splitting a thread again joins its parts first; nothing is lost.
	f.Set("do", "split:x")
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("split again: %d", resp.StatusCode)
	}
	// Japanese label.
	setLang(t, &pagesEnv{testEnv: ce.testEnv, c: ce.c}, "ja")
	_, body = do(t, ce.c, "GET", ce.srv.URL+"/compose", nil)
	wantAll(t, "ja", body, `aria-describedby="split-x-hint">分割</button>`)
}

// TestComposeSplitTooLong: Split into parts on a text longer than any post
// may be says so next to the text (422), rather than working for minutes.
func TestComposeSplitTooLong(t *testing.T) {
	ce := newComposeEnv(t)
	text := strings.Repeat("Hello world. This is a sentence ", snsos.MaxBodyBytes/32+1)
	start := time.Now()
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form(text, "split:x"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("split of %d bytes: %d", len(text), resp.StatusCode)
	}
	wantAll(t, "too long", body, "too long to split", `id="body-error"`)
	if strings.Contains(body, `name="part_x"`) {
		t.Error("the text was split anyway")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}
