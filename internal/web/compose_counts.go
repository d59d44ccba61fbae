package web

import (
	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

// composeEntity is one count the counters line shows beside a platform's
// length: Instagram's hashtags (n/30) and @mentions (n/20), Threads' links
// (n/5). what names its message, compose.counter.<what>.
type composeEntity struct {
	what   string
	n, max int
}

// composeEntityCounts returns the counts shown for text on platform p,
// counted as the engine counts them (opts as for rules.Check).
func composeEntityCounts(p snsos.Platform, text string, opts rules.Options) []composeEntity {
	r := rules.Check(p, text, opts)
	switch p {
	case snsos.PlatformInstagram:
		return []composeEntity{{"hashtags", r.Hashtags, rules.InstagramMaxHashtags}, {"mentions", r.Mentions, rules.InstagramMaxMentions}}
	case snsos.PlatformThreads:
		return []composeEntity{{"links", r.Links, rules.ThreadsMaxLinks}}
	}
	return nil
}
