package x

import (
	"strings"
	"unicode/utf8"
)

// WeightedLength approximates twitter-text v3's weighted length of text:
// code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
// U+2032–U+2037 weigh 1, every other code point (CJK, emoji, …) weighs 2,
// and each http:// or https:// URL (up to the next whitespace) weighs 23.
//
// It is deliberately simpler than twitter-text: no NFC normalization, an
// emoji sequence counts per code point rather than 2 once, and URLs without
// a scheme are not detected. The real counter lives with the client; the
// simulator only needs to refuse clearly over-long posts.
func WeightedLength(text string) int {
	n := 0
	for i := 0; i < len(text); {
		rest := text[i:]
		if (strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://")) &&
			(i == 0 || isSpace(text[i-1])) {
			end := strings.IndexAny(rest, " \t\n\r")
			if end < 0 {
				end = len(rest)
			}
			n += 23
			i += end
			continue
		}
		r, size := utf8.DecodeRuneInString(rest)
		n += runeWeight(r)
		i += size
	}
	return n
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func runeWeight(r rune) int {
	switch {
	case r <= 0x10FF,
		r >= 0x2000 && r <= 0x200D,
		r >= 0x2010 && r <= 0x201F,
		r >= 0x2032 && r <= 0x2037:
		return 1
	}
	return 2
}

// invalidChar reports whether text holds a character twitter-text rejects.
func invalidChar(text string) bool {
	return strings.ContainsFunc(text, func(r rune) bool {
		return r == 0xFFFE || r == 0xFEFF || r == 0xFFFF || (r >= 0x202A && r <= 0x202E)
	})
}
