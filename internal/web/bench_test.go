package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// benchEnv is a signed-in operator over a SQLite store holding n posts on
// one X account: a quarter published with three snapshots each, the rest
// scheduled over the coming 90 days; the store, the handler and the data
// share a clock at testEpoch, so every run measures the same pages.
func benchEnv(b *testing.B, n int) (*http.Client, string) {
	b.Helper()
	clock := newTestClock(testEpoch)
	env := storetest.NewWithClock(b, store.SQLite, clock.Now)
	ctx := context.Background()
	hash, err := auth.HashPassword("pw")
	if err != nil {
		b.Fatal(err)
	}
	if err := env.Store.PutSetting(ctx, auth.PasswordSetting, hash); err != nil {
		b.Fatal(err)
	}
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "bench"}
	if err := env.Store.UpsertAccount(ctx, a); err != nil {
		b.Fatal(err)
	}
	now := clock.Now().UTC()
	for i := range n {
		p := &snsos.Post{Body: fmt.Sprintf("Post number %d about harbours, lighthouses and the sea — 港の灯台 #%d", i, i%50)}
		published := i%4 == 0
		at := now.Add(time.Duration(i%2160) * time.Hour)
		if published {
			at = now.Add(-time.Duration(i) * time.Hour)
		}
		p.ScheduledAt = at
		t := &snsos.Target{AccountID: a.ID, Platform: snsos.PlatformX, State: snsos.StateScheduled, ScheduledAt: at}
		p.Targets = []*snsos.Target{t}
		if err := env.Store.CreatePost(ctx, p, nil); err != nil {
			b.Fatal(err)
		}
		if published {
			for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
				tr, err := env.Store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: step[0], To: step[1],
					Mutate: func(tg *snsos.Target) {
						tg.PublishedAt, tg.RemoteID, tg.RemoteURL = at, fmt.Sprint(1000+i), "https://x.com/bench/status/"+fmt.Sprint(1000+i)
					}})
				if err != nil {
					b.Fatal(err)
				}
				t = tr
			}
			for _, cp := range []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d} {
				m := &snsos.MetricSnapshot{TargetID: t.ID, Checkpoint: cp, FetchedAt: t.PublishedAt.Add(time.Hour), Status: snsos.SnapshotOK,
					Values: map[string]int64{snsos.MetricViews: int64(100 + i), snsos.MetricLikes: int64(i % 40), snsos.MetricComments: 2, snsos.MetricShares: 1}}
				if err := env.Store.PutSnapshot(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	h := New(Config{Store: env.Store, Platforms: snsos.Platforms, Now: clock.Now})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(chain(mux))
	b.Cleanup(srv.Close)
	c := (&testEnv{srv: srv, h: h, store: env.Store, clock: clock}).client(nil)
	resp, err := c.PostForm(srv.URL+"/signin", url.Values{"password": {"pw"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %v %v", resp, err)
	}
	resp.Body.Close()
	return c, srv.URL
}

// BenchmarkPages measures the main pages over HTTP with 2,000 posts (500
// published with snapshots); the posts search reads every post (no match).
func BenchmarkPages(b *testing.B) {
	c, base := benchEnv(b, 2000)
	for _, path := range []string{"/", "/posts", "/posts?q=" + url.QueryEscape("ＮＯＴＨＩＮＧ"), "/calendar", "/calendar?view=week",
		"/analytics?range=90d", "/analytics.csv?range=all"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Get(base + path)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("%s: %v %v", path, resp, err)
				}
				resp.Body.Close()
			}
		})
	}
}
