package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/logging"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/secret"
	igsim "github.com/sns-os/snsos/internal/sim/instagram"
	thsim "github.com/sns-os/snsos/internal/sim/threads"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// doctorSetup is a real deployment on loopback: the four simulators, a data
// dir with accounts, tokens and a medium, and sns-os serve on it.
type doctorSetup struct {
	env     map[string]string
	data    string
	box     *secret.Box
	base    string   // the running server
	secrets []string // values no doctor line may show
}

func newDoctorSetup(t *testing.T) *doctorSetup {
	t.Helper()
	k := mustKey(t)
	d := &doctorSetup{data: t.TempDir(), box: secret.NewBox(k)}
	d.env = map[string]string{"SNSOS_DATA_DIR": d.data, "SNSOS_MASTER_KEY": k.Encode(), "META_APP_SECRET": "doctor-meta-app-secret-42"}
	d.secrets = []string{k.Encode(), "doctor-meta-app-secret-42"}
	xs := xsim.New(xsim.Options{ClientID: "doc-x", ClientSecret: "doc-x-secret-0123456789"})
	ig := igsim.New(igsim.Options{ClientID: "doc-instagram", ClientSecret: "doc-instagram-secret-0123456789"})
	th := thsim.New(thsim.Options{ClientID: "doc-threads", ClientSecret: "doc-threads-secret-0123456789"})
	tt := ttsim.New(ttsim.Options{ClientKey: "doc-tiktok", ClientSecret: "doc-tiktok-secret-0123456789"})
	sims := []struct {
		p     snsos.Platform
		h     http.Handler
		close func()
	}{{snsos.PlatformX, xs, xs.Close}, {snsos.PlatformInstagram, ig, ig.Close}, {snsos.PlatformThreads, th, th.Close}, {snsos.PlatformTikTok, tt, tt.Close}}
	for _, s := range sims {
		srv := httptest.NewServer(s.h)
		t.Cleanup(func() { srv.Close(); s.close() })
		up := "SNSOS_" + strings.ToUpper(string(s.p))
		d.env[up+"_CLIENT_ID"] = "doc-" + string(s.p)
		d.env[up+"_CLIENT_SECRET"] = "doc-" + string(s.p) + "-secret-0123456789"
		d.env[up+"_BASE_URL"] = srv.URL
		d.secrets = append(d.secrets, d.env[up+"_CLIENT_SECRET"])
	}
	seedMedia(t, d.data, time.Now(), []string{"w8.png"}, 0)
	for _, p := range snsos.Platforms {
		d.addAccount(t, p, "doc-"+string(p), requestedScopes(p, nil))
	}
	d.base, _, _, _ = startServe(t, d.env, "serve")
	return d
}

// addAccount stores an account of p granted scopes, with tokens.
func (d *doctorSetup) addAccount(t *testing.T, p snsos.Platform, remote string, scopes []string) {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{DataDir: d.data, Box: d.box})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &snsos.Account{Platform: p, RemoteID: remote, Handle: remote}
	if err := s.UpsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	access, refresh := "doctor-access-token-"+remote, "doctor-refresh-token-"+remote
	d.secrets = append(d.secrets, access, refresh)
	if err := s.PutCredential(context.Background(), &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(access),
		RefreshToken: snsos.Secret(refresh), Scopes: scopes, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// doctor runs sns-os doctor against the running server with env changed
// by set, and checks that no secret shows.
func (d *doctorSetup) doctor(t *testing.T, set map[string]string) result {
	t.Helper()
	env := map[string]string{}
	for k, v := range d.env {
		env[k] = v
	}
	for k, v := range set {
		env[k] = v
	}
	r := run(t, env, "doctor", "--public-url", d.base, "--timeout", "10s")
	for _, s := range append(slices.Clone(d.secrets), "sig=", set["SNSOS_X_CLIENT_SECRET"], set["SNSOS_INSTAGRAM_CLIENT_SECRET"]) {
		if s != "" && strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("doctor printed the secret %q:\n%s%s", s, r.stdout, r.stderr)
		}
	}
	return r
}

