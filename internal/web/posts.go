package web

import (
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
	Targets                      []targetRow
	Views                        string
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

// postsURL is the list's URL for the given filters (Back, Refresh and
// bookmarks work because every filter is in it).
func postsURL(state, platform, q string, pageNo int) string {
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
	if pageNo > 1 {
		v.Set("page", strconv.Itoa(pageNo))
	}
	if len(v) == 0 {
		return "/posts"
	}
	return "/posts?" + v.Encode()
}

func (h *Handler) handlePosts(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	d := &postsData{}
	p := h.newPage(r, "posts.title", true, d)

	// Filters: unknown values are ignored rather than refused, so an old
	// bookmark still opens.
	state := qv.Get("state")
	var tab *postTab
	var single snsos.TargetState
	for i := range postTabs {
		if postTabs[i].Key == state {
			tab = &postTabs[i]
		}
	}
	if tab == nil {
		if _, ok := stateIcons[snsos.TargetState(state)]; ok {
			single = snsos.TargetState(state)
			tab = &postTab{Key: state, States: []snsos.TargetState{single}}
			d.SingleState = p.T("state." + state)
		} else {
			state, tab = "", &postTabs[0]
		}
	}
	platform := qv.Get("platform")
	if !snsos.Platform(platform).Valid() {
		platform = ""
	}
	q := strings.TrimSpace(qv.Get("q"))
	if utf8.RuneCountInString(q) > maxQueryRunes {
		q = string([]rune(q)[:maxQueryRunes])
	}
	pageNo, _ := strconv.Atoi(qv.Get("page"))
	if pageNo < 1 || pageNo > 100000 {
		pageNo = 1
	}
	d.State, d.Platform, d.Query, d.PageNo = state, platform, q, pageNo
	d.HasSearch, d.HasFilter = q != "", platform != ""

	for _, t := range postTabs {
		label := "posts.tab.all"
		if t.Key != "" {
			label = "posts.tab." + t.Key
		}
		d.Tabs = append(d.Tabs, tabLink{Key: t.Key, Label: p.T(label), Href: postsURL(t.Key, platform, q, 1), Current: t.Key == state && single == ""})
	}
	for _, pl := range snsos.Platforms {
		d.Platforms = append(d.Platforms, platformOption{Value: string(pl), Name: pl.DisplayName(), Selected: string(pl) == platform})
	}

	ctx := r.Context()
	res, err := h.store.SearchPosts(ctx, store.PostQuery{States: tab.States, Platform: snsos.Platform(platform), Text: q,
		Limit: postsPageSize, Offset: (pageNo - 1) * postsPageSize, Ascending: tab.Ascending})
	if err != nil {
		h.serverError(w, r, "list posts", err)
		return
	}
	handles, ok := h.accountHandles(w, r)
	if !ok {
		return
	}
	loc := h.location()
	now := h.now().In(loc)
	for _, post := range res.Posts {
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
			row.Targets = append(row.Targets, targetRow{Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID],
				State: h.stateWord(p, t, now), Class: "s-" + string(t.State), Icon: stateIcons[t.State]})
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
		d.Rows = append(d.Rows, row)
	}
	d.Truncated, d.Searched = res.Truncated, res.Searched
	if pageNo > 1 {
		d.Prev = postsURL(state, platform, q, pageNo-1)
	}
	if res.More {
		d.Next = postsURL(state, platform, q, pageNo+1)
	}
	if len(d.Rows) > 0 {
		first := (pageNo-1)*postsPageSize + 1
		d.Summary = p.T("posts.range", "First", first, "Last", first+len(d.Rows)-1)
	}
	switch {
	case len(d.Rows) > 0:
	case pageNo > 1:
		d.Empty = p.T("posts.empty.page")
	case q != "":
		d.Empty = p.T("posts.empty.search", "Query", q)
	case single != "":
		d.Empty = p.T("posts.empty.state", "State", d.SingleState)
	case state == "":
		if platform != "" {
			d.Empty = p.T("posts.empty.platform", "Platform", snsos.Platform(platform).DisplayName())
		} else {
			d.Empty = p.T("posts.empty.all")
		}
	default:
		d.Empty = p.T("posts.empty." + state)
	}
	if platform != "" {
		d.FilteredBy = snsos.Platform(platform).DisplayName()
	}
	h.render(w, http.StatusOK, "posts", p)
}
