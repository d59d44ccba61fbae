package alert_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestArchiveAlert: a git archive whose pushes have failed for over an
// hour is sent once by webhook and by email, with a link to Settings, and
// not again while the same failure goes on.
func TestArchiveAlert(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.New(t, store.SQLite))
	b, _ := json.Marshal(archive.Status{Remote: "https://git.example/me/archive.git", PushFailures: 3,
		FailingSince: w.nowTime.Add(-2 * time.Hour), LastError: "archive: push to https://git.example/me/archive.git: no repository there; create an empty one"})
	if err := w.s.PutSetting(ctx, archive.StatusKey, string(b)); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	cert, pool := testCert(t)
	smtpSrv := newFakeSMTP(t, &cert, false, "op", smtpPass)
	a := w.alerter(t, alert.Config{Attention: attention.Options{Archive: true}, // as serve sets it with the archive on
		Webhook: alert.WebhookConfig{URL: hook.URL + webhookPath, Secret: webhookSecret},
		Email: alert.EmailConfig{URL: "smtp://op:" + smtpPass + "@" + smtpSrv.Addr(), From: "sns-os@example.com",
			To: []string{"op@example.com"}, TLS: &tls.Config{RootCAs: pool}}})
	for range 2 {
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) != 1 {
		t.Fatalf("%d deliveries, want 1", len(rc.bodies))
	}
	var p struct{ Items []map[string]any }
	if err := json.Unmarshal(rc.bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	var found map[string]any
	for _, it := range p.Items {
		if it["kind"] == "archive" {
			found = it
		}
	}
	if found == nil || found["action_url"] != "https://sns.example.com/settings#archive-h" ||
		!strings.Contains(found["text"].(string), "has not reached https://git.example/me/archive.git for 2 h") {
		t.Fatalf("items %s", rc.bodies[0])
	}
	m := smtpSrv.Mails()
	if len(m) != 1 || !strings.Contains(m[0].Body(), "Settings: https://sns.example.com/settings#archive-h") {
		t.Fatalf("%d mails: %v", len(m), m)
	}
	noSecrets(t, "payload", string(rc.bodies[0]))
}
