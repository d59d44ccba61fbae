package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestConnectFlow drives the whole browser flow through the routes and the
// simulator's consent page, then every way a callback can be refused.
func TestConnectFlow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		u := e.sim.AddUser("operator_x", "The Operator")
		var pages []string
		var secrets []string

		// Connect.
		b := browser(t)
		if r := get(t, b, e.app.URL+"/connect/x"); r.status != http.StatusMethodNotAllowed {
			t.Fatalf("GET /connect/x: %d, want 405 (starting is a POST)", r.status)
		}
		r := post(t, b, e.app.URL+"/connect/x")
		if r.status != http.StatusSeeOther {
			t.Fatalf("POST /connect/x: %d %s", r.status, r.body)
		}
		setCookie := r.header.Get("Set-Cookie")
		for _, want := range []string{CookieName + "=", "Path=/oauth/", "Max-Age=600", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(setCookie, want) {
				t.Errorf("Set-Cookie %q lacks %q", setCookie, want)
			}
		}
		if strings.Contains(setCookie, "Secure") {
			t.Errorf("Secure cookie on an http PublicURL: %q", setCookie)
		}
		cb := e.followConsent(t, b, r.header.Get("Location"))
		secrets = append(secrets, cb.Query().Get("code"), cb.Query().Get("state"))
		r = get(t, b, cb.String())
		pages = append(pages, r.body)
		if r.status != http.StatusOK || !strings.Contains(r.body, "Connected @operator_x on X") {
			t.Fatalf("callback: %d %s", r.status, r.body)
		}
		if !strings.Contains(r.body, `<html lang="en">`) || strings.Contains(r.body, "http://") || strings.Contains(r.body, "https://") {
			t.Errorf("page is not self-contained: %s", r.body)
		}
		if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, CookieName+"=;") || !strings.Contains(sc, "Max-Age=0") {
			t.Errorf("callback does not clear the cookie: %q", sc)
		}
		accts, err := e.st.ListAccounts(ctx)
		if err != nil || len(accts) != 1 {
			t.Fatalf("accounts %v, %v", accts, err)
		}
		a := accts[0]
		if a.Platform != snsos.PlatformX || a.Handle != "operator_x" || a.RemoteID != u.ID || a.DisplayName != "The Operator" ||
			a.Status != snsos.AccountConnected {
			t.Fatalf("account %+v", a)
		}
		cred, err := e.st.FindCredential(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cred.AccessToken.IsZero() || cred.RefreshToken.IsZero() || !cred.ExpiresAt.Equal(e.clk.Now().Add(2*time.Hour)) {
			t.Fatalf("credential %+v", cred.Meta())
		}
		secrets = append(secrets, cred.AccessToken.Reveal(), cred.RefreshToken.Reveal())
		if prof, err := e.svc.platforms[snsos.PlatformX].Profile(ctx, cred.AccessToken); err != nil || prof.RemoteID != u.ID {
			t.Fatalf("stored token does not work: %v %v", prof, err)
		}
		events, err := e.st.ListAuditEvents(ctx, "account", a.ID, 10)
		if err != nil || !hasAction(events, "account.connect") {
			t.Errorf("no account.connect audit event: %v %v", events, err)
		}

		// The same callback again: the state was used.
		r = get(t, b, cb.String())
		pages = append(pages, r.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "already used") || !strings.Contains(r.body, `<form method="post" action="/connect/x">`) {
			t.Fatalf("replayed callback: %d %s", r.status, r.body)
		}

		// Reconnect after the account needed it: same account, connected.
		if err := e.st.SetAccountStatus(ctx, a.ID, snsos.AccountNeedsReauth, "test"); err != nil {
			t.Fatal(err)
		}
		cb2 := e.startFlow(t, b)
		secrets = append(secrets, cb2.Query().Get("code"), cb2.Query().Get("state"))
		r = get(t, b, cb2.String())
		pages = append(pages, r.body)
		if r.status != http.StatusOK {
			t.Fatalf("reconnect: %d %s", r.status, r.body)
		}
		a2, err := e.st.FindAccountByID(ctx, a.ID)
		if err != nil || a2.Status != snsos.AccountConnected || a2.StatusReason != "" {
			t.Fatalf("reconnected account %+v, %v", a2, err)
		}
		if accts, _ := e.st.ListAccounts(ctx); len(accts) != 1 {
			t.Fatalf("reconnect made a second account: %d", len(accts))
		}
		cred2, err := e.st.FindCredential(ctx, a.ID)
		if err != nil || cred2.AccessToken == cred.AccessToken {
			t.Fatalf("reconnect did not store the new credential: %v", err)
		}
		secrets = append(secrets, cred2.AccessToken.Reveal(), cred2.RefreshToken.Reveal())

		// Expired state.
		cb3 := e.startFlow(t, b)
		secrets = append(secrets, cb3.Query().Get("code"), cb3.Query().Get("state"))
		e.clk.Advance(DefaultStateTTL + time.Minute)
		r = get(t, b, cb3.String())
		pages = append(pages, r.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired") {
			t.Fatalf("expired state: %d %s", r.status, r.body)
		}

		// Another browser (another cookie, or none) cannot finish the flow.
		for _, other := range []string{"another-cookie-value", ""} {
			cb4 := e.startFlow(t, b)
			secrets = append(secrets, cb4.Query().Get("code"), cb4.Query().Get("state"))
			b2 := browser(t)
			if other != "" {
				b2.Jar.SetCookies(cb4, []*http.Cookie{{Name: CookieName, Value: other, Path: "/oauth/"}})
			}
			r = get(t, b2, cb4.String())
			pages = append(pages, r.body)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, "another browser") {
				t.Fatalf("wrong binding %q: %d %s", other, r.status, r.body)
			}
		}

		// The platform says the operator declined; the state is burnt.
		cb5 := e.startFlow(t, b)
		secrets = append(secrets, cb5.Query().Get("code"), cb5.Query().Get("state"))
		denied := *cb5
		denied.RawQuery = url.Values{"error": {"access_denied"}, "error_description": {"The user <b>denied</b>"},
			"state": {cb5.Query().Get("state")}}.Encode()
		r = get(t, b, denied.String())
		pages = append(pages, r.body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "X says: access_denied") ||
			!strings.Contains(r.body, "you declined") || strings.Contains(r.body, "<b>") {
			t.Fatalf("denied: %d %s", r.status, r.body)
		}
		if r = get(t, b, cb5.String()); r.status != http.StatusBadRequest || !strings.Contains(r.body, "already used") {
			t.Fatalf("callback after denial: %d %s", r.status, r.body)
		}
		// An error answer anyone could have made up (no state, an unknown
		// one, a used one, another browser's) shows a fixed message, never
		// its description.
		cb7 := e.startFlow(t, b)
		for _, q := range []url.Values{
			{"error": {"access_denied"}, "error_description": {"Call +1-555-0100 to restore your account"}},
			{"error": {"access_denied"}, "error_description": {"Call +1-555-0100 to restore your account"}, "state": {"made-up"}},
			{"error": {"access_denied"}, "error_description": {"Call +1-555-0100 to restore your account"}, "state": {cb5.Query().Get("state")}},
			{"error": {"access_denied"}, "error_description": {"Call +1-555-0100 to restore your account"}, "state": {cb7.Query().Get("state")}},
		} {
			forged := *cb7
			forged.RawQuery = q.Encode()
			c := b
			if q.Get("state") == cb7.Query().Get("state") {
				c = browser(t) // the right state in another browser
			}
			r = get(t, c, forged.String())
			if r.status != http.StatusBadRequest || strings.Contains(r.body, "555") || strings.Contains(r.body, "X says") ||
				!strings.Contains(r.body, "the account was not connected") {
				t.Fatalf("forged error %v: %d %s", q, r.status, r.body)
			}
		}

		// Unknown and unconfigured platforms.
		for _, path := range []string{"/connect/foo", "/oauth/foo/callback", "/connect/tiktok", "/oauth/tiktok/callback?state=x&code=y"} {
			if strings.HasPrefix(path, "/connect/") {
				r = post(t, b, e.app.URL+path)
			} else {
				r = get(t, b, e.app.URL+path)
			}
			if r.status != http.StatusNotFound || !strings.Contains(r.body, "configured: x") {
				t.Errorf("GET %s: %d %s", path, r.status, r.body)
			}
		}

		// A flow started through the API (no cookie) completes in any browser.
		authURL, err := e.svc.StartConnect(ctx, snsos.PlatformX, "")
		if err != nil {
			t.Fatal(err)
		}
		cb6 := e.followConsent(t, browser(t), authURL)
		secrets = append(secrets, cb6.Query().Get("code"), cb6.Query().Get("state"))
		r = get(t, browser(t), cb6.String())
		pages = append(pages, r.body)
		if r.status != http.StatusOK {
			t.Fatalf("API-started flow: %d %s", r.status, r.body)
		}
		cred3, _ := e.st.FindCredential(ctx, a.ID)
		secrets = append(secrets, cred3.AccessToken.Reveal(), cred3.RefreshToken.Reveal(), testClientSecret)

		logs := e.logs.String()
		for _, s := range secrets {
			if s == "" {
				t.Fatal("empty secret captured")
			}
			for i, p := range pages {
				if strings.Contains(p, s) {
					t.Errorf("page %d contains a secret (%.6s…)", i, s)
				}
			}
			if strings.Contains(logs, s) {
				t.Errorf("log contains a secret (%.6s…)", s)
			}
		}
	})
}

