package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// leaseNow is the store clock of the tests of expiring records (the store
// judges their expiry by it): the last seconds of a month.
var leaseNow = time.Date(2027, 6, 30, 23, 59, 30, 0, time.UTC)

// TestRefreshLeaseOwnerAndClock: two processes whose own clocks disagree
// by minutes still see one lease (it is judged on the database's clock);
// once it runs out (on that clock) and another holder takes it, the first
// holder can neither release it nor store a pair under it.
func TestRefreshLeaseOwnerAndClock(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return leaseNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "1")
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "a", RefreshToken: "r0"}); err != nil {
			t.Fatal(err)
		}
		// The second process's clock runs five minutes ahead.
		ahead, err := store.Open(ctx, store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box,
			Now: func() time.Time { return leaseNow.Add(5 * time.Minute) }})
		if err != nil {
			t.Fatal(err)
		}
		defer ahead.Close()
		l1, ok, err := s.AcquireRefreshLease(ctx, a.ID, 2*time.Minute)
		if !ok || err != nil || l1.Owner == "" {
			t.Fatalf("first lease: %+v %v %v", l1, ok, err)
		}
		if _, ok, err := ahead.AcquireRefreshLease(ctx, a.ID, 2*time.Minute); ok || err != nil {
			t.Fatalf("a process with a clock 5 minutes ahead took a held lease (%v, %v)", ok, err)
		}
		// On the database's clock the lease runs out; the other process
		// takes it.
		ahead.SetDBClockOffset(2*time.Minute + time.Second)
		l2, ok, err := ahead.AcquireRefreshLease(ctx, a.ID, 2*time.Minute)
		if !ok || err != nil || l2.Owner == l1.Owner {
			t.Fatalf("expired lease not taken: %+v %v %v", l2, ok, err)
		}
		// The first holder's release and write are refused.
		if err := s.ReleaseRefreshLease(ctx, l1); err != nil {
			t.Fatal(err)
		}
		err = s.PutRefreshedCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "stale", RefreshToken: "r1"}, l1)
		if !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("write under a lost lease: %v", err)
		}
		if _, ok, _ := s.AcquireRefreshLease(ctx, a.ID, 2*time.Minute); ok {
			t.Fatal("the old holder's release ended the new holder's lease")
		}
		if c, err := s.FindCredential(ctx, a.ID); err != nil || c.AccessToken != "a" {
			t.Fatalf("credential after a refused write: %v %v", c, err)
		}
		// The new holder's write goes in, and ends its lease.
		if err := ahead.PutRefreshedCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "b", RefreshToken: "r2"}, l2); err != nil {
			t.Fatal(err)
		}
		if c, err := s.FindCredential(ctx, a.ID); err != nil || c.AccessToken != "b" {
			t.Fatalf("credential: %v %v", c, err)
		}
		if _, ok, _ := s.AcquireRefreshLease(ctx, a.ID, 2*time.Minute); !ok {
			t.Fatal("lease still held after the holder stored its pair")
		}
		// Start-up on SQLite releases every lease.
		if n, err := s.ReleaseAllRefreshLeases(ctx); err != nil || n != 1 {
			t.Fatalf("ReleaseAllRefreshLeases = %d, %v", n, err)
		}
		if _, ok, _ := ahead.AcquireRefreshLease(ctx, a.ID, 2*time.Minute); !ok {
			t.Fatal("lease held after ReleaseAllRefreshLeases")
		}
	})
}
func TestRefreshLeaseRelease(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return leaseNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "1")
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "a", ExpiresAt: leaseNow.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		other := env.Reopen(t) // on the same clock
		l1, ok1, err1 := s.AcquireRefreshLease(ctx, a.ID, time.Minute)
		_, ok2, err2 := other.AcquireRefreshLease(ctx, a.ID, time.Minute)
		if !ok1 || ok2 || err1 != nil || err2 != nil {
			t.Fatalf("lease: first %v %v, second %v %v", ok1, err1, ok2, err2)
		}
		// Storing the refreshed pair ends the lease.
		if err := s.PutRefreshedCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "b", ExpiresAt: leaseNow.Add(2 * time.Hour)}, l1); err != nil {
			t.Fatal(err)
		}
		l2, ok, _ := other.AcquireRefreshLease(ctx, a.ID, time.Minute)
		if !ok {
			t.Fatal("lease not released by PutRefreshedCredential")
		}
		if err := other.ReleaseRefreshLease(ctx, l2); err != nil {
			t.Fatal(err)
		}
		// A connect's new grant ends any lease.
		if _, ok, _ := s.AcquireRefreshLease(ctx, a.ID, time.Minute); !ok {
			t.Fatal("lease not released by ReleaseRefreshLease")
		}
		if err := other.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "c", ExpiresAt: leaseNow.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if l, ok, _ := other.AcquireRefreshLease(ctx, a.ID, time.Minute); !ok {
			t.Fatal("lease not released by PutCredential")
		} else {
			other.ReleaseRefreshLease(ctx, l)
		}
		if _, _, err := s.AcquireRefreshLease(ctx, 999, time.Minute); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("lease on a missing credential: %v", err)
		}
		due, err := s.ListCredentialsExpiringBefore(ctx, leaseNow.Add(3*time.Hour))
		if err != nil || len(due) != 1 || due[0].AccountID != a.ID {
			t.Fatalf("expiring = %+v, %v", due, err)
		}
	})
}
