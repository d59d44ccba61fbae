package compliance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// Store is what the service needs from the database. *store.Store
// implements it. (Like oauth, compliance imports store for the types of
// these methods only.)
type Store interface {
	ListAccounts(ctx context.Context) ([]*snsos.Account, error)
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	ListTargetsOfAccount(ctx context.Context, accountID int64, states ...snsos.TargetState) ([]*snsos.Target, error)

	FindSignedRequest(ctx context.Context, hash string) (*store.SignedRequest, error)
	ActOnSignedRequest(ctx context.Context, sr *store.SignedRequest, d *snsos.DeletionRequest, r store.AccessRemoval, hook store.TxHook) error
	PruneSignedRequests(ctx context.Context, t time.Time) (int64, error)

	FindDeletionRequestByID(ctx context.Context, id int64) (*snsos.DeletionRequest, error)
	FindDeletionRequestByCode(ctx context.Context, code string) (*snsos.DeletionRequest, error)
	ConfirmDeletionRequest(ctx context.Context, id int64, accountIDs []int64, r store.AccessRemoval, hook store.TxHook) (*snsos.DeletionRequest, error)
	ListDueDeletionRequests(ctx context.Context, now time.Time) ([]*snsos.DeletionRequest, error)
	PurgeDeletionRequest(ctx context.Context, id int64) (*store.PurgeResult, error)
	CompleteDeletionPurge(ctx context.Context, id int64, counts snsos.PurgeCounts) error
}

var _ Store = (*store.Store)(nil)

// TargetFailer settles the targets of an account whose access ended: the
// delivery engine (publish.Engine), which applies its own rules.
type TargetFailer interface {
	FailAccountTargets(ctx context.Context, ts []*snsos.Target, reason string) error
}

// MediaDeleter deletes a media item with its file; ECONFLICT while a post
// uses it. *media.Library implements it.
type MediaDeleter interface {
	Delete(ctx context.Context, id int64) error
}

// Jobs inserts River jobs, inside a store transaction or on their own.
// *jobs.Client implements it.
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// DefaultWindow is how long after a deletion request its purge runs when
// no window is configured: the 30 days the privacy policy promises.
const DefaultWindow = 30 * 24 * time.Hour

// Config configures a Service.
type Config struct {
	Store  Store
	Failer TargetFailer // nil: waiting targets fail when their time comes (the account is revoked)
	Media  MediaDeleter // nil: media are left to the media garbage collection
	Jobs   Jobs
	// PublicURL is where the status pages are: the data-deletion answer's
	// url is PublicURL + "/deletion/" + code.
	PublicURL string
	// Secrets are the app secrets that may sign each platform's callbacks
	// (Instagram: the Instagram app secret, which is also its client
	// secret, or the Meta app secret; Threads: the Threads app secret). A
	// platform without one answers its callbacks 400.
	Secrets map[snsos.Platform][][]byte
	// MaxAge is how old a signed request may be (DefaultMaxAge when 0).
	MaxAge time.Duration
	// Window is how long after a request its purge runs (DefaultWindow
	// when 0; a negative value purges at once).
	Window time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Service answers the callbacks and carries out deletion requests. It is
// safe for concurrent use.
type Service struct {
	cfg Config
	now func() time.Time
	log *slog.Logger
}

// New returns a Service configured by cfg.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	switch {
	case cfg.Window == 0:
		cfg.Window = DefaultWindow
	case cfg.Window < 0:
		cfg.Window = 0
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{cfg: cfg, now: cfg.Now, log: cfg.Logger}
}

// SetJobs sets the job inserter, for callers that build the job client
// (which needs the workers from Register) after the service.
func (s *Service) SetJobs(j Jobs) { s.cfg.Jobs = j }

// Callback kinds: the last element of the webhook path.
const (
	KindDeauthorize  = "deauthorize"
	KindDataDeletion = "data-deletion"
)

// Answer is what a callback is answered: for a data deletion, the status
// page and the confirmation code (Meta's required JSON).
type Answer struct {
	URL              string `json:"url,omitempty"`
	ConfirmationCode string `json:"confirmation_code,omitempty"`
}

// StatusURL returns the public status page of confirmation code.
func (s *Service) StatusURL(code string) string { return s.cfg.PublicURL + "/deletion/" + code }

