package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// TestJapanesePublicStyle renders every public page, the inbox and the
// dashboard's site items in Japanese and checks their text against
// ui-guide §7, as TestJapanesePagesStyle does for the operator's pages.
func TestJapanesePublicStyle(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	if err := e.h.SyncPolicy(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A second server with another permission: a recorded change.
	e.clock.Add(48 * time.Hour)
	facts := testFacts()
	facts.Platforms[1].Scopes = append(facts.Platforms[1].Scopes[1:], "like.write")
	facts.Platforms[0].Metrics = append(facts.Platforms[0].Metrics, "saved")
	facts.Checkpoints, facts.Database, facts.Media, facts.PurgeWindow = []time.Duration{time.Hour}, "postgres", "s3", 7*24*time.Hour
	facts.Platforms = append(facts.Platforms, PolicyPlatform{Platform: snsos.PlatformThreads, Scopes: []string{"threads_basic"}})
	e = newSiteEnv(t, e.store, e.clock, func(c *Config) { c.Policy = facts })
	seeds := append(jaSeeds, "Hanako Sato", "Japan", "Ann", "Ben", "Delete my data", "Hello")
	for _, p := range []string{"/ja/privacy", "/ja/terms", "/ja/changelog", "/ja/contact", "/ja/contact?sent=1", "/ja/contact?topic=deletion"} {
		resp, body := e.get(t, p)
		jaCheckPage(t, p, resp.StatusCode, body, seeds)
	}
	c := e.client(t)
	resp, body := do(t, c, "POST", e.srv.URL+"/ja/contact", contactForm("", "nope", "x", strings.Repeat("s", 200), ""))
	jaCheckPage(t, "contact with errors", resp.StatusCode, body, seeds)
	resp, _ = do(t, c, "POST", e.srv.URL+"/ja/contact", contactForm("Ben", "ben@example.com", "deletion", "", "Delete my data"))
	resp, body = do(t, c, "GET", e.srv.URL+resp.Header.Get("Location"), nil)
	jaCheckPage(t, "deletion sent", resp.StatusCode, body, seeds)
	msg := sendContact(t, e, contactForm("Ann", "ann@example.com", "question", "Hello", "Hello"))
	del := inbox(t, e.store)[1]

	op := signedIn(t, e.testEnv)
	u, _ := url.Parse(e.srv.URL)
	op.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: "ja", Path: "/"}})
	for _, p := range []string{"/", "/inbox", "/inbox?show=all", "/inbox/" + itoa(msg.ID), "/inbox/" + itoa(del.ID),
		"/inbox/" + itoa(del.ID) + "?flash=nopurge", "/inbox?flash=purged"} {
		resp, body := do(t, op, "GET", e.srv.URL+p, nil)
		jaCheckPage(t, p, resp.StatusCode, body, seeds)
		if p == "/" && !strings.Contains(body, "ポリシー変更") {
			t.Errorf("the Japanese dashboard lacks the policy change:\n%s", body)
		}
	}
}
