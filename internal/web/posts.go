package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// postsPageSize is how many posts one page of the list shows.
const postsPageSize = 25

// maxQueryRunes bounds the search text.
const maxQueryRunes = 200

// postTab is a tab of the post list: the target states it shows.
type postTab struct {
	Key    string // the state query value ("" for All)
	States []snsos.TargetState
	// Ascending lists the earliest first (what comes next, for upcoming
	// posts); the other tabs list the newest first.
	Ascending bool
}

var postTabs = []postTab{
	{Key: ""},
	{Key: "draft", States: []snsos.TargetState{snsos.StateDraft}},
	{Key: "scheduled", States: []snsos.TargetState{snsos.StateApproved, snsos.StateScheduled, snsos.StateRetryWait, snsos.StatePublishing}, Ascending: true},
	{Key: "attention", States: store.AttentionStates},
	{Key: "published", States: []snsos.TargetState{snsos.StatePublished}},
	{Key: "canceled", States: []snsos.TargetState{snsos.StateCanceled}},
}

type postsData struct {
	Tabs      []tabLink
	Platforms []platformOption
	Query     string
	State     string // the state query value
	Platform  string
	Rows      []postsRow
	// Empty is the tab's own empty text (or the search's).
	Empty                string
	Prev, Next           string
	PageNo               int
	Truncated            bool
	Searched             int
	SingleState          string // a state chosen by the URL rather than a tab
	Summary              string // "Posts 26–50" for screen readers and the eye
	FilteredBy           string
	HasFilter, HasSearch bool
}

type tabLink struct {
	Key, Label, Href string
	Current          bool
}

type platformOption struct {
	Value, Name string
	Selected    bool
}

type postsRow struct {
	Href, Excerpt, Time, TimeISO string
	Targets                      []postsTarget
	Views                        string
}

// postsTarget is a target of the list with, for a TikTok video delivered
// to the inbox, its mark.
type postsTarget struct {
	targetRow
	Inbox string
}

func (h *Handler) postsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /posts", h.page(h.handlePosts))
}

// attentionCount is the Posts badge: how many targets are failed, need the
// operator, or are unconfirmed. One COUNT over the state index; a failure
// only hides the badge.
func (h *Handler) attentionCount(r *http.Request) int {
	n, err := h.store.CountAttentionTargets(r.Context())
	if err != nil {
		h.log.Warn("web: count attention targets", "err", err)
		return 0
	}
	return n
}

// postsPage is where a link of the list goes: after or before a post's
// cursor (neither for the first page), with the number that page shows.
type postsPage struct {
	after, before *store.Cursor
	no            int
}

// postsURL is the list's URL for the given filters and page (Back, Refresh
// and bookmarks work because every filter is in it). A page is a keyset
// cursor, "after" or "before" a post, so a deep page costs what the first
// one does; "page" is only the number the page shows.
func postsURL(state, platform, q string, pg postsPage) string {
	v := url.Values{}
	if state != "" {
		v.Set("state", state)
	}
	if platform != "" {
		v.Set("platform", platform)
	}
	if q != "" {
		v.Set("q", q)
	}
	switch {
	case pg.no <= 1: // the first page: no cursor, whatever came before it
	case pg.after != nil:
		v.Set("after", pg.after.String())
	case pg.before != nil:
		v.Set("before", pg.before.String())
	}
	if pg.no > 1 {
		v.Set("page", strconv.Itoa(pg.no))
	}
	if len(v) == 0 {
		return "/posts"
	}
	return "/posts?" + v.Encode()
}

