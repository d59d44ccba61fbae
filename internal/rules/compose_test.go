package rules

import (
	"encoding/json"
	"strings"
	"testing"

	snsos "github.com/sns-os/snsos"
)

func TestXWeightedLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"japanese", "こんにちは", 10},
		{"japanese hashtag", "#日本語 テスト", 1 + 6 + 1 + 6},
		{"halfwidth katakana", "ｱｲｳ", 6},
		{"combining mark normalized", "e\u0301", 1},     // NFC: é
		{"combining mark not composable", "q\u0301", 2}, // q + U+0301, both weight 1
		{"emoji", "😀", 2},
		{"emoji with presentation selector", "❤\uFE0F", 2},
		{"text presentation selector", "☺\uFE0E", 4},
		{"skin tone", "👍🏽", 2},
		{"zwj family", "👨\u200D👩\u200D👧\u200D👦", 2},
		{"flag", "🇯🇵", 2},
		{"keycap", "1\uFE0F\u20E3", 2},
		{"copyright alone is text", "©", 1},
		{"copyright emoji", "©\uFE0F", 2},
		{"emoji then combining accent", "😀\u0301", 3},
		{"letter with variation selector", "a\uFE0F", 3},
		{"url with scheme", "see https://example.com/a?b=c", 4 + 23},
		{"url without scheme", "see example.com", 4 + 23},
		{"url without scheme ccTLD path", "example.jp/path", 23},
		{"japanese before url", "詳細はexample.comへ", 6 + 23 + 2},
		{"email is not a url", "a@example.com", 13},
		{"no tld", "foo.bar1", 8},
		{"trailing period not in url", "https://example.com/foo.", 24},
		{"wikipedia parens", "https://en.wikipedia.org/wiki/Primer_(film)", 23},
		{"t.co", "https://t.co/abc123", 23},
		{"unicode domain", "http://☃.net/", 23},
		{"general punctuation weight 1", "\u2014\u2019", 2},
		{"ideographic space", "\u3000", 2},
		{"cjk and url", "日本 https://example.com", 4 + 1 + 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := XWeightedLength(tt.text); got != tt.want {
				t.Errorf("XWeightedLength(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	tags := func(n int, sign string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(sign + "tag" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + " ")
		}
		return b.String()
	}
	tests := []struct {
		name      string
		p         snsos.Platform
		text      string
		opts      Options
		length    int
		maxLength int
		rules     []string
	}{
		{"x ok", snsos.PlatformX, "hello", Options{}, 5, 280, nil},
		{"x 280", snsos.PlatformX, long("a", 280), Options{}, 280, 280, nil},
		{"x 301", snsos.PlatformX, long("a", 301), Options{}, 301, 280, []string{RuleMaxLength}},
		{"x 141 kana", snsos.PlatformX, long("あ", 141), Options{}, 282, 280, []string{RuleMaxLength}},
		{"x premium", snsos.PlatformX, long("a", 301), Options{XPremium: true}, 301, 25000, nil},
		{"x empty", snsos.PlatformX, "", Options{}, 0, 280, []string{RuleRequired}},
		{"x empty with media", snsos.PlatformX, "", Options{HasMedia: true}, 0, 280, nil},
		{"x invalid char", snsos.PlatformX, "a\uFFFE", Options{}, 3, 280, []string{RuleInvalidChars}},
		{"x two cashtags", snsos.PlatformX, "$AAPL and $TSLA", Options{}, 15, 280, []string{RuleMaxCashtags}},
		{"x one cashtag", snsos.PlatformX, "$AAPL up", Options{}, 8, 280, nil},

		{"threads ok", snsos.PlatformThreads, "hi #tag", Options{}, 7, 500, nil},
		{"threads emoji bytes", snsos.PlatformThreads, "😀", Options{}, 4, 500, nil},
		{"threads emoji over", snsos.PlatformThreads, long("😀", 126), Options{}, 504, 500, []string{RuleMaxLength}},
		{"threads 500 kana", snsos.PlatformThreads, long("あ", 500), Options{}, 500, 500, nil},
		{"threads two topics", snsos.PlatformThreads, "#one #two", Options{}, 9, 500, []string{RuleMaxTopicTags}},
		{"threads long topic", snsos.PlatformThreads, "#" + long("a", 51), Options{}, 52, 500, []string{RuleTopicTagLength}},
		{"threads japanese topic", snsos.PlatformThreads, "＃日本語", Options{}, 4, 500, nil},
		{"threads 6 links", snsos.PlatformThreads, "a.com b.com c.com d.com e.com f.com", Options{}, 35, 500, []string{RuleMaxLinks}},
		{"threads 5 links and a sixth attached", snsos.PlatformThreads, "a.com b.com c.com d.com e.com", Options{LinkAttachment: "https://f.com/x"}, 29, 500, []string{RuleMaxLinks}},
		{"threads 5 links, one of them attached again", snsos.PlatformThreads, "a.com b.com c.com d.com e.com", Options{LinkAttachment: "https://A.com/"}, 29, 500, nil},
		{"threads 6 same links", snsos.PlatformThreads, long("a.com ", 6), Options{}, 36, 500, nil},
		{"threads empty", snsos.PlatformThreads, " ", Options{}, 1, 500, []string{RuleRequired}},

		{"instagram ok", snsos.PlatformInstagram, "caption #a @b", Options{}, 13, 2200, nil},
		{"instagram empty", snsos.PlatformInstagram, "", Options{}, 0, 2200, nil},
		{"instagram 2201", snsos.PlatformInstagram, long("字", 2201), Options{}, 2201, 2200, []string{RuleMaxLength}},
		{"instagram 30 hashtags", snsos.PlatformInstagram, tags(30, "#"), Options{}, len(tags(30, "#")), 2200, nil},
		{"instagram 31 hashtags", snsos.PlatformInstagram, tags(31, "#"), Options{}, len(tags(31, "#")), 2200, []string{RuleMaxHashtags}},
		{"instagram repeated hashtag", snsos.PlatformInstagram, long("#same ", 31), Options{}, 186, 2200, nil},
		{"instagram 21 mentions", snsos.PlatformInstagram, tags(21, "@"), Options{}, len(tags(21, "@")), 2200, []string{RuleMaxMentions}},
		{"instagram email not mention", snsos.PlatformInstagram, long("a@b.com ", 21), Options{}, 168, 2200, nil},

		{"tiktok video", snsos.PlatformTikTok, "funny #cat", Options{}, 10, 2200, nil},
		{"tiktok utf16", snsos.PlatformTikTok, long("😀", 1101), Options{}, 2202, 2200, []string{RuleMaxLength}},
		{"tiktok photo", snsos.PlatformTikTok, "desc", Options{TikTokPhoto: true, Title: long("a", 91)}, 4, 4000, []string{RuleMaxLength}},
		{"tiktok photo ok", snsos.PlatformTikTok, long("a", 4000), Options{TikTokPhoto: true, Title: long("a", 90)}, 4000, 4000, nil},

		{"unknown platform", snsos.Platform("myspace"), "hi", Options{}, 0, 0, []string{RulePlatform}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Check(tt.p, tt.text, tt.opts)
			if r.Length != tt.length || r.MaxLength != tt.maxLength {
				t.Errorf("length = %d/%d, want %d/%d", r.Length, r.MaxLength, tt.length, tt.maxLength)
			}
			var rules []string
			for _, e := range r.Errors {
				rules = append(rules, e.Rule)
				if e.Message == "" || e.Field == "" {
					t.Errorf("error without message or field: %+v", e)
				}
			}
			if strings.Join(rules, ",") != strings.Join(tt.rules, ",") {
				t.Errorf("rules = %v, want %v (errors %+v)", rules, tt.rules, r.Errors)
			}
			if r.Valid != (len(r.Errors) == 0) {
				t.Errorf("Valid = %v with %d errors", r.Valid, len(r.Errors))
			}
		})
	}
}

