package attention_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestSiteItems: unhandled contact messages (a deletion request first, by
// its reply deadline), unseen policy changes, their keys and sentences;
// handled and seen ones leave the list.
func TestSiteItems(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	storetest.RunWithClock(t, func() time.Time { return now }, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		plain := &snsos.ContactMessage{Name: "Ann", Email: "ann@example.com", Subject: "Hello", Body: "hi"}
		del := &snsos.ContactMessage{Name: "Ben", Email: "ben@example.com", Subject: "Data Deletion Request", Body: "delete"}
		if err := s.CreateContact(ctx, plain, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateContact(ctx, del, &snsos.DeletionRequest{ConfirmationCode: "code-0123456789ab"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordPolicyChange(ctx, "", &snsos.PolicyChange{Fingerprint: "a", Substance: "{}", SeenAt: now}); err != nil {
			t.Fatal(err)
		}
		change := &snsos.PolicyChange{Fingerprint: "b", Substance: "{}", Items: []snsos.PolicyChangeItem{
			{What: "scope_added", Platform: snsos.PlatformX, Name: "like.write"}, {What: "database", From: "sqlite", To: "postgres"}}}
		if err := s.RecordPolicyChange(ctx, "a", change); err != nil {
			t.Fatal(err)
		}
		items, err := attention.Compute(ctx, s, now, attention.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 3 {
			t.Fatalf("items = %+v", items)
		}
		d, c, p := items[0], items[1], items[2]
		if d.Kind != attention.Deletion || d.Key != "deletion:"+strconv.FormatInt(del.ID, 10) || !d.At.Equal(now.Add(48*time.Hour)) || d.Action.Path != "/inbox/"+strconv.FormatInt(del.ID, 10) {
			t.Fatalf("deletion item = %+v", d)
		}
		if c.Kind != attention.Contact || c.Key != "contact:"+strconv.FormatInt(plain.ID, 10) || c.From != "Ann" || c.Excerpt != "Hello" || c.Action.POST {
			t.Fatalf("contact item = %+v", c)
		}
		if p.Kind != attention.PolicyChanged || p.Key != "policy:"+strconv.FormatInt(change.ID, 10) || !p.Action.POST || p.Action.Kind != attention.ActionSeen {
			t.Fatalf("policy item = %+v", p)
		}
		for it, want := range map[*attention.Item]string{
			&d: "Data deletion request through the contact form from Ben, received Mon, 1 Mar 2027, 09:00 UTC. Reply by Wed, 3 Mar 2027, 09:00 UTC and complete it by Wed, 31 Mar 2027, 09:00 UTC.",
			&c: `New message through the contact form from Ann: "Hello".`,
			&p: "The privacy policy changed on Mon, 1 Mar 2027, 09:00 UTC (its last-updated date and the changelog now say so): X permission like.write added; database sqlite → postgres.",
		} {
			if got := it.Text(time.UTC, now); !strings.HasPrefix(got, want) {
				t.Errorf("text = %q, want it to begin %q", got, want)
			}
		}
		if err := s.SetContactHandled(ctx, plain.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkPolicyChangeSeen(ctx, change.ID); err != nil {
			t.Fatal(err)
		}
		items, _ = attention.Compute(ctx, s, now, attention.Options{})
		if len(items) != 1 || items[0].Kind != attention.Deletion {
			t.Fatalf("after handling: %+v", items)
		}
	})
}
