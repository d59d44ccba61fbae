package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
)

// Engine carries out what the pages ask of posts. *publish.Engine
// implements it.
type Engine interface {
	CreatePost(ctx context.Context, p *snsos.Post, approve bool) error
	// UpdatePost validates an edited post as CreatePost does and saves it
	// over the stored post p.ID (ECONFLICT once a target is past scheduled).
	UpdatePost(ctx context.Context, p *snsos.Post, approve bool) error
	Approve(ctx context.Context, postID int64) (*snsos.Post, error)
	Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error)
	RetryTarget(ctx context.Context, targetID int64) (*snsos.Target, error)
	ReconcileTarget(ctx context.Context, targetID int64) (*snsos.Target, error)
	// ResolveTarget records what the operator found on the platform for a
	// target in needs_operator (ECONFLICT otherwise): published with its
	// link (a bad link is a validation error on remote_url), or not
	// published (the target fails; RetryTarget posts it again).
	ResolveTarget(ctx context.Context, targetID int64, r publish.Resolution) (*snsos.Target, error)
	// Cancel refuses (ECONFLICT) while a target is publishing, unknown or
	// needs_operator: the post may be live.
	Cancel(ctx context.Context, postID int64) (*snsos.Post, error)
}

// Media is the media library compose uploads to and picks from.
// *media.Library implements it.
type Media interface {
	Upload(ctx context.Context, r io.Reader, filename string) (*snsos.MediaRef, error)
	Get(ctx context.Context, id int64) (*snsos.MediaRef, error)
	List(ctx context.Context, limit int) ([]*snsos.MediaRef, error)
	Open(ctx context.Context, id int64) (io.ReadCloser, *snsos.MediaRef, error)
}

func postHref(id int64) string { return "/posts/" + strconv.FormatInt(id, 10) }

type postData struct {
	ID                     int64
	Body                   string
	Time, TimeISO, TimeUTC string
	Flash                  string
	FlashError             bool
	CanCancel              bool
	CancelAction           string
	EditHref               string // set while the post is editable
	DuplicateAction        string
	ComposeClear           string // local copies compose may drop: the post was saved
	// Errors is the summary of a form sent back with errors, each linking
	// to its field.
	Errors  []fieldLink
	Targets []targetCard
	// Media are the post's media in order, each with its alt text.
	Media []postMedia
}

// postMedia is one media item on the post page.
type postMedia struct {
	Number   int
	URL      string
	Filename string
	IsImage  bool
	Alt      string
}

// fieldLink is one line of an error summary: the message and the id of
// the field it is about.
type fieldLink struct{ ID, Msg string }

type targetCard struct {
	ID                                   int64
	Platform, Handle, State, Class, Icon string
	RemoteID, RemoteURL                  string
	Published, PublishedISO              string
	Problem, RawError                    string
	Preflight, PreflightTime             string
	RetryAction, CheckAction             string
	// ResolveAction takes the operator's answer for a target waiting for
	// them (needs_operator); ResolveURL and ResolveError are the link they
	// typed and what is wrong with it, when the form comes back.
	ResolveAction, ResolveURL, ResolveError string
	// Progress says where the publication stands in plain words (see
	// publishProgress); ProgressDetail is the platform's own words behind
	// it (English).
	Progress, ProgressDetail string
	// Inbox marks a TikTok video delivered to the account's inbox
	// (post_tiktok_inbox.go).
	Inbox inboxWords
	// Parts lists the parts of a thread that is published, or may be
	// (empty for a target of one part).
	Parts    []partRow
	Attempts []attemptRow
	// ExtraHeads name the platform's own metrics (Instagram's reach, …),
	// the columns after the standard four.
	ExtraHeads []string
	Metrics    []metricRow
}

// partRow is one part of a thread on the post page: its link (or id) when
// it is live, else whether it did not go out, is live without a recorded
// link, or is not confirmed yet.
type partRow struct {
	N                        int
	URL, RemoteID            string
	Missing, NoLink, Unknown bool
}

type attemptRow struct {
	Number              int
	Started, StartedISO string
	Outcome, Error      string
}

type metricRow struct {
	Checkpoint, Fetched, FetchedISO string
	Views, Likes, Comments, Shares  string
	Extras                          []labelled // the platform's own metrics, as ExtraHeads names them
	Unavailable                     string
	Span                            int // the columns the Unavailable words span
}

// labelled is a table cell with its column's name (the label of a stacked
// row on a phone).
type labelled struct{ Label, Text string }

