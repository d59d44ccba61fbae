package api

import (
	"context"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
)

// The response shapes. They are the API contract (design.md section 7):
// fields may be added, never renamed. Times are in the operator's zone and
// left out when unset; lists are never null.

type accountJSON struct {
	ID           int64             `json:"id"`
	Platform     snsos.Platform    `json:"platform"`
	Handle       string            `json:"handle"`
	RemoteID     string            `json:"remote_id"`
	DisplayName  string            `json:"display_name"`
	AvatarURL    string            `json:"avatar_url,omitempty"`
	Status       string            `json:"status"`
	StatusReason string            `json:"status_reason,omitempty"`
	Options      map[string]string `json:"options,omitempty"`
	CreatedAt    time.Time         `json:"created_at,omitzero"`
	UpdatedAt    time.Time         `json:"updated_at,omitzero"`
}

type mediaJSON struct {
	ID         int64     `json:"id"`
	Mime       string    `json:"mime"`
	Size       int64     `json:"size"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	DurationMS int64     `json:"duration_ms"`
	SHA256     string    `json:"sha256"`
	FrameRate  float64   `json:"frame_rate,omitempty"`
	Codec      string    `json:"codec,omitempty"`
	Filename   string    `json:"filename,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// URL is a signed public link to the file (GET of one media only,
	// when links are configured), working until URLExpires.
	URL        string    `json:"url,omitempty"`
	URLExpires time.Time `json:"url_expires,omitzero"`
}

type postJSON struct {
	ID       int64   `json:"id"`
	Status   string  `json:"status"`
	Body     string  `json:"body"`
	MediaIDs []int64 `json:"media_ids"`
	// MediaAlt is the alt text of media items by media id; omitted when
	// no item has one.
	MediaAlt    map[int64]string `json:"media_alt,omitempty"`
	ScheduledAt time.Time        `json:"scheduled_at,omitzero"`
	ApprovedAt  time.Time        `json:"approved_at,omitzero"`
	CreatedAt   time.Time        `json:"created_at,omitzero"`
	UpdatedAt   time.Time        `json:"updated_at,omitzero"`
	Targets     []targetJSON     `json:"targets"`
}

type targetJSON struct {
	ID        int64          `json:"id"`
	PostID    int64          `json:"post_id"`
	AccountID int64          `json:"account_id"`
	Platform  snsos.Platform `json:"platform"`
	State     string         `json:"state"`
	Body      string         `json:"body,omitempty"`
	Options   map[string]any `json:"options,omitempty"`
	// MediaIDs is the target's own media: absent for the post's media,
	// [] for none (omitzero keeps the two apart).
	MediaIDs    []int64           `json:"media_ids,omitzero"`
	Progress    map[string]string `json:"progress,omitempty"`
	RemoteID    string            `json:"remote_id"`
	RemoteURL   string            `json:"remote_url"`
	ScheduledAt time.Time         `json:"scheduled_at,omitzero"`
	PublishedAt time.Time         `json:"published_at,omitzero"`
	Error       string            `json:"error"`
	Preflight   string            `json:"preflight"`
	PreflightAt time.Time         `json:"preflight_at,omitzero"`
	UpdatedAt   time.Time         `json:"updated_at,omitzero"`
	// Partial marks a published thread some of whose parts did not go
	// out; Parts (targets of more than one part only) says which did.
	Partial bool       `json:"partial"`
	Parts   []partJSON `json:"parts,omitempty"`
	// Inbox marks a TikTok video delivered to the account's inbox, and
	// InboxState says where it stands (publish.InboxState): "waiting",
	// "posted" or "not_posted".
	Inbox      bool   `json:"inbox,omitempty"`
	InboxState string `json:"inbox_state,omitempty"`
	// AttemptCount is how many publication attempts were made; Attempts
	// lists them (left out of post lists, always present elsewhere).
	AttemptCount int            `json:"attempt_count"`
	Attempts     []attemptJSON  `json:"attempts,omitzero"`
	Metrics      []snapshotJSON `json:"metrics"`
}