func hasAction(events []*snsos.AuditEvent, action string) bool {
	for _, ev := range events {
		if ev.Action == action {
			return true
		}
	}
	return false
}

// TestCompleteConnectChecks covers the checks that have no browser form.
func TestCompleteConnectChecks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		if _, err := e.svc.StartConnect(ctx, "mastodon", ""); !snsos.IsCode(err, snsos.EINVALID) ||
			!strings.Contains(snsos.ErrorMessage(err), "configured: x") {
			t.Fatalf("unknown platform: %v", err)
		}
		for name, q := range map[string]url.Values{
			"no state":      {"code": {"abc"}},
			"unknown state": {"code": {"abc"}, "state": {"nope"}},
		} {
			if _, err := e.svc.CompleteConnect(ctx, snsos.PlatformX, q, ""); !snsos.IsCode(err, snsos.EINVALID) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// A state for X presented at another platform's callback.
		e.svc.platforms[snsos.PlatformTikTok] = e.svc.platforms[snsos.PlatformX]
		authURL, err := e.svc.StartConnect(ctx, snsos.PlatformX, "")
		if err != nil {
			t.Fatal(err)
		}
		state := mustParse(t, authURL).Query().Get("state")
		_, err = e.svc.CompleteConnect(ctx, snsos.PlatformTikTok, url.Values{"state": {state}, "code": {"c"}}, "")
		if !snsos.IsCode(err, snsos.EINVALID) || !strings.Contains(snsos.ErrorMessage(err), "was for X") {
			t.Fatalf("platform mismatch: %v", err)
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestCredentialRefresh: Credential refreshes ahead of expiry, stores the
// rotated pair and uses it next time.
func TestCredentialRefresh(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		a, u := e.seedAccount(t, "refresher")
		first, err := e.st.FindCredential(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}

		e.clk.Advance(2*time.Hour - 11*time.Minute) // 11 minutes left: not due
		c, err := e.svc.Credential(ctx, a.ID)
		if err != nil || c.AccessToken != first.AccessToken || e.tokenCalls.Load() != 0 {
			t.Fatalf("not due: refreshed anyway (calls %d, err %v)", e.tokenCalls.Load(), err)
		}

		e.clk.Advance(2 * time.Minute) // 9 minutes left: due
		c, err = e.svc.Credential(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.tokenCalls.Load() != 1 || c.AccessToken == first.AccessToken || c.RefreshToken == first.RefreshToken {
			t.Fatalf("no refresh: calls %d", e.tokenCalls.Load())
		}
		if !c.ExpiresAt.Equal(e.clk.Now().Add(2 * time.Hour)) {
			t.Fatalf("new expiry %v", c.ExpiresAt)
		}
		stored, err := e.st.FindCredential(ctx, a.ID)
		if err != nil || stored.AccessToken != c.AccessToken || stored.RefreshToken != c.RefreshToken {
			t.Fatalf("refreshed pair not stored: %v", err)
		}
		if p, err := e.svc.platforms[snsos.PlatformX].Profile(ctx, c.AccessToken); err != nil || p.RemoteID != u.ID {
			t.Fatalf("new token does not work: %v", err)
		}
		// The old refresh token is dead at X; nothing may use it again.
		if _, err := e.svc.platforms[snsos.PlatformX].Refresh(ctx, first); !errors.Is(err, platform.ErrAuth) {
			t.Fatalf("old refresh token still works: %v", err)
		}
		calls := e.tokenCalls.Load()

		if c2, err := e.svc.Credential(ctx, a.ID); err != nil || c2.AccessToken != c.AccessToken || e.tokenCalls.Load() != calls {
			t.Fatalf("fresh token refreshed again: %v", err)
		}
		// Two hours on, the rotated refresh token (the stored one) works.
		e.clk.Advance(2 * time.Hour)
		c3, err := e.svc.Credential(ctx, a.ID)
		if err != nil || c3.AccessToken == c.AccessToken || e.tokenCalls.Load() != calls+1 {
			t.Fatalf("second refresh: calls %d, err %v", e.tokenCalls.Load(), err)
		}
		if acct, _ := e.st.FindAccountByID(ctx, a.ID); acct.Status != snsos.AccountConnected {
			t.Fatalf("account %s after refreshes", acct.Status)
		}
		if strings.Contains(e.logs.String(), c3.AccessToken.Reveal()) || strings.Contains(e.logs.String(), c3.RefreshToken.Reveal()) {
			t.Fatal("a token reached the log")
		}
	})
}

// TestRefreshSingleFlight: eight goroutines in two "processes" (two
// Stores, two Services) ask for an expiring credential at once; exactly one
// refresh reaches X and all eight get its token.
func TestRefreshSingleFlight(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		other := e.newService(e.openStore(t))
		a, _ := e.seedAccount(t, "concurrent")
		old, _ := e.st.FindCredential(ctx, a.ID)
		e.clk.Advance(2*time.Hour - 5*time.Minute)

		gate := make(chan struct{})
		e.gate.Store(&gate)
		const n = 8
		var started, done sync.WaitGroup
		got := make([]*snsos.Credential, n)
		errs := make([]error, n)
		for i := range n {
			svc := e.svc
			if i%2 == 1 {
				svc = other
			}
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				started.Done()
				got[i], errs[i] = svc.Credential(ctx, a.ID)
			}()
		}
		started.Wait()
		select { // hold the refresh until it reached X, so the others pile up
		case <-e.arrived:
		case <-time.After(20 * time.Second):
			t.Error("no refresh reached X")
		}
		close(gate)
		done.Wait()

		if calls := e.tokenCalls.Load(); calls != 1 {
			t.Fatalf("%d token requests reached X, want exactly 1", calls)
		}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if got[i].AccessToken == old.AccessToken || got[i].AccessToken != got[0].AccessToken {
				t.Fatalf("caller %d got a different token", i)
			}
		}
		stored, err := other.store.FindCredential(ctx, a.ID)
		if err != nil || stored.AccessToken != got[0].AccessToken {
			t.Fatalf("stored credential differs: %v", err)
		}
		// The lease ended with the store of the new pair.
		if _, ok, err := e.st.AcquireRefreshLease(ctx, a.ID, time.Minute); !ok || err != nil {
			t.Fatalf("lease still held after the refresh: %v %v", ok, err)
		}
	})
}

