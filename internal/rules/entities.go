package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// hashtags returns the hashtags in text with their sign, in order. A hashtag
// is "#" or "＃" followed by letters, marks, digits, "_" and a few joiners
// used in Japanese and other scripts, with at least one letter or mark; it
// must not follow a letter, digit or "&" (so "a#b" and "&#39;" are not tags)
// and must not be followed by "#" or "://". This follows twitter-text's
// hashtag grammar, which Instagram and Threads match closely.
func hashtags(text string) []string {
	var tags []string
	prev := rune(-1)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if (r == '#' || r == '＃') && (prev < 0 || !isHashtagChar(prev) && prev != '&') {
			j := i + n
			letter := false
			for j < len(text) {
				c, m := utf8.DecodeRuneInString(text[j:])
				if !isHashtagChar(c) {
					break
				}
				letter = letter || unicode.IsLetter(c) || unicode.IsMark(c)
				j += m
			}
			next := text[j:]
			keycap := strings.HasPrefix(text[i+n:], "\uFE0F") || strings.HasPrefix(text[i+n:], "\u20E3")
			if letter && !keycap && !strings.HasPrefix(next, "#") && !strings.HasPrefix(next, "＃") && !strings.HasPrefix(next, "://") {
				tags = append(tags, text[i:j])
				prev, i = 'a', j
				continue
			}
		}
		prev = r
		i += n
	}
	return tags
}

func isHashtagChar(r rune) bool {
	if r >= 0xFE00 && r <= 0xFE0F {
		return false // variation selectors end a tag: "#tag\uFE0F" is "#tag"
	}
	if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || r == '_' {
		return true
	}
	switch r {
	case 0x200C, 0x200D, 0xA67E, 0x05BE, 0x05F3, 0x05F4, 0xFF5E, 0x301C, 0x309B, 0x309C, 0x30A0, 0x30FB, 0x3003, 0x0F0B, 0x0F0C, 0x00B7:
		return true
	}
	return false
}

// mentions returns the @mentions in text without their sign, in order, as
// Instagram usernames: 1–30 of [A-Za-z0-9_.], not ending in ".". A mention
// must not follow a letter, digit or one of "_!#$%&*@" (so e-mail addresses
// are not mentions).
func mentions(text string) []string {
	var names []string
	prev := rune(-1)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if (r == '@' || r == '＠') && (prev < 0 || !isASCIIAlnum(prev) && !strings.ContainsRune("_!#$%&*@＠", prev)) {
			j := i + n
			for j < len(text) && j-(i+n) < 30 && (isASCIIAlnum(rune(text[j])) || text[j] == '_' || text[j] == '.') {
				j++
			}
			name := strings.TrimRight(text[i+n:j], ".")
			if name != "" {
				names = append(names, name)
				prev, i = 'a', i+n+len(name)
				continue
			}
		}
		prev = r
		i += n
	}
	return names
}

// cashtags returns the cashtags ($ and 1–6 letters, optionally "." or "_"
// and 1–2 more) in text, as twitter-text finds them: at the start or after a
// space, and followed by the end, a space or punctuation.
func cashtags(text string) []string {
	var tags []string
	prev := rune(-1)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == '$' && (prev < 0 || unicode.IsSpace(prev)) {
			j := i + 1
			j = skipASCIILetters(text, j, 6)
			if j > i+1 {
				if j+1 < len(text) && (text[j] == '.' || text[j] == '_') {
					if k := skipASCIILetters(text, j+1, 2); k > j+1 {
						j = k
					}
				}
				next, _ := utf8.DecodeRuneInString(text[j:])
				if j == len(text) || unicode.IsSpace(next) || unicode.IsPunct(next) {
					tags = append(tags, text[i:j])
					prev, i = 'a', j
					continue
				}
			}
		}
		prev = r
		i += n
	}
	return tags
}

func skipASCIILetters(s string, j, most int) int {
	for k := 0; k < most && j < len(s) && (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z'); k++ {
		j++
	}
	return j
}

// firstCluster splits the first grapheme cluster off s.
func firstCluster(s string) (cluster, rest string) {
	cluster, rest, _, _ = uniseg.FirstGraphemeClusterInString(s, -1)
	return cluster, rest
}
