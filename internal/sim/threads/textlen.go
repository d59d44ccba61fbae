package threads

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxTextLength is the limit of a post's text as TextLength counts it.
const MaxTextLength = 500

// MaxLinks is the number of unique links a post may hold across its text
// and link_attachment.
const MaxLinks = 5

// emojiRanges are the code points TextLength treats as emoji: the
// pictographic blocks and the older symbols with an emoji presentation.
var emojiRanges = [][2]rune{
	{0x203C, 0x203C}, {0x2049, 0x2049}, {0x2122, 0x2122}, {0x2139, 0x2139},
	{0x2194, 0x2199}, {0x21A9, 0x21AA}, {0x231A, 0x231B}, {0x2328, 0x2328},
	{0x23CF, 0x23CF}, {0x23E9, 0x23F3}, {0x23F8, 0x23FA}, {0x24C2, 0x24C2},
	{0x25AA, 0x25AB}, {0x25B6, 0x25B6}, {0x25C0, 0x25C0}, {0x25FB, 0x25FE},
	{0x2600, 0x27BF}, {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D},
	{0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1FAFF},
}

// isEmojiRune reports whether r is an emoji or a code point that only
// appears inside emoji sequences (zero-width joiner, variation selectors,
// the keycap mark, tag characters).
func isEmojiRune(r rune) bool {
	switch {
	case r == 0x200D, r == 0xFE0E, r == 0xFE0F, r == 0x20E3, r >= 0xE0020 && r <= 0xE007F:
		return true
	}
	i, found := slices.BinarySearchFunc(emojiRanges, r, func(rg [2]rune, r rune) int {
		switch {
		case rg[1] < r:
			return -1
		case rg[0] > r:
			return 1
		}
		return 0
	})
	return found && i >= 0
}

// TextLength counts text as Threads limits it: one per character, except
// emoji, which count as their UTF-8 byte length (a 👍 counts 4, a family
// emoji joined with zero-width joiners the bytes of the whole sequence).
func TextLength(text string) int {
	n := 0
	for _, r := range text {
		if isEmojiRune(r) {
			n += utf8.RuneLen(r)
		} else {
			n++
		}
	}
	return n
}

var linkRe = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"]+`)

// normalizeLink makes two spellings of one URL compare equal: no scheme,
// no "www.", no trailing slash or punctuation, lower case.
func normalizeLink(l string) string {
	l = strings.TrimRight(strings.ToLower(l), ".,;:!?)]}'\"")
	for _, p := range []string{"https://", "http://", "www."} {
		l = strings.TrimPrefix(l, p)
	}
	return strings.TrimSuffix(l, "/")
}

// UniqueLinks returns the distinct links of a post: those in text
// (starting with http://, https:// or www.) and the link attachment.
func UniqueLinks(text, attachment string) []string {
	var out []string
	for _, l := range append(linkRe.FindAllString(text, -1), attachment) {
		if n := normalizeLink(l); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
