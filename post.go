package snsos

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PostStatus is the state of a post as a whole. It is derived from its
// targets except for drafts that have none.
type PostStatus string

// Post statuses.
const (
	PostDraft      PostStatus = "draft"
	PostApproved   PostStatus = "approved"
	PostScheduled  PostStatus = "scheduled"
	PostPublishing PostStatus = "publishing" // at least one target in flight
	PostPublished  PostStatus = "published"  // every target published
	PostPartial    PostStatus = "partial"    // some published, some not
	PostFailed     PostStatus = "failed"     // no target published and at least one failed
	PostAttention  PostStatus = "attention"  // a target is unknown or needs the operator
	PostCanceled   PostStatus = "canceled"
)

// Post is something the operator wants said, once, on one or more accounts.
// Each account it goes to is a Target.
type Post struct {
	ID       int64      `json:"id"`
	Status   PostStatus `json:"status"`
	Body     string     `json:"body"`
	MediaIDs []int64    `json:"media_ids"`
	// MediaAlt is the alt text (a description for screen readers) of
	// media items, by media id; items without one are absent.
	MediaAlt    map[int64]string `json:"media_alt,omitempty"`
	ScheduledAt time.Time        `json:"scheduled_at,omitzero"`
	ApprovedAt  time.Time        `json:"approved_at,omitzero"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	Targets     []*Target        `json:"targets"`
}

// MaxAltTextBytes bounds one media item's alt text before any platform
// rule applies (X takes 1,000 characters).
const MaxAltTextBytes = 8 << 10

// MaxBodyBytes bounds a post body (and a target override) before any
// platform rule applies; no platform accepts more.
const MaxBodyBytes = 64 << 10

// Validate reports the problems with a post as typed, before platform rules.
func (p *Post) Validate() error {
	var v ValidationErrors
	if len(p.Body) > MaxBodyBytes {
		v.Add("body", "max_bytes", "the body is longer than %d bytes", MaxBodyBytes)
	}
	if strings.TrimSpace(p.Body) == "" && !p.hasContent() {
		v.Add("body", "required", "write something or attach media")
	}
	for _, id := range slices.Sorted(maps.Keys(p.MediaAlt)) {
		field := "media_alt[" + strconv.FormatInt(id, 10) + "]"
		switch {
		case !slices.Contains(p.MediaIDs, id):
			v.Add(field, "attached", "media %d is not attached to the post; alt text describes an attached item", id)
		case len(p.MediaAlt[id]) > MaxAltTextBytes:
			v.Add(field, "max_bytes", "the alt text is longer than %d bytes", MaxAltTextBytes)
		}
	}
	seen := map[int64]bool{}
	for i, t := range p.Targets {
		if t.AccountID <= 0 {
			v.Add(indexField("targets", i, "account_id"), "required", "choose an account")
		} else if seen[t.AccountID] {
			v.Add(indexField("targets", i, "account_id"), "duplicate", "this account is already a target of the post")
		}
		seen[t.AccountID] = true
		if len(t.Body) > MaxBodyBytes {
			v.Add(indexField("targets", i, "body"), "max_bytes", "the body is longer than %d bytes", MaxBodyBytes)
		}
		p.validateTargetMedia(&v, i, t)
	}
	return v.Err()
}

// hasContent reports whether the post, without its body, still gives some
// target something to publish: a text of its own, thread parts or media.
// A post without targets has content when it has media.
func (p *Post) hasContent() bool {
	if len(p.Targets) == 0 {
		return len(p.MediaIDs) > 0
	}
	for _, t := range p.Targets {
		if _, thread := t.Options["parts"]; thread || strings.TrimSpace(t.Body) != "" || len(p.MediaFor(t)) > 0 {
			return true
		}
	}
	return false
}

// validateTargetMedia checks target i's own media list: each id at most
// once, and only media the post carries.
func (p *Post) validateTargetMedia(v *ValidationErrors, i int, t *Target) {
	field := indexField("targets", i, "media_ids")
	seen := make(map[int64]bool, len(t.MediaIDs))
	for _, id := range t.MediaIDs {
		switch {
		case seen[id]:
			v.Add(field, "duplicate", "media %d is listed twice; a target uses each media item at most once", id)
		case !slices.Contains(p.MediaIDs, id):
			v.Add(field, "attached", "media %d is not attached to the post; a target can only use the post's media (media_ids)", id)
		}
		seen[id] = true
	}
}

// MediaFor returns the ids of the media target t publishes, in order: its
// own list when it has one (possibly empty: no media on that target), else
// the post's media.
func (p *Post) MediaFor(t *Target) []int64 {
	if t.MediaIDs != nil {
		return t.MediaIDs
	}
	return p.MediaIDs
}

// TextFor returns the text to publish on target t: its override, else the
// post body.
func (p *Post) TextFor(t *Target) string {
	if t.Body != "" {
		return t.Body
	}
	return p.Body
}

// AltFor returns the alt text of media item id ("" if none).
func (p *Post) AltFor(id int64) string { return p.MediaAlt[id] }
