package media

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFilenameBytes is the longest display name kept for an upload.
const MaxFilenameBytes = 255

// SanitizeFilename returns the name to display for an uploaded file called
// name: its base name (after the last / or \), without control characters or
// bidirectional-text overrides, with invalid UTF-8 dropped and surrounding
// spaces trimmed, cut to at most MaxFilenameBytes bytes on a character
// boundary (keeping a short extension). "." and ".." become "". The result
// is for display only: it never names a file.
func SanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	if len(name) <= MaxFilenameBytes {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	return truncateUTF8(name[:len(name)-len(ext)], MaxFilenameBytes-len(ext)) + ext
}

// isBidiControl reports whether r changes the direction of text, which
// would let a name such as "photo\u202egpj.exe" display as "photoexe.jpg".
func isBidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
