// Package attention computes what needs the operator: targets that failed,
// that need a check, or whose outcome has stayed unknown too long (measured
// from when it first became unknown, so a target looping between unknown
// and another try is listed too); accounts
// that must be reconnected; sign-ins about to expire for good; and scheduled
// posts whose account is not connected ("at risk"); from the public site,
// contact messages not handled yet (a data deletion request with its
// deadlines) and changes of the privacy policy the operator has not seen
// (site.go); accounts whose access the platform ended (deauthorized,
// grant revoked) and data deletions under way or done (removal.go); and the
// git archive when its guard blocked a commit or its pushes keep failing
// (archive.go). The
// dashboard shows the list and internal/alert sends it by
// email and webhook.
//
// Each Item has a stable Key: the same problem computed twice has the same
// key, so alerts can be sent once per item; a new occurrence (a target that
// fails again after a retry, a sign-in with a new expiry) has a new key.
package attention

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
)

// Store is what the list is computed from. *store.Store implements it.
type Store interface {
	ListAccounts(ctx context.Context) ([]*snsos.Account, error)
	// The targets of each kind, the first limit (all when limit <= 0) in
	// the order the list shows them, and how many there are
	// (store/attention.go): the dashboard reads a few, never every failed
	// target.
	ProblemTargets(ctx context.Context, state snsos.TargetState, limit int) ([]*snsos.Target, int, error)
	UnconfirmedTargets(ctx context.Context, before time.Time, limit int) ([]*snsos.Target, int, error)
	AtRiskTargets(ctx context.Context, accounts []int64, limit int) ([]*snsos.Target, int, error)
	CountWaitingTargets(ctx context.Context) (map[int64]int, error)
	FindPostByID(ctx context.Context, id int64) (*snsos.Post, error)
	FindCredentialMeta(ctx context.Context, accountID int64) (*snsos.CredentialMeta, error)
	ListUnhandledContactMessages(ctx context.Context, limit int) ([]*snsos.ContactMessage, error)
	ListPolicyChanges(ctx context.Context, unseen bool, limit int) ([]*snsos.PolicyChange, error)
	RemovalStore
	SettingStore
}

// Kind says what an item is about.
type Kind string

// The kinds of item, in the order the list shows them.
const (
	Failed        Kind = "failed"         // a target failed
	NeedsOperator Kind = "needs_operator" // the operator must check the platform
	Unknown       Kind = "unknown"        // the outcome stayed unknown (or kept becoming unknown) longer than UnknownAfter
	NeedsReauth   Kind = "needs_reauth"   // an account must be reconnected
	Revoked       Kind = "revoked"        // a revoked account still has posts waiting
	TokenExpiring Kind = "token_expiring" // a sign-in expires for good soon
	AtRisk        Kind = "at_risk"        // a scheduled post's account is not connected
	Deletion      Kind = "deletion"       // a data deletion request from the contact form awaits the operator
	Contact       Kind = "contact"        // a contact message is not handled yet
	PolicyChanged Kind = "policy_changed" // the privacy policy's substance changed
	AccessRemoved Kind = "access_removed" // the platform ended sns-os's access (deauthorized, grant revoked); tokens deleted
	Purge         Kind = "purge"          // a confirmed data deletion under way, or done
	// ArchiveFailing: the git archive's guard blocked a commit, or its
	// pushes keep failing (archive.go).
	ArchiveFailing Kind = "archive"
)

var kindOrder = map[Kind]int{Failed: 0, NeedsOperator: 1, Unknown: 2, AccessRemoved: 3, NeedsReauth: 4, Revoked: 5, TokenExpiring: 6,
	AtRisk: 7, Deletion: 8, Purge: 9, Contact: 10, PolicyChanged: 11, ArchiveFailing: 12}

// ActionKind is what the operator can do about an item.
type ActionKind string

// Actions.
const (
	ActionRetry     ActionKind = "retry"     // POST: move a failed target back to scheduled
	ActionCheck     ActionKind = "check"     // POST: look for the post on the platform again
	ActionReconnect ActionKind = "reconnect" // GET: connect the account again
	ActionOpen      ActionKind = "open"      // GET: the post page (nothing to press until the current try ends)
	ActionRead      ActionKind = "read"      // GET: the message in the inbox
	ActionSeen      ActionKind = "seen"      // POST: mark a policy change as seen
	ActionStatus    ActionKind = "status"    // GET: a deletion request's public status page
	ActionSettings  ActionKind = "settings"  // GET: the Settings page (the git archive's status)
)