// platformExtras are the metrics a platform reports beyond the standard
// four, in column order (snapshot keys).
var platformExtras = map[snsos.Platform][]string{
	snsos.PlatformInstagram: {"reach", "saved", "total_interactions"},
	snsos.PlatformThreads:   {"replies", "reposts", "quotes"},
}

// flashes are the messages an action may leave for the post page, by the
// value of the flash query parameter (nothing else is ever shown).
var flashes = map[string]bool{
	"retry.ok": false, "check.ok": false, "cancel.ok": false, "published.ok": false, "notpublished.ok": false,
	"retry.conflict": true, "check.conflict": true, "cancel.conflict": true, "published.conflict": true, "notpublished.conflict": true,
	"action.notfound": true, "action.unavailable": true, "action.error": true,
}

// cancelable states are those Engine.Cancel moves to canceled; it refuses
// the whole post while a target is in an uncancelable one (the post may be
// live there).
var (
	cancelable   = []snsos.TargetState{snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled, snsos.StateRetryWait}
	uncancelable = []snsos.TargetState{snsos.StatePublishing, snsos.StateUnknown, snsos.StateNeedsOperator}
)

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// postFromPath finds the post named by the path's {id}, answering 404 when
// there is none and 500 on a store error (then it returns false).
func (h *Handler) postFromPath(w http.ResponseWriter, r *http.Request) (*snsos.Post, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return nil, false
	}
	post, err := h.store.FindPostByID(r.Context(), id)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		h.notFound(w, r)
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, "find post", err)
		return nil, false
	}
	return post, true
}

// handlesOf returns the accounts' handles by account id.
func handlesOf(accts []*snsos.Account) map[int64]string {
	handles := make(map[int64]string, len(accts))
	for _, a := range accts {
		handles[a.ID] = a.Handle
	}
	return handles
}

// accountHandles returns every account's handle by account id, or answers
// 500 on a store error and returns false.
func (h *Handler) accountHandles(w http.ResponseWriter, r *http.Request) (map[int64]string, bool) {
	accts, err := h.store.ListAccounts(r.Context())
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return nil, false
	}
	return handlesOf(accts), true
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusNotFound, "notfound", h.newPage(r, "notfound.title", true, nil))
}

func (h *Handler) handlePost(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	h.showPost(w, r, post, http.StatusOK, nil)
}

// resolveForm is a "mark it published" form sent back: the target, the
// link as typed and the message id saying what is wrong with it.
type resolveForm struct {
	TargetID   int64
	URL, ErrID string
}

// showPost renders the post page with status; rf, when set, is a form
// sent back with its error, shown next to its field and in the summary.
func (h *Handler) showPost(w http.ResponseWriter, r *http.Request, post *snsos.Post, status int, rf *resolveForm) {
	handles, ok := h.accountHandles(w, r)
	if !ok {
		return
	}
	d := newPostData(post)
	p := h.newPage(r, "post.title", true, d)
	if err := h.buildPost(r.Context(), p, d, post, handles, r.URL.Query().Get("flash"), rf); err != nil {
		h.pageError(w, r, err)
		return
	}
	h.render(w, status, "post", p)
}

// newPostData is the post page's data before the page's language is known.
func newPostData(post *snsos.Post) *postData {
	d := &postData{ID: post.ID, Body: post.Body, CancelAction: postHref(post.ID) + "/cancel", DuplicateAction: postHref(post.ID) + "/duplicate"}
	if postEditable(post) {
		d.EditHref = postHref(post.ID) + "/edit"
	}
	return d
}

// buildPost fills the post page: the flash, the text, the media, the time
// and a card for each target.
func (h *Handler) buildPost(ctx context.Context, p *page, d *postData, post *snsos.Post, handles map[int64]string, flash string, rf *resolveForm) error {
	if flash != "" {
		if isErr, ok := flashes[flash]; ok {
			d.Flash, d.FlashError = p.T("flash."+flash), isErr
			if flash == "compose.approved" || flash == "compose.scheduled" {
				d.ComposeClear = "new " + strconv.FormatInt(post.ID, 10)
			}
		}
	}
	if d.Body == "" {
		d.Body = p.T("post.notext")
	}
	d.Media = h.postMediaItems(ctx, post)
	now := h.now().In(h.location())
	if !post.ScheduledAt.IsZero() {
		local := post.ScheduledAt.In(h.location())
		d.Time, d.TimeISO, d.TimeUTC = fullTime(p.lang, local), post.ScheduledAt.UTC().Format(time.RFC3339), utcLine(p.lang, local)
	}
	busy := false
	for _, t := range post.Targets {
		if slices.Contains(uncancelable, t.State) {
			busy = true
		}
		if slices.Contains(cancelable, t.State) {
			d.CanCancel = true
		}
		c, err := h.targetCard(ctx, p, d, post, t, handles, now, rf)
		if err != nil {
			return err
		}
		d.Targets = append(d.Targets, c)
	}
	if busy {
		d.CanCancel = false
	}
	return nil
}

