package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestPolicyChanges(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return contactNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		_, err := s.LatestPolicyChange(ctx)
		wantCode(t, err, snsos.ENOTFOUND)
		first := &snsos.PolicyChange{Fingerprint: "fp1", Substance: `{"a":1}`, SeenAt: contactNow}
		if err := s.RecordPolicyChange(ctx, "", first); err != nil {
			t.Fatal(err)
		}
		// A second process that read "no policy yet" loses.
		wantCode(t, s.RecordPolicyChange(ctx, "", &snsos.PolicyChange{Fingerprint: "fp1b", Substance: "{}"}), snsos.ECONFLICT)
		at := contactNow.Add(48 * time.Hour)
		second := &snsos.PolicyChange{Fingerprint: "fp2", Substance: `{"a":2}`, ChangedAt: at,
			Items: []snsos.PolicyChangeItem{{What: "scope_added", Platform: snsos.PlatformX, Name: "like.write"}}}
		if err := s.RecordPolicyChange(ctx, "fp1", second); err != nil {
			t.Fatal(err)
		}
		// So does one that read fp1 after fp2 was recorded.
		wantCode(t, s.RecordPolicyChange(ctx, "fp1", &snsos.PolicyChange{Fingerprint: "fp3", Substance: "{}"}), snsos.ECONFLICT)
		wantCode(t, s.RecordPolicyChange(ctx, "fp2", &snsos.PolicyChange{Fingerprint: "fp2"}), snsos.EINVALID)
		if v, err := s.Setting(ctx, store.PolicyFingerprintSetting); err != nil || v != "fp2" {
			t.Fatalf("fingerprint setting = %q, %v", v, err)
		}
		latest, err := s.LatestPolicyChange(ctx)
		if err != nil || latest.ID != second.ID || !latest.ChangedAt.Equal(at) || latest.Substance != `{"a":2}` ||
			len(latest.Items) != 1 || latest.Items[0].Name != "like.write" || !latest.SeenAt.IsZero() {
			t.Fatalf("latest = %+v, %v", latest, err)
		}
		all, err := s.ListPolicyChanges(ctx, false, 0)
		if err != nil || len(all) != 2 || all[1].ID != first.ID || all[1].Items != nil && len(all[1].Items) != 0 {
			t.Fatalf("all = %+v, %v", all, err)
		}
		unseen, err := s.ListPolicyChanges(ctx, true, 0)
		if err != nil || len(unseen) != 1 || unseen[0].ID != second.ID {
			t.Fatalf("unseen = %+v, %v", unseen, err)
		}
		if err := s.MarkPolicyChangeSeen(ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		if unseen, _ := s.ListPolicyChanges(ctx, true, 0); len(unseen) != 0 {
			t.Fatalf("still unseen: %+v", unseen)
		}
		wantCode(t, s.MarkPolicyChangeSeen(ctx, 999), snsos.ENOTFOUND)
	})
}