func TestCheckMessage(t *testing.T) {
	t.Parallel()
	r := Check(snsos.PlatformX, strings.Repeat("a", 301), Options{})
	if want := "X counts this as 301 of 280 characters; 21 over."; len(r.Errors) != 1 || r.Errors[0].Message != want {
		t.Errorf("errors = %+v, want message %q", r.Errors, want)
	}
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    Result
		want string
	}{
		{Check(snsos.PlatformX, "hello https://example.com", Options{}), `{"platform":"x","length":29,"max_length":280,"valid":true,"errors":[]}`},
		{Result{Platform: snsos.PlatformThreads}, `{"platform":"threads","length":0,"max_length":0,"valid":false,"errors":[]}`},
		{Check(snsos.PlatformInstagram, strings.Repeat("a", 2201), Options{}),
			`{"platform":"instagram","length":2201,"max_length":2200,"valid":false,"errors":[{"field":"text","rule":"max_length","message":"Instagram counts this as 2,201 of 2,200 characters; 1 over."}]}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.r)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("json = %s\nwant   %s", b, tt.want)
		}
		// Also through a pointer, as an encoder of a struct field would.
		if b2, _ := json.Marshal(&tt.r); string(b2) != tt.want {
			t.Errorf("json via pointer = %s", b2)
		}
	}
}

func TestEntities(t *testing.T) {
	t.Parallel()
	join := func(s []string) string { return strings.Join(s, " ") }
	tests := []struct {
		name string
		got  []string
		want string
	}{
		{"hashtags", hashtags("#a b#c #日本語 ＃タグ #123 #tag_1 &#39; #keycap\uFE0F"), "#a #日本語 ＃タグ #tag_1 #keycap"},
		{"hashtag before url scheme", hashtags("#http://x"), ""},
		{"hashtag followed by hash", hashtags("#a#b"), ""},
		{"mentions", mentions("@alice hi@bob ＠carol @dave. @a.b_c"), "alice carol dave a.b_c"},
		{"cashtags", cashtags("$AAPL $tsla. x$FOO $12 $BRK.A"), "$AAPL $tsla $BRK.A"},
	}
	for _, tt := range tests {
		if got := join(tt.got); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEstimateXCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parts  []string
		prices XPrices
		usd    float64
		text   string
	}{
		{[]string{"hello"}, XPrices{}, 0.015, "$0.015 for 1 post"},
		{[]string{"hello", "see example.com"}, XPrices{}, 0.215, "$0.215 for 2 posts, 1 with a link"},
		{[]string{"https://a.com", "https://b.com"}, XPrices{}, 0.4, "$0.40 for 2 posts, 2 with links"},
		{[]string{"a", "b", "c"}, XPrices{Post: 0.01, PostWithURL: 0.1}, 0.03, "$0.03 for 3 posts"},
		{nil, XPrices{}, 0, "$0.00 for 0 posts"},
	}
	for _, tt := range tests {
		c := EstimateXCost(tt.parts, tt.prices)
		if c.USD != tt.usd || c.String() != tt.text {
			t.Errorf("EstimateXCost(%q) = %v %q, want %v %q", tt.parts, c.USD, c.String(), tt.usd, tt.text)
		}
		if c.Posts != len(tt.parts) {
			t.Errorf("Posts = %d, want %d", c.Posts, len(tt.parts))
		}
	}
}

func TestPunycodeLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"bücher", len("bcher-kva")},
		{"پاکستان", len("mgbai9azgqp6j")},
		{"☃", len("n3h")},
		{"日本語", len("wgv71a119e")},
	}
	for _, tt := range tests {
		if got := punycodeLen(tt.in); got != tt.want {
			t.Errorf("punycodeLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
