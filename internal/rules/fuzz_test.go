package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	snsos "github.com/sns-os/snsos"
)

// FuzzXWeightedLength checks that counting never panics, is deterministic
// and stays within the bounds every text must meet.
func FuzzXWeightedLength(f *testing.F) {
	for _, s := range []string{"", "hello", "こんにちは", "😀👨\u200D👩\u200D👧", "see https://example.com/a_(b)?c=d", "example.co.jp/x", "\u202Ahttp://foobar.پاکستان/", "1\uFE0F\u20E3#️⃣", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		x := ParseX(text)
		n := XWeightedLength(text)
		if n != x.WeightedLength || n != ParseX(text).WeightedLength {
			t.Fatalf("not deterministic: %d, %d", n, x.WeightedLength)
		}
		if n < 0 {
			t.Fatalf("negative length %d", n)
		}
		// NFC turns a code point into at most three, each weighing at most
		// 2; a URL weighs 23 whatever its length.
		if limit := 2*utf8.RuneCountInString(text)*3 + 23*x.URLs; n > limit {
			t.Fatalf("length %d exceeds bound %d", n, limit)
		}
		if text != "" && n == 0 {
			t.Fatalf("non-empty text counts 0")
		}
		if x.Valid != (n > 0 && n <= XMaxLength && !strings.ContainsAny(text, "\uFFFE\uFEFF\uFFFF")) {
			t.Fatalf("Valid = %v for length %d", x.Valid, n)
		}
		if x.ValidRangeEnd > x.DisplayRangeEnd+1 || x.DisplayRangeEnd < 0 {
			t.Fatalf("ranges out of order: valid %d, display %d", x.ValidRangeEnd, x.DisplayRangeEnd)
		}
	})
}

// FuzzCheck checks the invariants of Check on every platform: no panic,
// lengths not negative, Valid exactly when there are no errors, the same
// answer twice, and JSON with an errors array.
func FuzzCheck(f *testing.F) {
	f.Add("hello #tag @user https://example.com", false, "")
	f.Add("", true, "title")
	f.Add("＃日本語 ＄AAPL $TSLA 😀", false, "")
	f.Fuzz(func(t *testing.T, text string, photo bool, title string) {
		opts := Options{TikTokPhoto: photo, Title: title}
		for _, p := range snsos.Platforms {
			r := Check(p, text, opts)
			if r.Length < 0 || r.MaxLength <= 0 {
				t.Fatalf("%s: length %d/%d", p, r.Length, r.MaxLength)
			}
			if r.Valid != (len(r.Errors) == 0) {
				t.Fatalf("%s: Valid = %v with errors %+v", p, r.Valid, r.Errors)
			}
			if r.Length > r.MaxLength && r.Valid {
				t.Fatalf("%s: over the limit but valid", p)
			}
			again := Check(p, text, opts)
			a, _ := json.Marshal(r)
			b, err := json.Marshal(again)
			if err != nil || string(a) != string(b) {
				t.Fatalf("%s: not deterministic or not encodable: %s vs %s (%v)", p, a, b, err)
			}
			if !strings.Contains(string(a), `"errors":[`) {
				t.Fatalf("%s: errors not an array: %s", p, a)
			}
		}
	})
}

// benchmarkText is a realistic post: Japanese and English, emoji, a
// hashtag, a mention and two links, 280 weighted characters or so.
const benchmarkText = "新商品のお知らせ🎉 本日から予約受付を開始しました!詳しくはこちら👉 https://example.com/products/new-item?utm_source=x " +
	"Pre-orders open today — limited stock, ships in March. Thanks @friend for the photos 📸 #新商品 #launch shop.example.jp/sale 👨\u200D👩\u200D👧"

func BenchmarkXWeightedLength(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchmarkText)))
	for b.Loop() {
		XWeightedLength(benchmarkText)
	}
}

func TestBenchmarkTextIsRealistic(t *testing.T) {
	t.Parallel()
	if n := XWeightedLength(benchmarkText); n < 200 || n > 280 {
		t.Errorf("benchmark text counts %d; keep it a full post of at most 280", n)
	}
}
