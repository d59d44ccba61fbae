package web

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// storeMedia is the media library as the post page reads it: the store's
// records, without files.
type storeMedia struct{ s *store.Store }

func (m storeMedia) Upload(context.Context, io.Reader, string) (*snsos.MediaRef, error) {
	return nil, snsos.Errorf(snsos.EUNAVAILABLE, "no uploads here")
}
func (m storeMedia) Get(ctx context.Context, id int64) (*snsos.MediaRef, error) {
	return m.s.FindMediaByID(ctx, id)
}
func (m storeMedia) List(ctx context.Context, limit int) ([]*snsos.MediaRef, error) {
	return m.s.ListMedia(ctx, limit)
}
func (m storeMedia) Open(context.Context, int64) (io.ReadCloser, *snsos.MediaRef, error) {
	return nil, nil, snsos.Errorf(snsos.ENOTFOUND, "no files here")
}

// metaPosts are posts on Instagram and Threads at the steps the post
// page and the dashboard put in words.
type metaPosts struct {
	carousel, commented, chain, quota *snsos.Post
}

// newMetaPosts adds an Instagram and a Threads account and four posts: an
// Instagram carousel of three JPEGs whose items are arriving, a published
// Instagram post whose first comment failed, a Threads chain with two of
// three parts out, and a Threads post waiting for its publishing quota.
func newMetaPosts(t *testing.T, pe *pagesEnv) metaPosts {
	t.Helper()
	ctx := context.Background()
	reconfigure(t, pe, func(c *Config) { c.Media = storeMedia{pe.store} })
	now := pe.clock.Now().UTC()
	ig := &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "17841400000000001", Handle: "shop_ig", DisplayName: "Shop IG"}
	th := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "25000000000000001", Handle: "shop_th", DisplayName: "Shop Threads"}
	for _, a := range []*snsos.Account{ig, th} {
		if err := pe.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	var media []int64
	for i := range 3 {
		m := &snsos.MediaRef{SHA256: "jpeg" + strconv.Itoa(i), Key: "sha256/jpeg" + strconv.Itoa(i), Mime: "image/jpeg", Size: 1000, Width: 1080, Height: 1080, Filename: "photo.jpg"}
		if _, err := pe.store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		media = append(media, m.ID)
	}
	mk := func(body string, a *snsos.Account, opts map[string]any, mediaIDs []int64, steps []snsos.TargetState, mut func(*snsos.Target)) *snsos.Post {
		at := now.Add(-time.Hour)
		p := &snsos.Post{Body: body, ScheduledAt: at, MediaIDs: mediaIDs,
			Targets: []*snsos.Target{{AccountID: a.ID, Platform: a.Platform, State: snsos.StateScheduled, ScheduledAt: at, Options: opts}}}
		if err := pe.store.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		from := snsos.StateScheduled
		for i, to := range steps {
			tr := snsos.TargetTransition{TargetID: p.Targets[0].ID, From: from, To: to}
			if to == snsos.StatePublishing {
				tr.Attempt = &snsos.Attempt{}
			}
			if i == len(steps)-1 {
				tr.Mutate = mut
			}
			if _, err := pe.store.TransitionTarget(ctx, tr); err != nil {
				t.Fatal(err)
			}
			from = to
		}
		p, err := pe.store.FindPostByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	publishing := []snsos.TargetState{snsos.StatePublishing}
	var mp metaPosts
	mp.carousel = mk("Carousel arriving", ig, nil, media, publishing, func(t *snsos.Target) {
		t.Progress = map[string]string{"media_type": "CAROUSEL", "g1.item1.container": "17900000000000001", "g1.item2.container": "17900000000000002"}
	})
	mp.commented = mk("Commented post", ig, map[string]any{"first_comment": "#shop"}, media[:1], []snsos.TargetState{snsos.StatePublishing, snsos.StatePublished}, func(t *snsos.Target) {
		t.Progress = map[string]string{"media_type": "IMAGE", "g1.container": "1", "g1.publish_sent": "1", "part1.post_id": "17920000000000001",
			"comment.sent": "1", "comment.error": "Instagram: post comment: (#10) Application does not have permission for this action (code 10)"}
		t.RemoteID, t.RemoteURL, t.PublishedAt = "17920000000000001", "https://www.instagram.com/p/DEMO123/", now
	})
	mp.chain = mk("Chain halfway", th, map[string]any{"parts": []any{"one", "two", "three"}}, []int64{}, publishing, func(t *snsos.Target) {
		t.Progress = map[string]string{"part1.container": "1", "part1.post_id": "18000000000000001", "part2.container": "2",
			"part2.post_id": "18000000000000002", "part3.container": "3"}
		t.RemoteURL = "https://www.threads.net/@shop_th/post/C1"
	})
	mp.quota = mk("Waiting for quota", th, nil, []int64{}, []snsos.TargetState{snsos.StateRetryWait}, func(t *snsos.Target) {
		t.Error = "Threads's publishing limit for @shop_th is used up (250 of 250 posts in a rolling 24 hours) — trying again at 2026-11-29T04:00:00Z"
		t.DueAt = now.Add(time.Hour)
	})
	if err := pe.store.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: mp.commented.Targets[0].ID, Checkpoint: snsos.Checkpoint1h, Status: snsos.SnapshotOK,
		FetchedAt: now, Values: map[string]int64{"views": 2000, "likes": 120, "comments": 9, "shares": 4, "reach": 1500, "total_interactions": 140}}); err != nil {
		t.Fatal(err)
	}
	return mp
}

