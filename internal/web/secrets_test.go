package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
)

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestSecretsNeverLogged walks the interface's secret-bearing flows with
// the log at debug level — the first-run setup link, sign-in, a new API
// token, a password change, the iCal feed — and requires that none of the
// secrets appears in the log.
func TestSecretsNeverLogged(t *testing.T) {
	e := newTestEnv(t, "")
	logs := &lockedLog{}
	e.h = New(Config{Store: e.store, Platforms: snsos.Platforms, FeedKey: []byte("feed-key-for-the-test"), Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)
	ctx := context.Background()
	c := e.client(t)

	link, err := e.h.SetupLink(ctx, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	setupToken := strings.TrimPrefix(link, e.srv.URL+"/setup?token=")
	const first, second = "first operator passphrase", "second operator passphrase"
	if resp, _ := do(t, c, "POST", e.srv.URL+"/setup", url.Values{"token": {setupToken}, "password": {first}, "password2": {first}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	// A wrong password at sign-in is logged as a refusal, not as the text.
	const wrong = "not the operator passphrase"
	do(t, e.client(t), "POST", e.srv.URL+"/signin", url.Values{"password": {wrong}})

	_, body := do(t, c, "POST", e.srv.URL+"/settings/tokens", url.Values{"name": {"backup script"}})
	m := regexp.MustCompile(`id="new-token"[^>]*value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no new token on the page:\n%s", body)
	}
	apiToken := m[1]
	// A wrong current password first, then the change.
	do(t, c, "POST", e.srv.URL+"/settings/password", url.Values{"current": {wrong}, "new": {second}, "confirm": {second}})
	do(t, c, "POST", e.srv.URL+"/settings/password", url.Values{"current": {first}, "new": {second}, "confirm": {second}})
	feed, err := e.h.feedURL(ctx)
	if err != nil || feed == "" {
		t.Fatalf("feed URL %q %v", feed, err)
	}
	feedToken := feed[strings.Index(feed, "token=")+len("token="):]
	if resp, _ := do(t, e.client(t), "GET", e.srv.URL+"/feeds/schedule.ics?token="+feedToken, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", resp.StatusCode)
	}

	out := logs.String()
	if !strings.Contains(out, "API token created") || !strings.Contains(out, "sign-in refused") || !strings.Contains(out, "operator password changed") {
		t.Fatalf("the flows did not run as expected; log:\n%s", out)
	}
	for name, s := range map[string]string{"setup token": setupToken, "first password": first, "second password": second,
		"wrong password": wrong, "API token": apiToken, "feed token": feedToken} {
		if strings.Contains(out, s) {
			t.Errorf("the %s is in the log", name)
		}
	}
}
