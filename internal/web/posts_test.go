package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// signedIn returns a client signed in to e (password "pw").
func signedIn(t *testing.T, e *testEnv) *http.Client {
	t.Helper()
	c := e.client(t)
	if resp, _ := do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return c
}

func TestPostsPage(t *testing.T) {
	pe := newPagesEnv(t) // scheduled, failed, unknown and published posts on X, at 2026-11-28 12:00 UTC
	ctx := context.Background()
	// A draft written in full-width letters.
	acct, err := pe.store.FindAccountByID(ctx, pe.scheduled.Targets[0].AccountID)
	if err != nil {
		t.Fatal(err)
	}
	draft := &snsos.Post{Body: "ＳＮＳ運用メモ　ｶﾀｶﾅ", Targets: []*snsos.Target{{AccountID: acct.ID}}}
	if err := pe.store.CreatePost(ctx, draft, nil); err != nil {
		t.Fatal(err)
	}

	_, body := pe.get(t, "/posts")
	wantAll(t, "all posts", body, `<a href="/posts" aria-current="page">Posts`, `<a href="/posts" aria-current="page">All</a>`,
		"Scheduled &lt;post&gt;", "Failed post", "Unknown post", "Published post", "ＳＮＳ運用メモ",
		`<time datetime="2026-11-28T12:00:00Z">28 Nov 21:00</time>`, "12,345", "Views at &#43;24h", "Times in Asia/Tokyo.",
		"Drafts", "Needs attention", "Canceled", "@snsos_demo")
	// The badge counts the failed and the unknown target.
	wantAll(t, "nav badge", body, `<span class="navbadge" aria-hidden="true">2</span><span class="vh"> (2 targets need attention)</span>`)

	tabs := []struct {
		state      string
		want, not  []string
		emptyAfter string
	}{
		{"attention", []string{"Failed post", "Unknown post"}, []string{"Published post", "Scheduled &lt;post&gt;"}, ""},
		{"published", []string{"Published post"}, []string{"Failed post"}, ""},
		{"scheduled", []string{"Scheduled &lt;post&gt;"}, []string{"Failed post", "ＳＮＳ運用メモ"}, ""},
		{"draft", []string{"ＳＮＳ運用メモ"}, []string{"Failed post"}, ""},
		{"canceled", nil, []string{"Failed post"}, "No canceled posts."},
	}
	for _, tc := range tabs {
		_, body := pe.get(t, "/posts?state="+tc.state)
		wantAll(t, tc.state+" tab", body, tc.want...)
		if !strings.Contains(body, `aria-current="page">`) {
			t.Errorf("%s tab not marked current", tc.state)
		}
		for _, n := range tc.not {
			if strings.Contains(body, n) {
				t.Errorf("%s tab shows %q", tc.state, n)
			}
		}
		if tc.emptyAfter != "" {
			wantAll(t, tc.state+" empty", body, `id="posts-empty">`+tc.emptyAfter)
		}
	}
	// Platform filter: nothing on Threads.
	_, body = pe.get(t, "/posts?platform=threads")
	wantAll(t, "threads filter", body, "No posts for Threads.", `<option value="threads" selected>`)

	// Search: half-width query finds full-width text, and the reverse.
	for _, q := range []string{"sns運用", "ＳＮＳ", "カタカナ", "ｓｎｓ"} {
		_, body = pe.get(t, "/posts?q="+url.QueryEscape(q))
		wantAll(t, "search "+q, body, "ＳＮＳ運用メモ")
		if strings.Contains(body, "Failed post") {
			t.Errorf("search %q shows an unrelated post", q)
		}
	}
	_, body = pe.get(t, "/posts?q="+url.QueryEscape("FAILED"))
	wantAll(t, "case-folded search", body, "Failed post", `value="FAILED"`)
	_, body = pe.get(t, "/posts?state=published&q=failed")
	wantAll(t, "search in a tab", body, "No posts match “failed”.")
	_, body = pe.get(t, "/posts?q="+url.QueryEscape("<script>"))
	if strings.Contains(body, "<script>") {
		t.Error("the query is not escaped")
	}

	// Japanese empty texts.
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/posts?state=canceled")
	wantAll(t, "ja canceled", body, "キャンセル済みの投稿はありません。", "投稿一覧", "新規投稿", "要対応")
	_, body = pe.get(t, "/posts?state=attention&platform=threads")
	wantAll(t, "ja attention", body, "要対応の投稿はありません。")

	// Unknown filters are ignored, not errors.
	resp, _ := pe.get(t, "/posts?state=bogus&platform=myspace&page=-3")
	if resp.StatusCode != 200 {
		t.Errorf("bogus filters: %d", resp.StatusCode)
	}
}

