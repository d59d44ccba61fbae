package alert_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

const (
	smtpPass      = "smtp-pw-9c1e77"
	webhookSecret = "whsec-5d02aa41"
	webhookPath   = "/hooks/T000/B000/pathtoken-e81f"
	accessToken   = "ACCESS-tok-a1b2c3"
	refreshToken  = "REFRESH-tok-d4e5f6"
)

// secrets must appear in no message, payload or log line.
var secrets = []string{smtpPass, webhookSecret, "pathtoken-e81f", accessToken, refreshToken}

func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds the secret %q:\n%s", what, sec, s)
		}
	}
}

// world is a store with a connected X account and one failed target.
type world struct {
	s       *store.Store
	x       *snsos.Account
	failed  *snsos.Target
	logs    *syncBuffer
	logger  *slog.Logger
	nowTime time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func newWorld(t *testing.T, env *storetest.Env) *world {
	t.Helper()
	ctx := context.Background()
	// The world's clock, the alerter's too: a fixed instant, never today.
	w := &world{s: env.Store, logs: &syncBuffer{}, nowTime: time.Date(2027, 2, 28, 23, 45, 0, 0, time.UTC)}
	w.logger = slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.x = &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "main"}
	if err := w.s.UpsertAccount(ctx, w.x); err != nil {
		t.Fatal(err)
	}
	if err := w.s.PutCredential(ctx, &snsos.Credential{AccountID: w.x.ID, AccessToken: accessToken, RefreshToken: refreshToken,
		ExpiresAt: w.nowTime.Add(time.Hour), RefreshExpiresAt: w.nowTime.Add(90 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	w.failed = w.post(t, "Launch day 🚀 ローンチ", snsos.StateFailed)
	return w
}

// post makes a post with one X target moved to state (failed or scheduled).
func (w *world) post(t *testing.T, body string, state snsos.TargetState) *snsos.Target {
	t.Helper()
	ctx := context.Background()
	at := w.nowTime.Add(time.Hour)
	p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: w.x.ID, State: snsos.StateScheduled, ScheduledAt: at}}}
	if err := w.s.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	tg := p.Targets[0]
	if state == snsos.StateFailed {
		for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateFailed}} {
			nt, err := w.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: step[0], To: step[1],
				Mutate: func(t *snsos.Target) {
					t.Error = "X rejected this as a repeat of a recent post. Change the text, then retry."
				}})
			if err != nil {
				t.Fatal(err)
			}
			tg = nt
		}
	}
	return tg
}

func (w *world) alerter(t *testing.T, cfg alert.Config) *alert.Alerter {
	t.Helper()
	cfg.Store, cfg.Logger, cfg.PublicURL = w.s, w.logger, "https://sns.example.com"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return w.nowTime }
	}
	a, err := alert.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEmailSTARTTLS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		w := newWorld(t, env)
		cert, pool := testCert(t)
		srv := newFakeSMTP(t, &cert, false, "op", smtpPass)
		a := w.alerter(t, alert.Config{Email: alert.EmailConfig{URL: "smtp://op:" + smtpPass + "@" + srv.Addr(), From: "sns-os@example.com",
			To: []string{"Operator <op@example.com>, second@example.com"}, TLS: &tls.Config{RootCAs: pool}}})
		if got := strings.Join(a.Channels(), "|"); got != "email to op@example.com, second@example.com via 127.0.0.1" {
			t.Errorf("Channels = %q", got)
		}
		if err := a.Run(ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
		mails := srv.Mails()
		if len(mails) != 1 {
			t.Fatalf("%d mails, want 1", len(mails))
		}
		m := mails[0]
		if !m.TLS || m.AuthUser != "op" || m.From != "sns-os@example.com" || strings.Join(m.To, ",") != "op@example.com,second@example.com" {
			t.Errorf("mail envelope = TLS %v user %q from %q to %v", m.TLS, m.AuthUser, m.From, m.To)
		}
		body := m.Body()
		for _, want := range []string{"Subject: sns-os: 1 thing needs your attention\r\n", "Content-Type: text/plain; charset=utf-8"} {
			if !strings.Contains(m.Data, want) {
				t.Errorf("mail lacks %q:\n%s", want, m.Data)
			}
		}
		for _, want := range []string{"This needs your attention in sns-os:", `1. Failed on X (@main): "Launch day 🚀 ローンチ". X rejected this as a repeat`,
			"Fix it and retry.", "Post: https://sns.example.com/posts/", "Open the dashboard: https://sns.example.com/"} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %q:\n%s", want, body)
			}
		}
		noSecrets(t, "mail", m.Data)

		// The next runs send nothing new; a new problem is sent alone.
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.Mails()); n != 1 {
			t.Fatalf("second run sent again: %d mails", n)
		}
		w.post(t, "Second failure", snsos.StateFailed)
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
		mails = srv.Mails()
		if len(mails) != 2 || strings.Contains(mails[1].Body(), "Launch day") || !strings.Contains(mails[1].Body(), "Second failure") {
			t.Fatalf("third run: %d mails; last:\n%s", len(mails), mails[len(mails)-1].Body())
		}

		// The test message.
		if err := a.SendTest(ctx); err != nil {
			t.Fatal(err)
		}
		mails = srv.Mails()
		if len(mails) != 3 || !strings.Contains(mails[2].Data, "Subject: sns-os: test alert") || !strings.Contains(mails[2].Body(), "This is a test alert from sns-os.") {
			t.Fatalf("test mail:\n%s", mails[len(mails)-1].Data)
		}
		srv.mu.Lock()
		for _, l := range srv.lines {
			if strings.Contains(l, smtpPass) {
				t.Errorf("the password crossed the wire in clear: %q", l) // AUTH PLAIN is base64, over TLS
			}
		}
		srv.mu.Unlock()
		noSecrets(t, "logs", w.logs.String())
	})
}