// Action is the button of an item: a path on this site, and whether it is a
// form (POST) or a link (GET).
type Action struct {
	Kind ActionKind
	Path string
	POST bool
}

// Item is one thing that needs the operator. It holds the material for a
// sentence (ids, handle, excerpt, times), never a token.
type Item struct {
	// Key is stable for the same problem: see the package comment.
	Key       string
	Kind      Kind
	PostID    int64 // 0 for account items
	TargetID  int64 // 0 for account items
	AccountID int64
	Platform  snsos.Platform
	Handle    string // "" when the account is gone
	// Excerpt is the first line of the target's text, shortened.
	Excerpt string
	// Error is the target's last problem in plain words.
	Error string
	// Since is when the target entered its state (its last update); for
	// Unknown, when its outcome first became unknown.
	Since time.Time
	// At is the target's scheduled time (AtRisk) or when the sign-in
	// expires (TokenExpiring).
	At time.Time
	// Pending counts the account's targets still to go out (NeedsReauth,
	// Revoked).
	Pending int
	Action  Action
	// PostPath is the post page ("" for account items).
	PostPath string
	// MessageID and From are a contact message's id and its sender's
	// name (Contact, Deletion; Excerpt is its subject).
	MessageID int64
	From      string
	// Change is the policy change (PolicyChanged).
	Change *snsos.PolicyChange
	// Removal says what happened and what was deleted (AccessRemoved,
	// Purge).
	Removal *Removal
	// Archive is what is wrong with the git archive (ArchiveFailing).
	Archive *Archive
}

// Options tune the list.
type Options struct {
	// UnknownAfter is how long a target's outcome may stay unknown before
	// it is listed (default 15 minutes), counted from when it first became
	// unknown: a target that goes back to retry_wait (or publishing) and
	// becomes unknown again keeps its first time, so one that loops is
	// listed too.
	UnknownAfter time.Duration
	// ExpiryWarning is how long before a sign-in's hard expiry it is
	// listed (default 7 days).
	ExpiryWarning time.Duration
	// Recent is how long an access the platform ended, or a completed
	// data deletion, stays listed (default DefaultRecent).
	Recent time.Duration
	// Archive says this process has the git archive configured: its saved
	// status is then read whatever its age; without, only a status a live
	// writer elsewhere saved lately is (archive.Status.Current), so an
	// archive switched off lists no old failure.
	Archive bool
}

// Defaults.
const (
	DefaultUnknownAfter  = 15 * time.Minute
	DefaultExpiryWarning = 7 * 24 * time.Hour
)

// Compute returns the whole attention list at now, in display order: what
// the alerter remembers key by key. It reads every target that needs the
// operator; a page shows Head instead.
func Compute(ctx context.Context, st Store, now time.Time, o Options) ([]Item, error) {
	c, err := compute(ctx, st, now, o, 0)
	if err != nil {
		return nil, err
	}
	return c.items, c.fillExcerpts(ctx, c.items)
}

// Head returns the first n items of the list at now, in display order (as
// Compute lists them), and how many items the whole list holds. It reads
// at most n targets of each kind and counts the rest, and reads posts only
// for the excerpts of the items it returns: the dashboard costs the same
// with three failed targets or three thousand.
func Head(ctx context.Context, st Store, now time.Time, o Options, n int) ([]Item, int, error) {
	n = max(n, 1)
	c, err := compute(ctx, st, now, o, n)
	if err != nil {
		return nil, 0, err
	}
	items := c.items[:min(len(c.items), n)]
	return items, len(c.items) + c.unlisted, c.fillExcerpts(ctx, items)
}

