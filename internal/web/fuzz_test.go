package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzSafeNext: whatever a query string holds, the page sns-os returns to
// after sign-in is this site's own path or the default.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/posts?q=1", "//evil.example", "/\\evil", "https://evil.example/", "/%2F%2Fevil", "/signin", "\x00/", "/a\tb", "/lang/ja"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next, "/home")
		if got == "/home" {
			return
		}
		if got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor the default", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.Contains(got, "\\") || strings.HasPrefix(u.Path, "//") {
			t.Fatalf("safeNext(%q) let through a path that can leave the site", next)
		}
	})
}

// FuzzParseComposeTime: the schedule picker's fields never crash the
// parser, and a time it accepts is the one typed, in the zone chosen.
func FuzzParseComposeTime(f *testing.F) {
	for _, s := range [][3]string{{"2026-11-28", "21:00", "Asia/Tokyo"}, {"2026-03-08", "02:30", "America/New_York"},
		{"2026-11-01", "01:30", "America/New_York"}, {"2026-02-30", "10:00", ""}, {"x", "25:00", "Local"}, {"2026-11-28", "21:00:30", "UTC"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, date, clock, zone string) {
		if len(zone) > 64 {
			return // LoadLocation reads files named by the zone: keep it short
		}
		at, loc, errs := parseComposeTime(date, clock, zone, time.UTC)
		if len(errs) > 0 || at.IsZero() {
			return
		}
		local := at.In(loc)
		if local.Format("2006-01-02") != date {
			t.Fatalf("%q %q %q: accepted as %v", date, clock, zone, local)
		}
		if c, err := time.Parse("15:04", clock); err == nil && local.Format("15:04") != c.Format("15:04") {
			t.Fatalf("%q %q %q: accepted as %v", date, clock, zone, local)
		}
	})
}