func (h *Handler) handlePosts(w http.ResponseWriter, r *http.Request) {
	f := parsePostsFilter(r.URL.Query())
	d := &postsData{}
	p := h.newPage(r, "posts.title", true, d)
	if err := h.buildPosts(r.Context(), p, d, f); err != nil {
		h.pageError(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "posts", p)
}

// postsFilter is what the post list shows: a tab (or a single state), a
// platform, a search and a page.
type postsFilter struct {
	state    string // the state query value
	tab      *postTab
	single   snsos.TargetState // a state chosen by the URL rather than a tab
	platform string
	q        string
	page     postsPage
}

// parsePostsFilter reads the list's filters. Unknown values are ignored
// rather than refused, so an old bookmark still opens.
func parsePostsFilter(qv url.Values) postsFilter {
	f := postsFilter{state: qv.Get("state")}
	for i := range postTabs {
		if postTabs[i].Key == f.state {
			f.tab = &postTabs[i]
		}
	}
	if f.tab == nil {
		if _, ok := stateIcons[snsos.TargetState(f.state)]; ok {
			f.single = snsos.TargetState(f.state)
			f.tab = &postTab{Key: f.state, States: []snsos.TargetState{f.single}}
		} else {
			f.state, f.tab = "", &postTabs[0]
		}
	}
	f.platform = qv.Get("platform")
	if !snsos.Platform(f.platform).Valid() {
		f.platform = ""
	}
	f.q = strings.TrimSpace(qv.Get("q"))
	if utf8.RuneCountInString(f.q) > maxQueryRunes {
		f.q = string([]rune(f.q)[:maxQueryRunes])
	}
	// A cursor that does not parse, or a page number without a cursor (a
	// link from before cursors), opens the first page.
	if c, err := store.ParseCursor(qv.Get("after")); err == nil {
		f.page.after = &c
	} else if c, err := store.ParseCursor(qv.Get("before")); err == nil {
		f.page.before = &c
	}
	f.page.no, _ = strconv.Atoi(qv.Get("page"))
	switch {
	case f.page.after == nil && f.page.before == nil:
		f.page.no = 1
	case f.page.no < 2 || f.page.no > 100000:
		f.page.no = 2 // a page past the first whose number the link lost
	}
	return f
}

// buildPosts fills the list for filter f: the tabs, the platform choice,
// one page of posts, the paging links and the empty text.
func (h *Handler) buildPosts(ctx context.Context, p *page, d *postsData, f postsFilter) error {
	state, platform, q := f.state, f.platform, f.q
	if f.single != "" {
		d.SingleState = p.T("state." + state)
	}
	d.State, d.Platform, d.Query = state, platform, q
	d.HasSearch, d.HasFilter = q != "", platform != ""
	for _, t := range postTabs {
		label := "posts.tab.all"
		if t.Key != "" {
			label = "posts.tab." + t.Key
		}
		d.Tabs = append(d.Tabs, tabLink{Key: t.Key, Label: p.T(label), Href: postsURL(t.Key, platform, q, postsPage{}),
			Current: t.Key == state && f.single == ""})
	}
	for _, pl := range snsos.Platforms {
		d.Platforms = append(d.Platforms, platformOption{Value: string(pl), Name: pl.DisplayName(), Selected: string(pl) == platform})
	}

	res, err := h.store.SearchPosts(ctx, store.PostQuery{States: f.tab.States, Platform: snsos.Platform(platform), Text: q,
		Limit: postsPageSize, After: f.page.after, Before: f.page.before, Ascending: f.tab.Ascending})
	if err != nil {
		return failed("list posts", err)
	}
	pageNo := f.page.no
	if res.Prev == nil && len(res.Posts) > 0 {
		pageNo = 1 // the store went back to the first page
	}
	d.PageNo = pageNo
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		return failed("list accounts", err)
	}
	handles := handlesOf(accts)
	loc := h.location()
	now := h.now().In(loc)
	for _, post := range res.Posts {
		d.Rows = append(d.Rows, h.postsRow(p, post, handles, loc, now))
	}
	d.Truncated, d.Searched = res.Truncated, res.Searched
	if pageNo > 1 {
		back := postsPage{before: res.Prev, no: pageNo - 1}
		if res.Prev == nil {
			back = postsPage{} // past the end: the first page
		}
		d.Prev = postsURL(state, platform, q, back)
	}
	if res.Next != nil {
		d.Next = postsURL(state, platform, q, postsPage{after: res.Next, no: pageNo + 1})
	}
	if len(d.Rows) > 0 {
		first := (pageNo-1)*postsPageSize + 1
		d.Summary = p.T("posts.range", "First", first, "Last", first+len(d.Rows)-1)
	}
	if len(d.Rows) == 0 {
		d.Empty = postsEmpty(p, f, d.SingleState)
	}
	if platform != "" {
		d.FilteredBy = snsos.Platform(platform).DisplayName()
	}
	return nil
}

// postsRow is one post of the list: its excerpt, time, targets and +24h
// views.
func (h *Handler) postsRow(p *page, post *snsos.Post, handles map[int64]string, loc *time.Location, now time.Time) postsRow {
	row := postsRow{Href: postHref(post.ID), Excerpt: excerpt(post.Body, 80), Views: "—"}
	if row.Excerpt == "" {
		for _, t := range post.Targets {
			if t.Body != "" {
				row.Excerpt = excerpt(t.Body, 80)
				break
			}
		}
	}
	if row.Excerpt == "" {
		row.Excerpt = p.T("post.notext")
	}
	when := post.ScheduledAt
	if when.IsZero() {
		when = post.CreatedAt
	}
	row.Time = shortTime(p.lang, when.In(loc), now)
	row.TimeISO = when.UTC().Format(time.RFC3339)
	var views int64
	seen := false
	for _, t := range post.Targets {
		row.Targets = append(row.Targets, postsTarget{targetRow: targetRow{Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID],
			State: h.stateWord(p, t, now), Class: "s-" + string(t.State), Icon: stateIcons[t.State]}, Inbox: inboxWordsOf(p, t).Mark})
		for _, m := range t.Metrics {
			if m.Checkpoint == snsos.Checkpoint24h && m.Status == snsos.SnapshotOK {
				if v, ok := m.Values[snsos.MetricViews]; ok {
					views += v
					seen = true
				}
			}
		}
	}
	if seen {
		row.Views = groupDigits(views)
	}
	return row
}

// postsEmpty is the text of an empty list: the page's, the search's, the
// state's or the tab's own.
func postsEmpty(p *page, f postsFilter, singleState string) string {
	switch {
	case f.page.no > 1:
		return p.T("posts.empty.page")
	case f.q != "":
		return p.T("posts.empty.search", "Query", f.q)
	case f.single != "":
		return p.T("posts.empty.state", "State", singleState)
	case f.state == "":
		if f.platform != "" {
			return p.T("posts.empty.platform", "Platform", snsos.Platform(f.platform).DisplayName())
		}
		return p.T("posts.empty.all")
	default:
		return p.T("posts.empty." + f.state)
	}
}
