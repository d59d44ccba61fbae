package attention_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// fixture fills a store with one of each problem and things that are fine.
type fixture struct {
	x, th, rv, quiet                        *snsos.Account
	failed, needs, oldUnknown, newUnknown   *snsos.Target
	atRisk, fine, revokedWaiting, draftOnly *snsos.Target
}

func move(t *testing.T, s *store.Store, tg *snsos.Target, steps ...snsos.TargetState) {
	t.Helper()
	from := tg.State
	for _, to := range steps {
		tr := snsos.TargetTransition{TargetID: tg.ID, From: from, To: to,
			Mutate: func(t *snsos.Target) {
				if to == snsos.StateFailed {
					t.Error = "X rejected this as a repeat of a recent post."
				}
			}}
		if to == snsos.StatePublishing {
			tr.Attempt = &snsos.Attempt{} // the store counts attempts by their rows
		}
		nt, err := s.TransitionTarget(context.Background(), tr)
		if err != nil {
			t.Fatalf("%s → %s: %v", from, to, err)
		}
		*tg = *nt
		from = to
	}
}

func newFixture(t *testing.T, s *store.Store, now time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{
		x:     &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "main"},
		th:    &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "2", Handle: "thr", Status: snsos.AccountNeedsReauth},
		rv:    &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "3", Handle: "gone", Status: snsos.AccountRevoked},
		quiet: &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "4", Handle: "quiet", Status: snsos.AccountRevoked},
	}
	for _, a := range []*snsos.Account{f.x, f.th, f.rv, f.quiet} {
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: f.x.ID, AccessToken: "ACCESS-secret-1", RefreshToken: "REFRESH-secret-1",
		ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(3 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mk := func(a *snsos.Account, body string, st snsos.TargetState) *snsos.Target {
		at := now.Add(2 * time.Hour)
		p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, State: st, ScheduledAt: at}}}
		if st == snsos.StateDraft {
			p.ScheduledAt, p.Targets[0].ScheduledAt = time.Time{}, time.Time{}
		}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		return p.Targets[0]
	}
	f.failed = mk(f.x, "Failed one\nsecond line", snsos.StateScheduled)
	move(t, s, f.failed, snsos.StatePublishing, snsos.StateFailed)
	f.needs = mk(f.x, "Needs a look", snsos.StateScheduled)
	move(t, s, f.needs, snsos.StatePublishing, snsos.StateUnknown, snsos.StateNeedsOperator)
	f.oldUnknown = mk(f.x, "Old unknown", snsos.StateScheduled)
	move(t, s, f.oldUnknown, snsos.StatePublishing, snsos.StateUnknown)
	f.fine = mk(f.x, "All fine", snsos.StateScheduled)
	f.atRisk = mk(f.th, "At risk", snsos.StateScheduled)
	f.revokedWaiting = mk(f.rv, "Revoked waiting", snsos.StateScheduled)
	f.draftOnly = mk(f.quiet, "Just a draft", snsos.StateDraft)
	return f
}

