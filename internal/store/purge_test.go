package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/sim/simclock"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// purgeWorld is a store with an Instagram account whose data is to be
// deleted and an X account that shares a post with it.
type purgeWorld struct {
	s              *store.Store
	ig, x          *snsos.Account
	m1, m2, m3     *snsos.MediaRef
	own            *snsos.Post // Instagram only, media m1 and m2: goes
	shared         *snsos.Post // Instagram and X, media m3: keeps its X target
	other          *snsos.Post // X only, media m2: untouched
	otherSnapshots int
}

func newPurgeWorld(t *testing.T, s *store.Store) *purgeWorld {
	t.Helper()
	w := &purgeWorld{s: s}
	w.ig = mustAccount(t, s, snsos.PlatformInstagram, "1784")
	w.x = mustAccount(t, s, snsos.PlatformX, "42")
	for _, a := range []*snsos.Account{w.ig, w.x} {
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "tok-" + snsos.Secret(a.RemoteID)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range []**snsos.MediaRef{&w.m1, &w.m2, &w.m3} {
		*m = &snsos.MediaRef{SHA256: "sha" + string(rune('a'+i)), Key: "k" + string(rune('a'+i)), Mime: "image/jpeg", Size: 1}
		if _, err := s.CreateMedia(ctx, *m); err != nil {
			t.Fatal(err)
		}
	}
	w.own = &snsos.Post{Body: "instagram only", MediaIDs: []int64{w.m1.ID, w.m2.ID}, Targets: []*snsos.Target{{AccountID: w.ig.ID}}}
	w.shared = &snsos.Post{Body: "both", MediaIDs: []int64{w.m3.ID}, Targets: []*snsos.Target{{AccountID: w.ig.ID}, {AccountID: w.x.ID}}}
	w.other = &snsos.Post{Body: "x only", MediaIDs: []int64{w.m2.ID}, Targets: []*snsos.Target{{AccountID: w.x.ID}}}
	for _, p := range []*snsos.Post{w.own, w.shared, w.other} {
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The Instagram post went out (an attempt) and has a snapshot; so has
	// the X post, whose snapshot must stay.
	publish(t, s, w.own.Targets[0].ID)
	publish(t, s, w.other.Targets[0].ID)
	for _, tid := range []int64{w.own.Targets[0].ID, w.other.Targets[0].ID} {
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint1h, Values: map[string]int64{"views": 3}}); err != nil {
			t.Fatal(err)
		}
	}
	w.otherSnapshots = 1
	return w
}

// publish takes draft target id through an attempt to published.
func publish(t *testing.T, s *store.Store, id int64) {
	t.Helper()
	for _, tr := range []snsos.TargetTransition{
		{TargetID: id, From: snsos.StateDraft, To: snsos.StateApproved},
		{TargetID: id, From: snsos.StateApproved, To: snsos.StateScheduled, Mutate: func(t *snsos.Target) { t.ScheduledAt = time.Now() }},
		{TargetID: id, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: &snsos.Attempt{Detail: "post"}},
		{TargetID: id, From: snsos.StatePublishing, To: snsos.StatePublished, Mutate: func(t *snsos.Target) { t.RemoteID = "r1" }},
	} {
		if _, err := s.TransitionTarget(ctx, tr); err != nil {
			t.Fatalf("%s → %s: %v", tr.From, tr.To, err)
		}
	}
}

func TestPurgeDeletionRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		w := newPurgeWorld(t, s)
		hooked := false
		sr := &store.SignedRequest{Hash: "abc", Platform: snsos.PlatformInstagram, Kind: "data-deletion"}
		d := &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, RemoteUserID: w.ig.RemoteID, ConfirmationCode: "CODE1234",
			AccountIDs: []int64{w.ig.ID}, DueAt: time.Now().Add(time.Hour)}
		r := store.AccessRemoval{AccountIDs: []int64{w.ig.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:instagram", Reason: "gone"}
		err := s.ActOnSignedRequest(ctx, sr, d, r, func(ctx context.Context, tx *sql.Tx) error { hooked = true; return nil })
		if err != nil || !hooked || d.ID == 0 || sr.RequestID != d.ID {
			t.Fatalf("ActOnSignedRequest: %v (hooked %v, request %d, seen %+v)", err, hooked, d.ID, sr)
		}
		if a, _ := s.FindAccountByID(ctx, w.ig.ID); a.Status != snsos.AccountRevoked || a.StatusReason != "gone" {
			t.Fatalf("account %s %q", a.Status, a.StatusReason)
		}
		_, err = s.FindCredential(ctx, w.ig.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		if _, err := s.FindCredential(ctx, w.x.ID); err != nil {
			t.Fatalf("the other account lost its tokens: %v", err)
		}
		got, err := s.FindDeletionRequestByCode(ctx, "CODE1234")
		if err != nil || got.Status != snsos.DeletionPending || got.ConfirmedAt.IsZero() || got.TokensDeletedAt.IsZero() ||
			!reflect.DeepEqual(got.AccountIDs, []int64{w.ig.ID}) {
			t.Fatalf("request %+v, %v", got, err)
		}
		// The same signed request again: refused, nothing written.
		err = s.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "abc", Platform: snsos.PlatformInstagram, Kind: "deauthorize"}, nil,
			store.AccessRemoval{AccountIDs: []int64{w.x.ID}, Source: store.RemovedByDeauthorize, Actor: "platform:x"}, nil)
		wantCode(t, err, snsos.ECONFLICT)
		if a, _ := s.FindAccountByID(ctx, w.x.ID); a.Status != snsos.AccountConnected {
			t.Fatalf("a refused replay revoked the X account")
		}
		if seen, err := s.FindSignedRequest(ctx, "abc"); err != nil || seen.RequestID != d.ID || seen.Kind != "data-deletion" {
			t.Fatalf("seen %+v, %v", seen, err)
		}

		res, err := s.PurgeDeletionRequest(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := snsos.PurgeCounts{Accounts: 1, Targets: 2, Attempts: 1, Snapshots: 1, Posts: 1}
		if res.Counts != want || !reflect.DeepEqual(res.Media, []int64{w.m1.ID}) || res.Completed {
			t.Fatalf("purge %+v, want %+v and media [%d]", res, want, w.m1.ID)
		}
		w.checkPurged(t)
		// A run stopped before completing runs again: nothing more goes.
		again, err := s.PurgeDeletionRequest(ctx, d.ID)
		if err != nil || again.Counts != want || !reflect.DeepEqual(again.Media, res.Media) {
			t.Fatalf("second purge %+v, %v", again, err)
		}
		want.Media = 1
		if err := s.CompleteDeletionPurge(ctx, d.ID, want); err != nil {
			t.Fatal(err)
		}
		done, err := s.FindDeletionRequestByCode(ctx, "CODE1234")
		if err != nil || done.Status != snsos.DeletionCompleted || done.CompletedAt.IsZero() || done.RemoteUserID != "" ||
			done.Purged == nil || *done.Purged != want {
			t.Fatalf("completed request %+v, %v", done, err)
		}
		if res, err := s.PurgeDeletionRequest(ctx, d.ID); err != nil || !res.Completed {
			t.Fatalf("purge of a completed request: %+v, %v", res, err)
		}
		if err := s.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{}); err != nil {
			t.Fatalf("completing twice: %v", err)
		}

		evs, err := s.ListPurgeEvents(ctx, 10)
		if err != nil || len(evs) != 1 || !reflect.DeepEqual(evs[0].PostIDs, []int64{w.own.ID}) || len(evs[0].TargetIDs) != 2 ||
			evs[0].RequestID != d.ID {
			t.Fatalf("purge events %+v, %v", evs, err)
		}
		if err := s.MarkPurgeEventArchived(ctx, evs[0].ID); err != nil {
			t.Fatal(err)
		}
		if evs, _ := s.ListPurgeEvents(ctx, 10); len(evs) != 0 {
			t.Fatalf("archived event still listed: %+v", evs)
		}
		audits, err := s.ListAuditEventsSince(ctx, store.AuditAccessRemoved, time.Now().Add(-time.Hour))
		if err != nil || len(audits) != 1 || audits[0].SubjectID != w.ig.ID {
			t.Fatalf("access removals %+v, %v", audits, err)
		}
		var detail store.AccessRemovedDetail
		if err := json.Unmarshal([]byte(audits[0].Detail), &detail); err != nil || detail.Source != store.RemovedByDataDeletion || detail.RequestID != d.ID {
			t.Fatalf("detail %q: %v", audits[0].Detail, err)
		}
	})
}