func TestEmailImplicitTLS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		w := newWorld(t, env)
		cert, pool := testCert(t)
		srv := newFakeSMTP(t, &cert, true, "op", smtpPass)
		a := w.alerter(t, alert.Config{Email: alert.EmailConfig{URL: "smtps://op:" + smtpPass + "@" + srv.Addr(), From: "sns-os@example.com",
			To: []string{"op@example.com"}, TLS: &tls.Config{RootCAs: pool}}})
		if err := a.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if m := srv.Mails(); len(m) != 1 || !m[0].TLS {
			t.Fatalf("mails = %+v", m)
		}
	})
}

func TestEmailRefusesCleartext(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		w := newWorld(t, env)
		srv := newFakeSMTP(t, nil, false, "op", smtpPass) // no STARTTLS
		dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr())
		}
		a := w.alerter(t, alert.Config{Email: alert.EmailConfig{URL: "smtp://op:" + smtpPass + "@mail.example.test:25", From: "sns-os@example.com",
			To: []string{"op@example.com"}, Dial: dial}})
		err := a.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
			t.Fatalf("Run over cleartext to a remote host: %v", err)
		}
		noSecrets(t, "error", err.Error())
		if len(srv.Mails()) != 0 {
			t.Fatal("a mail was sent in clear")
		}
		// Nothing was recorded as sent: a later run (here, to a loopback
		// server, where clear text is allowed) sends the item.
		plain := w.alerter(t, alert.Config{Email: alert.EmailConfig{URL: "smtp://op:" + smtpPass + "@" + srv.Addr(), From: "sns-os@example.com",
			To: []string{"op@example.com"}}})
		if err := plain.Run(ctx); err != nil {
			t.Fatalf("loopback run: %v", err)
		}
		if m := srv.Mails(); len(m) != 1 || m[0].TLS || !strings.Contains(m[0].Body(), "Launch day") {
			t.Fatalf("mails = %+v", m)
		}
		noSecrets(t, "logs", w.logs.String())
	})
}

func TestEmailFailureThenRetry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		w := newWorld(t, env)
		cert, pool := testCert(t)
		srv := newFakeSMTP(t, &cert, false, "op", smtpPass)
		srv.failData = 1
		a := w.alerter(t, alert.Config{Email: alert.EmailConfig{URL: "smtp://op:" + smtpPass + "@" + srv.Addr(), From: "sns-os@example.com",
			To: []string{"op@example.com"}, TLS: &tls.Config{RootCAs: pool}}})
		err := a.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "451") {
			t.Fatalf("first run: %v", err)
		}
		if err := a.Run(ctx); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if m := srv.Mails(); len(m) != 1 || !strings.Contains(m[0].Body(), "Launch day") {
			t.Fatalf("after a failure and two runs: %d mails", len(m))
		}
		if !strings.Contains(w.logs.String(), "alert: not sent; will retry") {
			t.Errorf("the failure was not logged:\n%s", w.logs.String())
		}
		noSecrets(t, "logs", w.logs.String())
	})
}