// postMediaItems lists the post's media in order, each with its alt text.
func (h *Handler) postMediaItems(ctx context.Context, post *snsos.Post) []postMedia {
	var items []postMedia
	for i, id := range post.MediaIDs {
		pm := composeMediaOf(&snsos.MediaRef{ID: id}, i+1)
		item := postMedia{Number: i + 1, URL: pm.URL, Filename: pm.Filename, Alt: post.MediaAlt[id]}
		if h.cfg.Media != nil {
			if m, err := h.cfg.Media.Get(ctx, id); err == nil {
				cm := composeMediaOf(m, i+1)
				item.Filename, item.IsImage = cm.Filename, cm.IsImage
			}
		}
		items = append(items, item)
	}
	return items
}

// targetCard is target t's card on the post page: its state, problem and
// actions, parts, attempts and metrics. A resolve form sent back for t
// (rf) adds its error to d's summary.
func (h *Handler) targetCard(ctx context.Context, p *page, d *postData, post *snsos.Post, t *snsos.Target, handles map[int64]string, now time.Time, rf *resolveForm) (targetCard, error) {
	c := targetCard{ID: t.ID, Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID], State: h.stateWord(p, t, now),
		Class: "s-" + string(t.State), Icon: stateIcons[t.State], RemoteID: t.RemoteID, RemoteURL: safeURL(t.RemoteURL),
		RawError: t.Error, Preflight: t.Preflight}
	if !t.PublishedAt.IsZero() {
		c.Published, c.PublishedISO = fullTime(p.lang, t.PublishedAt.In(h.location())), t.PublishedAt.UTC().Format(time.RFC3339)
	}
	if !t.PreflightAt.IsZero() {
		c.PreflightTime = shortTime(p.lang, t.PreflightAt.In(h.location()), now)
	}
	targetProblem(p, d, &c, post, t, rf)
	note := publishProgress(p.translator, h.progressFacts(ctx, p, post, t, now))
	c.Progress, c.ProgressDetail = note.Text, note.Detail
	c.Inbox = inboxWordsOf(p, t)
	c.Parts = partRows(post, t)
	attempts, err := h.store.ListAttempts(ctx, t.ID)
	if err != nil {
		return c, failed("list attempts", err)
	}
	for _, a := range attempts {
		row := attemptRow{Number: a.Number, Started: shortTime(p.lang, a.StartedAt.In(h.location()), now),
			StartedISO: a.StartedAt.UTC().Format(time.RFC3339), Error: a.Error}
		if a.Outcome != "" {
			row.Outcome = p.T("state." + string(a.Outcome))
		} else {
			row.Outcome = p.T("attempt.running")
		}
		c.Attempts = append(c.Attempts, row)
	}
	h.targetMetrics(p, &c, t, now)
	return c, nil
}

// targetMetrics fills the card's metrics table: the standard four, then
// the platform's own, by checkpoint.
func (h *Handler) targetMetrics(p *page, c *targetCard, t *snsos.Target, now time.Time) {
	extras := platformExtras[t.Platform]
	for _, k := range extras {
		c.ExtraHeads = append(c.ExtraHeads, p.T("metrics."+k))
	}
	for _, m := range t.Metrics {
		row := metricRow{Checkpoint: checkpointName(p, m.Checkpoint), Fetched: shortTime(p.lang, m.FetchedAt.In(h.location()), now),
			FetchedISO: m.FetchedAt.UTC().Format(time.RFC3339), Span: 4 + len(extras)}
		if m.Status == snsos.SnapshotUnavailable {
			row.Unavailable = p.T("metrics.unavailable")
		} else {
			row.Views, row.Likes, row.Comments, row.Shares = metricValue(m, snsos.MetricViews), metricValue(m, snsos.MetricLikes),
				metricValue(m, snsos.MetricComments), metricValue(m, snsos.MetricShares)
			for _, k := range extras {
				v := metricValue(m, k)
				if v == "—" {
					v = p.T("an.cell.na") // the snapshot is in: the platform did not report it
				}
				row.Extras = append(row.Extras, labelled{Label: p.T("metrics." + k), Text: v})
			}
		}
		c.Metrics = append(c.Metrics, row)
	}
}

