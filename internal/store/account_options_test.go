package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// auditActions lists the actions of an account's audit rows, newest first.
func auditActions(t *testing.T, s *store.Store, accountID int64) []string {
	t.Helper()
	evs, err := s.ListAuditEvents(ctx, "account", accountID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action+" "+e.Actor+" "+e.Detail)
	}
	return out
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

// TestAccountOptions: MergeAccountOptions sets and removes keys and keeps
// the others; setting what is there writes nothing; a reconnect
// (UpsertAccount) keeps the operator's settings and updates what the
// platform says; FindAccountByRemoteID finds the account.
func TestAccountOptions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "open-1", Handle: "tt", Options: map[string]string{"union_id": "u1", "unaudited": "true"}}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Options["union_id"] != "u1" || a.Options["unaudited"] != "true" {
			t.Fatalf("new account options %v", a.Options)
		}
		got, err := s.MergeAccountOptions(ctx, a.ID, map[string]string{"publish_mode": "inbox"}, "operator")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"union_id": "u1", "unaudited": "true", "publish_mode": "inbox"}
		if fmt.Sprint(got.Options) != fmt.Sprint(want) || !got.UpdatedAt.After(a.UpdatedAt) && !got.UpdatedAt.Equal(a.UpdatedAt) {
			t.Fatalf("merged options %v, want %v", got.Options, want)
		}
		if stored, _ := s.FindAccountByID(ctx, a.ID); fmt.Sprint(stored.Options) != fmt.Sprint(want) {
			t.Fatalf("stored options %v, want %v", stored.Options, want)
		}
		if n := countPrefix(auditActions(t, s, a.ID), "account.options operator publish_mode=inbox"); n != 1 {
			t.Fatalf("audit rows %v, want one options change by the operator", auditActions(t, s, a.ID))
		}

		// The same value again changes nothing and is not audited.
		if _, err := s.MergeAccountOptions(ctx, a.ID, map[string]string{"publish_mode": "inbox"}, "operator"); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(auditActions(t, s, a.ID), "account.options"); n != 1 {
			t.Fatalf("setting the same value was audited: %v", auditActions(t, s, a.ID))
		}

		// A reconnect keeps publish_mode and takes the platform's new facts.
		re := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "open-1", Handle: "tt2", Options: map[string]string{"unaudited": "false"}}
		if err := s.UpsertAccount(ctx, re); err != nil {
			t.Fatal(err)
		}
		want = map[string]string{"union_id": "u1", "unaudited": "false", "publish_mode": "inbox"}
		if re.ID != a.ID || re.Handle != "tt2" || fmt.Sprint(re.Options) != fmt.Sprint(want) {
			t.Fatalf("after reconnect %+v, want options %v", re, want)
		}
		// A reconnect without options leaves them as they are.
		if err := s.UpsertAccount(ctx, &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "open-1", Handle: "tt2"}); err != nil {
			t.Fatal(err)
		}
		if stored, _ := s.FindAccountByID(ctx, a.ID); fmt.Sprint(stored.Options) != fmt.Sprint(want) {
			t.Fatalf("after a reconnect without options %v, want %v", stored.Options, want)
		}

		// "" removes a key.
		got, err = s.MergeAccountOptions(ctx, a.ID, map[string]string{"union_id": ""}, "system")
		if err != nil || got.Options["union_id"] != "" || got.Options["publish_mode"] != "inbox" {
			t.Fatalf("after removing union_id: %v, %v", got, err)
		}

		byRemote, err := s.FindAccountByRemoteID(ctx, snsos.PlatformTikTok, "open-1")
		if err != nil || byRemote.ID != a.ID {
			t.Fatalf("FindAccountByRemoteID = %+v, %v", byRemote, err)
		}
		_, err = s.FindAccountByRemoteID(ctx, snsos.PlatformX, "open-1")
		wantCode(t, err, snsos.ENOTFOUND)
		_, err = s.MergeAccountOptions(ctx, 999999, map[string]string{"publish_mode": "inbox"}, "operator")
		wantCode(t, err, snsos.ENOTFOUND)
	})
}

