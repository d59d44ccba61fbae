package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// fakeAccounts records Revoke calls and marks the account revoked, as
// tokens.Service does (without the platform call).
type fakeAccounts struct {
	mu      sync.Mutex
	revoked []int64
	pe      *pagesEnv
}

func (f *fakeAccounts) Revoke(ctx context.Context, id int64) error {
	f.mu.Lock()
	f.revoked = append(f.revoked, id)
	f.mu.Unlock()
	return f.pe.store.SetAccountStatus(ctx, id, snsos.AccountRevoked, "disconnected by the operator")
}

// reconfigure rebuilds pe's handler with cfg changed by fn.
func reconfigure(t *testing.T, pe *pagesEnv, fn func(*Config)) {
	t.Helper()
	cfg := pe.h.cfg
	fn(&cfg)
	pe.h = New(cfg)
	mux := http.NewServeMux()
	pe.h.Routes(mux)
	pe.srv.Config.Handler = chain(mux)
}

func TestAccountsDisconnect(t *testing.T) {
	pe := newPagesEnv(t)
	fa := &fakeAccounts{pe: pe}
	reconfigure(t, pe, func(c *Config) { c.Accounts, c.Platforms = fa, []snsos.Platform{snsos.PlatformX} })
	xID := pe.scheduled.Targets[0].AccountID
	path := "/accounts/" + strconv.FormatInt(xID, 10) + "/disconnect"

	_, body := pe.get(t, "/accounts")
	wantAll(t, "accounts", body, `<span class="monogram" aria-hidden="true">D</span>`, "Demo X", "Estimated X cost", "$0.015 per post, or $0.20 for a post with a link",
		`href="`+path+`">Disconnect<span class="vh"> X @snsos_demo</span>`, `<form method="post" action="/connect/x"><button class="button secondary" type="submit">Connect X</button></form>`,
		"Not configured: set <code>SNSOS_TIKTOK_CLIENT_ID</code> and <code>SNSOS_TIKTOK_CLIENT_SECRET</code>.",
		"Not configured: set <code>SNSOS_THREADS_CLIENT_ID</code>")
	if strings.Contains(body, `action="/connect/tiktok"`) || strings.Contains(body, `action="/connect/threads"`) {
		t.Error("an unconfigured platform offers a connect link")
	}
	if strings.Contains(body, "<img") {
		t.Error("the accounts page loads an image")
	}

	// The confirmation names the consequence: one scheduled post (the
	// failed, unknown and published ones are not waiting).
	_, body = pe.get(t, path)
	wantAll(t, "confirm", body, "Disconnect X @snsos_demo?", "1 scheduled post uses this account. It will be marked Failed now and will not be published.",
		"Nothing you wrote is deleted", `action="`+path+`"`, "Keep it connected")
	if len(fa.revoked) != 0 {
		t.Fatal("the confirmation page disconnected")
	}
	setLang(t, pe, "ja")
	_, body = pe.get(t, path)
	wantAll(t, "ja confirm", body, "予約済みの投稿が1件あります", "作成した内容は削除されません", "連携を解除")
	setLang(t, pe, "en")

	// A cross-site POST is refused; the real one calls Revoke.
	req, _ := http.NewRequest("POST", pe.srv.URL+path, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := pe.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %v %v", resp, err)
	}
	resp, _ := do(t, pe.c, "POST", pe.srv.URL+path, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accounts?flash=disconnected" {
		t.Fatalf("disconnect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(fa.revoked) != 1 || fa.revoked[0] != xID {
		t.Fatalf("Revoke calls: %v", fa.revoked)
	}
	_, body = pe.get(t, "/accounts?flash=disconnected")
	wantAll(t, "after", body, "The account is disconnected.", "Revoked")
	if strings.Contains(body, `href="`+path+`"`) {
		t.Error("a revoked account still offers Disconnect")
	}
	// Nothing written is deleted.
	for _, p := range []*snsos.Post{pe.scheduled, pe.failed, pe.published} {
		if _, err := pe.store.FindPostByID(context.Background(), p.ID); err != nil {
			t.Errorf("post %d after disconnect: %v", p.ID, err)
		}
	}
	// Without a session nothing happens.
	resp, _ = do(t, pe.client(t), "POST", pe.srv.URL+path, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") || len(fa.revoked) != 1 {
		t.Errorf("disconnect without a session: %d, calls %v", resp.StatusCode, fa.revoked)
	}
	// Unknown account: 404.
	if resp, _ := pe.get(t, "/accounts/999999/disconnect"); resp.StatusCode != 404 {
		t.Errorf("unknown account: %d", resp.StatusCode)
	}
}

func TestAccountsWithoutService(t *testing.T) {
	pe := newPagesEnv(t)
	reconfigure(t, pe, func(c *Config) { c.Accounts, c.Platforms = nil, nil })
	_, body := pe.get(t, "/accounts")
	wantAll(t, "accounts", body, "Not configured: set <code>SNSOS_X_CLIENT_ID</code> and <code>SNSOS_X_CLIENT_SECRET</code>.")
	if strings.Contains(body, `action="/connect/`) {
		t.Error("connect link without configured platforms")
	}
	xID := pe.scheduled.Targets[0].AccountID
	resp, _ := do(t, pe.c, "POST", pe.srv.URL+"/accounts/"+strconv.FormatInt(xID, 10)+"/disconnect", url.Values{})
	if resp.Header.Get("Location") != "/accounts?flash=disconnect.unavailable" {
		t.Errorf("disconnect without a service: %s", resp.Header.Get("Location"))
	}
	if a, _ := pe.store.FindAccountByID(context.Background(), xID); a.Status != snsos.AccountConnected {
		t.Errorf("account is %s", a.Status)
	}
}

// TestUSDNoFloatNoise: a cost that is a product or a sum of prices is
// written as people write it, never with float noise.
func TestUSDNoFloatNoise(t *testing.T) {
	t.Parallel()
	price, other := 0.1, 0.2 // variables: constant arithmetic would be exact
	for _, c := range []struct {
		v    float64
		want string
	}{{price * 3, "$0.30"}, {price + other, "$0.30"}, {0.015 * float64(len("1234567")), "$0.105"}, {0.0000004, "$0.00"}, {12, "$12.00"}} {
		if got := usd(c.v); got != c.want {
			t.Errorf("usd(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// addMetaAccounts adds an Instagram account whose sign-in is good for 50
// days (with a stored picture), a Threads account with 3 days left and an
// Instagram account whose sign-in expired a day ago; it returns them in
// that order.
func addMetaAccounts(t *testing.T, pe *pagesEnv) []*snsos.Account {
	t.Helper()
	ctx := context.Background()
	now := pe.clock.Now()
	accts := []*snsos.Account{
		{Platform: snsos.PlatformInstagram, RemoteID: "17841400000000001", Handle: "shop_ig", DisplayName: "Shop IG"},
		{Platform: snsos.PlatformThreads, RemoteID: "25000000000000001", Handle: "shop_th", DisplayName: "Shop Threads"},
		{Platform: snsos.PlatformInstagram, RemoteID: "17841400000000002", Handle: "old_ig", DisplayName: "Old IG"},
	}
	left := []time.Duration{50 * 24 * time.Hour, 3*24*time.Hour + 2*time.Hour, -24 * time.Hour}
	for i, a := range accts {
		if err := pe.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := pe.store.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(testAccessToken + strconv.Itoa(i)),
			TokenType: "bearer", ExpiresAt: now.Add(left[i]), IssuedAt: now.Add(left[i] - 60*24*time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pe.store.PutAccountAvatar(ctx, &store.Avatar{AccountID: accts[0].ID, ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nfake")}); err != nil {
		t.Fatal(err)
	}
	return accts
}

// TestAccountsMeta: Instagram and Threads accounts with their pictures,
// handles and sign-in health — renewed by sns-os, amber under 7 days,
// red once expired — in both languages, and a connect button for each
// configured platform.
func TestAccountsMeta(t *testing.T) {
	pe := newPagesEnv(t)
	accts := addMetaAccounts(t, pe)
	_, body := pe.get(t, "/accounts")
	ig := strconv.FormatInt(accts[0].ID, 10)
	wantAll(t, "accounts", body, `<img class="acct-avatar" src="/accounts/`+ig+`/avatar"`, "Shop IG", "@shop_ig", "Shop Threads", "@shop_th",
		"<dd>Refreshed 29 Nov 12:00 · renewed automatically; valid until 2027-01-18</dd>",
		`<dd class="health-warn"><span class="icon" aria-hidden="true">!</span> Refreshed 29 Nov 12:00 · valid until 2026-12-02, 3 d 2 h left, and not renewed yet`,
		`<dd class="health-error"><span class="icon" aria-hidden="true">✕</span> Refreshed 29 Nov 12:00 · expired on 2026-11-28; reconnect the account</dd>`,
		`action="/connect/instagram"><button class="button secondary" type="submit">Connect Instagram</button>`,
		`action="/connect/threads"><button class="button secondary" type="submit">Connect Threads</button>`,
		`href="/accounts/`+ig+`/disconnect">Disconnect<span class="vh"> Instagram @shop_ig</span>`)
	if strings.Count(body, "Estimated X cost") != 1 {
		t.Error("a Meta account shows X's cost")
	}
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/accounts")
	wantAll(t, "ja accounts", body, "2027年1月18日まで有効（自動で更新）", "2026年12月2日まで有効（あと3日2時間）。まだ自動で更新できていません。",
		"2026年11月28日に連携の有効期限が切れました。再連携してください", "Instagramと連携", "Threadsと連携")
	jaCheckPage(t, "/accounts with Meta accounts", 200, body, append(jaSeeds, "Shop IG", "Shop Threads", "Old IG"))
}

// TestAccountsMetaDisconnect: disconnecting an Instagram or Threads
// account says that sns-os only forgets the sign-in, and where the
// operator removes the app to end its access entirely.
func TestAccountsMetaDisconnect(t *testing.T) {
	pe := newPagesEnv(t)
	fa := &fakeAccounts{pe: pe}
	reconfigure(t, pe, func(c *Config) { c.Accounts = fa })
	accts := addMetaAccounts(t, pe)
	for _, c := range []struct {
		a     *snsos.Account
		where string
	}{
		{accts[0], "in the Instagram app, open Settings, then Apps and websites (under Security or Website permissions), and remove it from the Active list"},
		{accts[1], "in the Threads app, open Settings, then Account, then Apps and websites, and remove it"},
	} {
		path := "/accounts/" + strconv.FormatInt(c.a.ID, 10) + "/disconnect"
		_, body := pe.get(t, path)
		wantAll(t, c.a.Handle, body, c.a.Platform.DisplayName()+" has no way for sns-os to withdraw its own access, so sns-os only deletes the stored sign-in.",
			c.where, "stays valid until it expires (60 days at most)", "No scheduled post uses this account.", `action="`+path+`"`)
		if strings.Contains(body, "asks "+c.a.Platform.DisplayName()+" to revoke") {
			t.Errorf("%s: the page claims the platform is asked to revoke", c.a.Handle)
		}
	}
	// X still says sns-os asks the platform.
	_, body := pe.get(t, "/accounts/"+strconv.FormatInt(pe.scheduled.Targets[0].AccountID, 10)+"/disconnect")
	wantAll(t, "X", body, "sns-os asks X to revoke its access")
	setLang(t, pe, "ja")
	for _, a := range accts[:2] {
		path := "/accounts/" + strconv.FormatInt(a.ID, 10) + "/disconnect"
		resp, body := pe.get(t, path)
		wantAll(t, "ja "+a.Handle, body, "外部から連携を解除する仕組みがないため", a.Platform.DisplayName()+"アプリでも解除してください", "最長60日")
		jaCheckPage(t, path, resp.StatusCode, body, jaSeeds)
	}
}
