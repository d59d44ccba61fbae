package rules

import (
	"strings"
	"unicode/utf8"
)

// This file finds URLs the way X does, so that each one can be counted as 23
// characters (and priced as a link). It follows the URL grammar of
// twitter-text v3 (extractUrlsWithIndices and the regular expressions it is
// built from), written as a hand-rolled scanner instead of a regular
// expression: a scheme "http://" or "https://" is optional; the host is a run
// of labels ending in a known top-level domain; then an optional port, path
// and query. Without a scheme only the ASCII part of a host counts, as X does.

// maxURLLength is twitter-text's limit on a URL's length in UTF-16 units,
// scheme included.
const maxURLLength = 4096

// maxTcoSlugLength is the longest t.co slug twitter-text accepts.
const maxTcoSlugLength = 40

// span is a half-open byte range of a string.
type span struct{ start, end int }

// urlMatch is one match of the URL grammar, before twitter-text's checks.
type urlMatch struct {
	start, end             int // the whole URL
	scheme                 int // length of "http://" or "https://", or 0
	domainStart, domainEnd int
	path                   bool
}

// extractURLs returns the URLs X links in s, in order.
func extractURLs(s string) []span {
	if !strings.Contains(s, ".") {
		return nil
	}
	var (
		urls []span
		run  domainRun
		dm   = domainMatcher{s: s}
	)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var (
			m      urlMatch
			ok     bool
			before rune = -1
		)
		if isURLPrecedingChar(r) {
			m, ok = matchURL(s, i+n, &run, &dm)
			before = r
		}
		if !ok && i == 0 {
			m, ok = matchURL(s, 0, &run, &dm)
			before = -1
		}
		if !ok {
			i += n
			continue
		}
		urls = appendURL(urls, s, m, before)
		i = m.end
	}
	return urls
}

// appendURL applies twitter-text's checks to a grammar match and appends the
// URLs X would link.
func appendURL(urls []span, s string, m urlMatch, before rune) []span {
	domain := s[m.domainStart:m.domainEnd]
	scheme := m.scheme
	if scheme == 0 {
		scheme = len("https://")
	}
	if !validIDNA(domain) || scheme+utf16Len(s[m.start:m.end]) > maxURLLength {
		return urls
	}
	if m.scheme > 0 {
		end := m.end
		if slug, ok := tcoSlug(s[m.start:m.end]); ok {
			if len(slug) > maxTcoSlugLength {
				return urls
			}
			end = m.start + m.scheme + len("t.co/") + len(slug)
		}
		return append(urls, span{m.start, end})
	}
	// Without a scheme: not after "-", "_", "." or "/", and only ASCII hosts.
	switch before {
	case '-', '_', '.', '/':
		return urls
	}
	found := false
	for a := 0; a < len(domain); {
		end, ok := matchASCIIDomain(domain, a)
		if !ok {
			_, n := utf8.DecodeRuneInString(domain[a:])
			a += n
			continue
		}
		urls = append(urls, span{m.domainStart + a, m.domainStart + end})
		found = true
		a = end
	}
	if found && m.path {
		urls[len(urls)-1].end = m.end
	}
	return urls
}

// tcoSlug reports whether url is a t.co link and returns its slug.
func tcoSlug(url string) (string, bool) {
	rest, ok := cutPrefixFold(url, "https://")
	if !ok {
		rest, ok = cutPrefixFold(url, "http://")
	}
	if !ok {
		return "", false
	}
	if rest, ok = cutPrefixFold(rest, "t.co/"); !ok {
		return "", false
	}
	n := 0
	for n < len(rest) && isASCIIAlnum(rune(rest[n])) {
		n++
	}
	return rest[:n], n > 0
}

// domainRun caches the extent of the run of host characters around the
// current position, so that long text without dots is scanned once.
type domainRun struct {
	start, end int // bytes
	lastDot    int // -1 if none
}