// targetProblem sets what is wrong with target t and the actions that
// answer it on its card c.
func targetProblem(p *page, d *postData, c *targetCard, post *snsos.Post, t *snsos.Target, rf *resolveForm) {
	targetPath := postHref(post.ID) + "/targets/" + strconv.FormatInt(t.ID, 10)
	switch t.State {
	case snsos.StateFailed:
		c.Problem = p.T("problem.failed", "Platform", c.Platform)
		c.RetryAction = targetPath + "/retry"
	case snsos.StateNeedsOperator:
		c.Problem = p.T("problem.needs_operator", "Platform", c.Platform)
		c.CheckAction = targetPath + "/check"
		c.ResolveAction = targetPath + "/resolve"
		if rf != nil && rf.TargetID == t.ID {
			c.ResolveURL, c.ResolveError = rf.URL, p.T(rf.ErrID, "Platform", c.Platform)
			d.Errors = append(d.Errors, fieldLink{ID: "remote-url-" + strconv.FormatInt(t.ID, 10), Msg: c.ResolveError})
		}
	case snsos.StateUnknown:
		c.Problem = p.T("problem.unknown")
		c.CheckAction = targetPath + "/check"
	case snsos.StateRetryWait:
		if !quotaUsedUp(t.Error) { // else the progress says why it waits
			c.Problem = p.T("problem.retry_wait")
		}
	case snsos.StatePublished:
		if t.Partial {
			c.Problem = p.T("problem.partial", "Platform", c.Platform)
		}
	}
}

// partRows lists the parts of a thread target that is published or may be
// live: each part's link when the platform returned its id, else whether
// it did not go out (a partial publication), is live with no link recorded
// or is not confirmed yet. A target of one part, or one that cannot be
// live, has none.
func partRows(post *snsos.Post, t *snsos.Target) []partRow {
	texts, err := publish.Parts(post, t)
	if err != nil || len(texts) < 2 || !t.State.MayBeLive() {
		return nil
	}
	rows := make([]partRow, len(texts))
	for i := range texts {
		n := i + 1
		rows[i] = partRow{N: n}
		id := t.Progress[platform.PartIDKey(n)]
		switch {
		case id != "":
			rows[i].RemoteID, rows[i].URL = id, partURL(t, id)
		case t.State == snsos.StatePublished && t.Partial:
			rows[i].Missing = true
		case t.State == snsos.StatePublished:
			rows[i].NoLink = true // marked published by the operator with the first part's link
		default:
			rows[i].Unknown = true
		}
	}
	return rows
}

// partURL is the link of one part of a thread: the target's permalink with
// its id replaced by the part's ("" when the permalink does not carry the
// id, or is not http(s)).
func partURL(t *snsos.Target, id string) string {
	u := safeURL(t.RemoteURL)
	if u == "" || t.RemoteID == "" {
		return ""
	}
	if id == t.RemoteID {
		return u
	}
	i := strings.LastIndex(u, "/"+t.RemoteID)
	if i < 0 {
		return ""
	}
	return u[:i+1] + id + u[i+1+len(t.RemoteID):]
}

func checkpointName(p *page, c snsos.Checkpoint) string {
	switch c {
	case snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d, snsos.CheckpointManual:
		return p.T("checkpoint." + string(c))
	}
	return string(c)
}

func metricValue(m *snsos.MetricSnapshot, key string) string {
	v, ok := m.Values[key]
	if !ok {
		return "—"
	}
	return groupDigits(v)
}

// groupDigits writes n as 12,345 (both languages).
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// safeURL keeps only http(s) permalinks.
func safeURL(u string) string {
	if len(u) > 8 && (u[:8] == "https://" || u[:7] == "http://") {
		return u
	}
	return ""
}

// actionTarget returns the post and target ids of a target action, checking
// the target belongs to the post.
func (h *Handler) actionTarget(w http.ResponseWriter, r *http.Request) (postID, targetID int64, ok bool) {
	postID, ok1 := pathID(r, "id")
	targetID, ok2 := pathID(r, "tid")
	if !ok1 || !ok2 {
		h.notFound(w, r)
		return 0, 0, false
	}
	t, err := h.store.FindTargetByID(r.Context(), targetID)
	if snsos.IsCode(err, snsos.ENOTFOUND) || (err == nil && t.PostID != postID) {
		h.notFound(w, r)
		return 0, 0, false
	}
	if err != nil {
		h.serverError(w, r, "find target", err)
		return 0, 0, false
	}
	return postID, targetID, true
}

