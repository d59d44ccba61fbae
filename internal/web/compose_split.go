package web

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

// Split into parts (ui-guide §3 "Threads and multi-part posts"): a long
// text is cut into thread parts that each fit the platform's limit as
// internal/rules counts it (X's 280 weighted characters, Threads' 500). Each part is as long as it can be; its
// end is chosen, in this order of preference, at a paragraph break, at a
// line break or a sentence end, at a space, and only as a last resort
// between two grapheme clusters (never inside a URL, an emoji sequence, a
// surrogate pair or a combining sequence). No "1/n" numbering is added.

// Break levels, best first.
const (
	splitParagraph = iota // a blank line
	splitSentence         // a line break, or a sentence end: 。！？ or .!? before a space
	splitSpace            // any other white space
	splitCluster          // between two grapheme clusters (inside a word)
	splitLevels
)

// splitterFor returns the splitter of platform p's threads (nil for a
// platform without threads).
func splitterFor(p snsos.Platform) func(string) []string {
	switch p {
	case snsos.PlatformX:
		return splitX
	case snsos.PlatformThreads:
		return splitThreads
	}
	return nil
}

// splitX cuts text into X thread parts. An empty or blank text gives none.
func splitX(text string) []string {
	return splitText(text, func(s string) bool { return rules.XWeightedLength(s) <= rules.XMaxLength }, xFitBytes)
}

// splitThreads cuts text into Threads reply-chain parts of at most 500
// characters as Threads counts them (rules.ThreadsLength: an emoji counts
// its UTF-8 bytes).
func splitThreads(text string) []string {
	return splitText(text, func(s string) bool { return rules.ThreadsLength(s) <= rules.ThreadsMaxLength }, threadsFitBytes)
}

// splitText cuts text into parts for which fits is true, by the rules
// above. fits must hold for every single grapheme cluster and URL; fitBytes
// returns a byte offset of s past which no prefix of s fits.
func splitText(text string, fits func(string) bool, fitBytes func(string) int) []string {
	var parts []string
	rest := strings.TrimSpace(text)
	for rest != "" {
		if fits(rest) {
			parts = append(parts, rest)
			break
		}
		cut, next := splitPoint(rest, fits, fitBytes(rest))
		parts = append(parts, strings.TrimRightFunc(rest[:cut], unicode.IsSpace))
		rest = strings.TrimLeftFunc(rest[next:], unicode.IsSpace)
	}
	return parts
}

// splitPoint returns where the first part of s ends (cut) and where the
// rest starts (next), for an s that does not fit as a whole; no prefix
// longer than limit bytes fits.
func splitPoint(s string, fits func(string) bool, limit int) (cut, next int) {
	cands := splitCandidates(s, limit)
	for level := range splitLevels {
		list := cands[level]
		for i := len(list) - 1; i >= 0; i-- {
			c := list[i]
			head := strings.TrimRightFunc(s[:c], unicode.IsSpace)
			if head == "" || !fits(head) {
				continue
			}
			if level >= splitSentence && !splitKeepsURLs(s, c) {
				continue
			}
			return c, c
		}
	}
	// Nothing fits (cannot happen with X's counting): one cluster.
	_, rest, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	return len(s) - len(rest), len(s) - len(rest)
}

// xFitBytes is a byte offset in s a little past the longest prefix that
// fits in 280 weighted characters: candidates beyond it need not be tried.
func xFitBytes(s string) int {
	end := rules.ParseX(s).ValidRangeEnd + 1 // UTF-16 units that fit
	units, slack := 0, 8                     // NFC may shift the count a little
	for i, r := range s {
		if units >= end {
			if slack == 0 {
				return i
			}
			slack--
		}
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
	}
	return len(s)
}

// threadsFitBytes is the byte offset in s after 500 code points (or its
// length): Threads counts every code point as at least one character, so
// no longer prefix fits.
func threadsFitBytes(s string) int {
	n := 0
	for i := range s {
		if n == rules.ThreadsMaxLength+1 {
			return i
		}
		n++
	}
	return len(s)
}

// splitCandidates lists the break positions of s up to limit (byte offsets,
// ascending) by level. A position is where the first part ends; white space
// there is trimmed off both parts.
func splitCandidates(s string, limit int) [splitLevels][]int {
	var out [splitLevels][]int
	g := uniseg.NewGraphemes(s)
	prev := ""
	for g.Next() {
		start, _ := g.Positions()
		if start > limit {
			break
		}
		cl := g.Str()
		if start > 0 {
			switch {
			case isSpaceCluster(cl) && !isSpaceCluster(prev):
				// The first white space after a word: what kind of break?
				ws := leadingSpace(s[start:])
				switch nl := strings.Count(ws, "\n"); {
				case nl >= 2:
					out[splitParagraph] = append(out[splitParagraph], start)
				case nl == 1 || endsSentence(s[:start]):
					out[splitSentence] = append(out[splitSentence], start)
				default:
					out[splitSpace] = append(out[splitSpace], start)
				}
			case isSpaceCluster(cl) || isSpaceCluster(prev):
				// Inside a run of white space: the run's start is listed.
			case endsFullWidthSentence(s[:start]):
				// Japanese sentences end without a space.
				out[splitSentence] = append(out[splitSentence], start)
			default:
				out[splitCluster] = append(out[splitCluster], start)
			}
		}
		prev = cl
	}
	return out
}

func isSpaceCluster(cl string) bool {
	r, _ := utf8.DecodeRuneInString(cl)
	return unicode.IsSpace(r)
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeftFunc(s, unicode.IsSpace))]
}

// closers may follow a sentence's end mark: quotes and brackets.
const splitClosers = `"')]}’”」』）】〕〉》`

// endsSentence reports whether s ends with a sentence end mark, perhaps
// followed by closing quotes or brackets.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, splitClosers)
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune("。！？.!?．", r)
}

// endsFullWidthSentence is endsSentence for the full-width marks, which
// need no space after them.
func endsFullWidthSentence(s string) bool {
	s = strings.TrimRight(s, splitClosers)
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune("。！？．", r)
}

// splitKeepsURLs reports whether cutting s at i leaves every URL whole: the
// two halves count as much, and hold as many URLs, as s does. A cut inside
// a URL changes both (a URL counts 23 whatever its length).
func splitKeepsURLs(s string, i int) bool {
	all, a, b := rules.ParseX(s), rules.ParseX(s[:i]), rules.ParseX(s[i:])
	return a.URLs+b.URLs == all.URLs && a.WeightedLength+b.WeightedLength == all.WeightedLength
}

// splitSource is the text Split into parts cuts for platform p: the thread
// (its parts joined by blank lines), or the override, or the base text.
func splitSource(p *composeTabInput, base string) string {
	if p.Thread && len(p.Parts) > 0 {
		var keep []string
		for _, s := range p.Parts {
			if strings.TrimSpace(s) != "" {
				keep = append(keep, strings.TrimSpace(s))
			}
		}
		return strings.Join(keep, "\n\n")
	}
	if p.Customized {
		return p.Override
	}
	return base
}

// splitSourceField is the form field holding the text splitSource reads.
func splitSourceField(pl snsos.Platform, p *composeTabInput) string {
	switch {
	case p.Thread && len(p.Parts) > 0:
		return "part_" + string(pl)
	case p.Customized:
		return "override_" + string(pl)
	}
	return "body"
}
