package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
)

// progressFacts are what the words about a target's publication are made
// of: all read from the target and its post, nothing from the platform.
type progressFacts struct {
	Platform snsos.Platform
	State    snsos.TargetState
	// Progress is the target's saved progress (see the keys documented in
	// the instagram and threads packages).
	Progress map[string]string
	// Error is the target's last problem, as the engine wrote it.
	Error string
	// Kind is the media type the target publishes (IMAGE, CAROUSEL,
	// REELS, STORIES, VIDEO, TEXT), "" when unknown.
	Kind string
	// Items is how many media items the target publishes; Parts how many
	// parts its thread has (1 for a single post).
	Items, Parts int
	// Due is when a waiting target is tried again, in the page's words
	// ("" when unknown).
	Due string
	// FirstComment: the target asks for a first comment (Instagram).
	FirstComment bool
}

// progressFacts gathers what publishProgress reads about target t of post:
// its media type is only worked out while an Instagram or Threads target
// publishes (it names the step).
func (h *Handler) progressFacts(ctx context.Context, p *page, post *snsos.Post, t *snsos.Target, now time.Time) progressFacts {
	f := progressFacts{Platform: t.Platform, State: t.State, Progress: t.Progress, Error: t.Error,
		Items: len(post.MediaFor(t)), Parts: 1}
	if c, _ := t.Options["first_comment"].(string); strings.TrimSpace(c) != "" {
		f.FirstComment = true
	}
	if texts, err := publish.Parts(post, t); err == nil && len(texts) > 0 {
		f.Parts = len(texts)
	}
	if t.State == snsos.StateRetryWait && !t.DueAt.IsZero() {
		f.Due = shortTime(p.lang, t.DueAt.In(h.location()), now)
	}
	if t.State == snsos.StatePublishing && isMeta(t.Platform) {
		f.Kind = h.mediaKind(ctx, post, t)
	}
	return f
}

// mediaKind is the media type target t publishes (rules.MediaType on its
// media), "" when the platform has none or a media item cannot be read.
func (h *Handler) mediaKind(ctx context.Context, post *snsos.Post, t *snsos.Target) string {
	ids := post.MediaFor(t)
	refs := make([]snsos.MediaRef, 0, len(ids))
	for _, id := range ids {
		if h.cfg.Media == nil {
			return ""
		}
		m, err := h.cfg.Media.Get(ctx, id)
		if err != nil {
			return ""
		}
		refs = append(refs, *m)
	}
	kind, err := rules.MediaType(t.Platform, t.Options, refs)
	if err != nil {
		return ""
	}
	return kind
}

// progressNote is a target's publication in plain words (Text), and the
// platform's own words behind it (Detail, English), if any.
type progressNote struct{ Text, Detail string }

// publishProgress says where the publication of a target stands, for the
// post page and the dashboard: a used-up publishing quota it waits for, the
// step Instagram or Threads is at while it publishes, the parts of a
// Threads chain already out, or what became of Instagram's first comment.
// It is pure: the same facts and language give the same words; an empty
// note when there is nothing to add to the state's badge.
func publishProgress(tr *translator, f progressFacts) progressNote {
	pl := f.Platform.DisplayName()
	if f.State == snsos.StateRetryWait && quotaUsedUp(f.Error) {
		if f.Due != "" {
			return progressNote{Text: tr.T("progress.quota.at", "Platform", pl, "Time", f.Due)}
		}
		return progressNote{Text: tr.T("progress.quota", "Platform", pl)}
	}
	get := func(k string) string { return f.Progress[k] }
	switch f.Platform {
	case snsos.PlatformInstagram:
		if f.State == snsos.StatePublished {
			return igCommentNote(tr, f.FirstComment, get)
		}
		if f.State == snsos.StatePublishing {
			return progressNote{Text: igStep(tr, f, get)}
		}
	case snsos.PlatformThreads:
		return progressNote{Text: thStep(tr, f, get)}
	}
	return progressNote{}
}

// quotaMarkers are the words of a wait for a used-up 24-hour publishing
// quota: the engine's ("…'s publishing limit for @h is used up") and
// Meta's (Instagram's code 9/2207042, Threads' "… in the last 24 hours").
var quotaMarkers = []string{"publishing limit", "2207042", "maximum number of posts", "in the last 24 hours"}

