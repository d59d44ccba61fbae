package rules

import (
	"math"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// X's counting configuration, twitter-text config v3
// (docs/platforms/tiktok-x.md §2.3 "Weighted character counting").
const (
	XMaxLength        = 280    // maxWeightedTweetLength
	XPremiumMaxLength = 25_000 // long posts of Premium accounts (note_tweet)
	xScale            = 100
	xDefaultWeight    = 200
	xURLLength        = 23 // transformedURLLength
)

// XText is what X's character counting (twitter-text v3 parseTweet) says
// about a post's text. Indexes count UTF-16 code units of the text as given,
// as a browser's text field does, so a UI can mark the part that does not
// fit.
type XText struct {
	// WeightedLength is the length X counts: most Latin-script characters
	// count 1; CJK characters and emoji count 2; a URL counts 23.
	WeightedLength int `json:"weighted_length"`
	// Permillage is WeightedLength per mille of 280.
	Permillage int `json:"permillage"`
	// Valid reports whether the text fits in 280 weighted characters, is not
	// empty and holds none of the characters X rejects (U+FFFE, U+FEFF,
	// U+FFFF).
	Valid bool `json:"valid"`
	// ValidRangeEnd is the index of the last UTF-16 code unit that still fits
	// (inclusive); DisplayRangeEnd is the index of the last one of the text.
	ValidRangeEnd   int `json:"valid_range_end"`
	DisplayRangeEnd int `json:"display_range_end"`
	// URLs is the number of URLs X links in the text.
	URLs int `json:"urls"`
}

// XWeightedLength returns the length X counts for text, following
// twitter-text v3: the text is NFC-normalized; code points in U+0000–U+10FF,
// U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 count 1 and all others 2;
// every URL, with or without a scheme, counts 23; and an emoji sequence
// (skin tones, flags, keycaps and ZWJ sequences included) counts 2 as a
// whole.
func XWeightedLength(text string) int {
	return ParseX(text).WeightedLength
}

// ParseX counts text as X does (twitter-text v3 parseTweet) against the
// standard 280-character limit.
func ParseX(text string) XText {
	s := norm.NFC.String(text)
	c := xCounter{valid: true, limit: XMaxLength * xScale}
	pos := 0
	urls := extractURLs(s)
	for _, u := range urls {
		c.plain(s[pos:u.start])
		c.add(xURLLength*xScale, utf16Len(s[u.start:u.end]), 0)
		pos = u.end
	}
	c.plain(s[pos:])

	t := XText{
		WeightedLength: c.weight / xScale,
		URLs:           len(urls),
	}
	t.Valid = c.valid && t.WeightedLength > 0 && t.WeightedLength <= XMaxLength
	// As JavaScript computes it, so values at the edges agree.
	t.Permillage = int(math.Floor(float64(t.WeightedLength) / XMaxLength * 1000))
	n := utf16Len(text)
	t.ValidRangeEnd = c.validEnd + n - c.index
	if n > 0 {
		t.DisplayRangeEnd = n - 1
	}
	return t
}

// xCounter adds up weights the way parseTweet walks the text: one unit (a
// URL, an emoji sequence or a code point) at a time.
type xCounter struct {
	weight   int  // in 1/100 characters
	index    int  // UTF-16 units consumed
	valid    bool // no invalid character yet
	validEnd int  // index of the last unit that fits
	limit    int
}

// add counts one unit of the given weight that spans units UTF-16 code
// units and ends with rune last.
func (c *xCounter) add(weight, units int, last rune) {
	c.weight += weight
	c.index += units
	if c.valid && isInvalidXChar(last) {
		c.valid = false
	}
	if c.valid && c.weight <= c.limit {
		c.validEnd = c.index - 1
	}
}

// plain counts text that holds no URL.
func (c *xCounter) plain(s string) {
	for len(s) > 0 {
		// Fast path: an ASCII character followed by another one (or by
		// nothing) is a grapheme cluster of its own.
		if s[0] < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
			c.add(xScale, 1, rune(s[0]))
			s = s[1:]
			continue
		}
		cluster, rest, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
		if n := emojiPrefix(cluster); n > 0 {
			c.add(xDefaultWeight, utf16Len(cluster[:n]), 0)
			cluster = cluster[n:]
		}
		for _, r := range cluster {
			c.add(xWeight(r), utf16RuneLen(r), r)
		}
		s = rest
	}
}

