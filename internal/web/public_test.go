package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// siteEnv serves the web handler with the public site configured: the
// operator's facts, a notifier that counts its runs, and the test clock.
type siteEnv struct {
	*testEnv
	notified chan struct{}
}

// testFacts are the policy facts of a server with X and Instagram on.
func testFacts() PolicyFacts {
	return PolicyFacts{Operator: "Hanako Sato", Email: "privacy@example.com", Jurisdiction: "Japan",
		Platforms: []PolicyPlatform{
			{Platform: snsos.PlatformInstagram, Scopes: []string{"instagram_business_basic", "instagram_business_content_publish",
				"instagram_business_manage_insights"}, Metrics: []string{"views", "reach", "likes"}},
			{Platform: snsos.PlatformX, Scopes: []string{"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"},
				Metrics: []string{"views", "likes", "bookmarks"}},
		},
		Checkpoints: []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}, Database: "sqlite", Media: "disk"}
}

// newSiteEnv serves a handler built from cfg (its Store, Now and Notify
// filled in) over a SQLite store on a clock at testEpoch, with the
// operator password "pw".
func newSiteEnv(t *testing.T, st *store.Store, clock *testClock, fn func(*Config)) *siteEnv {
	t.Helper()
	if clock == nil {
		clock = newTestClock(testEpoch)
	}
	if st == nil {
		st = storetest.NewWithClock(t, store.SQLite, clock.Now).Store
	}
	e := &siteEnv{notified: make(chan struct{}, 100)}
	cfg := Config{Store: st, Now: clock.Now, PublicURL: "https://sns.example.com", Policy: testFacts(), Platforms: snsos.Platforms,
		Logger: slog.New(slog.NewTextHandler(tLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Notify: func(context.Context) error { e.notified <- struct{}{}; return nil }}
	if fn != nil {
		fn(&cfg)
	}
	h := New(cfg)
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(chain(mux))
	t.Cleanup(srv.Close)
	e.testEnv = &testEnv{srv: srv, h: h, store: st, clock: clock}
	setPassword(t, st, "pw")
	return e
}

// tLog writes log lines to the test's output.
type tLog struct{ t *testing.T }

func (l tLog) Write(b []byte) (int, error) { l.t.Log(strings.TrimSpace(string(b))); return len(b), nil }

// get fetches path as a stranger (no cookie jar).
func (e *siteEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return do(t, e.client(t), "GET", e.srv.URL+path, nil)
}

func setPassword(t *testing.T, st *store.Store, pw string) {
	t.Helper()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSetting(context.Background(), auth.PasswordSetting, hash); err != nil {
		t.Fatal(err)
	}
}

// TestPublicPages: every public page answers a stranger in both languages
// with no cookie, links its other language (hreflang, absolute), shows its
// last-updated date and the footer, and loads only this origin's
// stylesheet.
func TestPublicPages(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	for _, path := range []string{"/privacy", "/terms", "/changelog", "/contact", "/ja/privacy", "/ja/terms", "/ja/changelog", "/ja/contact"} {
		resp, body := e.get(t, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if len(resp.Cookies()) > 0 || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie: %v", path, resp.Header.Values("Set-Cookie"))
		}
		lang, bare := "en", path
		if strings.HasPrefix(path, "/ja/") {
			lang, bare = "ja", strings.TrimPrefix(path, "/ja")
		}
		wantAll(t, path, body, `<html lang="`+lang+`">`,
			`<link rel="alternate" hreflang="en" href="https://sns.example.com`+bare+`">`,
			`<link rel="alternate" hreflang="ja" href="https://sns.example.com/ja`+bare+`">`,
			`<link rel="alternate" hreflang="x-default" href="https://sns.example.com`+bare+`">`,
			`<a href="`+bare+`" lang="en" hreflang="en"`, `<a href="/ja`+bare+`" lang="ja" hreflang="ja"`,
			`<span class="brand">Hanako Sato</span>`)
		if bare != "/contact" && !strings.Contains(body, `<time datetime="`) {
			t.Errorf("%s has no last-updated date", path)
		}
		if strings.Contains(body, "/signout") || strings.Contains(body, `href="/compose"`) {
			t.Errorf("%s shows the operator's navigation", path)
		}
		for _, attr := range []string{`src="http`, `href="//`, `src="//`} {
			if strings.Contains(body, attr) {
				t.Errorf("%s refers to another origin (%s)", path, attr)
			}
		}
	}
	_, en := e.get(t, "/privacy")
	wantAll(t, "English policy", en, "Last updated: <time datetime=\"2026-11-29\">2026-11-29</time>",
		"If the two versions differ, the English version governs.")
	_, ja := e.get(t, "/ja/privacy")
	wantAll(t, "Japanese policy", ja, "最終更新日：<time datetime=\"2026-11-29\">2026年11月29日</time>", "英語版が優先します",
		`<a href="/ja/contact">お問い合わせフォーム</a>`)
	// A page the site does not have is the plain 404, in any language.
	if resp, _ := e.get(t, "/ja/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/ja/nothing: %d", resp.StatusCode)
	}
}

// TestPrivacyPolicyFromFacts: the policy states the facts it is given:
// the operator, each platform's scopes with their purposes, the metrics
// and their times, the storage, the callbacks and the promises; changing
// the configuration or a client's scope list changes the page.
func TestPrivacyPolicyFromFacts(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	_, body := e.get(t, "/privacy")
	wantAll(t, "policy", body, "Operator: Hanako Sato", `<a href="mailto:privacy@example.com">privacy@example.com</a>`,
		"Governing law: Japan.", "Permissions asked of Instagram", "Permissions asked of X",
		"<code>tweet.write</code></td><td data-label=\"Why\">Publish the posts the operator approved.",
		"<code>instagram_business_manage_insights</code>", "read 1 hour, 24 hours and 7 days after each post is published",
		"X: views, likes and bookmarks.", "Instagram: views, reach and likes.",
		"a database file (SQLite) on this server", "kept on this server&#39;s disk", "encrypted with AES-256-GCM",
		"<code>https://sns.example.com/webhooks/instagram/deauthorize</code>", "<code>https://sns.example.com/webhooks/instagram/data-deletion</code>",
		"within 30 days", "answered within 48 hours and completed within 30 days", "These public pages set no cookie.",
		"<code>snsos_session</code>", "<code>lang</code>", "<code>snsos_oauth</code>", "(10 minutes)")
	if strings.Contains(body, "/webhooks/x/") || strings.Contains(body, "threads") {
		t.Error("the policy names callbacks or permissions of platforms that are off")
	}

	// Another configuration: PostgreSQL, an R2 bucket, no operator, a
	// shorter purge window, Threads on, and a scope added to X's list.
	facts := testFacts()
	facts.Operator, facts.Email, facts.Jurisdiction = "", "", ""
	facts.Database, facts.Media, facts.MediaHost = "postgres", "s3", "acct.r2.cloudflarestorage.com"
	facts.PurgeWindow = 7 * 24 * time.Hour
	facts.Checkpoints = []time.Duration{30 * time.Minute, 48 * time.Hour}
	facts.Platforms[1].Scopes = append(facts.Platforms[1].Scopes, "like.write")
	facts.Platforms = append(facts.Platforms, PolicyPlatform{Platform: snsos.PlatformThreads, Scopes: []string{"threads_basic"}})
	e2 := newSiteEnv(t, nil, nil, func(c *Config) { c.Policy = facts })
	_, body = e2.get(t, "/privacy")
	wantAll(t, "policy after the change", body, "Operator: the person who runs this server", "the law of the place where the operator lives",
		"a PostgreSQL database", "a storage bucket of Cloudflare R2", "within 7 days", "read 30 minutes and 2 days after",
		"<code>like.write</code></td><td data-label=\"Why\">Its purpose is not described yet.", "Permissions asked of Threads",
		"<code>https://sns.example.com/webhooks/threads/data-deletion</code>", `<span class="brand">sns-os</span>`)
	if strings.Contains(body, "mailto:") {
		t.Error("a policy without an address links one")
	}
}

// TestPolicyWithoutPlatforms: a server with nothing switched on says so.
func TestPolicyWithoutPlatforms(t *testing.T) {
	e := newSiteEnv(t, nil, nil, func(c *Config) { c.Policy = PolicyFacts{} })
	_, body := e.get(t, "/ja/privacy")
	wantAll(t, "empty policy", body, "このサーバーで有効なプラットフォームはありません。", "運営者：このサーバーを運営する人")
	if strings.Contains(body, "webhooks") {
		t.Error("callbacks listed with no Meta platform on")
	}
}

// TestChangelogPage: the project's changelog, parsed from the embedded
// file, under the policy's dated changes.
func TestChangelogPage(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	_, body := e.get(t, "/changelog")
	wantAll(t, "changelog", body, "Privacy policy changes at this server", "The privacy policy was first published.",
		`<h3>2026-11-28</h3>`, "<code>make soak</code>", "sns-os versions")
	if strings.Contains(body, "Format: a") {
		t.Error("the file's note on its format reached the page")
	}
	_, ja := e.get(t, "/ja/changelog")
	wantAll(t, "Japanese changelog", ja, "プライバシーポリシーを初めて公開しました。", `<div lang="en" class="changelog-releases">`,
		"sns-osの変更履歴は英語で書かれています。")
}

func TestParseChangelog(t *testing.T) {
	got := parseChangelog("# Title\n\nintro `x`\n\n## Unreleased\n\n- one `a<b>`\n  continued\n- two\n\nA paragraph\nacross lines.\n\n## 2026-01-02\n- `unpaired\n")
	if len(got) != 2 || got[0].Heading != "Unreleased" || got[1].Heading != "2026-01-02" {
		t.Fatalf("releases = %+v", got)
	}
	if len(got[0].Items) != 2 || got[0].Items[0] != "one <code>a&lt;b&gt;</code> continued" || got[0].Items[1] != "two" {
		t.Fatalf("items = %q", got[0].Items)
	}
	if len(got[0].Paras) != 1 || got[0].Paras[0] != "A paragraph across lines." {
		t.Fatalf("paragraphs = %q", got[0].Paras)
	}
	if got[1].Items[0] != "`unpaired" {
		t.Fatalf("an unpaired backtick = %q", got[1].Items[0])
	}
	if len(releases()) < 3 || newestRelease().IsZero() {
		t.Fatalf("CHANGELOG.md parsed into %d releases", len(releases()))
	}
}

// TestEveryScopeHasAPurpose: each permission any client asks for (with
// every switch) is explained in both languages, so the policy never shows
// "not described" for the software's own lists.
func TestEveryScopeHasAPurpose(t *testing.T) {
	lists := map[string][]string{"x": x.Scopes, "instagram": instagram.Scopes(true), "threads": threads.Scopes(), "tiktok": tiktok.Scopes}
	for _, lang := range langCodes {
		tr := newTranslator(langIndex(lang), nil)
		for p, scopes := range lists {
			for _, s := range scopes {
				if !hasMessage(tr, "policy.scope."+s) {
					t.Errorf("%s scope %s has no purpose", p, s)
				}
			}
		}
	}
	for _, metric := range append(append([]string{}, instagram.FeedMetrics...), instagram.StoryMetrics...) {
		if !hasMessage(newTranslator(1, nil), "policy.metric."+metric) {
			t.Errorf("Instagram metric %s has no name", metric)
		}
	}
}