// receiver is a webhook endpoint that checks signatures.
type receiver struct {
	mu       sync.Mutex
	bodies   [][]byte
	sigOK    []bool
	failNext int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != webhookPath || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", 400)
		return
	}
	if rc.failNext > 0 {
		rc.failNext--
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	rc.bodies = append(rc.bodies, body)
	rc.sigOK = append(rc.sigOK, alert.Verify(webhookSecret, body, r.Header.Get(alert.SignatureHeader)))
}

func TestWebhook(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		w := newWorld(t, env)
		rc := &receiver{failNext: 1}
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		a := w.alerter(t, alert.Config{Webhook: alert.WebhookConfig{URL: srv.URL + webhookPath + "?token=pathtoken-e81f", Secret: webhookSecret}})
		if got := strings.Join(a.Channels(), "|"); got != "webhook "+srv.URL+"/…" {
			t.Errorf("Channels = %q", got)
		}
		err := a.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "502") {
			t.Fatalf("first run against a failing receiver: %v", err)
		}
		noSecrets(t, "error", err.Error())
		for range 2 {
			if err := a.Run(ctx); err != nil {
				t.Fatalf("Run: %v", err)
			}
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.bodies) != 1 {
			t.Fatalf("%d deliveries, want 1", len(rc.bodies))
		}
		if !rc.sigOK[0] {
			t.Error("the signature does not verify")
		}
		if alert.Verify("another secret", rc.bodies[0], "sha256=00") {
			t.Error("Verify accepts anything")
		}
		var p struct {
			Event  string           `json:"event"`
			SentAt time.Time        `json:"sent_at"`
			Items  []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(rc.bodies[0], &p); err != nil {
			t.Fatal(err)
		}
		if p.Event != "attention" || p.SentAt.IsZero() || len(p.Items) != 1 {
			t.Fatalf("payload = %s", rc.bodies[0])
		}
		it := p.Items[0]
		if it["kind"] != "failed" || it["platform"] != "x" || it["handle"] != "main" || it["action"] != "retry" ||
			!strings.HasPrefix(it["action_url"].(string), "https://sns.example.com/posts/") || !strings.Contains(it["text"].(string), "Failed on X") {
			t.Errorf("item = %v", it)
		}
		noSecrets(t, "payload", string(rc.bodies[0]))
		noSecrets(t, "logs", w.logs.String())
	})
}

func TestWebhookTestAndPrune(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		w := newWorld(t, env)
		rc := &receiver{}
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		a := w.alerter(t, alert.Config{Webhook: alert.WebhookConfig{URL: srv.URL + webhookPath, Secret: webhookSecret}})
		if err := a.SendTest(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// The problem is resolved (the operator retried), then comes back:
		// it is said again.
		if _, err := w.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: w.failed.ID, From: snsos.StateFailed, To: snsos.StateScheduled}); err != nil {
			t.Fatal(err)
		}
		if err := a.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if sent, _ := w.s.AlertsSent(ctx, "webhook"); len(sent) != 0 {
			t.Errorf("resolved items still remembered: %v", sent)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.bodies) != 2 || !strings.Contains(string(rc.bodies[0]), `"event":"test"`) || !strings.Contains(string(rc.bodies[0]), `"items":[]`) {
			t.Fatalf("bodies = %q", rc.bodies)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []alert.Config{
		{Email: alert.EmailConfig{URL: "http://mail.example.com", From: "a@example.com", To: []string{"b@example.com"}}},
		{Email: alert.EmailConfig{URL: "smtp://mail.example.com", From: "", To: []string{"b@example.com"}}},
		{Email: alert.EmailConfig{URL: "smtp://mail.example.com", From: "a@example.com"}},
		{Email: alert.EmailConfig{URL: "smtp://mail.example.com", From: "a@example.com", To: []string{"not an address"}}},
		{Webhook: alert.WebhookConfig{URL: "http://hooks.example.com/x"}},
		{Webhook: alert.WebhookConfig{URL: "https://user:pw@hooks.example.com/x"}},
	} {
		if _, err := alert.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	a, err := alert.New(alert.Config{})
	if err != nil || a.Enabled() || len(a.Channels()) != 0 || a.SendTest(context.Background()) == nil {
		t.Errorf("no channels: %v", err)
	}
}