// checkPurged checks what a purge of the Instagram account left.
func (w *purgeWorld) checkPurged(t *testing.T) {
	t.Helper()
	s := w.s
	_, err := s.FindPostByID(ctx, w.own.ID)
	wantCode(t, err, snsos.ENOTFOUND)
	_, err = s.FindTargetByID(ctx, w.own.Targets[0].ID)
	wantCode(t, err, snsos.ENOTFOUND)
	shared, err := s.FindPostByID(ctx, w.shared.ID)
	if err != nil || len(shared.Targets) != 1 || shared.Targets[0].AccountID != w.x.ID || !reflect.DeepEqual(shared.MediaIDs, []int64{w.m3.ID}) {
		t.Fatalf("shared post %+v, %v", shared, err)
	}
	if other, err := s.FindPostByID(ctx, w.other.ID); err != nil || len(other.Targets) != 1 {
		t.Fatalf("other post %+v, %v", other, err)
	}
	if snaps, err := s.ListSnapshots(ctx, w.other.Targets[0].ID); err != nil || len(snaps) != w.otherSnapshots {
		t.Fatalf("the X post's snapshots: %d, %v", len(snaps), err)
	}
	if snaps, _ := s.ListSnapshots(ctx, w.own.Targets[0].ID); len(snaps) != 0 {
		t.Fatalf("purged target's snapshots kept: %d", len(snaps))
	}
	if att, _ := s.ListAttempts(ctx, w.own.Targets[0].ID); len(att) != 0 {
		t.Fatalf("purged target's attempts kept: %d", len(att))
	}
	_, err = s.FindAccountByID(ctx, w.ig.ID)
	wantCode(t, err, snsos.ENOTFOUND)
	// m1 is used by no post now; m2 (the X post) and m3 (the shared post) are.
	if err := s.DeleteMedia(ctx, w.m2.ID); !snsos.IsCode(err, snsos.ECONFLICT) {
		t.Fatalf("media of the X post deletable: %v", err)
	}
	if err := s.DeleteMedia(ctx, w.m1.ID); err != nil {
		t.Fatalf("m1 still held: %v", err)
	}
}

// TestPurgeWaitsForPublishing: a target being published holds the purge
// back — its owner's lease running, or its long step parked (no lease, its
// job snoozed until the platform is done) — and nothing is deleted
// meanwhile; only a lease that ran out (the owner died) lets it through.
func TestPurgeWaitsForPublishing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformThreads, "9")
		p := &snsos.Post{Body: "in flight", ScheduledAt: time.Now(), Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		att := &snsos.Attempt{Detail: "post"}
		if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: snsos.StateScheduled,
			To: snsos.StatePublishing, Attempt: att}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTargetLease(ctx, p.Targets[0].ID, att.ID, 1, time.Minute); err != nil {
			t.Fatal(err)
		}
		d := &snsos.DeletionRequest{Platform: snsos.PlatformThreads, RemoteUserID: "9", ConfirmationCode: "WAIT1234", AccountIDs: []int64{a.ID}}
		if err := s.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "h", Platform: snsos.PlatformThreads, Kind: "data-deletion"}, d,
			store.AccessRemoval{AccountIDs: []int64{a.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:threads"}, nil); err != nil {
			t.Fatal(err)
		}
		held := func(why string) {
			t.Helper()
			_, err := s.PurgeDeletionRequest(ctx, d.ID)
			wantCode(t, err, snsos.ECONFLICT)
			if _, err := s.FindTargetByID(ctx, p.Targets[0].ID); err != nil {
				t.Fatalf("target deleted while %s: %v", why, err)
			}
		}
		held("its lease runs")
		// The owner parks a long step: no lease, nothing that runs out.
		if err := s.SetTargetLease(ctx, p.Targets[0].ID, att.ID, 1, 0); err != nil {
			t.Fatal(err)
		}
		held("parked")
		s.SetDBClockOffset(time.Hour)
		held("parked an hour")
		// It resumes under a new lease, and dies with it.
		if err := s.SetTargetLease(ctx, p.Targets[0].ID, att.ID, 2, time.Minute); err != nil {
			t.Fatal(err)
		}
		held("its new lease runs")
		s.SetDBClockOffset(time.Hour + 2*time.Minute) // the owner's lease has run out
		res, err := s.PurgeDeletionRequest(ctx, d.ID)
		if err != nil || res.Counts.Targets != 1 || res.Counts.Posts != 1 {
			t.Fatalf("purge after the lease: %+v, %v", res, err)
		}
	})
}

