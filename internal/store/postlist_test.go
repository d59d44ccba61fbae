package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestSearchPosts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		x := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "x_acct"}
		th := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "2", Handle: "th_acct"}
		for _, a := range []*snsos.Account{x, th} {
			if err := s.UpsertAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		// mk makes a post scheduled i hours after base, with one target per
		// account given, then moves the first target to state.
		mk := func(i int, body, override string, state snsos.TargetState, accts ...*snsos.Account) *snsos.Post {
			t.Helper()
			at := base.Add(time.Duration(i) * time.Hour)
			p := &snsos.Post{Body: body, ScheduledAt: at}
			for _, a := range accts {
				p.Targets = append(p.Targets, &snsos.Target{AccountID: a.ID, State: snsos.StateScheduled, ScheduledAt: at, Body: override})
			}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			tg := p.Targets[0]
			path := map[snsos.TargetState][]snsos.TargetState{
				snsos.StateFailed:    {snsos.StatePublishing, snsos.StateFailed},
				snsos.StateUnknown:   {snsos.StatePublishing, snsos.StateUnknown},
				snsos.StatePublished: {snsos.StatePublishing, snsos.StatePublished},
				snsos.StateCanceled:  {snsos.StateCanceled},
			}[state]
			from := snsos.StateScheduled
			for _, to := range path {
				if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: from, To: to}); err != nil {
					t.Fatalf("%s -> %s: %v", from, to, err)
				}
				from = to
			}
			return p
		}
		p1 := mk(1, "ＳＮＳ運用のテスト １２３", "", snsos.StateScheduled, x)
		p2 := mk(2, "plain english Post", "", snsos.StateFailed, x, th)
		p3 := mk(3, "ｶﾀｶﾅの投稿", "", snsos.StatePublished, th)
		p4 := mk(4, "base text", "Override with SNS keyword", snsos.StateUnknown, x)
		p5 := mk(5, "canceled one", "", snsos.StateCanceled, x)

		ids := func(pg *store.PostPage) []int64 {
			var out []int64
			for _, p := range pg.Posts {
				out = append(out, p.ID)
			}
			return out
		}
		check := func(what string, q store.PostQuery, want ...*snsos.Post) *store.PostPage {
			t.Helper()
			pg, err := s.SearchPosts(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var w []int64
			for _, p := range want {
				w = append(w, p.ID)
			}
			if fmt.Sprint(ids(pg)) != fmt.Sprint(w) {
				t.Fatalf("%s: got %v, want %v", what, ids(pg), w)
			}
			return pg
		}
		check("all, newest first", store.PostQuery{}, p5, p4, p3, p2, p1)
		check("all, earliest first", store.PostQuery{Ascending: true}, p1, p2, p3, p4, p5)
		check("attention", store.PostQuery{States: store.AttentionStates}, p4, p2)
		check("published", store.PostQuery{States: []snsos.TargetState{snsos.StatePublished}}, p3)
		check("threads", store.PostQuery{Platform: snsos.PlatformThreads}, p3, p2)
		// p2's failed target is on X; its Threads target is scheduled.
		check("failed on threads", store.PostQuery{States: []snsos.TargetState{snsos.StateFailed}, Platform: snsos.PlatformThreads})
		check("scheduled on threads", store.PostQuery{States: []snsos.TargetState{snsos.StateScheduled}, Platform: snsos.PlatformThreads}, p2)

		// Full-width and half-width text match each other, case-folded, in
		// the body and in a target's own text.
		check("half-width query, full-width text", store.PostQuery{Text: "sns"}, p4, p1)
		check("full-width query", store.PostQuery{Text: "ｓｎｓ運用"}, p1)
		check("digits", store.PostQuery{Text: "123"}, p1)
		check("half-width katakana text", store.PostQuery{Text: "カタカナ"}, p3)
		check("case", store.PostQuery{Text: "ENGLISH post"}, p2)
		check("text and state", store.PostQuery{Text: "sns", States: store.AttentionStates}, p4)
		check("no match", store.PostQuery{Text: "nothing like this"})

		// Pages, by keyset: each page's Next opens the one after, its Prev
		// the one before; the first page has no Prev, the last no Next.
		pg := check("page 1", store.PostQuery{Limit: 2}, p5, p4)
		if pg.Next == nil || pg.Prev != nil {
			t.Fatalf("page 1: prev %v next %v", pg.Prev, pg.Next)
		}
		pg2 := check("page 2", store.PostQuery{Limit: 2, After: pg.Next}, p3, p2)
		if pg2.Next == nil || pg2.Prev == nil {
			t.Fatalf("page 2: prev %v next %v", pg2.Prev, pg2.Next)
		}
		pg3 := check("page 3", store.PostQuery{Limit: 2, After: pg2.Next}, p1)
		if pg3.Next != nil || pg3.Prev == nil {
			t.Errorf("last page: prev %v next %v", pg3.Prev, pg3.Next)
		}
		back := check("back to page 2", store.PostQuery{Limit: 2, Before: pg3.Prev}, p3, p2)
		if back.Next == nil || back.Prev == nil || *back.Next != *pg2.Next {
			t.Errorf("back to page 2: prev %v next %v, want next %v", back.Prev, back.Next, pg2.Next)
		}
		if top := check("back to page 1", store.PostQuery{Limit: 2, Before: back.Prev}, p5, p4); top.Prev != nil {
			t.Errorf("back to page 1 has a previous page %v", top.Prev)
		}
		// Before a cursor that only one post precedes: the first page, full.
		if top := check("before p4", store.PostQuery{Limit: 2, Before: pg.Next}, p5, p4); top.Prev != nil || top.Next == nil {
			t.Errorf("before p4: prev %v next %v", top.Prev, top.Next)
		}
		up := check("upcoming page 1", store.PostQuery{Limit: 2, Ascending: true}, p1, p2)
		check("upcoming page 2", store.PostQuery{Limit: 2, Ascending: true, After: up.Next}, p3, p4)
		check("filtered page 2", store.PostQuery{Limit: 1, States: store.AttentionStates, After: &store.Cursor{At: p4.ScheduledAt, ID: p4.ID}}, p2)
		pg = check("search page 1", store.PostQuery{Text: "o", Limit: 2}, p5, p4)
		if pg.Next == nil || pg.Truncated {
			t.Errorf("search page 1: next %v Truncated %v", pg.Next, pg.Truncated)
		}
		if pg = check("search page 2", store.PostQuery{Text: "o", Limit: 2, After: pg.Next}, p2); pg.Next != nil || pg.Prev == nil {
			t.Errorf("search page 2: prev %v next %v", pg.Prev, pg.Next)
		}
		check("search back", store.PostQuery{Text: "o", Limit: 1, Before: pg.Prev}, p4)
		if _, err := s.SearchPosts(ctx, store.PostQuery{After: pg.Prev, Before: pg.Prev}); !snsos.IsCode(err, snsos.EINVALID) {
			t.Errorf("after and before: %v, want EINVALID", err)
		}

		// The list carries targets and their metrics.
		pg = check("one", store.PostQuery{Text: "plain"}, p2)
		if len(pg.Posts[0].Targets) != 2 {
			t.Errorf("targets: %d", len(pg.Posts[0].Targets))
		}

		// The attention count is of targets.
		n, err := s.CountAttentionTargets(ctx)
		if err != nil || n != 2 {
			t.Errorf("CountAttentionTargets = %d, %v; want 2", n, err)
		}
		counts, err := s.CountAccountTargets(ctx, x.ID, snsos.StateScheduled, snsos.StateApproved)
		if err != nil || counts[snsos.StateScheduled] != 1 || counts[snsos.StateApproved] != 0 {
			t.Errorf("CountAccountTargets = %v, %v", counts, err)
		}
	})
}

