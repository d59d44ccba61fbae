package oauth

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// scheduled creates a post scheduled on account a and returns its target.
func (e *testEnv) scheduled(t *testing.T, a *snsos.Account) int64 {
	t.Helper()
	p := &snsos.Post{Body: "waiting", ScheduledAt: e.clk.Now().Add(3 * time.Hour),
		Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}}
	if err := e.st.CreatePost(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	return p.Targets[0].ID
}

// removals returns the sources of the access removals recorded for a.
func (e *testEnv) removals(t *testing.T, a *snsos.Account) []string {
	t.Helper()
	evs, err := e.st.ListAuditEventsSince(context.Background(), store.AuditAccessRemoved, testStart.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		var d store.AccessRemovedDetail
		if ev.SubjectID == a.ID && json.Unmarshal([]byte(ev.Detail), &d) == nil {
			out = append(out, d.Source)
		}
	}
	return out
}

// TestAuthFailedCuredByRefresh: a 401 that a refresh cures is not a
// revocation: the token is refreshed at once (not due yet), the account
// stays connected and its waiting target is not touched.
func TestAuthFailedCuredByRefresh(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		a, _ := e.seedAccount(t, "cured")
		tid := e.scheduled(t, a)
		before, _ := e.st.FindCredential(ctx, a.ID)
		if err := e.svc.AuthFailed(ctx, a.ID, "X refused the access token"); err != nil {
			t.Fatal(err)
		}
		acct, _ := e.st.FindAccountByID(ctx, a.ID)
		after, err := e.st.FindCredential(ctx, a.ID)
		if acct.Status != snsos.AccountConnected || err != nil || after.AccessToken == before.AccessToken || e.tokenCalls.Load() != 1 {
			t.Fatalf("account %s, credential changed %v (%v), %d token calls", acct.Status, after != nil && after.AccessToken != before.AccessToken, err, e.tokenCalls.Load())
		}
		if tg, _ := e.st.FindTargetByID(ctx, tid); tg.State != snsos.StateScheduled {
			t.Fatalf("target %s", tg.State)
		}
		// The refreshed token works at X.
		if _, err := e.svc.platforms[snsos.PlatformX].Profile(ctx, after.AccessToken); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAuthFailedRevoked: a 401 whose refresh says the grant is gone
// revokes the account and deletes its tokens; a revoked account stays
// revoked when the next refusal comes.
func TestAuthFailedRevoked(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		a, u := e.seedAccount(t, "gone")
		tid := e.scheduled(t, a)
		e.sim.RevokeUser(u.ID)
		if err := e.svc.AuthFailed(ctx, a.ID, "X refused the access token"); err != nil {
			t.Fatal(err)
		}
		acct, _ := e.st.FindAccountByID(ctx, a.ID)
		if acct.Status != snsos.AccountRevoked {
			t.Fatalf("account %s %q", acct.Status, acct.StatusReason)
		}
		if _, err := e.st.FindCredential(ctx, a.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept: %v", err)
		}
		if tg, _ := e.st.FindTargetByID(ctx, tid); tg.State != snsos.StateFailed || !strings.Contains(tg.Error, "revoked") {
			t.Fatalf("target %s %q", tg.State, tg.Error)
		}
		if got := e.removals(t, a); len(got) != 1 || got[0] != store.RemovedByRefresh {
			t.Fatalf("access removals %v", got)
		}
		calls := e.tokenCalls.Load()
		if err := e.svc.AuthFailed(ctx, a.ID, "refused again"); err != nil {
			t.Fatal(err)
		}
		if acct, _ := e.st.FindAccountByID(ctx, a.ID); acct.Status != snsos.AccountRevoked || e.tokenCalls.Load() != calls {
			t.Fatalf("a revoked account became %s (%d token calls)", acct.Status, e.tokenCalls.Load()-calls)
		}
	})
}