// TestConfirmDeletionRequest: a request from the contact form deletes
// nothing until the operator confirms it; then the tokens go at once.
func TestConfirmDeletionRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformTikTok, "77")
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "tok"}); err != nil {
			t.Fatal(err)
		}
		d := &snsos.DeletionRequest{ConfirmationCode: "FORM1234"}
		if err := s.CreateContact(ctx, &snsos.ContactMessage{Name: "n", Email: "n@example.com", Body: "delete"}, d); err != nil {
			t.Fatal(err)
		}
		_, err := s.PurgeDeletionRequest(ctx, d.ID)
		wantCode(t, err, snsos.ECONFLICT)
		if _, err := s.FindCredential(ctx, a.ID); err != nil {
			t.Fatalf("tokens gone before confirmation: %v", err)
		}
		hooks := 0
		hook := func(context.Context, *sql.Tx) error { hooks++; return nil }
		r := store.AccessRemoval{Source: store.RemovedByConfirmation, Actor: "operator", Reason: "confirmed"}
		got, err := s.ConfirmDeletionRequest(ctx, d.ID, []int64{a.ID}, r, hook)
		if err != nil || got.ConfirmedAt.IsZero() || got.TokensDeletedAt.IsZero() || !reflect.DeepEqual(got.AccountIDs, []int64{a.ID}) ||
			got.Status != snsos.DeletionPending || hooks != 1 {
			t.Fatalf("confirm: %+v, %v (hooks %d)", got, err, hooks)
		}
		_, err = s.FindCredential(ctx, a.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		_, err = s.ConfirmDeletionRequest(ctx, d.ID, nil, r, hook)
		wantCode(t, err, snsos.ECONFLICT)
		if stored, _ := s.FindDeletionRequestByCode(ctx, "FORM1234"); !stored.ConfirmedAt.Equal(got.ConfirmedAt) || hooks != 1 {
			t.Fatalf("second confirm changed %+v (hooks %d)", stored, hooks)
		}
		if _, err := s.ConfirmDeletionRequest(ctx, 999, nil, r, hook); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("confirm of no request: %v", err)
		}
		due, err := s.ListDueDeletionRequests(ctx, time.Now().Add(31*24*time.Hour))
		if err != nil || len(due) != 1 || due[0].ID != d.ID {
			t.Fatalf("due requests %+v, %v", due, err)
		}
		if due, _ := s.ListDueDeletionRequests(ctx, time.Now()); len(due) != 0 {
			t.Fatalf("requests due before their time: %+v", due)
		}
	})
}

// TestDeletePostDeletesMetrics: deleting a post record (UI, API) takes its
// targets' metric snapshots and attempts with it.
func TestDeletePostDeletesMetrics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "5")
		p := &snsos.Post{Body: "measured", Targets: []*snsos.Target{{AccountID: a.ID}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		tid := p.Targets[0].ID
		publish(t, s, tid)
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint24h}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeletePost(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`SELECT COUNT(*) FROM metric_snapshots WHERE target_id = $1`,
			`SELECT COUNT(*) FROM attempts WHERE target_id = $1`, `SELECT COUNT(*) FROM targets WHERE id = $1`} {
			var n int
			if err := s.DB().QueryRowContext(ctx, q, tid).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%s: %d rows of the deleted post's target, %v", q, n, err)
			}
		}
	})
}

// purgeStart is the reconnect tests' clock at the start, never today.
var purgeStart = time.Date(2027, 5, 10, 8, 0, 0, 0, time.UTC)

// runPurgeClocked runs fn on each database with a store whose clock is
// its own clk, starting at purgeStart.
func runPurgeClocked(t *testing.T, fn func(t *testing.T, s *store.Store, clk *simclock.Clock)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			clk := simclock.New(purgeStart)
			fn(t, storetest.NewWithClock(t, d, clk.Now).Store, clk)
		})
	}
}

// requestDeletion has Instagram ask, through its callback, for the data of
// account a to be deleted: the request is confirmed at once, a revoked.
func requestDeletion(t *testing.T, s *store.Store, a *snsos.Account, code string) *snsos.DeletionRequest {
	t.Helper()
	d := &snsos.DeletionRequest{Platform: a.Platform, RemoteUserID: a.RemoteID, ConfirmationCode: code, AccountIDs: []int64{a.ID}}
	if err := s.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "h-" + code, Platform: a.Platform, Kind: "data-deletion"}, d,
		store.AccessRemoval{AccountIDs: []int64{a.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:" + string(a.Platform),
			Reason: "gone"}, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

// reconnect connects a's platform user again, as the OAuth callback does:
// the same account row, connected, with new tokens.
func reconnect(t *testing.T, s *store.Store, a *snsos.Account) {
	t.Helper()
	again := &snsos.Account{Platform: a.Platform, RemoteID: a.RemoteID, Handle: a.Handle}
	if err := s.UpsertAccount(ctx, again); err != nil || again.ID != a.ID || again.Status != snsos.AccountConnected {
		t.Fatalf("reconnect: %+v, %v", again, err)
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "tok-again"}); err != nil {
		t.Fatal(err)
	}
}

