package web

import (
	"net/url"
	"strings"
)

// safeNext returns next when it is a path on this site, else def. Only
// relative references that start with a single "/" are accepted: no scheme,
// no host, no "//" or "/\" (which browsers read as another host), no
// backslash or control character anywhere, and not the sign-in page itself.
func safeNext(next, def string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return def
	}
	if strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return def
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return def
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return def
	}
	// A path that decodes to "//host" or "/\host" is refused too.
	if strings.HasPrefix(u.Path, "//") || strings.Contains(u.Path, "\\") {
		return def
	}
	if u.Path == "/signin" || u.Path == "/signout" || strings.HasPrefix(u.Path, "/lang/") {
		return def
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
