package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// TestDeletionStatusPage: the public status page, in both languages and
// without a session or a cookie, says where a request stands at each step
// and nothing about the operator's accounts; an unknown or malformed code
// is a 404.
func TestDeletionStatusPage(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "17841400000000001", Handle: "secret_handle", DisplayName: "Private Name"}
	if err := e.store.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	d := &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, RemoteUserID: a.RemoteID, ConfirmationCode: "STATUSCODE123456",
		AccountIDs: []int64{a.ID}, DueAt: testEpoch.Add(30 * 24 * 60 * 60 * 1e9)}
	if err := e.store.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "h1", Platform: snsos.PlatformInstagram, Kind: "data-deletion"}, d,
		store.AccessRemoval{AccountIDs: []int64{a.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:instagram"}, nil); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, body := do(t, e.client(t), "GET", e.srv.URL+path, nil)
		if len(resp.Cookies()) > 0 {
			t.Fatalf("GET %s set a cookie: %v", path, resp.Cookies())
		}
		for _, private := range []string{"secret_handle", "Private Name", a.RemoteID, "Instagram"} {
			if strings.Contains(body, private) {
				t.Fatalf("GET %s shows %q:\n%s", path, private, body)
			}
		}
		return resp, body
	}
	resp, body := get("/deletion/STATUSCODE123456")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status page: %d", resp.StatusCode)
	}
	wantAll(t, "pending request", body, `<html lang="en">`, "Data deletion status", "Confirmation code: STATUSCODE123456",
		"This request is in progress.", `Received on <time datetime="2026-11-29">2026-11-29</time>.`,
		`The account's access tokens were deleted on <time datetime="2026-11-29">2026-11-29</time>.`,
		`Posts, metrics and media will be deleted by <time datetime="2026-12-29">`,
		`<link rel="alternate" hreflang="ja" href="/ja/deletion/STATUSCODE123456">`)
	resp, body = get("/ja/deletion/STATUSCODE123456")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ja status page: %d", resp.StatusCode)
	}
	wantAll(t, "ja pending request", body, `<html lang="ja">`, "データ削除の状況", "確認コード：STATUSCODE123456", "このリクエストは処理中です。",
		`<time datetime="2026-11-29">2026年11月29日</time>に受け付けました。`, "にアカウントの連携情報を削除しました。",
		`<time datetime="2026-12-29">2026年12月29日</time>までに削除します。`)

	if _, err := e.store.PurgeDeletionRequest(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(48 * 60 * 60 * 1e9)
	if err := e.store.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{Accounts: 1}); err != nil {
		t.Fatal(err)
	}
	_, body = get("/deletion/STATUSCODE123456")
	wantAll(t, "completed request", body, "This request is complete", `Posts, metrics and media were deleted on <time datetime="2026-12-01">2026-12-01</time>.`)
	_, body = get("/ja/deletion/STATUSCODE123456")
	wantAll(t, "ja completed request", body, "このリクエストの削除はすべて完了しました。", `<time datetime="2026-12-01">2026年12月1日</time>に投稿、数値、画像・動画を削除しました。`)

	// A request from the contact form waits for the operator.
	form := &snsos.DeletionRequest{ConfirmationCode: "Form-code_123456"} // the contact form's codes are base64url
	if err := e.store.CreateContact(ctx, &snsos.ContactMessage{Name: "n", Email: "n@example.com", Body: "b"}, form); err != nil {
		t.Fatal(err)
	}
	_, body = get("/deletion/Form-code_123456")
	wantAll(t, "unconfirmed request", body, "The access tokens will be deleted once the request has been checked.",
		"Posts, metrics and media will be deleted by")

	for _, path := range []string{"/deletion/NOSUCHCODE123456", "/ja/deletion/NOSUCHCODE123456", "/deletion/short", "/deletion/has%20space%20in%20it"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusNotFound || !(strings.Contains(body, "No deletion request has this confirmation code") ||
			strings.Contains(body, "この確認コードのデータ削除リクエストは見つかりません")) {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
}

// TestDashboardRemovals: an access the platform ended and a data deletion
// under way are on the dashboard, saying what happened and what was
// deleted, in both languages.
func TestDashboardRemovals(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	ig := &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "1784", Handle: "ig_op"}
	tt := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "tt1", Handle: "tt_op"}
	for _, a := range []*snsos.Account{ig, tt} {
		if err := pe.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := pe.store.RemoveAccess(ctx, store.AccessRemoval{AccountIDs: []int64{tt.ID}, Source: store.RemovedByRefresh,
		Actor: "platform:tiktok", Reason: "revoked"}); err != nil {
		t.Fatal(err)
	}
	d := &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, RemoteUserID: ig.RemoteID, ConfirmationCode: "DASHCODE12345678",
		AccountIDs: []int64{ig.ID}, DueAt: testEpoch.Add(72 * 60 * 60 * 1e9)}
	if err := pe.store.ActOnSignedRequest(ctx, &store.SignedRequest{Hash: "h2", Platform: snsos.PlatformInstagram, Kind: "data-deletion"}, d,
		store.AccessRemoval{AccountIDs: []int64{ig.ID}, Source: store.RemovedByDataDeletion, Actor: "platform:instagram"}, nil); err != nil {
		t.Fatal(err)
	}
	_, body := pe.get(t, "/")
	wantAll(t, "dashboard", body, "Access removed", "TikTok refused to renew the sign-in of @tt_op because access was revoked",
		"Data deletion", "A data deletion request was accepted", "will be deleted by 2026-12-02.",
		`href="/deletion/DASHCODE12345678"`, "View status")
	if strings.Contains(body, "@tt_op is disconnected") || strings.Contains(body, "@ig_op is disconnected") {
		t.Fatal("a removed account is listed twice")
	}
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/")
	wantAll(t, "ja dashboard", body, "サービス側で連携解除", "TikTok側で連携が解除されていたため、@tt_opの連携を更新できませんでした", "データ削除のリクエストを受け付けました",
		"2026年12月2日までに削除します。", "状況を見る")

	if _, err := pe.store.PurgeDeletionRequest(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := pe.store.CompleteDeletionPurge(ctx, d.ID, snsos.PurgeCounts{Posts: 2, Targets: 3, Snapshots: 4, Media: 1}); err != nil {
		t.Fatal(err)
	}
	setLang(t, pe, "en")
	_, body = pe.get(t, "/")
	wantAll(t, "dashboard after the purge", body, "Data deletion done", "Deleted: posts 2, deliveries 3, metric snapshots 4, media files 1.")
	pe.clock.Add(8 * 24 * 60 * 60 * 1e9)
	_, body = pe.get(t, "/")
	if strings.Contains(body, "Data deletion done") || strings.Contains(body, "refused to renew") {
		t.Fatal("week-old removals still listed")
	}
}
