package attention_test

import (
	"context"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

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