// Callback acts on a verified signed request of kind for platform p: see
// the package documentation. A replay of a request acted on before is
// answered as the original was and changes nothing; the same request sent
// to another callback is refused (*RefusedError).
func (s *Service) Callback(ctx context.Context, p snsos.Platform, kind string, v *Payload) (*Answer, error) {
	if ans, err := s.replayed(ctx, p, kind, v); ans != nil || err != nil {
		return ans, err
	}
	accts, err := s.matchAccounts(ctx, p, v.UserID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	sr := &store.SignedRequest{Hash: v.SignatureHash, Platform: p, Kind: kind}
	r := store.AccessRemoval{AccountIDs: ids, Source: store.RemovedByDeauthorize, Actor: "platform:" + string(p),
		Reason: fmt.Sprintf("access was removed on %s (the app was removed from the account); sns-os deleted its tokens", p.DisplayName())}
	var d *snsos.DeletionRequest
	var hook store.TxHook
	if kind == KindDataDeletion {
		d = &snsos.DeletionRequest{Platform: p, RemoteUserID: v.UserID, ConfirmationCode: NewCode(), AccountIDs: ids,
			DueAt: s.now().Add(s.cfg.Window).UTC()}
		r.Source = store.RemovedByDataDeletion
		r.Reason = fmt.Sprintf("access was removed on %s with a request to delete the account's data; sns-os deleted its tokens, "+
			"and deletes its posts, metrics and media by %s", p.DisplayName(), d.DueAt.Format("2006-01-02"))
		if len(ids) == 0 { // sns-os holds nothing of this user: done at once
			d.Status, d.Purged = snsos.DeletionCompleted, &snsos.PurgeCounts{}
		} else {
			hook = s.purgeHook(d)
		}
	}
	if err := s.cfg.Store.ActOnSignedRequest(ctx, sr, d, r, hook); err != nil {
		if snsos.IsCode(err, snsos.ECONFLICT) { // the same request, acted on meanwhile
			if ans, rerr := s.replayed(ctx, p, kind, v); ans != nil || rerr != nil {
				return ans, rerr
			}
		}
		return nil, err
	}
	s.log.Info("platform callback acted on", "platform", string(p), "kind", kind, "accounts", len(ids))
	s.failWaiting(ctx, accts, r.Source)
	if d == nil {
		return &Answer{}, nil
	}
	return &Answer{URL: s.StatusURL(d.ConfirmationCode), ConfirmationCode: d.ConfirmationCode}, nil
}

// replayed answers a signed request acted on before as the first time, or
// returns nil, nil for a new one.
func (s *Service) replayed(ctx context.Context, p snsos.Platform, kind string, v *Payload) (*Answer, error) {
	seen, err := s.cfg.Store.FindSignedRequest(ctx, v.SignatureHash)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if seen.Platform != p || seen.Kind != kind {
		return nil, refuse("this signed_request was already used for another callback")
	}
	s.log.Info("platform callback replayed; nothing changed", "platform", string(p), "kind", kind)
	if seen.RequestID == 0 {
		return &Answer{}, nil
	}
	d, err := s.cfg.Store.FindDeletionRequestByID(ctx, seen.RequestID)
	if err != nil {
		return nil, err
	}
	return &Answer{URL: s.StatusURL(d.ConfirmationCode), ConfirmationCode: d.ConfirmationCode}, nil
}

// matchAccounts returns platform p's accounts one of whose ids is uid: the
// user id sns-os keeps (RemoteID) or, on Instagram, the app-scoped id, since
// Meta's callbacks may name either.
func (s *Service) matchAccounts(ctx context.Context, p snsos.Platform, uid string) ([]*snsos.Account, error) {
	all, err := s.cfg.Store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []*snsos.Account
	for _, a := range all {
		if a.Platform == p && (a.RemoteID == uid || a.Options["app_scoped_id"] == uid) {
			out = append(out, a)
		}
	}
	return out, nil
}

// failWaiting has the delivery engine fail the accounts' targets waiting
// to be published. A failure is logged: the account is revoked, so a
// waiting target fails anyway when its time comes.
func (s *Service) failWaiting(ctx context.Context, accts []*snsos.Account, source string) {
	if s.cfg.Failer == nil {
		return
	}
	for _, a := range accts {
		ts, err := s.cfg.Store.ListTargetsOfAccount(ctx, a.ID, snsos.StateScheduled, snsos.StateRetryWait)
		if err == nil && len(ts) > 0 {
			err = s.cfg.Failer.FailAccountTargets(ctx, ts, targetReason(a, source))
		}
		if err != nil {
			s.log.Error("waiting targets not failed", "account_id", a.ID, "err", err)
		}
	}
}

// targetReason is a failed target's error: what happened, then what to do.
func targetReason(a *snsos.Account, source string) string {
	what := "access was removed on " + a.Platform.DisplayName()
	switch source {
	case store.RemovedByDataDeletion, store.RemovedByConfirmation:
		what += " and the account's data is being deleted"
	}
	return fmt.Sprintf("%s account @%s: %s. Reconnect the account, then retry.", a.Platform.DisplayName(), a.Handle, what)
}

// purgeHook queues d's purge in the transaction that records d, due at
// d.DueAt.
func (s *Service) purgeHook(d *snsos.DeletionRequest) store.TxHook {
	return func(ctx context.Context, tx *sql.Tx) error {
		if s.cfg.Jobs == nil {
			return errors.New("compliance: no job inserter configured")
		}
		_, err := s.cfg.Jobs.InsertTx(ctx, tx, PurgeArgs{RequestID: d.ID}, s.purgeOpts(d.DueAt))
		return err
	}
}

// purgeOpts schedules a purge at due, or at once when due has come.
func (s *Service) purgeOpts(due time.Time) *river.InsertOpts {
	if !due.After(s.now()) {
		return nil
	}
	return &river.InsertOpts{ScheduledAt: due}
}

// ConfirmDeletion confirms the deletion request with confirmation code
// code, as the operator does for a request made through the contact form
// (a stranger's form post never deletes anything on its own): the request
// is about accountIDs, or, when that is nil, about the accounts of its
// platform whose ids match its remote user id. Their tokens are deleted at
// once, their waiting targets fail, and the purge is queued within the
// window (by the request's due date at the latest). A request about no
// account is completed at once. A request confirmed before, or completed,
// is ECONFLICT; an unknown code ENOTFOUND; an unknown account EINVALID.
// It implements web.Purger.
func (s *Service) ConfirmDeletion(ctx context.Context, code string, accountIDs []int64) error {
	d, err := s.cfg.Store.FindDeletionRequestByCode(ctx, code)
	if err != nil {
		return err
	}
	if !d.ConfirmedAt.IsZero() || d.Status == snsos.DeletionCompleted {
		return snsos.Errorf(snsos.ECONFLICT, "the deletion request is not awaiting confirmation")
	}
	accts, err := s.confirmAccounts(ctx, d, accountIDs)
	if err != nil {
		return err
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	due := d.DueAt
	if w := s.now().Add(s.cfg.Window); due.IsZero() || w.Before(due) {
		due = w
	}
	var hook store.TxHook
	if len(ids) > 0 {
		hook = func(ctx context.Context, tx *sql.Tx) error {
			if s.cfg.Jobs == nil {
				return errors.New("compliance: no job inserter configured")
			}
			_, err := s.cfg.Jobs.InsertTx(ctx, tx, PurgeArgs{RequestID: d.ID}, s.purgeOpts(due))
			return err
		}
	}
	r := store.AccessRemoval{Source: store.RemovedByConfirmation, Actor: "operator",
		Reason: fmt.Sprintf("the operator confirmed a request to delete the account's data; sns-os deleted its tokens, "+
			"and deletes its posts, metrics and media by %s", due.UTC().Format("2006-01-02"))}
	if _, err := s.cfg.Store.ConfirmDeletionRequest(ctx, d.ID, ids, r, hook); err != nil {
		return err
	}
	s.log.Info("deletion request confirmed", "request_id", d.ID, "accounts", len(ids))
	s.failWaiting(ctx, accts, store.RemovedByConfirmation)
	if len(ids) == 0 {
		return s.cfg.Store.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{})
	}
	return nil
}

// confirmAccounts returns the accounts a confirmed request is about.
func (s *Service) confirmAccounts(ctx context.Context, d *snsos.DeletionRequest, accountIDs []int64) ([]*snsos.Account, error) {
	if accountIDs == nil {
		if d.RemoteUserID == "" || !d.Platform.Valid() {
			return nil, nil
		}
		return s.matchAccounts(ctx, d.Platform, d.RemoteUserID)
	}
	var out []*snsos.Account
	seen := map[int64]bool{}
	for _, id := range accountIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := s.cfg.Store.FindAccountByID(ctx, id)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			return nil, snsos.Errorf(snsos.EINVALID, "account %d does not exist", id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Purge carries out deletion request id: the database part in one
// transaction (store.PurgeDeletionRequest), then the media no post uses any
// more with their files, then the request's completion. A request
// completed before is left alone.
func (s *Service) Purge(ctx context.Context, id int64) error {
	res, err := s.cfg.Store.PurgeDeletionRequest(ctx, id)
	if err != nil {
		return err
	}
	if res.Completed {
		return nil
	}
	counts := res.Counts
	for _, m := range res.Media {
		if s.cfg.Media == nil {
			break // the media garbage collection removes them
		}
		err := s.cfg.Media.Delete(ctx, m)
		switch {
		case err == nil, snsos.IsCode(err, snsos.ENOTFOUND): // gone, by now or an earlier run
			counts.Media++
		case snsos.IsCode(err, snsos.ECONFLICT): // a post took it up meanwhile: it stays
		default:
			return fmt.Errorf("compliance: delete media %d: %w", m, err)
		}
	}
	if err := s.cfg.Store.CompleteDeletionPurge(ctx, id, counts); err != nil {
		return err
	}
	s.log.Info("deletion request purged", "request_id", id, "accounts", counts.Accounts, "posts", counts.Posts,
		"targets", counts.Targets, "snapshots", counts.Snapshots, "attempts", counts.Attempts, "media", counts.Media)
	return nil
}
