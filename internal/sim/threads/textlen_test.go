package threads

import (
	"strings"
	"testing"
)

func TestTextLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want int
	}{
		{"hello", 5},
		{"héllo wörld", 11}, // accented letters count one
		{"日本語", 3},          // so do CJK characters
		{"👍", 4},            // an emoji counts its UTF-8 bytes
		{"hi 😀!", 8},        // 3 + 4 + 1
		{"❤️", 6},           // U+2764 U+FE0F: 3 + 3
		{"👨‍👩‍👧", 18},       // three emoji joined by two ZWJ: 12 + 6
		{"🇯🇵", 8},           // two regional indicators
		{"1️⃣", 7},          // keycap: 1 + 3 + 3
		{strings.Repeat("👍", 125), 500},
	}
	for _, tc := range tests {
		if got := TextLength(tc.text); got != tc.want {
			t.Errorf("TextLength(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestUniqueLinks(t *testing.T) {
	t.Parallel()
	got := UniqueLinks("see https://Example.com/a, http://example.com/a/ and www.example.com/a. Also https://b.example/x?y=1 (https://c.example)",
		"https://d.example/")
	want := []string{"example.com/a", "b.example/x?y=1", "c.example", "d.example"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("UniqueLinks = %q, want %q", got, want)
	}
	if n := len(UniqueLinks("no links here, just example dot com", "")); n != 0 {
		t.Fatalf("%d links in plain text", n)
	}
}