// quotaUsedUp reports whether a target's problem is a used-up publishing
// quota.
func quotaUsedUp(errText string) bool {
	low := strings.ToLower(errText)
	for _, m := range quotaMarkers {
		if strings.Contains(low, m) {
			return true
		}
	}
	return false
}

// igStep is the step an Instagram publication is at: the publish call
// sent, the post's container processing, the carousel's items arriving,
// or nothing made yet.
func igStep(tr *translator, f progressFacts, get func(string) string) string {
	pl := f.Platform.DisplayName()
	g := 1
	if n, err := strconv.Atoi(get(instagram.KeyGeneration)); err == nil && n > 1 {
		g = n
	}
	kind := f.Kind
	if k := get("media_type"); k != "" {
		kind = k
	}
	switch {
	case get("g"+strconv.Itoa(g)+".publish_sent") != "":
		return tr.T("progress.confirming", "Platform", pl)
	case get(instagram.ContainerKey(g)) != "":
		return tr.T(processingID(kind), "Platform", pl)
	case kind == instagram.MediaCarousel && f.Items > 0:
		done := 0
		for i := 1; i <= f.Items; i++ {
			if get(instagram.ItemKey(g, i)) != "" {
				done++
			}
		}
		return tr.T("progress.carousel", "Platform", pl, "Done", done, "Total", f.Items)
	}
	return tr.T("progress.sending", "Platform", pl)
}

// igCommentNote says what became of the first comment of a published
// Instagram post ("" when it had none).
func igCommentNote(tr *translator, asked bool, get func(string) string) progressNote {
	switch {
	case asked && get(instagram.KeyCommentSent) == "" && get(instagram.KeyCommentError) == "":
		// The post was confirmed by reconciliation after its answer was
		// lost: the comment step never ran.
		return progressNote{Text: tr.T("progress.comment.missing")}
	case get(instagram.KeyCommentError) != "":
		return progressNote{Text: tr.T("progress.comment.failed"), Detail: get(instagram.KeyCommentError)}
	case get(instagram.KeyCommentID) != "":
		return progressNote{Text: tr.T("progress.comment.ok")}
	case get(instagram.KeyCommentSent) != "":
		return progressNote{Text: tr.T("progress.comment.unconfirmed")}
	}
	return progressNote{}
}

// thStep is where a Threads publication stands: the parts of a chain
// already out, else the first part's step while it publishes.
func thStep(tr *translator, f progressFacts, get func(string) string) string {
	if f.State != snsos.StatePublishing && f.State != snsos.StateRetryWait {
		return ""
	}
	done := 0
	for done < f.Parts && get(platform.PartIDKey(done+1)) != "" {
		done++
	}
	if done > 0 && done < f.Parts {
		if f.State == snsos.StateRetryWait {
			return tr.T("progress.parts.waiting", "Done", done, "Total", f.Parts)
		}
		return tr.T("progress.parts", "Done", done, "Total", f.Parts)
	}
	if f.State != snsos.StatePublishing || done > 0 {
		return ""
	}
	pl := f.Platform.DisplayName()
	g, err := strconv.Atoi(get(threads.GenKey(1)))
	if err != nil || g < 1 {
		g = 1
	}
	switch {
	case get(threads.PublishSentKey(1, g)) != "":
		return tr.T("progress.confirming", "Platform", pl)
	case get(threads.ContainerKey(1, g)) != "":
		return tr.T(processingID(f.Kind), "Platform", pl)
	case f.Kind == threads.MediaCarousel && f.Items > 0:
		n := 0
		for m := 1; m <= f.Items; m++ {
			if get(threads.ItemKey(1, g, m)) != "" {
				n++
			}
		}
		return tr.T("progress.carousel", "Platform", pl, "Done", n, "Total", f.Items)
	}
	return tr.T("progress.sending", "Platform", pl)
}

// processingID is the message saying the platform is processing a post of
// media type kind.
func processingID(kind string) string {
	switch strings.ToUpper(kind) {
	case "IMAGE":
		return "progress.processing.image"
	case "VIDEO", "REELS":
		return "progress.processing.video"
	case "CAROUSEL":
		return "progress.processing.carousel"
	case "STORIES":
		return "progress.processing.story"
	}
	return "progress.processing.post"
}