// TestRevokedGrant: a refresh X refuses because the grant was revoked
// marks the account revoked, deletes its tokens and fails its scheduled
// target with a clear reason; Revoke disconnects.
func TestRevokedGrant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		a, u := e.seedAccount(t, "revoked_one")
		post := &snsos.Post{Body: "hello", ScheduledAt: e.clk.Now().Add(3 * time.Hour),
			Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}}
		if err := e.st.CreatePost(ctx, post, nil); err != nil {
			t.Fatal(err)
		}
		draft := &snsos.Post{Body: "later", Targets: []*snsos.Target{{AccountID: a.ID}}}
		if err := e.st.CreatePost(ctx, draft, nil); err != nil {
			t.Fatal(err)
		}

		e.sim.RevokeUser(u.ID)
		e.clk.Advance(2*time.Hour - 5*time.Minute)
		_, err := e.svc.Credential(ctx, a.ID)
		if !NeedsReconnect(err) || !strings.Contains(err.Error(), "needs to be connected again") {
			t.Fatalf("Credential after revocation: %v", err)
		}
		acct, err := e.st.FindAccountByID(ctx, a.ID)
		if err != nil || acct.Status != snsos.AccountRevoked || !strings.Contains(acct.StatusReason, "access was revoked on X") {
			t.Fatalf("account %+v, %v", acct, err)
		}
		if _, err := e.st.FindCredential(ctx, a.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens of a revoked grant kept: %v", err)
		}
		tg, err := e.st.FindTargetByID(ctx, post.Targets[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if tg.State != snsos.StateFailed || !strings.Contains(tg.Error, "the X account @revoked_one needs to be connected again: access was revoked on X") {
			t.Fatalf("target %s %q", tg.State, tg.Error)
		}
		if d, _ := e.st.FindTargetByID(ctx, draft.Targets[0].ID); d.State != snsos.StateDraft {
			t.Fatalf("draft target became %s", d.State)
		}
		calls := e.tokenCalls.Load()
		if calls != 1 {
			t.Fatalf("%d token requests, want 1", calls)
		}
		// Until reconnected, nothing is tried at X.
		if _, err := e.svc.Credential(ctx, a.ID); !NeedsReconnect(err) || e.tokenCalls.Load() != calls {
			t.Fatalf("second Credential: %v (calls %d)", err, e.tokenCalls.Load())
		}

		// Revoke another account: the grant dies at X and the tokens here.
		b, _ := e.seedAccount(t, "to_disconnect")
		bc, _ := e.st.FindCredential(ctx, b.ID)
		if err := e.svc.Revoke(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if acct, _ := e.st.FindAccountByID(ctx, b.ID); acct.Status != snsos.AccountRevoked {
			t.Fatalf("revoked account is %s", acct.Status)
		}
		if _, err := e.st.FindCredential(ctx, b.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept after revoke: %v", err)
		}
		if _, err := e.svc.platforms[snsos.PlatformX].Profile(ctx, bc.AccessToken); !errors.Is(err, platform.ErrAuth) {
			t.Fatalf("token still valid at X after revoke: %v", err)
		}
		if _, err := e.svc.Credential(ctx, b.ID); !NeedsReconnect(err) {
			t.Fatalf("Credential of a revoked account: %v", err)
		}
	})
}

