package attention_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestRemovals: an account the platform deauthorized is listed once (not
// also as disconnected) with what was deleted; a confirmed data deletion
// is listed while under way and for a week once done, with its counts; an
// operator's own disconnect is not an access removal.
func TestRemovals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		start := time.Now().UTC()
		mk := func(p snsos.Platform, remote string) *snsos.Account {
			a := &snsos.Account{Platform: p, RemoteID: remote, Handle: "h" + remote}
			if err := s.UpsertAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		deauth, deleted, mine := mk(snsos.PlatformThreads, "1"), mk(snsos.PlatformInstagram, "2"), mk(snsos.PlatformX, "3")
		// An approved post still waits for the deauthorized account.
		p := &snsos.Post{Body: "later", Targets: []*snsos.Target{{AccountID: deauth.ID, State: snsos.StateApproved}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAccess(ctx, store.AccessRemoval{AccountIDs: []int64{deauth.ID}, Source: store.RemovedByDeauthorize,
			Actor: "platform:threads", Reason: "removed"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAccountStatus(ctx, mine.ID, snsos.AccountRevoked, "disconnected by the operator"); err != nil {
			t.Fatal(err)
		}
		d := &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, RemoteUserID: "2", ConfirmationCode: "ATTNCODE12345678",
			AccountIDs: []int64{deleted.ID}, DueAt: start.Add(24 * time.Hour)}
		if err := s.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "x", Platform: snsos.PlatformInstagram, Kind: "data-deletion"}, d,
			store.AccessRemoval{AccountIDs: []int64{deleted.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:instagram"}, nil); err != nil {
			t.Fatal(err)
		}
		items, err := attention.Compute(ctx, s, start, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		byKind := map[attention.Kind][]attention.Item{}
		for _, it := range items {
			byKind[it.Kind] = append(byKind[it.Kind], it)
		}
		if len(byKind[attention.Revoked]) != 0 || len(byKind[attention.AccessRemoved]) != 1 || len(byKind[attention.Purge]) != 1 {
			t.Fatalf("items %+v", items)
		}
		ar := byKind[attention.AccessRemoved][0]
		if ar.AccountID != deauth.ID || ar.Pending != 1 || ar.Removal.Source != attention.SourceDeauthorize || ar.Action.Kind != attention.ActionReconnect {
			t.Fatalf("access removed item %+v", ar)
		}
		text := ar.Text(time.UTC, start)
		if !strings.Contains(text, "Threads removed sns-os's access to Threads account @h1") || !strings.Contains(text, "deleted the account's tokens") ||
			!strings.Contains(text, "1 post waiting") {
			t.Fatalf("text %q", text)
		}
		pu := byKind[attention.Purge][0]
		if pu.Removal.Code != "ATTNCODE12345678" || pu.Action.Path != "/deletion/ATTNCODE12345678" || !pu.Removal.Done.IsZero() ||
			!strings.Contains(pu.Text(time.UTC, start), "its posts, metrics and media are deleted by") {
			t.Fatalf("purge item %+v: %q", pu, pu.Text(time.UTC, start))
		}
		if _, err := s.PurgeDeletionRequest(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{Accounts: 1, Posts: 1, Targets: 2, Snapshots: 3}); err != nil {
			t.Fatal(err)
		}
		items, _ = attention.Compute(ctx, s, start.Add(time.Hour), attention.Options{})
		var done *attention.Item
		for i := range items {
			if items[i].Kind == attention.Purge {
				done = &items[i]
			}
		}
		if done == nil || done.Key == pu.Key || !strings.Contains(done.Text(time.UTC, start), "Deleted 1 post, 2 deliveries, 3 metric snapshots and 0 media files.") {
			t.Fatalf("completed purge item %+v", done)
		}
		// A week later both are gone from the list.
		items, _ = attention.Compute(ctx, s, start.Add(8*24*time.Hour), attention.Options{})
		for _, it := range items {
			if it.Kind == attention.Purge || it.Kind == attention.AccessRemoved {
				t.Fatalf("old item listed: %+v", it)
			}
		}
	})
}