func TestCompute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		start := time.Now().UTC()
		f := newFixture(t, s, start)
		// A fresh unknown target is not listed yet.
		items, err := attention.Compute(ctx, s, start, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Kind == attention.Unknown {
				t.Errorf("a fresh unknown target is listed: %+v", it)
			}
		}
		// 20 minutes later it is.
		now := start.Add(20 * time.Minute)
		items, err = attention.Compute(ctx, s, now, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[attention.Kind][]attention.Item{}
		var order []attention.Kind
		for _, it := range items {
			got[it.Kind] = append(got[it.Kind], it)
			if len(order) == 0 || order[len(order)-1] != it.Kind {
				order = append(order, it.Kind)
			}
		}
		want := []attention.Kind{attention.Failed, attention.NeedsOperator, attention.Unknown, attention.NeedsReauth, attention.Revoked,
			attention.TokenExpiring, attention.AtRisk}
		if strings.Join(kinds(order), ",") != strings.Join(kinds(want), ",") {
			t.Fatalf("kinds in order = %v, want %v\n%+v", order, want, items)
		}
		one := func(k attention.Kind) attention.Item {
			t.Helper()
			if len(got[k]) != 1 {
				t.Fatalf("%s: %d items, want 1: %+v", k, len(got[k]), got[k])
			}
			return got[k][0]
		}
		fi := one(attention.Failed)
		if fi.TargetID != f.failed.ID || fi.Excerpt != "Failed one …" || fi.Handle != "main" || fi.Action.Kind != attention.ActionRetry || !fi.Action.POST ||
			!strings.HasSuffix(fi.Action.Path, "/retry") || fi.PostPath == "" || !strings.Contains(fi.Error, "repeat") {
			t.Errorf("failed item = %+v", fi)
		}
		if n := one(attention.NeedsOperator); n.TargetID != f.needs.ID || n.Action.Kind != attention.ActionCheck {
			t.Errorf("needs_operator item = %+v", n)
		}
		if u := one(attention.Unknown); u.TargetID != f.oldUnknown.ID || u.Action.Kind != attention.ActionCheck ||
			!strings.Contains(u.Text(time.UTC, now), "after 20 min") {
			t.Errorf("unknown item = %+v (%s)", u, u.Text(time.UTC, now))
		}
		if r := one(attention.NeedsReauth); r.AccountID != f.th.ID || r.Pending != 1 || r.Action.Path != "/connect/threads" || !r.Action.POST {
			t.Errorf("needs_reauth item = %+v", r)
		}
		// A revoked account with nothing waiting is not listed.
		if r := one(attention.Revoked); r.AccountID != f.rv.ID || r.Pending != 1 {
			t.Errorf("revoked item = %+v", r)
		}
		if tk := one(attention.TokenExpiring); tk.AccountID != f.x.ID || tk.Action.Path != "/connect/x" ||
			!strings.Contains(tk.Text(time.UTC, now), "must be reconnected by") {
			t.Errorf("token item = %+v", tk)
		}
		if len(got[attention.AtRisk]) != 2 {
			t.Errorf("at risk = %+v, want the threads and instagram targets", got[attention.AtRisk])
		}
		// Keys are unique and stable; no text holds a token.
		seen := map[string]bool{}
		for _, it := range items {
			if seen[it.Key] {
				t.Errorf("duplicate key %s", it.Key)
			}
			seen[it.Key] = true
			if txt := it.Text(time.UTC, now); strings.Contains(txt, "secret") || txt == "" {
				t.Errorf("text %q", txt)
			}
		}
		again, err := attention.Compute(ctx, s, now.Add(time.Minute), attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(attention.Keys(again), " ") != strings.Join(attention.Keys(items), " ") {
			t.Errorf("keys changed between runs:\n%v\n%v", attention.Keys(items), attention.Keys(again))
		}
		// A retry that fails again is a new occurrence with a new key.
		move(t, s, f.failed, snsos.StateScheduled, snsos.StatePublishing, snsos.StateFailed)
		again, err = attention.Compute(ctx, s, now, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if again[0].Kind != attention.Failed || again[0].Key == fi.Key {
			t.Errorf("failed again: key %s, before %s", again[0].Key, fi.Key)
		}
	})
}

func TestEmpty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		items, err := attention.Compute(context.Background(), env.Store, time.Now(), attention.Options{})
		if err != nil || len(items) != 0 {
			t.Fatalf("empty store: %v, %v", items, err)
		}
	})
}

