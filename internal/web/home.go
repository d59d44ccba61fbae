package web

import (
	"context"
	"net/http"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store"
)

// The dashboard (ui-guide §2 "Home"): Needs attention (only when
// something does), Next up with this week's estimated X cost, Recent
// results with their +24h numbers, and the account strip.
type homeData struct {
	Attention []attentionRow
	// AttentionTotal counts every item; AttentionMore those past the
	// homeAttention shown, with a link to the filtered post list.
	AttentionTotal, AttentionMore int
	// Publishing lists the targets being published or waiting to be
	// tried again, each with where it stands in words.
	Publishing []progressRow
	Next       []nextRow
	Cost       string // this week's estimated X cost, in words ("" when nothing is scheduled on X)
	Recent     []recentRow
	Accounts   []accountRow
	// NoAccounts and NoPosts select the empty states.
	NoAccounts, NoPosts bool
}

type accountRow struct {
	ID                                    int64
	Platform, Handle, Status, Class, Icon string
	Initial                               string // the badge without a stored picture: the handle's first letter
	HasAvatar                             bool   // sns-os serves the account's picture (no remote images: CSP)
}

// targetRow is one target in a list of posts (the posts page uses it).
type targetRow struct {
	Platform, Handle, State, Class, Icon string
}

type attentionRow struct {
	Badge, Class, Icon string
	Text               string // what happened, in the page's language
	Detail             string // the platform's last words (English), when any
	Excerpt, PostHref  string
	Action             string // button label
	ActionPath         string
	ActionPOST         bool
	Subject            string // names the row for screen readers ("X @main")
}

// progressRow is a target on its way to the platform.
type progressRow struct {
	Platform, Handle, State, Class, Icon string
	Excerpt, Href                        string
	Progress, Detail                     string
}

type nextRow struct {
	Time, TimeISO, Countdown string
	Platform, Handle         string
	Excerpt, Href            string
}

type recentRow struct {
	Time, TimeISO                  string
	Platform, Handle               string
	Excerpt, Href, Permalink       string
	Views, Likes, Comments, Shares string
	// Note says more about the publication (Instagram's first comment).
	Note string
	// Pending is set (to the words) when the +24h numbers are not in yet.
	Pending string
}

// Dashboard sizes.
const (
	homeNext       = 5
	homeRecent     = 5
	homePublishing = 10
	// homeAttention bounds the attention rows: the dashboard says how many
	// more there are and links to the list of posts needing attention.
	homeAttention = 10
)

// stateIcons are the badge icons of ui-guide §4 (the word is always shown
// too; colour is never the only signal).
var stateIcons = map[snsos.TargetState]string{
	snsos.StateDraft: "✎", snsos.StateApproved: "✓", snsos.StateScheduled: "◷", snsos.StatePublishing: "…",
	snsos.StateRetryWait: "↻", snsos.StateUnknown: "?", snsos.StateNeedsOperator: "!", snsos.StatePublished: "✔",
	snsos.StateFailed: "✕", snsos.StateCanceled: "⊘",
}

var accountIcons = map[snsos.AccountStatus]string{
	snsos.AccountConnected: "✔", snsos.AccountNeedsReauth: "!", snsos.AccountRevoked: "⊘",
}

// attentionBadges are the badge class and icon of each kind of item.
var attentionBadges = map[attention.Kind][2]string{
	attention.Failed: {"s-failed", "✕"}, attention.NeedsOperator: {"s-needs_operator", "!"}, attention.Unknown: {"s-unknown", "?"},
	attention.NeedsReauth: {"a-needs_reauth", "!"}, attention.Revoked: {"a-revoked", "⊘"}, attention.TokenExpiring: {"s-retry_wait", "◷"},
	attention.AtRisk: {"s-needs_operator", "!"},
}

func (h *Handler) handleHome(w http.ResponseWriter, r *http.Request) {
	d := &homeData{}
	p := h.newPage(r, "home.title", true, d)
	if err := h.buildHome(r.Context(), p, d); err != nil {
		h.pageError(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "home", p)
}

// buildHome fills the dashboard: accounts, attention, next up, recent
// results and the empty states.
func (h *Handler) buildHome(ctx context.Context, p *page, d *homeData) error {
	now := h.now()
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		return failed("list accounts", err)
	}
	handles := handlesOf(accts)
	avatars := h.avatarIDs(ctx)
	for _, a := range accts {
		d.Accounts = append(d.Accounts, accountRow{ID: a.ID, Platform: a.Platform.DisplayName(), Handle: a.Handle, Initial: monogram(a.Handle),
			Status: p.T("account." + string(a.Status)), Class: "a-" + string(a.Status), Icon: accountIcons[a.Status],
			HasAvatar: avatars[a.ID]})
	}
	d.NoAccounts = len(accts) == 0

	// Needs attention.
	items, total, err := attention.Head(ctx, h.store, now, attention.Options{Archive: h.cfg.Archive}, homeAttention)
	if err != nil {
		return failed("compute attention", err)
	}
	d.AttentionTotal, d.AttentionMore = total, total-len(items)
	for _, it := range items {
		d.Attention = append(d.Attention, h.attentionRow(p, it, now))
	}

	if d.Publishing, err = h.homePublishing(ctx, p, handles, now); err != nil {
		return err
	}
	if err := h.homeNext(ctx, p, d, handles, now); err != nil {
		return err
	}
	if d.Recent, err = h.homeRecent(ctx, p, handles, now); err != nil {
		return err
	}
	if len(d.Next) == 0 && len(d.Recent) == 0 {
		some, err := h.store.ListPosts(ctx, store.PostFilter{Limit: 1})
		if err != nil {
			return failed("list posts", err)
		}
		d.NoPosts = len(some) == 0
	}
	return nil
}