// matchURL matches the URL grammar at s[i:].
func matchURL(s string, i int, run *domainRun, dm *domainMatcher) (urlMatch, bool) {
	if i >= len(s) {
		return urlMatch{}, false
	}
	m := urlMatch{start: i}
	for _, scheme := range [...]string{"https://", "http://"} {
		if _, ok := cutPrefixFold(s[i:], scheme); ok {
			m.scheme = len(scheme)
			break
		}
	}
	if m.scheme == 0 && !run.mayHoldDomain(s, i) {
		return urlMatch{}, false
	}
	m.domainStart = i + m.scheme
	end, ok := dm.match(m.domainStart)
	if !ok {
		return urlMatch{}, false
	}
	m.domainEnd = end
	// Port.
	if end < len(s) && s[end] == ':' {
		j := end + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > end+1 {
			end = j
		}
	}
	// Path.
	if end < len(s) && s[end] == '/' {
		end = matchPath(s, end+1)
		m.path = true
	}
	// Query.
	if end < len(s) && s[end] == '?' {
		end = matchQuery(s, end+1)
	}
	m.end = end
	return m, true
}

// mayHoldDomain reports whether a host could start at s[i:]: i must begin a
// host character and a dot must follow in the same run of host characters.
func (d *domainRun) mayHoldDomain(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if !isDomainChar(r) {
		return false
	}
	if i < d.start || i >= d.end {
		d.start, d.lastDot = i, -1
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == '.' {
				d.lastDot = j
			} else if !isDomainChar(r) && r != '-' && r != '_' {
				break
			}
			j += n
		}
		d.end = j
	}
	return d.lastDot > i
}

// domainMatcher matches hosts at increasing positions of one string in
// linear time overall: the end of the label a position lies in is cached,
// and the best host continuing after each dot is memoized, since it does
// not depend on where the host started.
type domainMatcher struct {
	s string
	// The label around the last start: [from, dot) holds only label
	// characters; lastUnderscore is the last "_" in it, or -1.
	from, dot, lastUnderscore int
	after                     map[int]int // dot → end of the best host continuing after it, or -1
}

// match matches "subdomain.* name. tld" at s[i:] and returns the end of the
// top-level domain. Like the regular expression it replaces, it prefers the
// longest host.
func (m *domainMatcher) match(i int) (int, bool) {
	s := m.s
	if r, _ := utf8.DecodeRuneInString(s[i:]); i >= len(s) || !isDomainChar(r) {
		return 0, false
	}
	if i < m.from || i >= m.dot {
		m.from, m.lastUnderscore = i, -1
		m.dot = m.labelEnd(i, &m.lastUnderscore)
	}
	d := m.dot
	if d >= len(s) || s[d] != '.' || !lastIsDomainChar(s, d) {
		return 0, false
	}
	if end := m.continueAfter(d); end >= 0 {
		return end, true
	}
	if m.lastUnderscore < i { // the name before the top-level domain can't hold "_"
		return matchTLD(s, d+1)
	}
	return 0, false
}

// labelEnd returns the end of the run of label characters (host
// characters, "-", "_") from i, noting the last "_".
func (m *domainMatcher) labelEnd(i int, underscore *int) int {
	for i < len(m.s) {
		r, n := utf8.DecodeRuneInString(m.s[i:])
		if r == '_' {
			*underscore = i
		} else if r != '-' && !isDomainChar(r) {
			break
		}
		i += n
	}
	return i
}

// continueAfter returns the end of the longest host that continues after
// the dot at d with at least one more label and a top-level domain, or -1.
func (m *domainMatcher) continueAfter(d int) int {
	if end, ok := m.after[d]; ok {
		return end
	}
	s, end := m.s, -1
	start := d + 1
	if r, _ := utf8.DecodeRuneInString(s[start:]); start < len(s) && isDomainChar(r) {
		underscore := -1
		d2 := m.labelEnd(start, &underscore)
		if d2 < len(s) && s[d2] == '.' && lastIsDomainChar(s, d2) {
			end = m.continueAfter(d2)
			if end < 0 && underscore < 0 {
				if e, ok := matchTLD(s, d2+1); ok {
					end = e
				}
			}
		}
	}
	if m.after == nil {
		m.after = map[int]int{}
	}
	m.after[d] = end
	return end
}

func lastIsDomainChar(s string, end int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:end])
	return isDomainChar(r)
}