// TestPurgeKeepsWhatFollowsReconnect: the user asks for their data to be
// deleted, then connects the account again within the window (the same
// row). The purge deletes what existed when the request was confirmed —
// the posts of the account, its target in a shared post — and keeps what
// the operator made for it since: a new post scheduled for it, a target
// added to an older draft, one being published (which does not hold the
// purge back, though it would if it were older). The account keeps its
// row and its new tokens.
func TestPurgeKeepsWhatFollowsReconnect(t *testing.T) {
	runPurgeClocked(t, func(t *testing.T, s *store.Store, clk *simclock.Clock) {
		ig := mustAccount(t, s, snsos.PlatformInstagram, "1784")
		x := mustAccount(t, s, snsos.PlatformX, "42")
		old := &snsos.Post{Body: "before the request", Targets: []*snsos.Target{{AccountID: ig.ID}}}
		shared := &snsos.Post{Body: "both, before", Targets: []*snsos.Target{{AccountID: ig.ID}, {AccountID: x.ID}}}
		draft := &snsos.Post{Body: "an X draft, before"}
		draft.Targets = []*snsos.Target{{AccountID: x.ID}}
		for _, p := range []*snsos.Post{old, shared, draft} {
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
		}
		publish(t, s, old.Targets[0].ID)

		clk.Advance(time.Hour)
		d := requestDeletion(t, s, ig, "RECONNECT1")
		clk.Advance(time.Hour)
		reconnect(t, s, ig)
		clk.Advance(time.Minute)
		scheduled := &snsos.Post{Body: "after the reconnect", Targets: []*snsos.Target{{AccountID: ig.ID}}}
		inFlight := &snsos.Post{Body: "going out after the reconnect", Targets: []*snsos.Target{{AccountID: ig.ID}}}
		for _, p := range []*snsos.Post{scheduled, inFlight} {
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
		}
		scheduleTarget(t, s, scheduled.Targets[0].ID, clk.Now().Add(48*time.Hour))
		parkTarget(t, s, inFlight.Targets[0].ID, clk.Now())
		edit := &snsos.Post{ID: draft.ID, Body: draft.Body, Targets: []*snsos.Target{draft.Targets[0], {AccountID: ig.ID}}}
		if err := s.UpdatePost(ctx, edit, versionsOf(t, s, draft.ID), nil); err != nil {
			t.Fatal(err)
		}
		added := edit.Targets[1].ID

		clk.Advance(30 * 24 * time.Hour)
		res, err := s.PurgeDeletionRequest(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := snsos.PurgeCounts{Targets: 2, Attempts: 1, Posts: 1}
		if res.Counts != want {
			t.Fatalf("purge counts %+v, want %+v", res.Counts, want)
		}
		_, err = s.FindPostByID(ctx, old.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		if p, err := s.FindPostByID(ctx, shared.ID); err != nil || len(p.Targets) != 1 || p.Targets[0].AccountID != x.ID {
			t.Fatalf("shared post %+v, %v", p, err)
		}
		for _, id := range []int64{scheduled.Targets[0].ID, inFlight.Targets[0].ID, added} {
			if tg, err := s.FindTargetByID(ctx, id); err != nil || tg.AccountID != ig.ID {
				t.Fatalf("target %d made after the reconnect: %+v, %v", id, tg, err)
			}
		}
		if a, err := s.FindAccountByID(ctx, ig.ID); err != nil || a.Status != snsos.AccountConnected {
			t.Fatalf("reconnected account %+v, %v", a, err)
		}
		if c, err := s.FindCredential(ctx, ig.ID); err != nil || c.AccessToken != "tok-again" {
			t.Fatalf("the new tokens: %v", err)
		}
	})
}

// TestPurgeWaitsForOlderParkedStep: a target from before the request that
// is parked in a long step holds the purge back even after a reconnect.
func TestPurgeWaitsForOlderParkedStep(t *testing.T) {
	runPurgeClocked(t, func(t *testing.T, s *store.Store, clk *simclock.Clock) {
		th := mustAccount(t, s, snsos.PlatformThreads, "9")
		p := &snsos.Post{Body: "a container processing", Targets: []*snsos.Target{{AccountID: th.ID}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		parkTarget(t, s, p.Targets[0].ID, clk.Now())
		clk.Advance(time.Minute)
		d := requestDeletion(t, s, th, "PARKED1234")
		reconnect(t, s, th)
		_, err := s.PurgeDeletionRequest(ctx, d.ID)
		wantCode(t, err, snsos.ECONFLICT)
		if !strings.Contains(snsos.ErrorMessage(err), "being published") {
			t.Fatalf("refusal %q", snsos.ErrorMessage(err))
		}
	})
}

// TestPurgeAfterReconnectAndRevoke: connected again, given a new post, then
// removed again (a later deauthorize): the purge deletes the old data and
// keeps the new post, and so the account row its target needs; an account
// connected again with nothing new and revoked again goes.
func TestPurgeAfterReconnectAndRevoke(t *testing.T) {
	runPurgeClocked(t, func(t *testing.T, s *store.Store, clk *simclock.Clock) {
		busy := mustAccount(t, s, snsos.PlatformInstagram, "1")
		idle := mustAccount(t, s, snsos.PlatformInstagram, "2")
		old := &snsos.Post{Body: "before", Targets: []*snsos.Target{{AccountID: busy.ID}, {AccountID: idle.ID}}}
		if err := s.CreatePost(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		dBusy, dIdle := requestDeletion(t, s, busy, "AGAINBUSY1"), requestDeletion(t, s, idle, "AGAINIDLE1")
		clk.Advance(time.Hour)
		reconnect(t, s, busy)
		reconnect(t, s, idle)
		later := &snsos.Post{Body: "after", Targets: []*snsos.Target{{AccountID: busy.ID}}}
		if err := s.CreatePost(ctx, later, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAccess(ctx, store.AccessRemoval{AccountIDs: []int64{busy.ID, idle.ID}, Source: store.RemovedByDeauthorize,
			Actor: "platform:instagram", Reason: "removed again"}); err != nil {
			t.Fatal(err)
		}
		res, err := s.PurgeDeletionRequest(ctx, dBusy.ID)
		if err != nil || res.Counts.Targets != 1 || res.Counts.Accounts != 0 {
			t.Fatalf("purge of the account with a new post: %+v, %v", res, err)
		}
		if a, err := s.FindAccountByID(ctx, busy.ID); err != nil || a.Status != snsos.AccountRevoked {
			t.Fatalf("account with a new post: %+v, %v", a, err)
		}
		if p, err := s.FindPostByID(ctx, later.ID); err != nil || len(p.Targets) != 1 {
			t.Fatalf("the new post %+v, %v", p, err)
		}
		res, err = s.PurgeDeletionRequest(ctx, dIdle.ID)
		if err != nil || res.Counts.Targets != 1 || res.Counts.Accounts != 1 || res.Counts.Posts != 1 {
			t.Fatalf("purge of the idle account: %+v, %v", res, err)
		}
		_, err = s.FindAccountByID(ctx, idle.ID)
		wantCode(t, err, snsos.ENOTFOUND)
	})
}

// scheduleTarget takes draft target id to scheduled at at.
func scheduleTarget(t *testing.T, s *store.Store, id int64, at time.Time) {
	t.Helper()
	for _, tr := range []snsos.TargetTransition{
		{TargetID: id, From: snsos.StateDraft, To: snsos.StateApproved},
		{TargetID: id, From: snsos.StateApproved, To: snsos.StateScheduled, Mutate: func(t *snsos.Target) { t.ScheduledAt = at }},
	} {
		if _, err := s.TransitionTarget(ctx, tr); err != nil {
			t.Fatalf("%s → %s: %v", tr.From, tr.To, err)
		}
	}
}

// parkTarget takes draft target id into publishing with its long step
// parked (no lease), as a container that processes for minutes leaves it.
func parkTarget(t *testing.T, s *store.Store, id int64, at time.Time) {
	t.Helper()
	scheduleTarget(t, s, id, at)
	att := &snsos.Attempt{Detail: "post"}
	if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: id, From: snsos.StateScheduled, To: snsos.StatePublishing,
		Attempt: att}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTargetLease(ctx, id, att.ID, 1, 0); err != nil {
		t.Fatal(err)
	}
}
