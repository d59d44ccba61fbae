package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestFlightsShareOneCall: concurrent callers for one account share one
// run; a caller whose context ends leaves without cancelling the run.
func TestFlightsShareOneCall(t *testing.T) {
	t.Parallel()
	f := flights{m: map[int64]*flight{}}
	var runs atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{})
	fn := func() (*snsos.Credential, error) {
		runs.Add(1)
		close(entered)
		<-release
		return &snsos.Credential{AccountID: 7, AccessToken: "new"}, nil
	}
	var wg sync.WaitGroup
	results := make([]*snsos.Credential, 6)
	wg.Add(1)
	go func() { defer wg.Done(); results[0], _ = f.do(context.Background(), 7, fn) }()
	<-entered
	for i := 1; i < len(results); i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], _ = f.do(context.Background(), 7, fn) }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.do(ctx, 7, fn); err != context.Canceled {
		t.Fatalf("cancelled caller: %v", err)
	}
	waitFor(t, "every caller to join the run", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.m[7] != nil && f.m[7].waiters == len(results)+1
	})
	close(release)
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("%d runs, want 1", runs.Load())
	}
	for i, c := range results {
		if c == nil || c.AccessToken != "new" {
			t.Fatalf("caller %d: %v", i, c)
		}
	}
	if results[0] == results[1] {
		t.Fatal("callers share one *Credential")
	}
}

// TestSecureCookie: an https PublicURL makes the flow cookie Secure.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	env := storetest.New(t, store.SQLite)
	xc := x.New(x.Config{ClientID: "id", RedirectURL: "https://sns.example/oauth/x/callback"})
	svc := New(Config{Store: env.Store, PublicURL: "https://sns.example/",
		Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformX: xc}})
	if got := svc.CallbackURL(snsos.PlatformX); got != "https://sns.example/oauth/x/callback" {
		t.Fatalf("CallbackURL %q", got)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, noSession)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/connect/x", nil))
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), x.DefaultAuthBase+"/i/oauth2/authorize?") {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Location"))
	}
	if sc := rec.Header().Get("Set-Cookie"); !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") {
		t.Fatalf("Set-Cookie %q", sc)
	}
}
