package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHomeBlocks(t *testing.T) {
	pe := newPagesEnv(t)
	_, body := pe.get(t, "/")
	failedTarget := strconv.FormatInt(pe.failed.Targets[0].ID, 10)
	wantAll(t, "dashboard", body,
		// Needs attention, first, with each row's action.
		`<h2 id="attention-h">Needs attention`, "This did not go out on X (@snsos_demo).", `lang="en">X said: duplicate content`,
		`<form method="post" action="/posts/`+strconv.FormatInt(pe.failed.ID, 10)+`/targets/`+failedTarget+`/retry"><button class="button" type="submit">Retry<span class="vh"> X @snsos_demo</span>`,
		"Threads account @threads_demo needs to be reconnected.", `<form method="post" action="/connect/threads"><button class="button" type="submit">Reconnect<span class="vh"> Threads @threads_demo</span></button></form>`,
		// Next up with its countdown and the X cost.
		`<h2 id="next-h">Next up</h2>`, "Scheduled &lt;post&gt;", "Estimated X cost for the next 7 days: $0.015 for 1 post.",
		// Recent results with the +24h numbers and the permalink.
		`<h2 id="recent-h">Recent results</h2>`, "Published post", ">12,345<", ">67<", ">8<", ">9<",
		`href="https://x.com/snsos_demo/status/1860000000000000001" rel="noopener noreferrer">Open on X</a>`,
		// The account strip.
		`<span class="avatar" aria-hidden="true">S</span><span class="strip-name">X @snsos_demo</span>`, "Needs reconnect")
	// The blocks come in the guide's order.
	order := []string{`id="attention-h"`, `id="next-h"`, `id="recent-h"`, `id="accounts-h"`}
	for i := 1; i < len(order); i++ {
		if strings.Index(body, order[i-1]) > strings.Index(body, order[i]) {
			t.Errorf("%s comes after %s", order[i-1], order[i])
		}
	}
	// A fresh unknown target is not yet a problem.
	if strings.Contains(body, "Still confirming") {
		t.Error("a fresh unknown target is listed")
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script>") {
		t.Error("inline style or script")
	}

	setLang(t, pe, "ja")
	_, body = pe.get(t, "/")
	wantAll(t, "ja dashboard", body, "要対応", "X（@snsos_demo）に投稿できませんでした。", ">再試行<", "エラーの詳細（英語）", ">再連携<",
		"Threadsアカウント@threads_demoを再連携してください。", "次の予約", "今後7日間のXの推定費用：$0.015（1件）", "最近の結果", "Xで開く", "表示回数")

	// Twenty minutes later the unknown target is listed, with Check now.
	pe.clock.Add(20 * time.Minute)
	setLang(t, pe, "en")
	_, body = pe.get(t, "/")
	unknownTarget := strconv.FormatInt(pe.unknown.Targets[0].ID, 10)
	wantAll(t, "dashboard 20 min later", body, "Still confirming whether this went live on X (@snsos_demo), for 20 min now.",
		`action="/posts/`+strconv.FormatInt(pe.unknown.ID, 10)+`/targets/`+unknownTarget+`/check"><button class="button" type="submit">Check now`)

	// The retry button works from the dashboard.
	resp, _ := do(t, pe.c, "POST", pe.srv.URL+"/posts/"+strconv.FormatInt(pe.failed.ID, 10)+"/targets/"+failedTarget+"/retry", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=retry.ok") {
		t.Fatalf("retry from the dashboard: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = pe.get(t, "/")
	if strings.Contains(body, "This did not go out") {
		t.Error("the retried target is still listed")
	}
}

func TestHomeEmpty(t *testing.T) {
	e := newTestEnv(t, "pw")
	c := e.client(t)
	do(t, c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}})
	_, body := do(t, c, "GET", e.srv.URL+"/", nil)
	wantAll(t, "empty dashboard", body, "No accounts are connected yet.", `<a class="button" href="/accounts">Connect your first account</a>`,
		"Nothing scheduled. Write your first post.", `<a class="button" href="/compose">New post</a>`, "Nothing published yet.")
	if strings.Contains(body, "attention-h") || strings.Contains(body, "Estimated X cost") {
		t.Errorf("empty dashboard shows attention or cost:\n%s", body)
	}
}

func TestCountdownAndDollars(t *testing.T) {
	t.Parallel()
	if got := duration("en", 3*time.Hour+20*time.Minute); "in "+got != "in 3 h 20 min" {
		t.Errorf("en countdown %q", got)
	}
	if got := duration("ja", 3*time.Hour+20*time.Minute); "あと"+got != "あと3時間20分" {
		t.Errorf("ja countdown %q", got)
	}
	for v, want := range map[float64]string{0.015: "$0.015", 0.2: "$0.20", 0.215: "$0.215", 1.5: "$1.50", 0: "$0.00"} {
		if got := usd(v); got != want {
			t.Errorf("usd(%v) = %q, want %q", v, got, want)
		}
	}
}