// TestPostPageMeta: the post page says in plain words where each Instagram
// and Threads target stands, links each permalink out, and shows the
// platform's own metrics.
func TestPostPageMeta(t *testing.T) {
	pe := newPagesEnv(t)
	mp := newMetaPosts(t, pe)
	_, body := pe.get(t, postHref(mp.carousel.ID))
	wantAll(t, "carousel", body, "Publishing…", `<p class="progress" id="progress-`+itoa(mp.carousel.Targets[0].ID)+`">Instagram is preparing the carousel (2 of 3 items received).</p>`)
	_, body = pe.get(t, postHref(mp.commented.ID))
	wantAll(t, "commented", body, "Published; posting the first comment failed.", `<p lang="en" class="raw">Instagram: post comment: (#10) Application does not have permission`,
		`<a class="url" href="https://www.instagram.com/p/DEMO123/" rel="noopener noreferrer">Open on Instagram</a>`,
		`<th scope="col">Reach</th><th scope="col">Saves</th><th scope="col">Interactions</th>`, `<td data-label="Reach">1,500</td>`,
		`<td data-label="Saves">n/a</td>`, `<td data-label="Interactions">140</td>`)
	_, body = pe.get(t, postHref(mp.chain.ID))
	wantAll(t, "chain", body, "Part 2 of 3 published; sns-os is posting the rest.", "Parts of the thread", "Not confirmed yet")
	_, body = pe.get(t, postHref(mp.quota.ID))
	wantAll(t, "quota", body, "This account has used up its 24-hour publishing limit on Threads; sns-os tries again at 29 Nov 13:00.")
	if strings.Contains(body, "The last try did not go through") {
		t.Error("a quota wait also says the last try failed")
	}

	setLang(t, pe, "ja")
	seeds := append(jaSeeds, "Carousel arriving", "Commented post", "Chain halfway", "Waiting for quota", "Shop IG", "Shop Threads", "one", "two", "three")
	for _, c := range []struct {
		p    *snsos.Post
		want string
	}{
		{mp.carousel, "Instagramでカルーセルを準備しています（3件中2件を受け付け済み）。"},
		{mp.commented, "投稿済みです。ただし、最初のコメントは投稿できませんでした。"},
		{mp.chain, "3件中2件目まで投稿しました。残りを投稿しています。"},
		{mp.quota, "このアカウントはThreadsの24時間あたりの投稿上限に達しています。11月29日(日) 13:00に再試行します。"},
	} {
		resp, body := pe.get(t, postHref(c.p.ID))
		wantAll(t, "ja "+c.p.Body, body, c.want)
		jaCheckPage(t, postHref(c.p.ID), resp.StatusCode, body, seeds)
	}
	_, body = pe.get(t, postHref(mp.commented.ID))
	wantAll(t, "ja metrics", body, `<th scope="col">リーチ</th><th scope="col">保存</th><th scope="col">インタラクション</th>`, `<td data-label="保存">対象外</td>`)
}

// TestDashboardMeta: the dashboard lists what is on its way with where it
// stands, and a published post's failed first comment.
func TestDashboardMeta(t *testing.T) {
	pe := newPagesEnv(t)
	newMetaPosts(t, pe)
	_, body := pe.get(t, "/")
	wantAll(t, "dashboard", body, `<h2 id="progress-h">In progress</h2>`, "Instagram is preparing the carousel (2 of 3 items received).",
		"Part 2 of 3 published; sns-os is posting the rest.", "This account has used up its 24-hour publishing limit on Threads",
		`<span class="recent-note">Published; posting the first comment failed.`, `href="https://www.instagram.com/p/DEMO123/" rel="noopener noreferrer"`)
	block := body[strings.Index(body, `id="progress-h"`):strings.Index(body, `id="next-h"`)]
	for _, want := range []string{"Carousel arriving", "Chain halfway", "Waiting for quota", "Publishing…", "Waiting to retry"} {
		if !strings.Contains(block, want) {
			t.Errorf("the In progress block lacks %q:\n%s", want, block)
		}
	}
	if strings.Contains(block, "Commented post") {
		t.Error("a published post is in progress")
	}
	setLang(t, pe, "ja")
	resp, body := pe.get(t, "/")
	wantAll(t, "ja dashboard", body, "進行中の投稿", "3件中2件目まで投稿しました。")
	jaCheckPage(t, "/ with Meta posts", resp.StatusCode, body, append(jaSeeds, "Carousel arriving", "Commented post", "Chain halfway", "Waiting for quota", "Shop IG", "Shop Threads"))
}
