package oauth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// flakyStore is a store whose writes of a refreshed pair fail while
// failures remain (as a database briefly down or locked would), and which
// records the leases released while a write had failed.
type flakyStore struct {
	*store.Store
	mu       sync.Mutex
	failures int // PutRefreshedCredential calls still to fail
	failed   int // calls that failed
	released int // ReleaseRefreshLease calls after a failed write
}

func (f *flakyStore) setFailures(n int) { f.mu.Lock(); f.failures = n; f.mu.Unlock() }

func (f *flakyStore) PutRefreshedCredential(ctx context.Context, c *snsos.Credential, l store.RefreshLease) error {
	f.mu.Lock()
	if f.failures > 0 {
		f.failures--
		f.failed++
		f.mu.Unlock()
		return snsos.Errorf(snsos.EUNAVAILABLE, "database is locked")
	}
	f.mu.Unlock()
	return f.Store.PutRefreshedCredential(ctx, c, l)
}

func (f *flakyStore) ReleaseRefreshLease(ctx context.Context, l store.RefreshLease) error {
	f.mu.Lock()
	if f.failed > 0 {
		f.released++
	}
	f.mu.Unlock()
	return f.Store.ReleaseRefreshLease(ctx, l)
}

func (f *flakyStore) counts() (failed, released int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed, f.released
}

// TestRefreshSurvivesFailedWrites: X rotates the refresh token, then the
// database refuses the new pair a few times. The pair is written once the
// database takes it, the callers get it (never the spent one), the lease is
// not released meanwhile, and the next refresh two hours on works.
func TestRefreshSurvivesFailedWrites(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	e := newTestEnv(t, env)
	ctx := context.Background()
	flaky := &flakyStore{Store: e.st}
	e.svc.store = flaky
	e.svc.saveRetry = time.Millisecond
	a, _ := e.seedAccount(t, "flaky_db")
	old, _ := e.st.FindCredential(ctx, a.ID)
	e.clk.Advance(2*time.Hour - 5*time.Minute)

	flaky.setFailures(4)
	c, err := e.svc.Credential(ctx, a.ID)
	if err != nil || c.AccessToken == old.AccessToken || c.RefreshToken == old.RefreshToken {
		t.Fatalf("Credential after failed writes: got the old pair or %v", err)
	}
	if failed, released := flaky.counts(); failed != 4 || released != 0 {
		t.Fatalf("%d writes failed, %d leases released after a failure", failed, released)
	}
	stored, err := e.st.FindCredential(ctx, a.ID)
	if err != nil || stored.AccessToken != c.AccessToken || stored.RefreshToken != c.RefreshToken {
		t.Fatalf("the refreshed pair was not stored: %v", err)
	}
	if e.tokenCalls.Load() != 1 {
		t.Fatalf("%d token requests, want 1", e.tokenCalls.Load())
	}
	// The rotated refresh token works two hours on.
	e.clk.Advance(2 * time.Hour)
	if c2, err := e.svc.Credential(ctx, a.ID); err != nil || c2.AccessToken == c.AccessToken {
		t.Fatalf("second refresh: %v", err)
	}
	if acct, _ := e.st.FindAccountByID(ctx, a.ID); acct.Status != snsos.AccountConnected {
		t.Fatalf("account %s", acct.Status)
	}
}

// TestRefreshKeepsUnsavedPair: the database refuses the new pair until the
// lease's deadline. The pair is kept in memory and handed to every caller
// (no second refresh spends the dead token), the lease is not released,
// and the pair is stored as soon as the database takes it.
func TestRefreshKeepsUnsavedPair(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	e := newTestEnv(t, env)
	ctx := context.Background()
	flaky := &flakyStore{Store: e.st}
	e.svc.store = flaky
	e.svc.saveRetry = 5 * time.Millisecond
	e.svc.leaseTTL = 400 * time.Millisecond
	a, _ := e.seedAccount(t, "down_db")
	old, _ := e.st.FindCredential(ctx, a.ID)
	e.clk.Advance(2*time.Hour - 5*time.Minute)

	flaky.setFailures(1 << 30)
	c, err := e.svc.Credential(ctx, a.ID)
	if err != nil || c.AccessToken == old.AccessToken {
		t.Fatalf("Credential with the database refusing: got the old pair or %v", err)
	}
	if _, released := flaky.counts(); released != 0 {
		t.Fatalf("the lease was released with the pair unsaved")
	}
	if stored, _ := e.st.FindCredential(ctx, a.ID); stored.AccessToken != old.AccessToken {
		t.Fatal("the database took the pair after all")
	}
	again, err := e.svc.Credential(ctx, a.ID)
	if err != nil || again.AccessToken != c.AccessToken || e.tokenCalls.Load() != 1 {
		t.Fatalf("second Credential: %v (token requests %d)", err, e.tokenCalls.Load())
	}
	// The database is back: the next use stores the pair.
	flaky.setFailures(0)
	if got, err := e.svc.Credential(ctx, a.ID); err != nil || got.AccessToken != c.AccessToken {
		t.Fatalf("Credential once the database is back: %v", err)
	}
	stored, err := e.st.FindCredential(ctx, a.ID)
	if err != nil || stored.AccessToken != c.AccessToken || stored.RefreshToken != c.RefreshToken {
		t.Fatalf("the kept pair was not stored: %v", err)
	}
	if _, released := flaky.counts(); released != 0 {
		t.Fatalf("the lease was released with the pair unsaved")
	}
	if _, ok, err := e.st.AcquireRefreshLease(ctx, a.ID, time.Minute); !ok || err != nil {
		t.Fatalf("lease still held after the pair was stored: %v %v", ok, err)
	}
	if e.tokenCalls.Load() != 1 {
		t.Fatalf("%d token requests, want 1", e.tokenCalls.Load())
	}
}

// TestRefreshSkewedClocks: two processes whose clocks disagree by three
// minutes (more than the lease) refresh one account at once: the lease is
// judged on the database's clock, so exactly one refresh reaches X and the
// other process uses its result.
func TestRefreshSkewedClocks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		ahead := func() time.Time { return e.clk.Now().Add(3 * time.Minute) }
		bStore, err := store.Open(ctx, store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box, Now: ahead})
		if err != nil {
			t.Fatal(err)
		}
		defer bStore.Close()
		b := e.newService(bStore)
		b.now = ahead
		a, _ := e.seedAccount(t, "skewed")
		e.clk.Advance(2*time.Hour - 5*time.Minute)

		gate := make(chan struct{})
		e.gate.Store(&gate)
		first := make(chan error, 1)
		go func() {
			_, err := e.svc.Credential(ctx, a.ID)
			first <- err
		}()
		select {
		case <-e.arrived:
		case <-time.After(20 * time.Second):
			t.Fatal("no refresh reached X")
		}
		// The other process asks while the first holds the lease; it waits
		// (its caller gives up) instead of refreshing.
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, err = b.Credential(wctx, a.ID)
		cancel()
		if err == nil {
			t.Fatal("the second process got a credential while the first was refreshing")
		}
		if calls := e.tokenCalls.Load(); calls != 1 {
			t.Fatalf("%d token requests reached X while the lease was held, want 1", calls)
		}
		close(gate)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		got, err := b.Credential(ctx, a.ID)
		stored, _ := e.st.FindCredential(ctx, a.ID)
		if err != nil || got.AccessToken != stored.AccessToken {
			t.Fatalf("second process: %v", err)
		}
		if calls := e.tokenCalls.Load(); calls != 1 {
			t.Fatalf("%d token requests reached X, want 1", calls)
		}
	})
}