// TestScanQueuesRefresh: the scan queues one refresh job per due account
// (once, however often it runs) and a River worker refreshes it.
func TestScanQueuesRefresh(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		if err := jobs.Migrate(ctx, e.st.DB(), e.st.Pool(), nil); err != nil {
			t.Fatal(err)
		}
		due, _ := e.seedAccount(t, "due_soon")
		e.clk.Advance(time.Hour)
		later, _ := e.seedAccount(t, "due_later")
		e.clk.Advance(55 * time.Minute) // due_soon: 5 min left; due_later: 65 min
		dueBefore, _ := e.st.FindCredentialMeta(ctx, due.ID)
		laterBefore, _ := e.st.FindCredentialMeta(ctx, later.ID)
		if err := e.st.PutOAuthState(ctx, &store.OAuthState{StateHash: auth.HashToken("stale"), Platform: snsos.PlatformX,
			Verifier: "v", ExpiresAt: e.clk.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}

		workers := river.NewWorkers()
		periodic := e.svc.Register(workers)
		if len(periodic) != 1 {
			t.Fatalf("%d periodic jobs", len(periodic))
		}
		jc, err := jobs.New(jobs.Config{DB: e.st.DB(), Pool: e.st.Pool(), Workers: workers, Periodic: periodic,
			PollInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		e.svc.SetJobs(jc)

		for i, want := range []int{1, 0} { // the second scan finds the job queued
			n, err := e.svc.scan(ctx)
			if err != nil || n != want {
				t.Fatalf("scan %d: %d jobs, %v; want %d", i, n, err, want)
			}
		}
		if n := countJobs(t, e.st, RefreshArgs{}.Kind()); n != 1 {
			t.Fatalf("%d refresh jobs queued, want 1", n)
		}
		if _, err := e.st.TakeOAuthState(ctx, auth.HashToken("stale")); !errors.Is(err, store.ErrOAuthStateUnknown) {
			t.Fatalf("expired state not pruned: %v", err)
		}

		if err := jc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			jc.Stop(sctx)
		})
		waitFor(t, "the refresh job to refresh due_soon", func() bool {
			m, err := e.st.FindCredentialMeta(ctx, due.ID)
			return err == nil && !m.ExpiresAt.Equal(dueBefore.ExpiresAt)
		})
		// The scan job itself, through River.
		res, err := jc.Insert(ctx, RefreshScanArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the scan job", func() bool {
			row, err := jc.JobGet(ctx, res.Job.ID)
			return err == nil && row.State == rivertype.JobStateCompleted
		})
		waitFor(t, "the refresh job to complete", func() bool {
			return countJobsInState(t, e.st, RefreshArgs{}.Kind(), rivertype.JobStateCompleted) >= 1 &&
				countJobsNotFinal(t, e.st, RefreshArgs{}.Kind()) == 0
		})
		if m, _ := e.st.FindCredentialMeta(ctx, later.ID); !m.UpdatedAt.Equal(laterBefore.UpdatedAt) {
			t.Fatal("an account that was not due was refreshed")
		}
		if calls := e.tokenCalls.Load(); calls != 1 {
			t.Fatalf("%d token requests, want 1", calls)
		}
		m, _ := e.st.FindCredentialMeta(ctx, due.ID)
		if !m.ExpiresAt.Equal(e.clk.Now().Add(2 * time.Hour)) {
			t.Fatalf("refreshed expiry %v", m.ExpiresAt)
		}
	})
}

