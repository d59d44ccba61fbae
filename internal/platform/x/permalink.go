package x

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

var (
	_ platform.DuplicateWindower = (*Client)(nil)
	_ platform.URLResolver       = (*Client)(nil)
)

// duplicateWindow: see DuplicateWindow.
const duplicateWindow = 24 * time.Hour

// DuplicateWindow is how long X refuses the same text from the same account
// as a duplicate ("You are not allowed to create a Tweet with duplicate
// content."). UNVERIFIED: X does not document the window and the platform
// notes (docs/platforms/tiktok-x.md) only say "among recent posts"; 24 hours
// is an assumption, the same as the simulator's default.
func (c *Client) DuplicateWindow() time.Duration { return duplicateWindow }

// xHosts are the hosts of X's permalinks, lower case.
var xHosts = map[string]bool{
	"x.com": true, "www.x.com": true, "mobile.x.com": true,
	"twitter.com": true, "www.twitter.com": true, "mobile.twitter.com": true,
}

// handleRE is an X username: 1 to 15 letters, digits or underscores.
var handleRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

const permalinkShape = "https://x.com/{handle}/status/{id}"

// PostIDFromURL reads the post id from an X permalink pasted by the
// operator: https://x.com/{handle}/status/{id} on x.com, twitter.com or
// their www. and mobile. hosts, over https or http or with no scheme, with
// or without a trailing slash, query or fragment; also the handle-free
// https://x.com/i/web/status/{id}, the old /statuses/ form and the
// /photo/{n} and /video/{n} links of a post's media. Anything else is an
// EINVALID error that says what is wrong with the link.
func (c *Client) PostIDFromURL(u string) (string, error) {
	s := strings.TrimSpace(u)
	if s == "" {
		return "", snsos.Errorf(snsos.EINVALID, "no link given: paste the post's address, like %s", permalinkShape)
	}
	bad := func(why string) error {
		return snsos.Errorf(snsos.EINVALID, "%s %s: paste the post's address, like %s", quoteShort(s), why, permalinkShape)
	}
	raw := s
	if i := strings.IndexByte(raw, '/'); i > 0 && xHosts[strings.ToLower(raw[:i])] {
		raw = "https://" + raw // "x.com/handle/status/1"
	}
	p, err := url.Parse(raw)
	if err != nil || p.Scheme == "" || p.Host == "" && p.Opaque == "" {
		return "", bad("is not a link")
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if scheme := strings.ToLower(p.Scheme); scheme != "https" && scheme != "http" ||
		p.Opaque != "" || p.User != nil || p.Port() != "" || !xHosts[host] {
		return "", bad("is not an X link (x.com or twitter.com)")
	}
	path := strings.TrimPrefix(p.EscapedPath(), "/")
	path = strings.TrimSuffix(path, "/")
	seg := strings.Split(path, "/")
	if len(seg) >= 3 && seg[0] == "i" && seg[1] == "web" {
		seg = seg[1:] // i/web/status/{id}: "web" stands where a handle would
	}
	if len(seg) == 2 && isStatus(seg[1]) {
		return "", bad("has no post id after /status/")
	}
	switch {
	case len(seg) == 3 && isStatus(seg[1]):
	case len(seg) == 5 && isStatus(seg[1]) && (seg[3] == "photo" || seg[3] == "video") && isSmallNumber(seg[4]):
	default:
		return "", bad("is not a link to a post (…/status/{id})")
	}
	if seg[0] != "web" && !handleRE.MatchString(seg[0]) {
		return "", bad("has an invalid handle")
	}
	id := seg[2]
	if !validPostID(id) {
		return "", bad("has an invalid post id (digits after /status/)")
	}
	return id, nil
}

func isStatus(s string) bool { return s == "status" || s == "statuses" }

// isSmallNumber accepts the index of a media in a post link (one digit, 1
// to 9; a post has at most 4).
func isSmallNumber(s string) bool { return len(s) == 1 && s[0] >= '1' && s[0] <= '9' }

// validPostID accepts a canonical X id: decimal, no leading zero, positive,
// within int64 (X's snowflake ids are 64-bit signed).
func validPostID(id string) bool {
	if !platform.ValidNumericID(id) || id == "" || id[0] == '0' {
		return false
	}
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

// quoteShort quotes the start of what the operator gave, for an error
// message: at most 80 bytes of it, cut on a rune boundary.
func quoteShort(s string) string {
	const limit = 80
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