// line returns the doctor line about what, failing when there is none.
func line(t *testing.T, out, what string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(ok|warn|FAIL)\s+` + regexp.QuoteMeta(what) + `: .*$`).FindString(out)
	if m == "" {
		t.Fatalf("no line about %q in:\n%s", what, out)
	}
	return m
}

func wantLine(t *testing.T, out, what, level string, words ...string) {
	t.Helper()
	l := line(t, out, what)
	if !strings.HasPrefix(l, level+" ") {
		t.Errorf("%s: want %s, got:\n%s", what, level, l)
	}
	for _, w := range words {
		if !strings.Contains(l, w) {
			t.Errorf("%s: want %q in:\n%s", what, w, l)
		}
	}
}

// TestDoctor: a good deployment on loopback passes (the plain-http public
// URL only warns); a wrong client secret of each kind of platform fails
// with the words that say which; a missing permission is reported, as a
// failure when publishing needs it and a warning when only metrics do.
func TestDoctor(t *testing.T) {
	t.Parallel()
	d := newDoctorSetup(t)

	r := d.doctor(t, nil)
	if r.code != 0 {
		t.Fatalf("good deployment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLine(t, r.stdout, "public URL", "warn", "plain http", "https")
	wantLine(t, r.stdout, "public URL", "warn")
	if !strings.Contains(r.stdout, "ok    public URL: sns-os answers GET "+d.base+"/healthz") {
		t.Errorf("healthz line missing:\n%s", r.stdout)
	}
	wantLine(t, r.stdout, "X app", "ok", "accepts the client id and secret", d.base+"/oauth/x/callback")
	wantLine(t, r.stdout, "Instagram app", "ok", "accepts the app id and secret", d.base+"/oauth/instagram/callback")
	wantLine(t, r.stdout, "Threads app", "ok", "accepts the app id and secret")
	wantLine(t, r.stdout, "TikTok app", "ok", "accepts the client id and secret")
	wantLine(t, r.stdout, "Instagram callbacks", "ok", d.base+"/webhooks/instagram/deauthorize", d.base+"/webhooks/instagram/data-deletion")
	wantLine(t, r.stdout, "Threads callbacks", "ok", d.base+"/webhooks/threads/data-deletion")
	wantLine(t, r.stdout, "account 1 @doc-instagram on Instagram", "ok", "instagram_business_content_publish")
	wantLine(t, r.stdout, "media links", "ok", "image/png", "206")

	r = d.doctor(t, map[string]string{"SNSOS_X_CLIENT_SECRET": "wrong-x-secret-987654321", "SNSOS_INSTAGRAM_CLIENT_SECRET": "wrong-ig-secret-987654321",
		"SNSOS_THREADS_CLIENT_ID": "not-the-threads-app", "SNSOS_TIKTOK_CLIENT_SECRET": "wrong-tiktok-secret-987654321"})
	if r.code != 1 || !strings.Contains(r.stderr, "4 check(s) failed") {
		t.Fatalf("wrong secrets: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLine(t, r.stdout, "X app", "FAIL", "refused the client id and secret", "unauthorized_client", "SNSOS_X_CLIENT_SECRET")
	wantLine(t, r.stdout, "Instagram app", "FAIL", "refused the app secret", "Error validating client secret", "SNSOS_INSTAGRAM_CLIENT_SECRET")
	wantLine(t, r.stdout, "Threads app", "FAIL", "refused the app id", "Invalid platform app", "SNSOS_THREADS_CLIENT_ID")
	wantLine(t, r.stdout, "TikTok app", "FAIL", "refused the client id and secret", "invalid_client", "SNSOS_TIKTOK_CLIENT_SECRET")

	d.addAccount(t, snsos.PlatformInstagram, "doc-ig-nopublish", []string{instagram.ScopeBasic, instagram.ScopeInsights})
	d.addAccount(t, snsos.PlatformTikTok, "doc-tt-nolist", []string{tiktok.ScopeUserInfo, tiktok.ScopeVideoUpload, tiktok.ScopeVideoPublish})
	d.addAccount(t, snsos.PlatformX, "doc-x-noscopes", nil)
	r = d.doctor(t, nil)
	if r.code != 1 || !strings.Contains(r.stderr, "2 check(s) failed") {
		t.Fatalf("missing permissions: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLine(t, r.stdout, "account 5 @doc-ig-nopublish on Instagram", "FAIL", "permission instagram_business_content_publish was not granted", "connect the account again")
	wantLine(t, r.stdout, "account 6 @doc-tt-nolist on TikTok", "warn", "video.list (video metrics)")
	wantLine(t, r.stdout, "account 7 @doc-x-noscopes on X", "FAIL", "permissions "+strings.Join(x.Scopes, ", ")+" were not granted")
}

// TestDoctorPublicURL: an http public URL on a host others reach fails; an
// https one that answers passes; one where something else answers fails.
func TestDoctorPublicURL(t *testing.T) {
	t.Parallel()
	healthy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.NotFound(w, r)
	})
	plain := httptest.NewServer(healthy)
	defer plain.Close()
	// Every name resolves to the test server, as DNS would point the
	// public host at this machine.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, plain.Listener.Addr().String())
	}
	d := &doctor{cfg: &config.Config{PublicURL: "http://sns.example.com", Addr: "127.0.0.1:8080"}, red: logging.NewRedactor(),
		http: &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: 5 * time.Second}, counts: map[string]int{}}
	var out strings.Builder
	d.out = &out
	d.publicURL(context.Background())
	wantLine(t, out.String(), "public URL", "FAIL", "plain http on a host others reach", "https://")
	if !strings.Contains(out.String(), "ok    public URL: sns-os answers GET http://sns.example.com/healthz") {
		t.Errorf("healthz through the public name:\n%s", out.String())
	}

	tlsSrv := httptest.NewTLSServer(healthy)
	defer tlsSrv.Close()
	out.Reset()
	d.cfg.PublicURL, d.http, d.counts = tlsSrv.URL, tlsSrv.Client(), map[string]int{}
	d.publicURL(context.Background())
	if d.counts[levelOK] != 2 || d.counts[levelFail]+d.counts[levelWarn] != 0 {
		t.Fatalf("https public URL:\n%s", out.String())
	}

	other := httptest.NewTLSServer(http.NotFoundHandler())
	defer other.Close()
	out.Reset()
	d.cfg.PublicURL, d.http, d.counts = other.URL, other.Client(), map[string]int{}
	d.publicURL(context.Background())
	if !strings.Contains(out.String(), "FAIL  public URL: GET "+other.URL+"/healthz answered 404") {
		t.Fatalf("something else answering:\n%s", out.String())
	}
	out.Reset()
	d.http = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}, Timeout: 5 * time.Second}
	d.publicURL(context.Background())
	if !strings.Contains(out.String(), "certificate") {
		t.Fatalf("an untrusted certificate must fail and say so:\n%s", out.String())
	}
}

// TestDoctorTrustedProxies: an https public URL on a host others reach
// with no trusted proxy is a warning that says what to set; with one
// listed, or a public URL on this machine, the check passes.
func TestDoctorTrustedProxies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		public  string
		proxies []netip.Prefix
		level   string
		words   []string
	}{
		{"https://sns.example.com", nil, levelWarn, []string{"SNSOS_TRUSTED_PROXIES is empty", "https://sns.example.com",
			"share one allowance of sign-in attempts and contact messages", "SNSOS_TRUSTED_PROXIES=127.0.0.1"}},
		{"https://203.0.113.8:8443", nil, levelWarn, []string{"SNSOS_TRUSTED_PROXIES is empty"}},
		{"https://sns.example.com", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, levelOK, []string{"lists 1 address(es)"}},
		{"https://localhost:8443", nil, levelOK, []string{"not set", "no reverse proxy"}},
		{"https://[::1]:8443", nil, levelOK, []string{"not set"}},
		{"http://127.0.0.1:8080", nil, levelOK, []string{"not set"}},
	} {
		var out strings.Builder
		d := &doctor{cfg: &config.Config{PublicURL: c.public, TrustedProxies: c.proxies}, out: &out, counts: map[string]int{}}
		d.trustedProxies()
		wantLine(t, out.String(), "trusted proxies", c.level, c.words...)
		if d.counts[levelFail] != 0 {
			t.Errorf("%s: a failure, not a warning:\n%s", c.public, out.String())
		}
	}
}

// TestDoctorVerdicts covers the platforms' answers the simulators do not
// give: Meta's Graph envelope and a redirect mismatch, TikTok's envelope,
// rate limits and server errors (warnings: the check could not tell).
func TestDoctorVerdicts(t *testing.T) {
	for _, c := range []struct {
		p      snsos.Platform
		status int
		body   string
		level  string
		words  string
	}{
		{snsos.PlatformInstagram, 400, `{"error":{"message":"Error validating client secret.","type":"OAuthException","code":101}}`, levelFail, "refused the app secret"},
		{snsos.PlatformInstagram, 400, `{"error":{"message":"Invalid client_id","code":101}}`, levelFail, "refused the app id"},
		{snsos.PlatformThreads, 400, `{"error_type":"OAuthException","code":400,"error_message":"Error validating verification code. Please make sure your redirect_uri is identical"}`, levelFail, "not the redirect URL"},
		{snsos.PlatformThreads, 400, `{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"}`, levelOK, "accepts the app id and secret"},
		{snsos.PlatformInstagram, 500, `{"error":{"message":"An unknown error occurred","code":1}}`, levelWarn, "could not tell"},
		{snsos.PlatformTikTok, 200, `{"error":"invalid_grant","error_description":"Refresh token is invalid or expired."}`, levelOK, "accepts"},
		{snsos.PlatformTikTok, 401, `{"data":{},"error":{"code":"invalid_client","message":"bad"}}`, levelFail, "refused"},
		{snsos.PlatformTikTok, 429, `{"error":{"code":"rate_limit_exceeded"}}`, levelWarn, "could not tell"},
		{snsos.PlatformX, 401, `{"title":"Unauthorized","status":401}`, levelFail, "refused the client id and secret (401 Unauthorized)"},
		{snsos.PlatformX, 503, `<html>down</html>`, levelWarn, "503 Service Unavailable"},
	} {
		var v verdict
		if c.p == snsos.PlatformX || c.p == snsos.PlatformTikTok {
			v = oauthVerdict(c.p, c.status, []byte(c.body))
		} else {
			v = metaVerdict(c.p, c.status, []byte(c.body), "https://sns.example.com/oauth/threads/callback")
		}
		if v.level != c.level || !strings.Contains(v.msg, c.words) {
			t.Errorf("%s %d %s: got %s %q, want %s with %q", c.p, c.status, c.body, v.level, v.msg, c.level, c.words)
		}
	}
}