func kinds(ks []attention.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// countingStore counts post reads.
type countingStore struct {
	*store.Store
	reads int
}

func (c *countingStore) FindPostByID(ctx context.Context, id int64) (*snsos.Post, error) {
	c.reads++
	return c.Store.FindPostByID(ctx, id)
}

// TestComputeReadsPostsOnlyForTheirText: an item's excerpt comes from the
// target's own text when it has one, without reading the post (the list is
// computed every minute); a target without its own text reads its post
// once, however many of its targets are listed.
func TestComputeReadsPostsOnlyForTheirText(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, store.SQLite).Store
	var accts []*snsos.Account
	for i, p := range []snsos.Platform{snsos.PlatformX, snsos.PlatformThreads} {
		a := &snsos.Account{Platform: p, RemoteID: string(rune('1' + i)), Handle: "h" + string(p), Status: snsos.AccountConnected}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	fail := func(p *snsos.Post) {
		t.Helper()
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		for _, tg := range p.Targets {
			for _, tr := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateFailed}} {
				if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: tr[0], To: tr[1]}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	at := time.Now().Add(time.Hour).UTC()
	own := &snsos.Post{Body: "post text", ScheduledAt: at, Targets: []*snsos.Target{
		{AccountID: accts[0].ID, State: snsos.StateScheduled, Body: "X's own text"}}}
	shared := &snsos.Post{Body: "shared text", ScheduledAt: at, Targets: []*snsos.Target{
		{AccountID: accts[0].ID, State: snsos.StateScheduled}, {AccountID: accts[1].ID, State: snsos.StateScheduled}}}
	fail(own)
	fail(shared)
	cs := &countingStore{Store: s}
	items, err := attention.Compute(ctx, cs, time.Now(), attention.Options{})
	if err != nil {
		t.Fatal(err)
	}
	excerpts := map[int64]string{}
	for _, it := range items {
		excerpts[it.TargetID] = it.Excerpt
	}
	if len(items) != 3 || excerpts[own.Targets[0].ID] != "X's own text" || excerpts[shared.Targets[1].ID] != "shared text" {
		t.Fatalf("items = %+v", items)
	}
	if cs.reads != 1 {
		t.Fatalf("read %d posts, want 1 (the post whose targets have no text of their own)", cs.reads)
	}
}

// TestHead: the dashboard's head of the list is the whole list's first
// items, in the same order (ties on time included), with the whole list's
// count; it reads posts only for the excerpts it returns.
func TestHead(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		now := time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC)
		x := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "main"}
		th := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "2", Handle: "thr", Status: snsos.AccountNeedsReauth}
		for _, a := range []*snsos.Account{x, th} {
			if err := s.UpsertAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		mk := func(a *snsos.Account, i int) *snsos.Target {
			at := now.Add(time.Duration(i) * time.Hour)
			p := &snsos.Post{Body: "post " + strconv.Itoa(i), ScheduledAt: at,
				Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled, ScheduledAt: at}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			return p.Targets[0]
		}
		// Twelve failed targets, in pairs failed at the same instant,
		// and five at risk on the account to reconnect.
		for i := range 12 {
			tg := mk(x, i)
			move(t, s, tg, snsos.StatePublishing, snsos.StateFailed)
			at := now.Add(-time.Duration(i%8) * time.Minute)
			if _, err := s.DB().ExecContext(ctx, `UPDATE targets SET updated_at = $1 WHERE id = $2`, at, tg.ID); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			mk(th, 20+i)
		}
		all, err := attention.Compute(ctx, s, now, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 12+1+5 { // failed, the account, at risk
			t.Fatalf("%d items: %v", len(all), attention.Keys(all))
		}
		for _, n := range []int{1, 5, 10, 13, 14, 30} {
			cs := &countingStore{Store: s}
			head, total, err := attention.Head(ctx, cs, now, attention.Options{}, n)
			if err != nil {
				t.Fatal(err)
			}
			want := all[:min(n, len(all))]
			if total != len(all) || strings.Join(attention.Keys(head), " ") != strings.Join(attention.Keys(want), " ") {
				t.Errorf("head %d: %v of %d, want %v of %d", n, attention.Keys(head), total, attention.Keys(want), len(all))
			}
			for i := range head {
				if head[i].Excerpt != want[i].Excerpt || head[i].Excerpt == "" && head[i].TargetID != 0 {
					t.Errorf("head %d: item %d excerpt %q, want %q", n, i, head[i].Excerpt, want[i].Excerpt)
				}
			}
			if cs.reads > n {
				t.Errorf("head %d read %d posts", n, cs.reads)
			}
		}
	})
}