// TestRefreshRefusedClient: X refusing the app's own credentials is not a
// revocation: the account needs reconnecting and keeps its tokens.
func TestRefreshRefusedClient(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	e := newTestEnv(t, env)
	ctx := context.Background()
	a, _ := e.seedAccount(t, "misconfigured")
	e.svc.platforms[snsos.PlatformX] = x.New(x.Config{ClientID: testClientID, ClientSecret: "not-the-secret", BaseURL: e.simURL,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: e.clk.Now}), Now: e.clk.Now})
	e.clk.Advance(2*time.Hour - 5*time.Minute)
	if _, err := e.svc.Credential(ctx, a.ID); !NeedsReconnect(err) {
		t.Fatalf("Credential: %v", err)
	}
	acct, _ := e.st.FindAccountByID(ctx, a.ID)
	if acct.Status != snsos.AccountNeedsReauth {
		t.Fatalf("account %s %q", acct.Status, acct.StatusReason)
	}
	if _, err := e.st.FindCredential(ctx, a.ID); err != nil {
		t.Fatalf("tokens deleted for a refused client: %v", err)
	}
	if got := e.removals(t, a); len(got) != 0 {
		t.Fatalf("access removals %v", got)
	}
}

// TestTikTokRevokedGrant: TikTok answering a refresh with invalid_grant
// (the user removed the app) revokes the account and deletes its tokens; a
// refresh token past its own expiry only asks for a reconnect.
func TestTikTokRevokedGrant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		sim := ttsim.New(ttsim.Options{ClientKey: "tt-key", ClientSecret: "tt-secret", Now: e.clk.Now})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		e.svc.platforms[snsos.PlatformTikTok] = tiktok.New(tiktok.Config{ClientKey: "tt-key", ClientSecret: "tt-secret", BaseURL: srv.URL,
			RedirectURL: e.app.URL + "/oauth/tiktok/callback", HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: e.clk.Now}), Now: e.clk.Now})
		seed := func(name string, refreshExpires time.Time) (*snsos.Account, string) {
			u := sim.AddUser(name, name)
			access, refresh := sim.IssueTokens(u.OpenID)
			a := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: u.OpenID, Handle: name}
			if err := e.st.UpsertAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			if err := e.st.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(access),
				RefreshToken: snsos.Secret(refresh), ExpiresAt: e.clk.Now().Add(ttsim.DefaultAccessTokenTTL),
				RefreshExpiresAt: refreshExpires, IssuedAt: e.clk.Now()}); err != nil {
				t.Fatal(err)
			}
			return a, u.OpenID
		}
		removed, openID := seed("removed_app", e.clk.Now().Add(ttsim.DefaultRefreshTokenTTL))
		tid := e.scheduled(t, removed)
		expired, expiredID := seed("expired_refresh", e.clk.Now().Add(23*time.Hour))
		sim.RevokeUser(openID)
		sim.RevokeUser(expiredID)
		e.clk.Advance(ttsim.DefaultAccessTokenTTL - 5*time.Minute)

		if _, err := e.svc.Credential(ctx, removed.ID); !NeedsReconnect(err) {
			t.Fatalf("Credential after the app was removed: %v", err)
		}
		acct, _ := e.st.FindAccountByID(ctx, removed.ID)
		if acct.Status != snsos.AccountRevoked || !strings.Contains(acct.StatusReason, "invalid_grant") {
			t.Fatalf("account %s %q", acct.Status, acct.StatusReason)
		}
		if _, err := e.st.FindCredential(ctx, removed.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept: %v", err)
		}
		if tg, _ := e.st.FindTargetByID(ctx, tid); tg.State != snsos.StateFailed {
			t.Fatalf("target %s", tg.State)
		}
		if got := e.removals(t, removed); len(got) != 1 || got[0] != store.RemovedByRefresh {
			t.Fatalf("access removals %v", got)
		}

		if _, err := e.svc.Credential(ctx, expired.ID); !NeedsReconnect(err) {
			t.Fatalf("Credential with an expired refresh token: %v", err)
		}
		if acct, _ := e.st.FindAccountByID(ctx, expired.ID); acct.Status != snsos.AccountNeedsReauth {
			t.Fatalf("expired refresh token: account %s", acct.Status)
		}
	})
}
