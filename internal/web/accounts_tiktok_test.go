package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// addTikTok stores a connected TikTok account with options.
func addTikTok(t *testing.T, pe *pagesEnv, remote string, options map[string]string) *snsos.Account {
	t.Helper()
	a := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: remote, Handle: "tt_" + remote, DisplayName: "Demo TikTok", Options: options}
	if err := pe.store.UpsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestTikTokAccountMode: a TikTok account's card says how it publishes,
// whether the app is audited and what photo posts need, in English and
// Japanese, and its form (a plain POST behind the session and the
// cross-origin check) changes the mode; other accounts have no mode.
func TestTikTokAccountMode(t *testing.T) {
	pe := newPagesEnv(t)
	reconfigure(t, pe, func(c *Config) { c.PublicURL = "http://posts.example.com" }) // http: the test client keeps plain cookies
	a := addTikTok(t, pe, "open-1", map[string]string{"unaudited": "true"})
	action := "/accounts/" + strconv.FormatInt(a.ID, 10) + "/mode"
	id := strconv.FormatInt(a.ID, 10)

	_, body := pe.get(t, "/accounts")
	wantAll(t, "accounts", body, `id="account-`+id+`"`, "<dt>Publish mode</dt><dd>Post directly</dd>",
		`<form method="post" action="`+action+`" class="tt-mode">`,
		`id="mode-direct-`+id+`" name="mode" value="direct" checked`, `id="mode-inbox-`+id+`" name="mode" value="inbox" aria-describedby`,
		"Not audited: TikTok allows this app to post only “Only me” videos until it passes TikTok",
		"To publish for others to see, send videos to your TikTok inbox",
		"http://posts.example.com/m/…", "Verify posts.example.com there before posting photos.")
	if n := strings.Count(body, `class="tt-mode"`); n != 1 {
		t.Fatalf("%d mode forms, want one (the TikTok account's)", n)
	}

	// A cross-site POST is refused; the real one saves and says so.
	req, _ := http.NewRequest("POST", pe.srv.URL+action, strings.NewReader("mode=inbox"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := pe.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %v %v", resp, err)
	}
	resp, _ := do(t, pe.c, "POST", pe.srv.URL+action, url.Values{"mode": {"inbox"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accounts?flash=mode.inbox#account-"+id {
		t.Fatalf("save inbox: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := pe.store.FindAccountByID(context.Background(), a.ID); got.Options["publish_mode"] != "inbox" || got.Options["unaudited"] != "true" {
		t.Fatalf("stored options %v", got.Options)
	}
	_, body = pe.get(t, "/accounts?flash=mode.inbox")
	wantAll(t, "after saving", body, "Saved: this TikTok account now sends videos to its TikTok inbox.",
		"<dt>Publish mode</dt><dd>Send to my TikTok inbox</dd>", `name="mode" value="inbox" checked`)
	if strings.Contains(body, "To publish for others to see") {
		t.Error("the inbox mode still suggests the inbox")
	}

	setLang(t, pe, "ja")
	_, body = pe.get(t, "/accounts?flash=mode.inbox")
	wantAll(t, "ja accounts", body, "<dt>投稿方法</dt><dd>TikTokの受信トレイに送信</dd>", "<legend>このアカウントへの投稿方法</legend>",
		"未審査：TikTokの審査に通るまで、このアプリからは公開範囲が「自分のみ」の動画しか投稿できません。",
		"保存しました。このTikTokアカウントは動画をTikTokの受信トレイに送ります。", "ポータルでposts.example.comの所有権を確認してください。", ">投稿方法を保存<")
	setLang(t, pe, "en")

	// Refused: another value, another platform; unknown account: 404.
	xID := pe.scheduled.Targets[0].AccountID
	for _, c := range []struct{ path, mode string }{{action, "drafts"}, {"/accounts/" + strconv.FormatInt(xID, 10) + "/mode", "inbox"}} {
		resp, _ := do(t, pe.c, "POST", pe.srv.URL+c.path, url.Values{"mode": {c.mode}})
		if !strings.HasPrefix(resp.Header.Get("Location"), "/accounts?flash=mode.invalid") {
			t.Errorf("%s %s: %s", c.path, c.mode, resp.Header.Get("Location"))
		}
	}
	if got, _ := pe.store.FindAccountByID(context.Background(), xID); got.Options["publish_mode"] != "" {
		t.Fatalf("the X account got a mode: %v", got.Options)
	}
	if resp, _ := do(t, pe.c, "POST", pe.srv.URL+"/accounts/999999/mode", url.Values{"mode": {"inbox"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown account: %d", resp.StatusCode)
	}
	_, body = pe.get(t, "/accounts?flash=mode.invalid")
	wantAll(t, "refused", body, "That account has no publish mode to choose.")

	// An audited account, and one TikTok was not asked about yet.
	addTikTok(t, pe, "open-2", map[string]string{"unaudited": "false"})
	addTikTok(t, pe, "open-3", nil)
	_, body = pe.get(t, "/accounts")
	wantAll(t, "audit words", body, "Audited: TikTok offers this account every audience.", "Not known yet: it shows once sns-os has asked TikTok")
}

// publishTikTok stores a post with one TikTok target published under
// remoteID with progress, at the test clock's time.
func publishTikTok(t *testing.T, pe *pagesEnv, a *snsos.Account, body, remoteID string, progress map[string]string, opts map[string]any) *snsos.Post {
	t.Helper()
	ctx := context.Background()
	now := pe.clock.Now()
	p := &snsos.Post{Body: body, ScheduledAt: now.Add(-time.Hour), Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled,
		ScheduledAt: now.Add(-time.Hour), Options: opts}}}
	if err := pe.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	tid := p.Targets[0].ID
	for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
		if _, err := pe.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: step[0], To: step[1], Mutate: func(t *snsos.Target) {
			t.RemoteID, t.Progress, t.PublishedAt = remoteID, progress, now.Add(-time.Hour)
		}}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestTikTokInboxMarks: a video waiting in the TikTok inbox is marked on
// the post page and in the list, with what it means; once posted from the
// app it is an ordinary post with a note; one never posted says it was
// sent to the inbox, without numbers. Analytics adds the inbox note, and
// the "Only me" note only when such a post is in range.
func TestTikTokInboxMarks(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	a := addTikTok(t, pe, "open-m", map[string]string{"publish_mode": "inbox"})
	const upload = "v_inbox_file~v2-1.77"
	waiting := publishTikTok(t, pe, a, "Inbox video", upload, map[string]string{"post_mode": "MEDIA_UPLOAD", "inbox": "1", "publish_id": upload}, nil)
	path := postHref(waiting.ID)

	_, body := pe.get(t, path)
	wantAll(t, "waiting", body, `<span class="inbox-mark">Waiting for you in TikTok</span>`,
		"Sent to your TikTok inbox. Finish the post in the TikTok app and choose who can see it; its numbers start once it is public.")
	_, body = pe.get(t, "/posts")
	wantAll(t, "list", body, `<span class="inbox-mark">Waiting for you in TikTok</span>`)
	_, body = pe.get(t, "/analytics")
	wantAll(t, "analytics", body, "TikTok videos waiting in your inbox have no metrics until you post them publicly from the TikTok app.",
		`title="Waiting in the TikTok inbox: numbers start once it is posted publicly"`)
	if strings.Contains(body, "“Only me” posts have no metrics") {
		t.Error("analytics shows the Only me note without such a post")
	}
	setLang(t, pe, "ja")
	_, body = pe.get(t, path)
	wantAll(t, "ja waiting", body, `<span class="inbox-mark">TikTokで投稿待ち</span>`, "TikTokアプリで投稿を仕上げ、公開範囲を選んでください。")
	_, body = pe.get(t, "/analytics")
	wantAll(t, "ja analytics", body, "TikTokの受信トレイで投稿待ちの動画は、TikTokアプリから公開するまで数値がありません。")
	setLang(t, pe, "en")

	// Posted from the app: no mark, a note; the inbox note leaves analytics.
	if _, err := pe.store.RecordPublicPost(ctx, waiting.Targets[0].ID, upload, "7440000000000000077",
		"https://www.tiktok.com/@tt_open-m/video/7440000000000000077", pe.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	_, body = pe.get(t, path)
	wantAll(t, "posted", body, "Posted from your TikTok inbox. Its numbers count from when sns-os saw it public.",
		`href="https://www.tiktok.com/@tt_open-m/video/7440000000000000077"`)
	if strings.Contains(body, `class="inbox-mark"`) {
		t.Error("a posted video keeps its inbox mark")
	}

	// Never posted: its checkpoints are in, without numbers.
	left := publishTikTok(t, pe, a, "Left in the inbox", "v_inbox_file~v2-1.78", map[string]string{"post_mode": "MEDIA_UPLOAD", "publish_id": "v_inbox_file~v2-1.78"}, nil)
	if err := pe.store.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: left.Targets[0].ID, Checkpoint: snsos.Checkpoint7d, Status: snsos.SnapshotUnavailable,
		Reason: "sent to the TikTok inbox: no public post appeared within 7 days", FetchedAt: pe.clock.Now(), Values: map[string]int64{"views": 0}}); err != nil {
		t.Fatal(err)
	}
	_, body = pe.get(t, postHref(left.ID))
	wantAll(t, "not posted", body, `<span class="inbox-mark">Sent to inbox</span>`, "no public post appeared while sns-os waited for one, so there are no numbers.")
	setLang(t, pe, "ja")
	_, body = pe.get(t, postHref(left.ID))
	wantAll(t, "ja not posted", body, `<span class="inbox-mark">受信トレイに送信済み</span>`, "待機期間中に公開されなかったため、数値はありません。")
	setLang(t, pe, "en")

	// An "Only me" Direct Post brings the Only me note.
	publishTikTok(t, pe, a, "Only me", "v_pub_file~v2-1.79", map[string]string{"post_mode": "DIRECT_POST", "publish_id": "v_pub_file~v2-1.79"},
		map[string]any{"privacy_level": "SELF_ONLY"})
	_, body = pe.get(t, "/analytics")
	wantAll(t, "analytics with Only me", body, "TikTok “Only me” posts have no metrics.")
	if strings.Contains(body, "TikTok videos waiting in your inbox") {
		t.Error("the inbox note stays with no video waiting")
	}
}