// TestAccountOptionsConcurrent: writers of different keys on two
// connections (two processes) never undo each other's keys.
func TestAccountOptionsConcurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s1, s2 := env.Store, env.Reopen(t)
		a := mustAccount(t, s1, snsos.PlatformTikTok, "open-c")
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for w, s := range []*store.Store{s1, s2} {
			wg.Go(func() {
				for i := range n {
					key := fmt.Sprintf("k%d_%d", w, i)
					if _, err := s.MergeAccountOptions(context.Background(), a.ID, map[string]string{key: "v"}, "system"); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got, err := s1.FindAccountByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Options) != 2*n {
			t.Fatalf("%d options after %d writes of distinct keys: %v", len(got.Options), 2*n, got.Options)
		}
	})
}

// TestRecordPublicPost: the public id of an inbox upload replaces the
// upload's id, with its link and a new publication time, as a
// compare-and-set on the old id; the hook runs in the same transaction.
func TestRecordPublicPost(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformTikTok, "open-p")
		p := newPost(t, s, a, mustAccount(t, s, snsos.PlatformTikTok, "open-q"))
		tid := p.Targets[0].ID
		for _, st := range [][2]snsos.TargetState{{snsos.StateDraft, snsos.StateApproved}, {snsos.StateApproved, snsos.StateScheduled},
			{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
			if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: st[0], To: st[1], Mutate: func(t *snsos.Target) {
				t.ScheduledAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
				if st[1] == snsos.StatePublished {
					t.RemoteID = "v_inbox_file~v2-1.7"
				}
			}}); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 12, 1, 10, 30, 0, 123456789, time.UTC)
		const public, link = "7440000000000000001", "https://www.tiktok.com/@tt/video/7440000000000000001"

		_, err := s.RecordPublicPost(ctx, tid, "v_inbox_file~other", public, link, at, nil)
		wantCode(t, err, snsos.ECONFLICT)
		_, err = s.RecordPublicPost(ctx, p.Targets[1].ID, "", public, link, at, nil) // a draft
		wantCode(t, err, snsos.ECONFLICT)
		_, err = s.RecordPublicPost(ctx, tid, "v_inbox_file~v2-1.7", "", link, at, nil)
		wantCode(t, err, snsos.EINVALID)

		hookErr := errors.New("enqueue failed")
		_, err = s.RecordPublicPost(ctx, tid, "v_inbox_file~v2-1.7", public, link, at, func(context.Context, *sql.Tx) error { return hookErr })
		if !errors.Is(err, hookErr) {
			t.Fatalf("hook error lost: %v", err)
		}
		if tg, _ := s.FindTargetByID(ctx, tid); tg.RemoteID != "v_inbox_file~v2-1.7" {
			t.Fatalf("a failed hook left the public id: %+v", tg)
		}

		// A checkpoint that stopped waiting before the post went public.
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint1h, Status: snsos.SnapshotUnavailable,
			Reason: "sent to the TikTok inbox"}); err != nil {
			t.Fatal(err)
		}
		ran := false
		got, err := s.RecordPublicPost(ctx, tid, "v_inbox_file~v2-1.7", public, link, at, func(ctx context.Context, tx *sql.Tx) error {
			ran = tx != nil
			return nil
		})
		if err != nil || !ran {
			t.Fatalf("RecordPublicPost: %v (hook ran %v)", err, ran)
		}
		stored, err := s.FindTargetByID(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		if stored.RemoteID != public || stored.RemoteURL != link || !stored.PublishedAt.Equal(at.Truncate(time.Microsecond)) ||
			stored.State != snsos.StatePublished || !got.PublishedAt.Equal(stored.PublishedAt) || !got.UpdatedAt.Equal(stored.UpdatedAt) {
			t.Fatalf("stored %+v, returned %+v", stored, got)
		}
		// The snapshot taken while it waited is gone: the checkpoints
		// counted from the public time are taken anew.
		if snaps, err := s.ListSnapshots(ctx, tid); err != nil || len(snaps) != 0 {
			t.Fatalf("snapshots after the public id: %+v, %v; want none", snaps, err)
		}
		// Recorded once: the old id no longer matches.
		_, err = s.RecordPublicPost(ctx, tid, "v_inbox_file~v2-1.7", "7440000000000000002", link, at, nil)
		wantCode(t, err, snsos.ECONFLICT)
		evs, _ := s.ListAuditEvents(ctx, "target", tid, 10)
		if len(evs) == 0 || evs[0].Action != "target.public" {
			t.Fatalf("audit %+v, want target.public first", evs)
		}
	})
}