func countJobs(t *testing.T, st *store.Store, kind string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func countJobsInState(t *testing.T, st *store.Store, kind string, state rivertype.JobState) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state = $2`, kind, string(state)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func countJobsNotFinal(t *testing.T, st *store.Store, kind string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1 AND state NOT IN ('completed', 'cancelled', 'discarded')`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPolicy pins the refresh table.
func TestPolicy(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name            string
		p               snsos.Platform
		expires, issued time.Time
		want            bool
	}{
		{"x 11m left", snsos.PlatformX, now.Add(11 * time.Minute), now.Add(-time.Hour), false},
		{"x 9m left", snsos.PlatformX, now.Add(9 * time.Minute), now.Add(-time.Hour), true},
		{"x expired", snsos.PlatformX, now.Add(-time.Minute), now.Add(-3 * time.Hour), true},
		{"x no expiry", snsos.PlatformX, time.Time{}, now, false},
		{"tiktok 5m left", snsos.PlatformTikTok, now.Add(5 * time.Minute), now.Add(-time.Hour), true},
		{"instagram 31d left", snsos.PlatformInstagram, now.Add(31 * 24 * time.Hour), now.Add(-29 * 24 * time.Hour), false},
		{"instagram 29d left", snsos.PlatformInstagram, now.Add(29 * 24 * time.Hour), now.Add(-31 * 24 * time.Hour), true},
		{"threads 6d left but 2h old", snsos.PlatformThreads, now.Add(6 * 24 * time.Hour), now.Add(-2 * time.Hour), false},
		{"threads 29d left and a day old", snsos.PlatformThreads, now.Add(29 * 24 * time.Hour), now.Add(-24 * time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := policyOf(tc.p).due(tc.expires, tc.issued, now); got != tc.want {
				t.Errorf("due = %v, want %v", got, tc.want)
			}
		})
	}
	if maxMargin() != 30*24*time.Hour {
		t.Errorf("maxMargin = %v", maxMargin())
	}
}