// matchTLD matches a top-level domain at s[i:]: a generic one first, then a
// country one, then punycode ("xn--…"). A name must not run on into
// [0-9A-Za-z@+-]. Of several names, the longest wins.
func matchTLD(s string, i int) (int, bool) {
	generic, country := -1, -1
	for j := i; j < len(s) && j-i < tlds().maxLen; {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isDomainChar(r) {
			break
		}
		j += n
		if j < len(s) && isTLDContinuation(s[j]) {
			continue
		}
		name := s[i:j]
		if !isLowerASCII(name) {
			name = strings.ToLower(name)
		}
		if tlds().generic[name] {
			generic = j
		} else if tlds().country[name] {
			country = j
		}
	}
	switch {
	case generic > 0:
		return generic, true
	case country > 0:
		return country, true
	}
	if rest, ok := cutPrefixFold(s[i:], "xn--"); ok {
		n := 0
		for n < len(rest) && (isASCIIAlnum(rune(rest[n])) || rest[n] == '-') {
			n++
		}
		if n > 0 {
			return i + len("xn--") + n, true
		}
	}
	return 0, false
}

// matchASCIIDomain matches twitter-text's "valid ASCII domain" at d[a:]:
// labels of [-a-z0-9] and Latin accented letters, each followed by a dot,
// then a top-level domain. It returns the end of the match.
func matchASCIIDomain(d string, a int) (int, bool) {
	var dots []int
	j := a
	for {
		start := j
		for j < len(d) {
			r, n := utf8.DecodeRuneInString(d[j:])
			if r != '-' && !isASCIIAlnum(r) && !isLatinAccent(r) {
				break
			}
			j += n
		}
		if j == start || j >= len(d) || d[j] != '.' {
			break
		}
		dots = append(dots, j)
		j++
	}
	for k := len(dots) - 1; k >= 0; k-- {
		if end, ok := matchTLD(d, dots[k]+1); ok {
			return end, true
		}
	}
	return 0, false
}

// matchPath returns the end of a URL path whose "/" ends at i: path
// characters and balanced parentheses, ending on a character that may end a
// path (so "/foo." leaves out the period).
func matchPath(s string, i int) int {
	end := i
	for j := i; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == '(' {
			k, ok := matchParens(s, j)
			if !ok {
				break
			}
			j, end = k, k
			continue
		}
		if !isPathChar(r) {
			break
		}
		j += n
		if isPathEndChar(r) {
			end = j
		}
	}
	return end
}

// matchParens matches "(" path characters ")" with at most one nested pair,
// as in Wikipedia links like /wiki/Primer_(film).
func matchParens(s string, i int) (int, bool) {
	j := i + 1
	j, n := skipPathChars(s, j)
	if j < len(s) && s[j] == ')' && n > 0 {
		return j + 1, true
	}
	if j >= len(s) || s[j] != '(' {
		return 0, false
	}
	j, n = skipPathChars(s, j+1)
	if n == 0 || j >= len(s) || s[j] != ')' {
		return 0, false
	}
	j, _ = skipPathChars(s, j+1)
	if j >= len(s) || s[j] != ')' {
		return 0, false
	}
	return j + 1, true
}

func skipPathChars(s string, j int) (end, count int) {
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isPathChar(r) {
			break
		}
		j += n
		count++
	}
	return j, count
}

// matchQuery returns the end of a query string whose "?" ends at i, or i-1
// (leaving out the "?") when no character may end it.
func matchQuery(s string, i int) int {
	end := i - 1
	for j := i; j < len(s); j++ {
		c := s[j]
		if !isQueryChar(c) {
			break
		}
		if isQueryEndChar(c) {
			end = j + 1
		}
	}
	return end
}

// validIDNA reports whether every label of domain is 1 to 63 characters long
// once encoded as punycode, as twitter-text's idna.toAscii requires.
func validIDNA(domain string) bool {
	if strings.HasPrefix(domain, "xn--") {
		if _, ok := matchASCIIDomainAnywhere(domain); !ok {
			return false
		}
	}
	for label := range strings.SplitSeq(domain, ".") {
		n := len(label)
		if !isASCII(label) {
			n = len("xn--") + punycodeLen(label)
		}
		if n < 1 || n > 63 {
			return false
		}
	}
	return true
}

