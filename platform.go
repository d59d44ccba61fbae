package snsos

import "fmt"

// Platform names a social network sns-os publishes to.
type Platform string

// The supported platforms. The string values are part of the external
// contract (API, CLI, database).
const (
	PlatformX         Platform = "x"
	PlatformInstagram Platform = "instagram"
	PlatformThreads   Platform = "threads"
	PlatformTikTok    Platform = "tiktok"
)

// Platforms lists every supported platform in display order.
var Platforms = []Platform{PlatformInstagram, PlatformThreads, PlatformTikTok, PlatformX}

// Valid reports whether p is a supported platform.
func (p Platform) Valid() bool {
	switch p {
	case PlatformX, PlatformInstagram, PlatformThreads, PlatformTikTok:
		return true
	}
	return false
}

// DisplayName is the platform's name as people write it.
func (p Platform) DisplayName() string {
	switch p {
	case PlatformX:
		return "X"
	case PlatformInstagram:
		return "Instagram"
	case PlatformThreads:
		return "Threads"
	case PlatformTikTok:
		return "TikTok"
	}
	return string(p)
}

// ParsePlatform returns the platform named s or an EINVALID error listing the
// accepted names.
func ParsePlatform(s string) (Platform, error) {
	p := Platform(s)
	if !p.Valid() {
		return "", Errorf(EINVALID, "unknown platform %q: use one of x, instagram, threads, tiktok", s)
	}
	return p, nil
}

// String returns the platform's identifier.
func (p Platform) String() string { return string(p) }

var _ fmt.Stringer = Platform("")
