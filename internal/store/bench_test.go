package store_test

import (
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// BenchmarkCredentialRoundTrip seals, writes, reads and opens one credential
// on a SQLite file.
func BenchmarkCredentialRoundTrip(b *testing.B) {
	env := storetest.New(b, store.SQLite)
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1"}
	if err := env.Store.UpsertAccount(ctx, a); err != nil {
		b.Fatal(err)
	}
	c := &snsos.Credential{AccountID: a.ID, AccessToken: "access-token-0123456789abcdef", RefreshToken: "refresh-token-0123456789abcdef"}
	b.ReportAllocs()
	for b.Loop() {
		if err := env.Store.PutCredential(ctx, c); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Store.FindCredential(ctx, a.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateAndPublishTarget creates a one-target post and walks it
// draft → approved → scheduled → publishing → published on a SQLite file:
// the store work of one delivery.
func BenchmarkCreateAndPublishTarget(b *testing.B) {
	env := storetest.New(b, store.SQLite)
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1"}
	if err := env.Store.UpsertAccount(ctx, a); err != nil {
		b.Fatal(err)
	}
	steps := []snsos.TargetState{snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished}
	b.ReportAllocs()
	for b.Loop() {
		p := &snsos.Post{Body: "benchmark", Targets: []*snsos.Target{{AccountID: a.ID}}}
		if err := env.Store.CreatePost(ctx, p, nil); err != nil {
			b.Fatal(err)
		}
		for i := 1; i < len(steps); i++ {
			if _, err := env.Store.TransitionTarget(ctx, store.Transition{TargetID: p.Targets[0].ID, From: steps[i-1], To: steps[i]}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