// partJSON is one part of a thread target: "published" with its remote id
// when the platform returned one, "not_published" when it did not go out,
// "unknown" while it may be live without sns-os knowing its id (the
// outcome is being confirmed or waits for the operator, or the operator
// marked the thread published by the link of its first part).
type partJSON struct {
	N        int    `json:"n"`
	RemoteID string `json:"remote_id,omitempty"`
	State    string `json:"state"`
}

// The states of a part.
const (
	partPublished    = "published"
	partNotPublished = "not_published"
	partUnknown      = "unknown"
)

// partsView lists the parts of t (nil for a target of one part). p is the
// target's post, or nil when it was not read: the number of parts comes
// from the target's own options either way.
func partsView(p *snsos.Post, t *snsos.Target) []partJSON {
	if p == nil {
		p = &snsos.Post{}
	}
	texts, err := publish.Parts(p, t)
	if err != nil || len(texts) < 2 {
		return nil
	}
	// A part without an id did not go out unless the target may be live
	// with parts unrecorded.
	missing := partNotPublished
	if t.State.MayBeLive() && !(t.State == snsos.StatePublished && t.Partial) {
		missing = partUnknown
	}
	out := make([]partJSON, len(texts))
	for i := range texts {
		n := i + 1
		out[i] = partJSON{N: n, State: missing}
		if id := t.Progress[platform.PartIDKey(n)]; id != "" {
			out[i].RemoteID, out[i].State = id, partPublished
		}
	}
	return out
}

type attemptJSON struct {
	ID         int64     `json:"id"`
	Number     int       `json:"number"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail"`
	Error      string    `json:"error"`
}

type snapshotJSON struct {
	ID         int64            `json:"id"`
	TargetID   int64            `json:"target_id"`
	Checkpoint string           `json:"checkpoint"`
	Status     string           `json:"status"`
	Reason     string           `json:"reason,omitempty"`
	FetchedAt  time.Time        `json:"fetched_at,omitzero"`
	Values     map[string]int64 `json:"values"`
}

type connectJSON struct {
	AuthorizeURL string `json:"authorize_url"`
}

// at converts t to the operator's zone (zero stays zero, and is omitted).
func (a *API) at(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.In(a.loc)
}

func (a *API) accountView(x *snsos.Account) accountJSON {
	return accountJSON{
		ID: x.ID, Platform: x.Platform, Handle: x.Handle, RemoteID: x.RemoteID, DisplayName: x.DisplayName,
		AvatarURL: x.AvatarURL, Status: string(x.Status), StatusReason: x.StatusReason, Options: x.Options,
		CreatedAt: a.at(x.CreatedAt), UpdatedAt: a.at(x.UpdatedAt),
	}
}

func (a *API) mediaView(m *snsos.MediaRef) mediaJSON {
	return mediaJSON{
		ID: m.ID, Mime: m.Mime, Size: m.Size, Width: m.Width, Height: m.Height, DurationMS: m.DurationMS,
		SHA256: m.SHA256, FrameRate: m.FrameRate, Codec: m.Codec, Filename: m.Filename, CreatedAt: a.at(m.CreatedAt),
	}
}

func (a *API) snapshotView(m *snsos.MetricSnapshot) snapshotJSON {
	values := make(map[string]int64, len(m.Values)+4)
	for k, v := range m.Values {
		values[k] = v
	}
	if m.Status == snsos.SnapshotOK {
		// The standard metrics are present for every platform.
		for _, k := range []string{snsos.MetricViews, snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares} {
			if _, ok := values[k]; !ok {
				values[k] = 0
			}
		}
	}
	return snapshotJSON{
		ID: m.ID, TargetID: m.TargetID, Checkpoint: string(m.Checkpoint), Status: string(m.Status), Reason: m.Reason,
		FetchedAt: a.at(m.FetchedAt), Values: values,
	}
}