func TestPostsPagination(t *testing.T) {
	e := newTestEnv(t, "pw")
	ctx := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "h"}
	if err := e.store.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range postsPageSize + 5 {
		at := base.Add(time.Duration(i) * time.Hour)
		p := &snsos.Post{Body: fmt.Sprintf("post number %03d", i), ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, ScheduledAt: at}}}
		if err := e.store.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := signedIn(t, e)
	_, body := do(t, c, "GET", e.srv.URL+"/posts?q=number", nil)
	// The next page is after post 005 (its time in microseconds, its id).
	p5 := (&store.Cursor{At: base.Add(5 * time.Hour), ID: 6}).String()
	wantAll(t, "page 1", body, "post number 029", "post number 005", `rel="next" href="/posts?after=`+p5+`&amp;page=2&amp;q=number"`,
		"Posts 1–25", "Page 1")
	if strings.Contains(body, "post number 004") || strings.Contains(body, `rel="prev"`) {
		t.Error("page 1 shows page 2's posts or a previous link")
	}
	_, body = do(t, c, "GET", e.srv.URL+"/posts?after="+p5+"&page=2&q=number", nil)
	wantAll(t, "page 2", body, "post number 004", "post number 000", `rel="prev" href="/posts?q=number"`, "Posts 26–30", "Page 2")
	if strings.Contains(body, "post number 005") || strings.Contains(body, `rel="next"`) {
		t.Error("page 2 shows page 1's posts or a next link")
	}
	// A third page, and back from it by cursor (no OFFSET: the list is a
	// keyset walk).
	p2 := (&store.Cursor{At: base.Add(2 * time.Hour), ID: 3}).String()
	_, body = do(t, c, "GET", e.srv.URL+"/posts?after="+p2+"&page=3", nil)
	wantAll(t, "page 3", body, "post number 001", "post number 000", "Posts 51–52", `rel="prev" href="/posts?before=`)
	_, body = do(t, c, "GET", e.srv.URL+pagerLink(t, body, "prev"), nil)
	wantAll(t, "back to page 2", body, "post number 026", "post number 002", "Posts 26–50", `rel="prev" href="/posts"`,
		`rel="next" href="/posts?after=`+p2+`&amp;page=3"`)
	if strings.Contains(body, "post number 027") || strings.Contains(body, "post number 001") {
		t.Error("back to page 2 shows another page's posts")
	}
	// Before a cursor that fewer than a page precede: the first page.
	_, body = do(t, c, "GET", e.srv.URL+"/posts?before="+p5+"&page=4", nil)
	wantAll(t, "before post 005", body, "post number 029", "post number 005", "Posts 1–25", "Page 1")
	_, body = do(t, c, "GET", e.srv.URL+"/posts?after="+(&store.Cursor{At: base.Add(-time.Hour), ID: 1}).String()+"&page=9", nil)
	wantAll(t, "past the end", body, "This page is past the end of the list.", `rel="prev" href="/posts"`)
	// A link from before cursors, or a cursor that does not parse: the
	// first page.
	for _, u := range []string{"/posts?page=9", "/posts?after=yesterday&page=2", "/posts?before=1.-2"} {
		_, body = do(t, c, "GET", e.srv.URL+u, nil)
		wantAll(t, u, body, "post number 029", "Posts 1–25")
	}
	_, body = do(t, c, "GET", e.srv.URL+"/posts?state=draft", nil)
	wantAll(t, "drafts", body, "post number 029")
	// No badge when nothing needs attention.
	if strings.Contains(body, "navbadge") {
		t.Error("badge shown with nothing to attend to")
	}
	// Without a session the list is not shown.
	resp, _ := do(t, e.client(t), "GET", e.srv.URL+"/posts", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("posts without a session: %d", resp.StatusCode)
	}
}