// TestMetricsScopesAreRequested: every permission doctor treats as
// metrics-only is one a client really asks for, so the list cannot drift
// from the clients' own.
func TestMetricsScopesAreRequested(t *testing.T) {
	var all []string
	for _, p := range snsos.Platforms {
		all = append(all, requestedScopes(p, &config.PlatformConfig{FirstComment: true})...)
	}
	for s := range metricsScopes {
		if !slices.Contains(all, s) {
			t.Errorf("metricsScopes names %s, which no client requests", s)
		}
	}
}

// TestDoctorMediaLink: the media check fails with what to do when the link
// redirects (TikTok refuses that), is refused or is not found, and says
// there is nothing to check in an empty library. The link's signature is
// never printed.
func TestDoctorMediaLink(t *testing.T) {
	t.Parallel()
	env := storetest.New(t, store.SQLite)
	key := bytes.Repeat([]byte{7}, 32)
	var out strings.Builder
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sig") == "" {
			t.Errorf("unsigned media request %s", r.URL)
		}
		if status == http.StatusMovedPermanently {
			http.Redirect(w, r, "https://elsewhere.example"+r.URL.RequestURI(), status)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	d := &doctor{cfg: &config.Config{PublicURL: srv.URL}, a: &app{store: env.Store, linkKey: key}, out: &out, red: logging.NewRedactor(),
		http: srv.Client(), now: time.Now, counts: map[string]int{}}
	d.mediaLink(context.Background())
	wantLine(t, out.String(), "media links", "warn", "no media stored yet")
	if _, err := env.Store.CreateMedia(context.Background(), &snsos.MediaRef{SHA256: "ab", Key: "k", Mime: "video/mp4", Size: 9}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		status int
		level  string
		words  string
	}{
		{http.StatusPartialContent, "ok", "medium 1 (video/mp4) answers 206"},
		{http.StatusMovedPermanently, "FAIL", "a redirect: TikTok refuses media links that redirect"},
		{http.StatusForbidden, "FAIL", "signs links with another key"},
		{http.StatusNotFound, "FAIL", "does not forward /m/"},
		{http.StatusBadGateway, "FAIL", "answered 502"},
	} {
		out.Reset()
		status = c.status
		d.mediaLink(context.Background())
		wantLine(t, out.String(), "media links", c.level, c.words)
		if strings.Contains(out.String(), "sig=") || strings.Contains(out.String(), "elsewhere") {
			t.Errorf("the link's signature or its redirect shows:\n%s", out.String())
		}
	}
}
