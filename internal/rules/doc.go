// Package rules holds the per-platform rules a post must meet before it
// can be approved: how each platform counts the length of a text (X's
// weighted count from twitter-text v3, Threads' count with emoji as UTF-8
// bytes, TikTok's UTF-16 units), its other text limits (hashtags, mentions,
// links, topic tags, cashtags), what media it accepts (MediaRules), and what a
// post on X will cost.
//
// Check and CheckMedia never fail: they return the broken rules as
// snsos.FieldError values whose Message is written for the operator and whose
// Rule is a stable machine name. Check's Result is the JSON contract of
// "sns-os lint --json" and of the compose page's live counters.
//
// The numbers come from docs/platforms/meta-instagram-threads.md and
// docs/platforms/tiktok-x.md; each rule cites its section. Where those
// documents mark a fact as unverified, the rule errs on the side of letting a
// post through.
package rules
