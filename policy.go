package snsos

import "time"

// PolicyChange records a day the substance of the public privacy policy
// changed: what the running software asks for, collects, keeps or where
// it keeps it (a new permission, a new metric checkpoint, another storage
// backend), never a new host name or a reworded sentence. The policy's
// "last updated" date is the ChangedAt of the newest change.
type PolicyChange struct {
	ID int64 `json:"id"`
	// ChangedAt is when this server first ran with the new substance.
	ChangedAt time.Time `json:"changed_at"`
	// Fingerprint is the SHA-256 (hex) of Substance.
	Fingerprint string `json:"fingerprint"`
	// Substance is the canonical JSON of what the policy states, as the
	// next change is compared against it.
	Substance string `json:"substance"`
	// Items say what changed; none for the policy's first publication.
	Items []PolicyChangeItem `json:"items,omitempty"`
	// SeenAt is when the operator marked the change as seen (zero: not yet;
	// the dashboard lists it and the alert channels send it).
	SeenAt time.Time `json:"seen_at,omitzero"`
}

// PolicyChangeItem is one difference between two versions of the policy's
// substance, as data the public pages put in words in either language.
type PolicyChangeItem struct {
	// What names the kind of change (such as "scope_added"); the web
	// package lists them.
	What     string   `json:"what"`
	Platform Platform `json:"platform,omitempty"`
	// Name is what was added or removed (a scope, a metric) or the name
	// of the setting that changed (a retention rule).
	Name string `json:"name,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// The promises the privacy policy makes about a request to delete data:
// an answer within DeletionReplyWithin and the deletion done within
// DeletionCompleteWithin of its arrival.
const (
	DeletionReplyWithin    = 48 * time.Hour
	DeletionCompleteWithin = 30 * 24 * time.Hour
)