// withEngine runs do with the engine, or reports it unavailable.
func (h *Handler) withEngine(do func(Engine) error) error {
	if h.engine == nil {
		return snsos.Errorf(snsos.EUNAVAILABLE, "no engine")
	}
	return do(h.engine)
}

// targetAction handles a POST on one target of a post.
func (h *Handler) targetAction(action string, do func(ctx context.Context, e Engine, targetID int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		postID, targetID, ok := h.actionTarget(w, r)
		if !ok {
			return
		}
		err := h.withEngine(func(e Engine) error { return do(r.Context(), e, targetID) })
		h.afterAction(w, r, postID, action, err)
	}
}

func (h *Handler) handleRetry(w http.ResponseWriter, r *http.Request) {
	h.targetAction("retry", func(ctx context.Context, e Engine, id int64) error {
		_, err := e.RetryTarget(ctx, id)
		return err
	})(w, r)
}

func (h *Handler) handleCheck(w http.ResponseWriter, r *http.Request) {
	h.targetAction("check", func(ctx context.Context, e Engine, id int64) error {
		_, err := e.ReconcileTarget(ctx, id)
		return err
	})(w, r)
}

// handleResolve takes the operator's answer for a target waiting for them:
// outcome=published with remote_url (the post's link on the platform), or
// outcome=not_published. A missing or refused link sends the page back
// (422) with the error next to the field and the link kept; the rest ends
// as the other actions do, on the post page with a flash.
func (h *Handler) handleResolve(w http.ResponseWriter, r *http.Request) {
	postID, targetID, ok := h.actionTarget(w, r)
	if !ok {
		return
	}
	var res publish.Resolution
	action := "notpublished"
	switch r.PostFormValue("outcome") {
	case "published":
		action = "published"
		res = publish.Resolution{Published: true, RemoteURL: strings.TrimSpace(r.PostFormValue("remote_url"))}
	case "not_published":
	default:
		http.Error(w, "unknown outcome", http.StatusBadRequest)
		return
	}
	// The engine checks the link (an empty one included), and the state.
	err := h.withEngine(func(e Engine) error {
		_, err := e.ResolveTarget(r.Context(), targetID, res)
		return err
	})
	if res.Published && snsos.IsCode(err, snsos.EINVALID) {
		h.log.Info("web: link refused", "post", postID, "target", targetID, "err", err)
		post, ok := h.postFromPath(w, r)
		if !ok {
			return
		}
		h.showPost(w, r, post, http.StatusUnprocessableEntity, &resolveForm{TargetID: targetID, URL: res.RemoteURL, ErrID: linkError(err, res.RemoteURL)})
		return
	}
	h.afterAction(w, r, postID, action, err)
}

// linkError returns the message id saying what is wrong with the link the
// operator gave, by the rule the engine found broken.
func linkError(err error, link string) string {
	if link == "" {
		return "resolve.err.required"
	}
	var v snsos.ValidationErrors
	if errors.As(err, &v) {
		for _, fe := range v {
			switch fe.Rule {
			case "url":
				return "resolve.err.url"
			case "unique":
				return "resolve.err.unique"
			}
		}
	}
	return "resolve.err.post_link"
}

func (h *Handler) handleCancel(w http.ResponseWriter, r *http.Request) {
	post, ok := h.postFromPath(w, r)
	if !ok {
		return
	}
	postID := post.ID
	err := h.withEngine(func(e Engine) error {
		_, err := e.Cancel(r.Context(), postID)
		return err
	})
	h.afterAction(w, r, postID, "cancel", err)
}

// afterAction sends the browser back to the post page (303), with a flash
// saying what happened in plain words.
func (h *Handler) afterAction(w http.ResponseWriter, r *http.Request, postID int64, action string, err error) {
	flash := action + ".ok"
	switch {
	case err == nil:
	case snsos.IsCode(err, snsos.ECONFLICT):
		flash = action + ".conflict"
	case snsos.IsCode(err, snsos.ENOTFOUND):
		flash = "action.notfound"
	case snsos.IsCode(err, snsos.EUNAVAILABLE), snsos.IsCode(err, snsos.ERATELIMITED):
		flash = "action.unavailable"
	default:
		flash = "action.error"
	}
	if err != nil {
		h.log.Warn("web: post action refused", "action", action, "post", postID, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, postHref(postID)+"?flash="+flash, http.StatusSeeOther)
}