// compute builds the list at now, sorted, reading at most limit targets of
// each kind (all when limit is 0); the targets' excerpts are left to
// fillExcerpts.
func compute(ctx context.Context, st Store, now time.Time, o Options, limit int) (*computation, error) {
	if o.UnknownAfter <= 0 {
		o.UnknownAfter = DefaultUnknownAfter
	}
	if o.ExpiryWarning <= 0 {
		o.ExpiryWarning = DefaultExpiryWarning
	}
	if o.Recent <= 0 {
		o.Recent = DefaultRecent
	}
	accts, err := st.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	c := &computation{st: st, now: now, o: o, limit: limit, byID: make(map[int64]*snsos.Account, len(accts)),
		posts: map[int64]*snsos.Post{}, removed: map[int64]bool{}, targets: map[int64]*snsos.Target{}}
	for _, a := range accts {
		c.byID[a.ID] = a
	}
	if err := c.addTargets(ctx); err != nil {
		return nil, err
	}

	// Targets still to go out, counted by account.
	waitingBy, err := st.CountWaitingTargets(ctx)
	if err != nil {
		return nil, err
	}

	// Accounts whose access the platform ended, and data deletions.
	if err := c.addRemovals(ctx, st, waitingBy); err != nil {
		return nil, err
	}

	// Accounts.
	for _, a := range accts {
		if err := c.addAccount(ctx, a, waitingBy[a.ID]); err != nil {
			return nil, err
		}
	}
	if err := c.addAtRisk(ctx, accts); err != nil {
		return nil, err
	}
	if err := c.addSite(ctx); err != nil {
		return nil, err
	}
	if err := c.addArchive(ctx); err != nil {
		return nil, err
	}
	sortItems(c.items)
	return c, nil
}

// computation is one run of compute: its store, time, options and limit,
// the accounts by id, the posts read so far (each at most once) and the
// items found so far.
type computation struct {
	st    Store
	now   time.Time
	o     Options
	limit int // targets read per kind; 0 for all
	byID  map[int64]*snsos.Account
	posts map[int64]*snsos.Post
	items []Item
	// unlisted counts the targets past the limit of their kind: in the
	// list's total, not in items.
	unlisted int
	// removed are the accounts listed as AccessRemoved or under a Purge:
	// not listed as Revoked again.
	removed map[int64]bool
	// targets are the listed targets by id: their excerpts are read once
	// the list is sorted and cut (fillExcerpts).
	targets map[int64]*snsos.Target
}

// addTargets lists the targets that went wrong (failed, needs_operator)
// and those whose outcome has stayed unknown for o.UnknownAfter (unknown,
// or trying again after an unknown outcome), at most c.limit of each kind.
func (c *computation) addTargets(ctx context.Context) error {
	for _, state := range []snsos.TargetState{snsos.StateFailed, snsos.StateNeedsOperator} {
		ts, n, err := c.st.ProblemTargets(ctx, state, c.limit)
		if err != nil {
			return err
		}
		c.unlisted += n - len(ts)
		for _, t := range ts {
			c.addTarget(t)
		}
	}
	ts, n, err := c.st.UnconfirmedTargets(ctx, c.now.Add(-c.o.UnknownAfter), c.limit)
	if err != nil {
		return err
	}
	c.unlisted += n - len(ts)
	for _, t := range ts {
		c.addTarget(t)
	}
	return nil
}

// addAtRisk lists the scheduled targets whose account is not connected,
// at most c.limit of them.
func (c *computation) addAtRisk(ctx context.Context, accts []*snsos.Account) error {
	var off []int64
	for _, a := range accts {
		if a.Status != snsos.AccountConnected {
			off = append(off, a.ID)
		}
	}
	if len(off) == 0 {
		return nil
	}
	ts, n, err := c.st.AtRiskTargets(ctx, off, c.limit)
	if err != nil {
		return err
	}
	c.unlisted += n - len(ts)
	for _, t := range ts {
		it := c.targetItem(t, AtRisk)
		it.Key = "at_risk:" + strconv.FormatInt(t.ID, 10)
		it.Action = reconnect(t.Platform)
		c.items = append(c.items, it)
	}
	return nil
}

