package attention

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
)

// RemovalStore is what the access removal and deletion items are computed
// from; *store.Store implements it.
type RemovalStore interface {
	// ListAuditEventsSince returns the audit events of action recorded at
	// or after since, newest first.
	ListAuditEventsSince(ctx context.Context, action string, since time.Time) ([]*snsos.AuditEvent, error)
	// ListDeletionRequests returns the requests not completed yet and those
	// completed at or after completedSince.
	ListDeletionRequests(ctx context.Context, completedSince time.Time) ([]*snsos.DeletionRequest, error)
}

// DefaultRecent is how long an access removal or a completed deletion
// stays on the list.
const DefaultRecent = 7 * 24 * time.Hour

// auditAccessRemoved is store.AuditAccessRemoved, the audit action of an
// access the platform ended; its detail names the source.
const auditAccessRemoved = "account.access_removed"

// Sources of an access removal (store.RemovedBy*) that make an
// AccessRemoved item; the data deletions make Purge items instead.
const (
	SourceDeauthorize = "deauthorize" // the platform's deauthorize callback
	SourceRefresh     = "refresh"     // the platform refused the refresh token as revoked
)

// Removal is what an AccessRemoved or Purge item says happened and what
// was deleted.
type Removal struct {
	// Source is how access ended (AccessRemoved): SourceDeauthorize or
	// SourceRefresh.
	Source string
	// RequestID and Code name the deletion request (Purge); Code is
	// its public confirmation code.
	RequestID int64
	Code      string
	// Accounts is how many accounts the deletion request is about.
	Accounts int
	// Due is when the purge is due; Done when it completed, with what it
	// deleted (Purged).
	Due, Done time.Time
	Purged    *snsos.PurgeCounts
}

// addRemovals lists the accounts whose access the platform ended within
// o.Recent (while they stay revoked), and the deletion requests confirmed
// and not completed, or completed within o.Recent.
func (c *computation) addRemovals(ctx context.Context, rs RemovalStore, waitingBy map[int64]int) error {
	since := c.now.Add(-c.o.Recent)
	evs, err := rs.ListAuditEventsSince(ctx, auditAccessRemoved, since)
	if err != nil {
		return err
	}
	listed := map[int64]bool{}
	for _, ev := range evs { // newest first: one item per account
		var d struct {
			Source string `json:"source"`
		}
		a := c.byID[ev.SubjectID]
		if listed[ev.SubjectID] || a == nil || a.Status != snsos.AccountRevoked || json.Unmarshal([]byte(ev.Detail), &d) != nil {
			continue
		}
		listed[ev.SubjectID], c.removed[ev.SubjectID] = true, true
		if d.Source != SourceDeauthorize && d.Source != SourceRefresh {
			continue // a data deletion: its request is the item
		}
		c.items = append(c.items, Item{Key: "access_removed:" + strconv.FormatInt(ev.ID, 10), Kind: AccessRemoved,
			AccountID: a.ID, Platform: a.Platform, Handle: a.Handle, Since: ev.At, Pending: waitingBy[a.ID],
			Removal: &Removal{Source: d.Source}, Action: reconnect(a.Platform)})
	}
	reqs, err := rs.ListDeletionRequests(ctx, since)
	if err != nil {
		return err
	}
	for _, d := range reqs {
		if d.ConfirmedAt.IsZero() || d.Platform == "" && len(d.AccountIDs) == 0 {
			continue // waiting for the operator, or only the sender's messages: the inbox says so
		}
		it := Item{Kind: Purge, Platform: d.Platform, Since: d.ConfirmedAt,
			Removal: &Removal{RequestID: d.ID, Code: d.ConfirmationCode, Accounts: len(d.AccountIDs), Due: d.DueAt,
				Done: d.CompletedAt, Purged: d.Purged},
			Action: Action{Kind: ActionStatus, Path: "/deletion/" + d.ConfirmationCode}}
		it.Key = "purge:" + strconv.FormatInt(d.ID, 10) + ":" + string(d.Status)
		if len(d.AccountIDs) == 1 {
			if a := c.byID[d.AccountIDs[0]]; a != nil {
				it.AccountID, it.Handle = a.ID, a.Handle
			}
		}
		c.items = append(c.items, it)
	}
	return nil
}

// removalText is the English sentence of an AccessRemoved or Purge item.
func (it Item) removalText(who string, when func(time.Time) string) string {
	r := it.Removal
	if r == nil {
		r = &Removal{}
	}
	switch it.Kind {
	case AccessRemoved:
		how := "removed sns-os's access"
		if r.Source == SourceRefresh {
			how = "revoked sns-os's access (it refused the refresh token)"
		}
		return it.Platform.DisplayName() + " " + how + " to " + who + " on " + when(it.Since) +
			". sns-os deleted the account's tokens" + failedClause(it.Pending) + ". Reconnect it to publish there again."
	}
	what := "a data deletion request from " + it.Platform.DisplayName()
	if it.Handle != "" {
		what += " about " + who
	}
	if r.Done.IsZero() {
		return "Deleting " + what + ": the tokens were deleted on " + when(it.Since) + "; its posts, metrics and media are deleted by " +
			when(r.Due) + "."
	}
	p := r.Purged
	if p == nil {
		p = &snsos.PurgeCounts{}
	}
	return "Done on " + when(r.Done) + ": " + what + ". Deleted " + count(p.Posts, "post") + ", " + count(p.Targets, "delivery") + ", " +
		count(p.Snapshots, "metric snapshot") + " and " + count(p.Media, "media file") + "."
}

func failedClause(n int) string {
	if n == 0 {
		return ""
	}
	return "; " + count(n, "post") + " waiting for it will not go out"
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if noun == "delivery" {
		return strconv.Itoa(n) + " deliveries"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