// xWeight returns the weight of a code point outside URLs and emoji.
func xWeight(r rune) int {
	switch {
	case r <= 4351, r >= 8192 && r <= 8205, r >= 8208 && r <= 8223, r >= 8242 && r <= 8247:
		return xScale
	}
	return xDefaultWeight
}

// isInvalidXChar reports whether X rejects a text holding r.
func isInvalidXChar(r rune) bool {
	return r == 0xFFFE || r == 0xFEFF || r == 0xFFFF
}

// emojiPrefix returns the length in bytes of the emoji sequence that starts
// grapheme cluster g, or 0. It follows twemoji-parser, which twitter-text
// uses: keycaps ("1️⃣"), flags, and pictographs with their variation
// selector, skin tone, tag sequence and ZWJ-joined pictographs. ©, ®, ™ and ♟
// are emoji only with U+FE0F. Marks that merely share the cluster (a
// combining accent after an emoji) are left for the caller to count.
func emojiPrefix(g string) int {
	r, n := utf8.DecodeRuneInString(g)
	switch {
	case r == '#' || r == '*' || r >= '0' && r <= '9':
		rest := g[n:]
		if len(rest) >= 3 && rest[:3] == "\u20E3" {
			return n + 3
		}
		if len(rest) >= 6 && rest[:6] == "\uFE0F\u20E3" {
			return n + 6
		}
		return 0
	case isRegionalIndicator(r):
		if r2, n2 := utf8.DecodeRuneInString(g[n:]); isRegionalIndicator(r2) {
			return n + n2
		}
		return n
	case !isExtendedPictographic(r):
		return 0
	}
	if r == 0xA9 || r == 0xAE || r == 0x2122 || r == 0x265F {
		if r2, _ := utf8.DecodeRuneInString(g[n:]); r2 != 0xFE0F {
			return 0
		}
	}
	for n < len(g) {
		r, size := utf8.DecodeRuneInString(g[n:])
		switch {
		case r == 0xFE0F, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
			n += size
		case r == 0x200D:
			// Inside one cluster a ZWJ is followed by a pictograph (UAX #29
			// rule GB11); a trailing ZWJ is not part of the emoji.
			r2, size2 := utf8.DecodeRuneInString(g[n+size:])
			if n+size >= len(g) || !isExtendedPictographic(r2) {
				return n
			}
			n += size + size2
		default:
			return n
		}
	}
	return n
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// isExtendedPictographic reports whether r has the Unicode property
// Extended_Pictographic. It asks uniseg's grapheme rules instead of carrying a
// copy of the table: after "😀 ZWJ", only a pictograph (rule GB11) or a
// character that joins anything (Extend, SpacingMark, ZWJ; rules GB9, GB9a)
// stays in the same cluster, and the second probe rules out the latter.
func isExtendedPictographic(r rune) bool {
	switch {
	case r == 0xA9 || r == 0xAE:
		return true
	case r < 0x203C, r > 0x3299 && r < 0x1F000, r > 0x1FFFD:
		return false // no pictographs there
	}
	var buf [16]byte
	n := copy(buf[:], "\U0001F600\u200D")
	n += utf8.EncodeRune(buf[n:], r)
	if g, _, _, _ := uniseg.FirstGraphemeCluster(buf[:n], -1); len(g) != n {
		return false
	}
	buf[0] = 'a'
	n = 1 + utf8.EncodeRune(buf[1:], r)
	g, _, _, _ := uniseg.FirstGraphemeCluster(buf[:n], -1)
	return len(g) == 1
}

// utf16Len returns the length of s in UTF-16 code units. An invalid byte
// counts 1, as the U+FFFD it decodes to.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16RuneLen(r)
	}
	return n
}

func utf16RuneLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