// fillExcerpts reads the excerpts of items' targets.
func (c *computation) fillExcerpts(ctx context.Context, items []Item) error {
	for i := range items {
		it := &items[i]
		if t := c.targets[it.TargetID]; t != nil && it.Excerpt == "" {
			var err error
			if it.Excerpt, err = c.excerptOf(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// excerptOf is the excerpt of target t's text.
func (c *computation) excerptOf(ctx context.Context, t *snsos.Target) (string, error) {
	if t.Body != "" { // the target's own text: no need to read the post
		return Excerpt(t.Body, 80), nil
	}
	p, ok := c.posts[t.PostID]
	if !ok {
		var err error
		if p, err = c.st.FindPostByID(ctx, t.PostID); err != nil {
			return "", err
		}
		c.posts[t.PostID] = p
	}
	return Excerpt(p.TextFor(t), 80), nil
}

// targetItem is an item of kind k about target t, without its key,
// action and excerpt (fillExcerpts reads it once the list is cut).
func (c *computation) targetItem(t *snsos.Target, k Kind) Item {
	it := Item{Kind: k, PostID: t.PostID, TargetID: t.ID, AccountID: t.AccountID, Platform: t.Platform, Error: t.Error,
		Since: t.UpdatedAt, At: t.ScheduledAt, PostPath: "/posts/" + strconv.FormatInt(t.PostID, 10)}
	if a := c.byID[t.AccountID]; a != nil {
		it.Handle = a.Handle
	}
	c.targets[t.ID] = t
	return it
}

// connected reports whether account id exists and is connected.
func (c *computation) connected(id int64) bool {
	a := c.byID[id]
	return a != nil && a.Status == snsos.AccountConnected
}

// targetPath is the path of an action on target t.
func targetPath(t *snsos.Target, action string) string {
	return "/posts/" + strconv.FormatInt(t.PostID, 10) + "/targets/" + strconv.FormatInt(t.ID, 10) + "/" + action
}

// reconnect is the action that connects a platform's account again.
func reconnect(p snsos.Platform) Action {
	return Action{Kind: ActionReconnect, Path: "/connect/" + string(p), POST: true}
}

// addTarget lists target t, which failed, needs a check, or whose outcome
// has been unknown for o.UnknownAfter (the store picked it: see
// store.UnconfirmedTargets).
func (c *computation) addTarget(t *snsos.Target) {
	kind := Kind(t.State)
	var since time.Time
	switch t.State {
	case snsos.StateUnknown:
		since = ambiguousSince(t)
	case snsos.StateRetryWait, snsos.StatePublishing:
		kind, since = Unknown, t.AmbiguousSince
	}
	it := c.targetItem(t, kind)
	// Each attempt is a new occurrence: a target that fails again after
	// a retry is said again. An unknown outcome is one occurrence from
	// when it first became unknown, however often the target loops
	// through retry_wait and publishing meanwhile.
	it.Key = fmt.Sprintf("target:%d:%s:%d", t.ID, t.State, t.Attempts)
	if kind == Unknown {
		it.Since = since
		if !t.AmbiguousSince.IsZero() {
			it.Key = fmt.Sprintf("target:%d:unknown:since:%d", t.ID, t.AmbiguousSince.UnixMicro())
		}
	}
	switch t.State {
	case snsos.StateFailed:
		if c.connected(t.AccountID) {
			it.Action = Action{Kind: ActionRetry, Path: targetPath(t, "retry"), POST: true}
		} else {
			it.Action = reconnect(t.Platform)
		}
	case snsos.StateRetryWait, snsos.StatePublishing:
		// Check again applies to an unknown target only; the post page
		// shows where this one is.
		it.Action = Action{Kind: ActionOpen, Path: it.PostPath}
	default:
		it.Action = Action{Kind: ActionCheck, Path: targetPath(t, "check"), POST: true}
	}
	c.items = append(c.items, it)
}

// addAccount lists account a when it must be reconnected (a revoked one
// only while waiting targets still need it) or its sign-in expires for
// good within o.ExpiryWarning.
func (c *computation) addAccount(ctx context.Context, a *snsos.Account, waiting int) error {
	switch a.Status {
	case snsos.AccountNeedsReauth, snsos.AccountRevoked:
		if a.Status == snsos.AccountRevoked && (waiting == 0 || c.removed[a.ID]) {
			return nil // disconnected on purpose and nothing waits for it, or listed as removed
		}
		c.items = append(c.items, Item{Key: "account:" + strconv.FormatInt(a.ID, 10) + ":" + string(a.Status), Kind: Kind(a.Status),
			AccountID: a.ID, Platform: a.Platform, Handle: a.Handle, Since: a.UpdatedAt, Pending: waiting,
			Action: reconnect(a.Platform)})
	case snsos.AccountConnected:
		m, err := c.st.FindCredentialMeta(ctx, a.ID)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.RefreshExpiresAt.IsZero() || m.RefreshExpiresAt.Sub(c.now) > c.o.ExpiryWarning {
			return nil
		}
		c.items = append(c.items, Item{Key: "token:" + strconv.FormatInt(a.ID, 10) + ":" + m.RefreshExpiresAt.UTC().Format(time.RFC3339),
			Kind: TokenExpiring, AccountID: a.ID, Platform: a.Platform, Handle: a.Handle, At: m.RefreshExpiresAt,
			Pending: waiting, Action: reconnect(a.Platform)})
	}
	return nil
}

// sortItems puts items in display order: by kind, then the soonest first
// for what is still to come (AtRisk, TokenExpiring) and the newest problem
// first for the rest; between two targets at the same time, the store's
// order (the higher id first, the lower for AtRisk: store/attention.go),
// so a kind's first items are the ones the store read first; then by key.
func sortItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		soonest := a.Kind == AtRisk || a.Kind == TokenExpiring || a.Kind == Deletion
		switch {
		case soonest && !a.At.Equal(b.At):
			return a.At.Before(b.At)
		case !soonest && !a.Since.Equal(b.Since):
			return a.Since.After(b.Since) // newest problem first
		case a.TargetID != 0 && b.TargetID != 0 && a.TargetID != b.TargetID:
			return (a.TargetID < b.TargetID) == soonest
		}
		return a.Key < b.Key
	})
}

// ambiguousSince is when t's outcome first became unknown: AmbiguousSince,
// or its last update for a target written before that was recorded.
func ambiguousSince(t *snsos.Target) time.Time {
	if t.AmbiguousSince.IsZero() {
		return t.UpdatedAt
	}
	return t.AmbiguousSince
}

// Keys returns the keys of items.
func Keys(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

// Text says what the item is and what to do, in English, with times in
// loc: the sentence alerts carry. It never holds a token.
func (it Item) Text(loc *time.Location, now time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	where := it.Platform.DisplayName()
	if it.Handle != "" {
		where += " (@" + it.Handle + ")"
	}
	who := it.Platform.DisplayName() + " account"
	if it.Handle != "" {
		who += " @" + it.Handle
	}
	quote := `"` + it.Excerpt + `"`
	if it.Excerpt == "" {
		quote = "a post without text"
	}
	when := func(t time.Time) string { return t.In(loc).Format("Mon, 2 Jan 2006, 15:04 MST") }
	switch it.Kind {
	case Failed:
		s := "Failed on " + where + ": " + quote + "."
		if it.Error != "" {
			s += " " + it.Error
		}
		if it.Action.Kind == ActionReconnect {
			return s + " Reconnect the account, then retry."
		}
		return s + " Fix it and retry."
	case NeedsOperator:
		return "Check needed on " + where + ": we couldn't confirm whether " + quote + " went live. Look at your " +
			it.Platform.DisplayName() + " profile, then on the post page mark it published (with its link) or not published."
	case Unknown:
		return "Still confirming on " + where + " after " + roughDuration(now.Sub(it.Since)) + ": " + quote + "."
	case NeedsReauth:
		return who + " needs to be reconnected" + waitingClause(it.Pending) + "."
	case Revoked:
		return who + " is disconnected" + waitingClause(it.Pending) + ". Reconnect it before their time."
	case TokenExpiring:
		if !it.At.After(now) {
			return who + " must be reconnected: its sign-in expired on " + when(it.At) + "."
		}
		return who + " must be reconnected by " + when(it.At) + " (in " + roughDuration(it.At.Sub(now)) + ")."
	case AtRisk:
		return "At risk: " + quote + " is scheduled on " + it.Platform.DisplayName() + " for " + when(it.At) + ", but " +
			who + " is not connected. Reconnect it before then."
	case Deletion, Contact, PolicyChanged:
		return it.siteText(when)
	case AccessRemoved, Purge:
		return it.removalText(who, when)
	case ArchiveFailing:
		return it.archiveText(now)
	}
	return string(it.Kind)
}

func waitingClause(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "; 1 post is waiting for it"
	}
	return "; " + strconv.Itoa(n) + " posts are waiting for it"
}

// roughDuration formats d as "3 d 4 h", "1 h 40 min" or "5 min".
func roughDuration(d time.Duration) string {
	mins := int(d.Round(time.Minute) / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case hours > 0 && m > 0:
		return fmt.Sprintf("%d h %d min", hours, m)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d min", max(m, 1))
}

// Excerpt returns the first line of s, cut to n characters.
func Excerpt(s string, n int) string {
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
