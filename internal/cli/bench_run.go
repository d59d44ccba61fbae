package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/bench"
	"github.com/sns-os/snsos/internal/config"
)

// benchLateRemoteID is the X account the lateness posts go to. The
// simulator is new on every run, so its user's id is too: the account is
// found by this fixed id and given the new user's tokens each time.
const benchLateRemoteID = "bench-late"

// benchPrepare writes into the data dir what a measured run needs before
// the server starts: a new operator password (ending earlier sessions), an
// API token, and the X account on the simulator with fresh tokens.
func benchPrepare(ctx context.Context, e *env, cfg *config.Config, p bench.Prepare) (bench.Prepared, error) {
	a, err := openApp(ctx, cfg, e.stderr, true)
	if err != nil {
		return bench.Prepared{}, err
	}
	defer a.Close()
	s := a.store
	pw, err := auth.GeneratePassword()
	if err != nil {
		return bench.Prepared{}, err
	}
	if _, err := auth.SetOperatorPassword(ctx, s, pw, ""); err != nil {
		return bench.Prepared{}, err
	}
	tok := auth.NewToken(api.TokenTag, api.TokenBytes)
	if _, err := s.CreateAPIToken(ctx, "bench "+time.Now().UTC().Format(time.RFC3339), auth.HashToken(tok), api.TokenPrefix(tok)); err != nil {
		return bench.Prepared{}, err
	}
	acct := &snsos.Account{Platform: snsos.PlatformX, RemoteID: benchLateRemoteID, Handle: p.XUsername,
		DisplayName: "Bench lateness (X simulator)", Status: snsos.AccountConnected}
	if err := s.UpsertAccount(ctx, acct); err != nil {
		return bench.Prepared{}, fmt.Errorf("bench run: the X account: %w", err)
	}
	now := time.Now().UTC()
	c := &snsos.Credential{AccountID: acct.ID, AccessToken: p.Access, RefreshToken: p.Refresh, TokenType: "bearer",
		Scopes:   []string{"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"},
		IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	if err := s.PutCredential(ctx, c); err != nil {
		return bench.Prepared{}, fmt.Errorf("bench run: the X account's tokens: %w", err)
	}
	// The analytics days a data set seeded before they existed (or changed
	// since) are rebuilt now, as the server's job would a minute after its
	// start, so that the run measures the steady state.
	if n, err := s.RefreshAnalyticsDays(ctx, 1<<30); err != nil {
		return bench.Prepared{}, fmt.Errorf("bench run: the analytics days: %w", err)
	} else if n > 0 {
		fmt.Fprintf(e.stderr, "bench run: rebuilt %d analytics days\n", n)
	}
	return bench.Prepared{Password: pw, APIToken: tok, LateAccountID: acct.ID}, nil
}