// homePublishing lists the targets being published or waiting to be
// tried again (oldest time first), with where each stands.
func (h *Handler) homePublishing(ctx context.Context, p *page, handles map[int64]string, now time.Time) ([]progressRow, error) {
	targets, err := h.store.ListTargetsInRange(ctx, store.TargetRange{
		States: []snsos.TargetState{snsos.StatePublishing, snsos.StateRetryWait}, Limit: homePublishing})
	if err != nil {
		return nil, failed("list publishing", err)
	}
	nowLocal := now.In(h.location())
	posts := map[int64]*snsos.Post{}
	var rows []progressRow
	for _, t := range targets {
		ps, ok := posts[t.PostID]
		if !ok {
			if ps, err = h.store.FindPostByID(ctx, t.PostID); err != nil {
				return nil, failed("find post", err)
			}
			posts[t.PostID] = ps
		}
		note := publishProgress(p.translator, h.progressFacts(ctx, p, ps, t.Target, nowLocal))
		rows = append(rows, progressRow{Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID],
			State: h.stateWord(p, t.Target, nowLocal), Class: "s-" + string(t.State), Icon: stateIcons[t.State],
			Excerpt: h.excerptOr(p, ps.TextFor(t.Target)), Href: postHref(t.PostID), Progress: note.Text, Detail: note.Detail})
	}
	return rows, nil
}

// homeNext fills Next up, and this week's X cost: what is scheduled up to
// a week ahead (overdue ones included), else the next few after that.
func (h *Handler) homeNext(ctx context.Context, p *page, d *homeData, handles map[int64]string, now time.Time) error {
	loc := h.location()
	nowLocal := now.In(loc)
	weekEnd := now.Add(7 * 24 * time.Hour)
	scheduled := []snsos.TargetState{snsos.StateScheduled}
	week, err := h.store.ListTargetsInRange(ctx, store.TargetRange{To: weekEnd, States: scheduled})
	if err != nil {
		return failed("list scheduled", err)
	}
	next := week
	if len(next) < homeNext {
		later, err := h.store.ListTargetsInRange(ctx, store.TargetRange{From: weekEnd, States: scheduled, Limit: homeNext - len(next)})
		if err != nil {
			return failed("list scheduled", err)
		}
		next = append(next[:len(next):len(next)], later...)
	}
	for _, t := range next[:min(len(next), homeNext)] {
		local := t.ScheduledAt.In(loc)
		text := t.Body
		if text == "" {
			text = t.PostBody
		}
		row := nextRow{Time: shortTime(p.lang, local, nowLocal), TimeISO: t.ScheduledAt.UTC().Format(time.RFC3339),
			Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID], Href: postHref(t.PostID),
			Excerpt: h.excerptOr(p, text)}
		if left := t.ScheduledAt.Sub(now); left >= 30*time.Second {
			row.Countdown = p.T("home.next.in", "Dur", duration(p.lang, left))
		} else {
			row.Countdown = p.T("home.next.due")
		}
		d.Next = append(d.Next, row)
	}
	switch cost := h.weekXCost(week); {
	case cost.PostsWithURL > 0:
		d.Cost = p.T("home.cost.links", "USD", usd(cost.USD), "Count", cost.Posts, "Links", cost.PostsWithURL)
	case cost.Posts > 0:
		d.Cost = p.T("home.cost", "USD", usd(cost.USD), "Count", cost.Posts)
	}
	return nil
}

// weekXCost is the estimated X cost of the scheduled targets in week.
func (h *Handler) weekXCost(week []*store.DatedTarget) rules.Cost {
	var cost rules.Cost
	for _, t := range week {
		if t.Platform != snsos.PlatformX {
			continue
		}
		if parts, err := publish.Parts(&snsos.Post{Body: t.PostBody}, t.Target); err == nil {
			c := rules.EstimateXCost(parts, h.cfg.XPrices)
			cost.Posts, cost.PostsWithURL, cost.USD = cost.Posts+c.Posts, cost.PostsWithURL+c.PostsWithURL, cost.USD+c.USD
		}
	}
	return cost
}

