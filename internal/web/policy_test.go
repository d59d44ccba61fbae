package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestPolicySubstance(t *testing.T) {
	a := testFacts()
	b := testFacts()
	// Order, hosts and names are not substance.
	b.Platforms[0], b.Platforms[1] = b.Platforms[1], b.Platforms[0]
	b.Platforms[0].Scopes = append([]string{"users.read"}, b.Platforms[0].Scopes...)
	b.Operator, b.Email, b.MediaHost, b.ArchiveHost = "Someone Else", "other@example.com", "elsewhere.example", "git.example"
	fa, _ := a.substance().fingerprint()
	fb, _ := b.substance().fingerprint()
	if fa != fb {
		t.Fatal("order, duplicates, names or hosts changed the fingerprint")
	}
	for name, change := range map[string]func(*PolicyFacts){
		"scope":       func(f *PolicyFacts) { f.Platforms[1].Scopes = append(f.Platforms[1].Scopes, "like.write") },
		"metric":      func(f *PolicyFacts) { f.Platforms[0].Metrics = f.Platforms[0].Metrics[:1] },
		"platform":    func(f *PolicyFacts) { f.Platforms = f.Platforms[:1] },
		"checkpoint":  func(f *PolicyFacts) { f.Checkpoints = append(f.Checkpoints, 30*24*time.Hour) },
		"database":    func(f *PolicyFacts) { f.Database = "postgres" },
		"media":       func(f *PolicyFacts) { f.Media = "s3" },
		"archive":     func(f *PolicyFacts) { f.Archive = true },
		"retention":   func(f *PolicyFacts) { f.PurgeWindow = 7 * 24 * time.Hour },
		"law":         func(f *PolicyFacts) { f.Jurisdiction = "France" },
		"cookie life": func(f *PolicyFacts) { f.ConnectCookieTTL = time.Hour },
	} {
		c := testFacts()
		change(&c)
		fc, _ := c.substance().fingerprint()
		if fc == fa {
			t.Errorf("a change of %s left the fingerprint as it was", name)
		}
		if items := diffSubstance(a.substance(), c.substance()); len(items) == 0 {
			t.Errorf("a change of %s lists no difference", name)
		}
	}
	c := testFacts()
	c.Platforms[1].Scopes = append(c.Platforms[1].Scopes[1:], "like.write")
	c.Checkpoints = []time.Duration{time.Hour}
	got := diffSubstance(a.substance(), c.substance())
	want := []snsos.PolicyChangeItem{
		{What: changeScopeAdded, Platform: snsos.PlatformX, Name: "like.write"},
		{What: changeScopeRemoved, Platform: snsos.PlatformX, Name: "tweet.read"},
		{What: changeCheckpoints, From: `"1h","24h","7d"`, To: `"1h"`},
	}
	if len(got) != len(want) {
		t.Fatalf("diff = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("diff[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestPolicyChangeRecorded: an upgrade that asks a platform for a new
// permission and reads metrics at other times changes the policy's date to
// the day it first runs, is listed on the changelog in both languages,
// reaches the dashboard and the alert channels at once, and leaves both
// when the operator marks it as seen. A new host name changes nothing.
func TestPolicyChangeRecorded(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(testEpoch)
	st := storetest.NewWithClock(t, store.SQLite, clock.Now).Store
	first := newSiteEnv(t, st, clock, nil)
	if err := first.h.SyncPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	if items := siteItems(t, st, clock.Now()); len(items) != 0 {
		t.Fatalf("the first publication is listed: %+v", items)
	}

	clock.Add(5 * 24 * time.Hour) // the upgrade runs on 4 December
	facts := testFacts()
	facts.Platforms[1].Scopes = append(facts.Platforms[1].Scopes, "like.write")
	facts.Checkpoints = []time.Duration{time.Hour, 48 * time.Hour}
	e := newSiteEnv(t, st, clock, func(c *Config) { c.Policy = facts })
	_, body := e.get(t, "/privacy") // the first render syncs
	wantAll(t, "changed policy", body, `<time datetime="2026-12-04">2026-12-04</time>`, "<code>like.write</code>")
	select {
	case <-e.notified:
	case <-time.After(10 * time.Second):
		t.Fatal("the alert channels were not run at once")
	}
	e.h.site.notifier.wait()

	_, body = e.get(t, "/changelog")
	wantAll(t, "changelog", body, `<time datetime="2026-12-04">2026-12-04</time>`,
		"X: sns-os now asks for the permission like.write.", "Metrics are now read 1 hour and 2 days after publication (before: 1 hour, 24 hours and 7 days).",
		`<time datetime="2026-11-29">2026-11-29</time>`, "The privacy policy was first published.")
	_, ja := e.get(t, "/ja/changelog")
	wantAll(t, "Japanese changelog", ja, "2026年12月4日", "X：権限like.writeを求めるようになりました。", "数値を読み取る時点を、公開から1時間、2日に変えました（変更前：1時間、24時間、7日）。")

	// The attention list carries it, and so does an alert channel.
	items := siteItems(t, st, clock.Now())
	if len(items) != 1 || items[0].Kind != attention.PolicyChanged || items[0].Change == nil {
		t.Fatalf("attention = %+v", items)
	}
	text := items[0].Text(time.UTC, clock.Now())
	if !strings.Contains(text, "X permission like.write added") || !strings.Contains(text, "mark it as seen") {
		t.Errorf("alert text %q", text)
	}
	hook := webhookPayloads(t, st, clock.Now)
	if len(hook) != 1 || !strings.Contains(hook[0], `"kind":"policy_changed"`) || !strings.Contains(hook[0], "like.write") {
		t.Fatalf("webhook payloads = %q", hook)
	}

	// The dashboard shows it with its button; marking it seen clears it.
	c := signedIn(t, e.testEnv)
	_, home := do(t, c, "GET", e.srv.URL+"/", nil)
	wantAll(t, "dashboard", home, "Policy changed", "The privacy policy changed on 2026-12-04. X: sns-os now asks for the permission like.write.",
		`<form method="post" action="/inbox/policy/`, "Mark as seen")
	id := items[0].Change.ID
	resp, _ := do(t, c, "POST", e.srv.URL+"/inbox/policy/"+itoa(id)+"/seen", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox?flash=seen" {
		t.Fatalf("seen: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if items := siteItems(t, st, clock.Now()); len(items) != 0 {
		t.Fatalf("still listed after seen: %+v", items)
	}

	// A new host, name or address later changes neither date nor list.
	clock.Add(24 * time.Hour)
	facts.Operator, facts.MediaHost = "Renamed", "new.example"
	again := newSiteEnv(t, st, clock, func(c *Config) { c.Policy, c.PublicURL = facts, "https://other.example" })
	if err := again.h.SyncPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	if all, _ := st.ListPolicyChanges(ctx, false, 0); len(all) != 2 {
		t.Fatalf("%d changes recorded, want 2", len(all))
	}
	_, body = again.get(t, "/privacy")
	wantAll(t, "policy after a new host", body, `<time datetime="2026-12-04">`)
}

// TestPolicySyncRace: processes starting together with the same new
// substance record one change between them.
func TestPolicySyncRace(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(testEpoch)
	st := storetest.NewWithClock(t, store.SQLite, clock.Now).Store
	if err := newSiteEnv(t, st, clock, nil).h.SyncPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	facts := testFacts()
	facts.Database = "postgres"
	var wg sync.WaitGroup
	for range 4 {
		e := newSiteEnv(t, st, clock, func(c *Config) { c.Policy = facts })
		wg.Go(func() {
			if err := e.h.SyncPolicy(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := st.ListPolicyChanges(ctx, false, 0)
	if err != nil || len(all) != 2 || len(all[0].Items) != 1 || all[0].Items[0].What != changeDatabase {
		t.Fatalf("changes = %+v, %v", all, err)
	}
}

// siteItems are the public site's items of the attention list.
func siteItems(t *testing.T, st *store.Store, now time.Time) []attention.Item {
	t.Helper()
	items, err := attention.Compute(context.Background(), st, now, attention.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []attention.Item
	for _, it := range items {
		switch it.Kind {
		case attention.PolicyChanged, attention.Contact, attention.Deletion:
			out = append(out, it)
		}
	}
	return out
}

// webhookPayloads runs an alerter with a webhook channel once and returns
// the bodies it posted.
func webhookPayloads(t *testing.T, st *store.Store, now func() time.Time) []string {
	t.Helper()
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	a, err := alert.New(alert.Config{Store: st, Now: now, PublicURL: "https://sns.example.com", Webhook: alert.WebhookConfig{URL: hook.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if !json.Valid([]byte(b)) {
			t.Fatalf("webhook body is not JSON: %s", b)
		}
	}
	return bodies
}