func TestSearchKey(t *testing.T) {
	for in, want := range map[string]string{"ＡＢＣ１２３": "abc123", "ｶﾀｶﾅ": "カタカナ", "Straße": "strasse", "＃タグ": "#タグ"} {
		if got := store.SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeleteOtherSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		now := time.Date(2027, 1, 31, 23, 30, 0, 0, time.UTC)
		for _, h := range []string{"a", "b", "c"} {
			if err := s.CreateSession(ctx, &store.Session{IDHash: h, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}, now); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteOtherSessions(ctx, "b")
		if err != nil || n != 2 {
			t.Fatalf("DeleteOtherSessions = %d, %v", n, err)
		}
		if _, err := s.FindSession(ctx, "b", now); err != nil {
			t.Errorf("kept session: %v", err)
		}
		if _, err := s.FindSession(ctx, "a", now); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Errorf("other session: %v", err)
		}
	})
}

// TestCountTargets: CountAccountTargets counts every asked state in one
// query, zero for the states the account has none in, and
// CountAttentionTargets counts AttentionStates.
func TestCountTargets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "count-x")
		other := mustAccount(t, s, snsos.PlatformThreads, "count-th")
		at := time.Now().Add(time.Hour).UTC()
		mk := func(a *snsos.Account, st snsos.TargetState) *snsos.Target {
			p := &snsos.Post{Body: "count", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, State: st}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			return p.Targets[0]
		}
		mk(x, snsos.StateScheduled)
		mk(x, snsos.StateScheduled)
		mk(x, snsos.StateApproved)
		mk(other, snsos.StateScheduled)
		failed := mk(other, snsos.StateScheduled)
		for _, to := range []snsos.TargetState{snsos.StatePublishing, snsos.StateFailed} {
			from := snsos.StateScheduled
			if to == snsos.StateFailed {
				from = snsos.StatePublishing
			}
			if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: failed.ID, From: from, To: to}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CountAccountTargets(ctx, x.ID, snsos.StateScheduled, snsos.StateRetryWait, snsos.StateApproved)
		if err != nil {
			t.Fatal(err)
		}
		want := map[snsos.TargetState]int{snsos.StateScheduled: 2, snsos.StateRetryWait: 0, snsos.StateApproved: 1}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("CountAccountTargets = %v, want %v", got, want)
		}
		if got, err := s.CountAccountTargets(ctx, x.ID); err != nil || len(got) != 0 {
			t.Fatalf("CountAccountTargets() = %v, %v", got, err)
		}
		if n, err := s.CountAttentionTargets(ctx); err != nil || n != 1 {
			t.Fatalf("CountAttentionTargets = %d, %v; want 1", n, err)
		}
	})
}