// homeRecent is the Recent results rows, with their +24h numbers.
func (h *Handler) homeRecent(ctx context.Context, p *page, handles map[int64]string, now time.Time) ([]recentRow, error) {
	loc := h.location()
	nowLocal := now.In(loc)
	recent, err := h.store.ListRecentlyPublished(ctx, homeRecent)
	if err != nil {
		return nil, failed("list published", err)
	}
	posts := map[int64]*snsos.Post{}
	var rows []recentRow
	for _, t := range recent {
		ps, ok := posts[t.PostID]
		if !ok {
			if ps, err = h.store.FindPostByID(ctx, t.PostID); err != nil {
				return nil, failed("find post", err)
			}
			posts[t.PostID] = ps
		}
		row := recentRow{Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID], Href: postHref(t.PostID),
			Permalink: safeURL(t.RemoteURL), Excerpt: h.excerptOr(p, ps.TextFor(t))}
		row.Note = publishProgress(p.translator, h.progressFacts(ctx, p, ps, t, nowLocal)).Text
		if !t.PublishedAt.IsZero() {
			row.Time, row.TimeISO = shortTime(p.lang, t.PublishedAt.In(loc), nowLocal), t.PublishedAt.UTC().Format(time.RFC3339)
		}
		snaps, err := h.store.ListSnapshots(ctx, t.ID)
		if err != nil {
			return nil, failed("list snapshots", err)
		}
		row.Pending = p.T("home.recent.pending")
		for _, m := range snaps {
			if m.Checkpoint != snsos.Checkpoint24h {
				continue
			}
			if m.Status == snsos.SnapshotUnavailable {
				row.Pending = p.T("metrics.unavailable")
				break
			}
			row.Pending = ""
			row.Views, row.Likes, row.Comments, row.Shares = metricValue(m, snsos.MetricViews), metricValue(m, snsos.MetricLikes),
				metricValue(m, snsos.MetricComments), metricValue(m, snsos.MetricShares)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// attentionRow puts an attention item in the page's words.
func (h *Handler) attentionRow(p *page, it attention.Item, now time.Time) attentionRow {
	b := attentionBadges[it.Kind]
	row := attentionRow{Class: b[0], Icon: b[1], Badge: p.T("home.attn.badge." + string(it.Kind)), Excerpt: it.Excerpt,
		PostHref: it.PostPath, ActionPath: it.Action.Path, ActionPOST: it.Action.POST}
	pl := it.Platform.DisplayName()
	handle := it.Handle
	if handle == "" {
		handle = "?"
	}
	row.Subject = pl + " @" + handle
	if it.PostPath != "" && row.Excerpt == "" {
		row.Excerpt = p.T("post.notext")
	}
	args := []any{"Platform", pl, "Handle", handle}
	switch it.Kind {
	case attention.Failed:
		row.Text, row.Detail = p.T("home.attn.failed", args...), it.Error
	case attention.NeedsOperator:
		row.Text = p.T("home.attn.needs_operator", args...)
	case attention.Unknown:
		row.Text = p.T("home.attn.unknown", append(args, "Dur", duration(p.lang, now.Sub(it.Since)))...)
	case attention.NeedsReauth:
		if it.Pending == 0 {
			row.Text = p.T("home.attn.needs_reauth.idle", args...)
		} else {
			row.Text = p.T("home.attn.needs_reauth", append(args, "Count", it.Pending)...)
		}
	case attention.Revoked:
		row.Text = p.T("home.attn.revoked", append(args, "Count", it.Pending)...)
	case attention.TokenExpiring:
		if it.At.After(now) {
			row.Text = p.T("home.attn.token_expiring", append(args, "Date", longDate(p.lang, it.At.In(h.location())), "Dur", duration(p.lang, it.At.Sub(now)))...)
		} else {
			row.Text = p.T("home.attn.token_expired", args...)
		}
	case attention.AtRisk:
		row.Text = p.T("home.attn.at_risk", append(args, "Time", shortTime(p.lang, it.At.In(h.location()), now.In(h.location())))...)
	case attention.Deletion, attention.Contact, attention.PolicyChanged:
		h.siteAttentionRow(p, it, now, &row) // inbox.go
	case attention.AccessRemoved, attention.Purge:
		h.removalAttentionRow(p, it, now, &row) // deletion.go
	case attention.ArchiveFailing:
		archiveAttentionRow(p, it, now, &row) // home_archive.go
	}
	row.Action = p.T("home.action." + string(it.Action.Kind))
	return row
}

// excerptOr is the dashboard excerpt of a text, or words saying it has none.
func (h *Handler) excerptOr(p *page, text string) string {
	if e := excerpt(text, 80); e != "" {
		return e
	}
	return p.T("post.notext")
}

// stateWord is a target's state in the words of ui-guide §4.
// A published thread some of whose parts did not go out says so.
func (h *Handler) stateWord(p *page, t *snsos.Target, now time.Time) string {
	if t.State == snsos.StateScheduled && !t.ScheduledAt.IsZero() {
		return p.T("state.scheduled_at", "Time", shortTime(p.lang, t.ScheduledAt.In(h.location()), now))
	}
	if t.State == snsos.StatePublished && t.Partial {
		return p.T("state.published_partial")
	}
	return p.T("state." + string(t.State))
}

// excerpt returns the first line of s, cut to n characters.
func excerpt(s string, n int) string { return attention.Excerpt(s, n) }
