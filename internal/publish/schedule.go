package publish

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/rules"
)

// scheduleSlack tolerates clocks a little apart: a time this far in the
// past still counts as "now".
const scheduleSlack = 5 * time.Second

// CreatePost validates p against every target platform's rules and stores
// it. With approve, its targets are approved; with approve and a scheduled
// time, they are scheduled too, and their jobs inserted in the same
// transaction.
func (e *Engine) CreatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	schedule, err := e.validatePost(ctx, p, approve, time.Time{})
	if err != nil {
		return err
	}
	now := e.now()
	for _, t := range p.Targets {
		t.State = snsos.StateDraft
		if approve {
			t.State = snsos.StateApproved
		}
		if schedule {
			t.State, t.ScheduledAt = snsos.StateScheduled, p.ScheduledAt
		}
	}
	if approve {
		p.ApprovedAt = now
	}
	return e.cfg.Store.CreatePost(ctx, p, func(ctx context.Context, tx *sql.Tx) error {
		if !schedule {
			return nil
		}
		for _, t := range p.Targets {
			if err := e.insertScheduleJobs(ctx, tx, t.ID, t.JobSeq, p.ScheduledAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// validatePost checks a new or edited post: its shape, its time, every
// target's account and platform rules, and, when it is to be scheduled, the
// quotas (targets that already exist are left out of their own count). It
// normalises p.ScheduledAt and reports whether the post is to be scheduled.
// kept is the time the post already has (zero for a new post): keeping it
// is allowed even when it has just passed (the post is due and waits for
// its job; an edit of its text must not be refused for that).
func (e *Engine) validatePost(ctx context.Context, p *snsos.Post, approve bool, kept time.Time) (schedule bool, err error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	if len(p.Targets) == 0 {
		return false, (&snsos.ValidationErrors{{Field: "targets", Rule: "required", Message: "choose at least one account"}}).Err()
	}
	now := e.now()
	asGiven := p.ScheduledAt
	if !p.ScheduledAt.IsZero() {
		p.ScheduledAt = dbTime(p.ScheduledAt)
	}
	schedule = approve && !p.ScheduledAt.IsZero()
	var v snsos.ValidationErrors
	if !p.ScheduledAt.IsZero() && p.ScheduledAt.Before(now.Add(-scheduleSlack)) && !p.ScheduledAt.Equal(dbTime(kept)) {
		v.Add("scheduled_at", "future", "%s is in the past; choose a later time", asGiven.Format(time.RFC3339))
	}
	media, err := e.loadMedia(ctx, p.MediaIDs, &v)
	if err != nil {
		return false, err
	}
	platforms := map[snsos.Platform]map[int64]bool{} // the media each platform publishes
	for i, t := range p.Targets {
		if err := e.checkTarget(ctx, p, t, i, media, platforms, approve, &v); err != nil {
			return false, err
		}
		if schedule {
			if err := e.checkQuota(ctx, t, p.ScheduledAt, i, &v); err != nil {
				return false, err
			}
		}
	}
	// Alt texts belong to the post, not to a target: each broken rule is
	// reported once, on media_alt[<id>], by the first platform that
	// publishes the item.
	for _, pl := range slices.Sorted(maps.Keys(platforms)) {
		var used []snsos.MediaRef
		for _, id := range p.MediaIDs {
			if m, ok := media[id]; ok && platforms[pl][id] {
				used = append(used, m)
			}
		}
		for _, fe := range rules.CheckAltText(pl, used, p.MediaAlt) {
			if !slices.ContainsFunc(v, func(o snsos.FieldError) bool { return o.Field == fe.Field }) {
				v = append(v, fe)
			}
		}
	}
	return schedule, v.Err()
}

// UpdatePost validates an edited post exactly as CreatePost validates a new
// one and saves it over the stored post p.ID, with the targets p lists
// (matched to the stored ones by account; others are added, and stored ones
// p lacks are removed).
//
// A post can be edited while every target is still draft, approved or
// scheduled; otherwise ECONFLICT (a post being published or published is
// read-only: duplicate it instead). With approve, every target is approved,
// and scheduled when p has a time (jobs inserted in the same transaction).
// Without it, a target whose content or time changed goes back to draft, so
// that the operator approves what will be published; an unchanged one keeps
// its state. The save is a compare-and-set on the states read here: a
// target that starts publishing meanwhile makes it fail with ECONFLICT.
func (e *Engine) UpdatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	cur, err := e.cfg.Store.FindPostByID(ctx, p.ID)
	if err != nil {
		return err
	}
	expect := map[int64]snsos.TargetVersion{}
	byAccount := map[int64]*snsos.Target{}
	for _, t := range cur.Targets {
		if !slices.Contains(editableStates, t.State) {
			return snsos.Errorf(snsos.ECONFLICT, "post %d can no longer be edited: its %s target is %s; duplicate it instead", p.ID, t.Platform.DisplayName(), t.State)
		}
		expect[t.ID] = snsos.TargetVersion{State: t.State, UpdatedAt: t.UpdatedAt}
		byAccount[t.AccountID] = t
	}
	for _, t := range p.Targets {
		t.ID = 0
		if old := byAccount[t.AccountID]; old != nil {
			t.ID = old.ID
		}
	}
	schedule, err := e.validatePost(ctx, p, approve, cur.ScheduledAt)
	if err != nil {
		return err
	}
	now := e.now()
	postChanged := p.Body != cur.Body || !slices.Equal(p.MediaIDs, cur.MediaIDs) || !maps.Equal(p.MediaAlt, cur.MediaAlt) ||
		!p.ScheduledAt.Equal(cur.ScheduledAt)
	targetChanged := func(t, old *snsos.Target) bool {
		return t.Body != old.Body || !sameOptions(t.Options, old.Options) || !sameMediaIDs(t.MediaIDs, old.MediaIDs)
	}
	anyApproved := false
	var toSchedule []*snsos.Target
	for _, t := range p.Targets {
		old := byAccount[t.AccountID]
		switch {
		case schedule:
			t.State, t.ScheduledAt = snsos.StateScheduled, p.ScheduledAt
			toSchedule = append(toSchedule, t)
		case approve:
			t.State, t.ScheduledAt = snsos.StateApproved, p.ScheduledAt
		case old == nil || postChanged || targetChanged(t, old):
			t.State, t.ScheduledAt = snsos.StateDraft, p.ScheduledAt
		default:
			t.State, t.ScheduledAt = old.State, old.ScheduledAt
			if t.State == snsos.StateScheduled {
				// The store gives it a new job number: it needs its job.
				toSchedule = append(toSchedule, t)
			}
		}
		anyApproved = anyApproved || t.State != snsos.StateDraft
	}
	switch {
	case approve:
		p.ApprovedAt = now
	case anyApproved:
		p.ApprovedAt = cur.ApprovedAt
	default:
		p.ApprovedAt = time.Time{}
	}
	return e.cfg.Store.UpdatePost(ctx, p, expect, func(ctx context.Context, tx *sql.Tx) error {
		for _, t := range toSchedule {
			// The store gave each a new job number: any earlier job of
			// the target is stale.
			if err := e.insertScheduleJobs(ctx, tx, t.ID, t.JobSeq, t.ScheduledAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// editableStates are the states in which a target's post may be edited.
var editableStates = []snsos.TargetState{snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled}

// sameOptions compares two option maps by their JSON form (what the store
// keeps).
func sameOptions(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// sameMediaIDs compares two targets' own media lists, nil (the post's
// media) apart from empty (none).
func sameMediaIDs(a, b []int64) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }

// loadMedia finds the post's media by id, recording missing ids as field
// errors.
func (e *Engine) loadMedia(ctx context.Context, ids []int64, v *snsos.ValidationErrors) (map[int64]snsos.MediaRef, error) {
	out := make(map[int64]snsos.MediaRef, len(ids))
	for i, id := range ids {
		m, err := e.cfg.Store.FindMediaByID(ctx, id)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			v.Add("media_ids["+strconv.Itoa(i)+"]", "exists", "media %d does not exist; upload it first", id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = *m
	}
	return out, nil
}

// targetMedia returns the media target t of post p publishes, in its
// order, leaving out ids not in media (reported elsewhere).
func targetMedia(p *snsos.Post, t *snsos.Target, media map[int64]snsos.MediaRef) []snsos.MediaRef {
	var out []snsos.MediaRef
	for _, id := range p.MediaFor(t) {
		if m, ok := media[id]; ok {
			out = append(out, m)
		}
	}
	return out
}

// checkTarget checks one target: its account, its options, and its
// platform's text and media rules for the target's own media, and, with
// approve, what the account needs of an approved target (checkAccountRules).
// It records the media each platform publishes in platforms.
func (e *Engine) checkTarget(ctx context.Context, p *snsos.Post, t *snsos.Target, i int, media map[int64]snsos.MediaRef,
	platforms map[snsos.Platform]map[int64]bool, approve bool, v *snsos.ValidationErrors) error {
	field := "targets[" + strconv.Itoa(i) + "]"
	a, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		v.Add(field+".account_id", "exists", "account %d does not exist", t.AccountID)
		return nil
	}
	if err != nil {
		return err
	}
	if platforms[a.Platform] == nil {
		platforms[a.Platform] = map[int64]bool{}
	}
	for _, id := range p.MediaFor(t) {
		platforms[a.Platform][id] = true
	}
	if a.Status != snsos.AccountConnected {
		v.Add(field+".account_id", "connected", "the %s account @%s needs to be connected again before it can post", a.Platform.DisplayName(), a.Handle)
	}
	t.Options = normalizeOptions(a.Platform, t.Options)
	refs := targetMedia(p, t, media)
	for _, fe := range checkRules(p, t, a.Platform, refs) {
		v.Add(field+"."+fe.Field, fe.Rule, "%s", fe.Message)
	}
	if approve {
		for _, fe := range checkAccountRules(t, a) {
			v.Add(field+"."+fe.Field, fe.Rule, "%s", fe.Message)
		}
	}
	return nil
}

// checkRules checks target t of post p against platform pl's rules with
// the target's media refs: its options (media type included), the text of
// each part and the media. Fields are relative to the target ("body",
// "options.parts[1]", "media[0]" …).
func checkRules(p *snsos.Post, t *snsos.Target, pl snsos.Platform, refs []snsos.MediaRef) []snsos.FieldError {
	var v snsos.ValidationErrors
	mediaType, typeErr := rules.MediaType(pl, t.Options, refs)
	v = append(v, fieldErrors(typeErr)...)
	v = append(v, rules.CheckOptions(pl, t.Options, mediaType)...)
	parts, err := Parts(p, t)
	if err != nil {
		v.Add("options.parts", "type", "%s", snsos.ErrorMessage(err))
	}
	for n, text := range parts {
		ro := rules.Options{HasMedia: n == 0 && len(refs) > 0, TikTokPhoto: pl == snsos.PlatformTikTok && rules.TikTokPhotoPost(refs)}
		if la, ok := t.Options[rules.OptLinkAttachment].(string); ok && n == 0 {
			ro.LinkAttachment = la
		}
		for _, fe := range rules.Check(pl, text, ro).Errors {
			f := "body"
			if len(parts) > 1 {
				f = "options.parts[" + strconv.Itoa(n) + "]"
			}
			v.Add(f, fe.Rule, "%s", fe.Message)
		}
	}
	// When the media type is wrong, its error says so once: the files are
	// still checked (as any post of the platform), missing media is not
	// reported again.
	if typeErr == nil || len(refs) > 0 {
		v = append(v, rules.CheckMedia(pl, refs, rules.Options{HasMedia: len(refs) > 0}.WithMediaType(pl, mediaType))...)
	}
	return v
}

// fieldErrors returns the field errors err wraps (none for nil).
func fieldErrors(err error) snsos.ValidationErrors {
	var v snsos.ValidationErrors
	errors.As(err, &v)
	return v
}

// normalizeOptions returns opts with an explicit media_type written as the
// platform spells it (upper case; an empty one removed), so that it is
// stored that way. An inferred media type is never stored: the engine
// resolves it when it builds the request.
func normalizeOptions(pl snsos.Platform, opts map[string]any) map[string]any {
	s, ok := opts[rules.OptMediaType].(string)
	if !ok || len(rules.MediaTypes(pl)) == 0 {
		return opts
	}
	out := maps.Clone(opts)
	if s = strings.ToUpper(strings.TrimSpace(s)); s == "" {
		delete(out, rules.OptMediaType)
	} else {
		out[rules.OptMediaType] = s
	}
	return out
}

// checkQuota refuses a schedule that would take the account over its
// platform's rolling 24-hour publishing limit around at.
func (e *Engine) checkQuota(ctx context.Context, t *snsos.Target, at time.Time, i int, v *snsos.ValidationErrors) error {
	a, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return nil // reported by checkTarget
	}
	limit, ok := e.cfg.Quotas[a.Platform]
	if !ok || limit <= 0 {
		return nil
	}
	for _, w := range [][2]time.Time{{at.Add(-24 * time.Hour), at.Add(time.Second)}, {at, at.Add(24 * time.Hour)}} {
		n, err := e.cfg.Store.CountAccountDeliveries(ctx, a.ID, w[0], w[1], t.ID)
		if err != nil {
			return err
		}
		if n+1 > limit {
			v.Add("targets["+strconv.Itoa(i)+"].scheduled_at", "quota",
				"@%s already has %d posts within 24 hours of %s; %s allows %d per rolling 24 hours",
				a.Handle, n, at.Format(time.RFC3339), a.Platform.DisplayName(), limit)
			return nil
		}
	}
	return nil
}

// insertScheduleJobs inserts publish job seq and its preflight in tx.
func (e *Engine) insertScheduleJobs(ctx context.Context, tx *sql.Tx, targetID, seq int64, at time.Time) error {
	at = dbTime(at)
	if _, err := e.cfg.Jobs.InsertTx(ctx, tx, PublishArgs{TargetID: targetID, At: at, Seq: seq}, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return err
	}
	return e.insertPreflight(ctx, tx, targetID, at)
}

// insertPreflight inserts the preflight check of a target due at at.
func (e *Engine) insertPreflight(ctx context.Context, tx *sql.Tx, targetID int64, at time.Time) error {
	at = dbTime(at)
	pre := at.Add(-e.cfg.PreflightBefore)
	if now := e.now(); pre.Before(now) {
		pre = now
	}
	_, err := e.cfg.Jobs.InsertTx(ctx, tx, PreflightArgs{TargetID: targetID, At: at}, &river.InsertOpts{ScheduledAt: pre})
	return err
}

// Approve approves a post's draft targets. A post that already has a
// scheduled time in the future is scheduled at once.
func (e *Engine) Approve(ctx context.Context, postID int64) (*snsos.Post, error) {
	p, err := e.cfg.Store.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	drafts := 0
	for _, t := range p.Targets {
		if t.State == snsos.StateDraft {
			drafts++
		}
	}
	if drafts == 0 {
		return nil, snsos.Errorf(snsos.ECONFLICT, "post %d has nothing to approve: its targets are %s", postID, states(p))
	}
	now := e.now()
	if !p.ScheduledAt.IsZero() && p.ScheduledAt.Before(now.Add(-scheduleSlack)) {
		// Approving would leave it approved for a time that has gone.
		return nil, (&snsos.ValidationErrors{{Field: "scheduled_at", Rule: "future",
			Message: fmt.Sprintf("the post's time %s has passed; give it a new time and approve it again", p.ScheduledAt.Format(time.RFC3339))}}).Err()
	}
	if err := e.checkDrafts(ctx, p); err != nil {
		return nil, err
	}
	for _, t := range p.Targets {
		if t.State != snsos.StateDraft {
			continue
		}
		if _, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: snsos.StateDraft, To: snsos.StateApproved, Actor: "operator"}); err != nil {
			return nil, err
		}
	}
	if err := e.cfg.Store.SetPostTimes(ctx, postID, &now, nil); err != nil {
		return nil, err
	}
	if !p.ScheduledAt.IsZero() { // in the future, or just now (within the slack)
		return e.Schedule(ctx, postID, p.ScheduledAt)
	}
	return e.cfg.Store.FindPostByID(ctx, postID)
}

// checkDrafts checks the draft targets of stored post p against their
// platforms' rules (options, text, media) and their accounts' needs
// (checkAccountRules) before they are approved: a draft saved before a rule
// existed is not approved into a refusal.
func (e *Engine) checkDrafts(ctx context.Context, p *snsos.Post) error {
	var v snsos.ValidationErrors
	media, err := e.loadMedia(ctx, p.MediaIDs, &v)
	if err != nil {
		return err
	}
	for i, t := range p.Targets {
		if t.State != snsos.StateDraft {
			continue
		}
		fes := checkRules(p, t, t.Platform, targetMedia(p, t, media))
		if t.Platform == snsos.PlatformTikTok {
			a, err := e.cfg.Store.FindAccountByID(ctx, t.AccountID)
			if err != nil {
				return err
			}
			fes = append(fes, checkAccountRules(t, a)...)
		}
		for _, fe := range fes {
			v.Add("targets["+strconv.Itoa(i)+"]."+fe.Field, fe.Rule, "%s", fe.Message)
		}
	}
	return v.Err()
}

// Schedule schedules a post's approved (or already scheduled) targets at at,
// inserting each publish job in the transaction that schedules the target.
func (e *Engine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	p, err := e.cfg.Store.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	asGiven := at
	at = dbTime(at)
	var v snsos.ValidationErrors
	if at.IsZero() {
		v.Add("scheduled_at", "required", "give a time with its zone, e.g. 2026-12-24T09:00:00+09:00")
	} else if at.Before(e.now().Add(-scheduleSlack)) {
		v.Add("scheduled_at", "future", "%s is in the past; choose a later time", asGiven.Format(time.RFC3339))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var todo []*snsos.Target
	for i, t := range p.Targets {
		switch t.State {
		case snsos.StateApproved, snsos.StateScheduled:
			if err := e.checkQuota(ctx, t, at, i, &v); err != nil {
				return nil, err
			}
			todo = append(todo, t)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(todo) == 0 {
		return nil, snsos.Errorf(snsos.ECONFLICT, "post %d has no approved target to schedule (its targets are %s); approve it first", postID, states(p))
	}
	for _, t := range todo {
		// One transaction per target, also for a reschedule (scheduled →
		// scheduled): the new time, a new job number and its job commit
		// together, so no job can run between two writes and strand it.
		tid := t.ID
		var seq int64
		if _, err := e.cfg.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: t.State, To: snsos.StateScheduled, Actor: "operator",
			Detail: at.UTC().Format(time.RFC3339),
			Mutate: func(t *snsos.Target) {
				t.ScheduledAt, t.Error, t.Preflight = at.UTC(), "", ""
				t.JobSeq++
				seq = t.JobSeq
			},
			Hook: func(ctx context.Context, tx *sql.Tx) error { return e.insertScheduleJobs(ctx, tx, tid, seq, at) },
		}); err != nil {
			return nil, err
		}
	}
	if err := e.cfg.Store.SetPostTimes(ctx, postID, nil, &at); err != nil {
		return nil, err
	}
	return e.cfg.Store.FindPostByID(ctx, postID)
}

// Cancel cancels every target of the post that has not started publishing
// (a thread with parts live ends as a partial publication instead). It
// refuses, changing nothing, while a target may be live and unsettled
// (publishing, unknown, needs_operator), and when nothing can be canceled.
func (e *Engine) Cancel(ctx context.Context, postID int64) (*snsos.Post, error) {
	p, err := e.cfg.Store.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	var todo []*snsos.Target
	for _, t := range p.Targets {
		switch t.State {
		case snsos.StatePublishing, snsos.StateUnknown, snsos.StateNeedsOperator:
			return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s right now; it cannot be canceled until sns-os (or you) knows whether it went live", t.ID, t.State)
		case snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled, snsos.StateRetryWait:
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return nil, snsos.Errorf(snsos.ECONFLICT, "post %d has nothing to cancel: its targets are %s", postID, states(p))
	}
	for _, t := range todo {
		f := Facts{LiveParts: liveParts(t), Parts: partsOf(t)}
		if ps, err := Parts(p, t); err == nil {
			f.Parts = len(ps)
		}
		if _, err := e.decideAndApply(ctx, t, OutcomeCanceled, f, change{actor: "operator"}); err != nil {
			return nil, err
		}
	}
	return e.cfg.Store.FindPostByID(ctx, postID)
}

// RetryTarget schedules a failed target again, now. A failed target is by
// definition not live, so this cannot post twice.
func (e *Engine) RetryTarget(ctx context.Context, targetID int64) (*snsos.Target, error) {
	t, err := e.cfg.Store.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateFailed {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only a failed target can be retried", targetID, t.State)
	}
	at := dbTime(e.now())
	return e.decideAndApply(ctx, t, OutcomeRetry, Facts{}, change{actor: "operator", detail: "retry",
		mutate: func(t *snsos.Target) {
			// A retry starts a fresh budget: the operator fixed the cause.
			t.ScheduledAt, t.Preflight, t.AttemptBase, t.ReconcileTries, t.DuplicateAt = at, "", t.Attempts, 0, time.Time{}
			// Nothing of a failed target is live, and uploaded media ids
			// expire: the retry starts from the beginning.
			t.Progress = nil
		}})
}

// ReconcileTarget asks sns-os to look at the platform again for a target
// whose outcome is unknown or was handed to the operator.
func (e *Engine) ReconcileTarget(ctx context.Context, targetID int64) (*snsos.Target, error) {
	t, err := e.cfg.Store.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateUnknown && t.State != snsos.StateNeedsOperator {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only an unknown target or one waiting for the operator can be checked", targetID, t.State)
	}
	return e.decideAndApply(ctx, t, OutcomeCheckAgain, Facts{}, change{actor: "operator", detail: "check again",
		mutate: func(t *snsos.Target) { t.ReconcileTries = 0 }})
}

// Resolution is the operator's word on a target handed to them.
type Resolution struct {
	// Published: the post is live; RemoteURL is its link (and RemoteID its
	// id, read from the link when the platform's client can).
	Published bool
	RemoteURL string
	RemoteID  string
}

// ResolveTarget records what the operator found on the platform for a
// target in needs_operator: published (with its link), or not published —
// then the target fails with "confirmed by the operator: not published",
// which Retry can schedule again. Both are audited as the operator's.
func (e *Engine) ResolveTarget(ctx context.Context, targetID int64, r Resolution) (*snsos.Target, error) {
	t, err := e.cfg.Store.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateNeedsOperator {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only a target waiting for the operator can be resolved", targetID, t.State)
	}
	if !r.Published {
		return e.decideAndApply(ctx, t, OutcomeConfirmedAbsent, Facts{}, change{actor: "operator", detail: "operator: not published",
			mutate: func(t *snsos.Target) { t.Progress = nil }}) // nothing is live: a retry starts from the beginning
	}
	var v snsos.ValidationErrors
	u, perr := url.Parse(strings.TrimSpace(r.RemoteURL))
	if r.RemoteURL == "" || perr != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		v.Add("remote_url", "url", "give the post's link on %s, e.g. one copied from the post's share menu", t.Platform.DisplayName())
		return nil, v.Err()
	}
	id := strings.TrimSpace(r.RemoteID)
	if res, ok := e.cfg.Platforms[t.Platform].(platform.URLResolver); ok && id == "" {
		got, err := res.PostIDFromURL(u.String())
		if err != nil {
			v.Add("remote_url", "post_link", "%s", err.Error())
			return nil, v.Err()
		}
		id = got
	}
	if id != "" {
		if other, err := e.cfg.Store.FindTargetByRemoteID(ctx, t.AccountID, id); err == nil && other.ID != t.ID {
			v.Add("remote_url", "unique", "that post is already recorded for post %d", other.PostID)
			return nil, v.Err()
		}
	}
	return e.decideAndApply(ctx, t, OutcomeConfirmedLive, Facts{}, change{actor: "operator", detail: "operator: published " + id,
		mutate: func(t *snsos.Target) {
			t.RemoteURL, t.RemoteID = u.String(), id
			if t.Progress == nil {
				t.Progress = map[string]string{}
			}
			if id != "" && t.Progress[platform.PartIDKey(1)] == "" {
				t.Progress[platform.PartIDKey(1)] = id
			}
		}})
}

// FailAccountTargets fails the account's targets waiting to be published
// (scheduled, retry_wait) with reason, through the same rules as every
// other outcome (a thread with parts live ends as a partial publication).
// Targets that moved meanwhile are left alone. The token service calls it
// when an account's access is refused or revoked.
func (e *Engine) FailAccountTargets(ctx context.Context, ts []*snsos.Target, reason string) error {
	var errs []error
	for _, t := range ts {
		if t.State != snsos.StateScheduled && t.State != snsos.StateRetryWait {
			continue
		}
		_, err := e.decideAndApply(ctx, t, OutcomeAuth, Facts{Why: reason, LiveParts: liveParts(t), Parts: partsOf(t)}, change{detail: "account needs reauth"})
		if err != nil && !snsos.IsCode(err, snsos.ECONFLICT) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Parts returns the text of each part of target t of post p: the "parts"
// option (a thread, for X and Threads) or the single text.
func Parts(p *snsos.Post, t *snsos.Target) ([]string, error) {
	raw, ok := t.Options["parts"]
	if !ok {
		return []string{p.TextFor(t)}, nil
	}
	list, ok := raw.([]any)
	if !ok {
		if ss, ok2 := raw.([]string); ok2 {
			return ss, nil
		}
		return nil, snsos.Errorf(snsos.EINVALID, "parts must be a list of texts")
	}
	if len(list) == 0 || len(list) > 25 {
		return nil, snsos.Errorf(snsos.EINVALID, "a thread has 1 to 25 parts")
	}
	out := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, snsos.Errorf(snsos.EINVALID, "part %d of the thread must be non-empty text", i+1)
		}
		out[i] = s
	}
	return out, nil
}

func states(p *snsos.Post) string {
	var parts []string
	for _, t := range p.Targets {
		parts = append(parts, fmt.Sprintf("%d:%s", t.ID, t.State))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// dbTime is t as the store keeps it (UTC, microseconds), so that a job's
// time compares equal to the target's scheduled time read back.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