func matchASCIIDomainAnywhere(d string) (int, bool) {
	for a := 0; a < len(d); a++ {
		if end, ok := matchASCIIDomain(d, a); ok {
			return end, true
		}
	}
	return 0, false
}

// punycodeLen returns the length of the RFC 3492 punycode encoding of s,
// without the "xn--" prefix. It stops counting past 64, which is enough to
// tell that a DNS label is too long.
func punycodeLen(s string) int {
	const (
		base, tmin, tmax = 36, 1, 26
		skew, damp       = 38, 700
		limit            = 64
	)
	if utf8.RuneCountInString(s) > limit {
		return limit + 1
	}
	var runes []rune
	for _, r := range s {
		runes = append(runes, r)
	}
	out, basic := 0, 0
	for _, r := range runes {
		if r < 0x80 {
			basic++
		}
	}
	out = basic
	if basic > 0 {
		out++ // the delimiter
	}
	adapt := func(delta, points int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / points
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias, h := 0x80, 0, 72, basic
	for h < len(runes) {
		m := rune(0x7fffffff)
		for _, r := range runes {
			if int(r) >= n && r < m {
				m = r
			}
		}
		delta += (int(m) - n) * (h + 1)
		n = int(m)
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := base; ; k += base {
				t := min(max(k-bias, tmin), tmax)
				if q < t {
					break
				}
				out++
				q = (q - t) / (base - t)
			}
			out++
			bias = adapt(delta, h+1, h == basic)
			delta = 0
			h++
		}
		delta++
		n++
		if out > limit {
			return out
		}
	}
	return out
}

// isDomainChar reports whether r may appear in a host label: anything but
// ASCII punctuation, spaces, characters X rejects and directional marks.
func isDomainChar(r rune) bool {
	if r < 0x80 {
		return r > ' ' && r != 0x7f && !strings.ContainsRune("!'#%&()*+,\\-./:;<=>?@[]^_{|}~$", r)
	}
	switch {
	case r == 0x85, r == 0xA0, r == 0x1680, r == 0x180E,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return false // spaces
	case isInvalidXChar(r), isDirectionalMark(r):
		return false
	}
	return true
}

// isURLPrecedingChar reports whether a URL may follow r: not after a letter,
// digit, "@", "$" or "#", so that "foo@example.com" is not a link.
func isURLPrecedingChar(r rune) bool {
	switch {
	case isASCIIAlnum(r), r == '@', r == '＠', r == '$', r == '#', r == '＃', isInvalidXChar(r):
		return false
	}
	return true
}

func isDirectionalMark(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x2066 && r <= 0x2069
}

func isTLDContinuation(c byte) bool {
	return isASCIIAlnum(rune(c)) || c == '@' || c == '+' || c == '-'
}

func isPathChar(r rune) bool {
	if isASCIIAlnum(r) || isCyrillic(r) || isLatinAccent(r) || r == '\u2013' {
		return true
	}
	return r < 0x80 && strings.ContainsRune("!*';:=+,.$/%#[]-_~@|&", r)
}

func isPathEndChar(r rune) bool {
	if isASCIIAlnum(r) || isCyrillic(r) || isLatinAccent(r) {
		return true
	}
	return r == '+' || r == '-' || r == '=' || r == '_' || r == '#' || r == '/'
}

func isQueryChar(c byte) bool {
	return isASCIIAlnum(rune(c)) || strings.IndexByte("!?*'@();:&=+$/%#[]-_.,~|", c) >= 0
}

func isQueryEndChar(c byte) bool {
	return isASCIIAlnum(rune(c)) || strings.IndexByte("-_&=#/", c) >= 0
}

func isCyrillic(r rune) bool { return r >= 0x0400 && r <= 0x04FF }

// isLatinAccent reports whether r is one of twitter-text's accented Latin
// letters and combining marks.
func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x24F,
		r >= 0x300 && r <= 0x36F, r >= 0x1E00 && r <= 0x1EFF:
		return true
	}
	switch r {
	case 0x253, 0x254, 0x256, 0x257, 0x259, 0x25B, 0x263, 0x268, 0x26F, 0x272, 0x289, 0x28B, 0x2BB:
		return true
	}
	return false
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] >= 'A' && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// cutPrefixFold is strings.CutPrefix with ASCII case folding.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
