package oauth

import (
	"context"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestOnRefreshHook: the metrics hear of each refresh asked of a platform,
// with its failure when the platform refused it.
func TestOnRefreshHook(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		type heard struct {
			p   snsos.Platform
			err error
		}
		var got []heard
		e.svc.onRefresh = func(p snsos.Platform, err error) { got = append(got, heard{p, err}) }
		a, _ := e.seedAccount(t, "refreshed")
		e.clk.Advance(2*time.Hour - 5*time.Minute)
		if _, err := e.svc.Credential(ctx, a.ID); err != nil {
			t.Fatalf("Credential: %v", err)
		}
		if len(got) != 1 || got[0].p != snsos.PlatformX || got[0].err != nil {
			t.Fatalf("after a refresh the hook heard %+v", got)
		}
		b, _ := e.seedAccount(t, "refused")
		e.svc.platforms[snsos.PlatformX] = x.New(x.Config{ClientID: testClientID, ClientSecret: "not-the-secret", BaseURL: e.simURL,
			HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: e.clk.Now}), Now: e.clk.Now})
		e.clk.Advance(2*time.Hour - 5*time.Minute)
		if _, err := e.svc.Credential(ctx, b.ID); !NeedsReconnect(err) {
			t.Fatalf("Credential with a refused client: %v", err)
		}
		if len(got) != 2 || got[1].err == nil {
			t.Fatalf("after a refused refresh the hook heard %+v", got)
		}
	})
}