// targetView renders t of post p (nil when not read) with its metrics and
// parts, and with attempts when withAttempts is set (post lists leave the
// attempts list out).
func (a *API) targetView(p *snsos.Post, t *snsos.Target, attempts []*snsos.Attempt, withAttempts bool) targetJSON {
	v := targetJSON{
		ID: t.ID, PostID: t.PostID, AccountID: t.AccountID, Platform: t.Platform, State: string(t.State),
		Body: t.Body, Options: t.Options, MediaIDs: t.MediaIDs, Progress: shownProgress(t.Progress), RemoteID: t.RemoteID, RemoteURL: t.RemoteURL,
		ScheduledAt: a.at(t.ScheduledAt), PublishedAt: a.at(t.PublishedAt), Error: t.Error,
		Preflight: t.Preflight, PreflightAt: a.at(t.PreflightAt), UpdatedAt: a.at(t.UpdatedAt),
		Partial: t.Partial, Parts: partsView(p, t),
		AttemptCount: t.Attempts, Metrics: make([]snapshotJSON, 0, len(t.Metrics)),
	}
	for _, m := range t.Metrics {
		v.Metrics = append(v.Metrics, a.snapshotView(m))
	}
	if st := publish.InboxState(t); st != "" {
		v.Inbox, v.InboxState = true, st
	}
	if withAttempts {
		v.Attempts = make([]attemptJSON, 0, len(attempts))
		for _, x := range attempts {
			v.Attempts = append(v.Attempts, attemptJSON{
				ID: x.ID, Number: x.Number, StartedAt: a.at(x.StartedAt), FinishedAt: a.at(x.FinishedAt),
				Outcome: string(x.Outcome), Detail: x.Detail, Error: x.Error,
			})
		}
	}
	return v
}

func (a *API) postView(p *snsos.Post, attempts map[int64][]*snsos.Attempt, withAttempts bool) postJSON {
	v := postJSON{
		ID: p.ID, Status: string(p.Status), Body: p.Body, MediaIDs: p.MediaIDs, MediaAlt: p.MediaAlt,
		ScheduledAt: a.at(p.ScheduledAt), ApprovedAt: a.at(p.ApprovedAt),
		CreatedAt: a.at(p.CreatedAt), UpdatedAt: a.at(p.UpdatedAt),
		Targets: make([]targetJSON, 0, len(p.Targets)),
	}
	if v.MediaIDs == nil {
		v.MediaIDs = []int64{}
	}
	for _, t := range p.Targets {
		v.Targets = append(v.Targets, a.targetView(p, t, attempts[t.ID], withAttempts))
	}
	return v
}

// postDetail renders a post with every target's attempts.
func (a *API) postDetail(ctx context.Context, p *snsos.Post) (postJSON, error) {
	attempts := make(map[int64][]*snsos.Attempt, len(p.Targets))
	for _, t := range p.Targets {
		as, err := a.store.ListAttempts(ctx, t.ID)
		if err != nil {
			return postJSON{}, err
		}
		attempts[t.ID] = as
	}
	return a.postView(p, attempts, true), nil
}

// targetDetail renders a target with its attempts and metric snapshots,
// read from the store (an engine's answer may not carry them).
func (a *API) targetDetail(ctx context.Context, t *snsos.Target) (targetJSON, error) {
	attempts, err := a.store.ListAttempts(ctx, t.ID)
	if err != nil {
		return targetJSON{}, err
	}
	snaps, err := a.store.ListSnapshots(ctx, t.ID)
	if err != nil {
		return targetJSON{}, err
	}
	tc := *t
	tc.Metrics = snaps
	return a.targetView(nil, &tc, attempts, true), nil
}

// shownProgress is a target's progress as the API shows it: without the
// keys that hold a platform's upload address (TikTok's upload_url carries
// a one-hour upload token, a capability, not an id).
func shownProgress(p map[string]string) map[string]string {
	var out map[string]string
	for k, v := range p {
		if strings.HasSuffix(k, "upload_url") {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(p))
		}
		out[k] = v
	}
	return out
}
