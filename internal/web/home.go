package web

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

type homeData struct {
	Accounts []accountRow
	Posts    []postRow
}

type accountRow struct {
	Platform, Handle, Status, Class, Icon string
}

type postRow struct {
	Href                   string
	Excerpt, Time, TimeISO string
	Targets                []targetRow
}

type targetRow struct {
	Platform, Handle, State, Class, Icon string
}

// homePosts is how many of the latest posts the dashboard lists.
const homePosts = 10

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

func (h *Handler) handleHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	posts, err := h.store.ListPosts(ctx, store.PostFilter{Limit: homePosts})
	if err != nil {
		h.serverError(w, r, "list posts", err)
		return
	}
	d := &homeData{}
	p := h.newPage(r, "home.title", true, d)
	byID := map[int64]*snsos.Account{}
	for _, a := range accts {
		byID[a.ID] = a
		d.Accounts = append(d.Accounts, accountRow{Platform: a.Platform.DisplayName(), Handle: a.Handle,
			Status: p.T("account." + string(a.Status)), Class: "a-" + string(a.Status), Icon: accountIcons[a.Status]})
	}
	now := h.now().In(h.location())
	for _, post := range posts {
		row := postRow{Href: postHref(post.ID), Excerpt: excerpt(post.Body, 80)}
		if row.Excerpt == "" {
			row.Excerpt = p.T("post.notext")
		}
		if !post.ScheduledAt.IsZero() {
			row.Time = shortTime(p.lang, post.ScheduledAt.In(h.location()), now)
			row.TimeISO = post.ScheduledAt.UTC().Format(time.RFC3339)
		}
		for _, t := range post.Targets {
			tr := targetRow{Platform: t.Platform.DisplayName(), Class: "s-" + string(t.State), Icon: stateIcons[t.State]}
			if a := byID[t.AccountID]; a != nil {
				tr.Handle = a.Handle
			}
			tr.State = h.stateWord(p, t, now)
			row.Targets = append(row.Targets, tr)
		}
		d.Posts = append(d.Posts, row)
	}
	h.render(w, http.StatusOK, "home", p)
}

// stateWord is a target's state in the words of ui-guide §4.
func (h *Handler) stateWord(p *page, t *snsos.Target, now time.Time) string {
	if t.State == snsos.StateScheduled && !t.ScheduledAt.IsZero() {
		return p.T("state.scheduled_at", "Time", shortTime(p.lang, t.ScheduledAt.In(h.location()), now))
	}
	return p.T("state." + string(t.State))
}

// excerpt returns the first line of s, cut to n characters.
func excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}
