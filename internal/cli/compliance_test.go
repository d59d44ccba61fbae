package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/compliance"
)

// callback posts a signed_request to base+path as Meta does: a form, from
// another site.
func callback(t *testing.T, base, path, sr string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(url.Values{"signed_request": {sr}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://www.facebook.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func signFor(secret, uid string) string {
	return compliance.Sign([]byte(fmt.Sprintf(`{"algorithm":"HMAC-SHA256","issued_at":%d,"user_id":%q}`, time.Now().Unix(), uid)), []byte(secret))
}

// TestServeCallbacks: the real server takes Meta's callbacks from another
// site, signed with the configured app secret (or META_APP_SECRET), never
// logs the secret, and serves the status page without a session.
func TestServeCallbacks(t *testing.T) {
	t.Parallel()
	const igSecret, metaSecret = "instagram-app-secret-31a9c0", "meta-app-secret-77b1e4"
	base, _, stderr, stop := startServe(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir(),
		"SNSOS_INSTAGRAM_APP_SECRET": igSecret, "META_APP_SECRET": metaSecret}, "serve")
	code, ans := callback(t, base, "/webhooks/instagram/data-deletion", signFor(igSecret, "1234"))
	if code != http.StatusOK || !strings.HasSuffix(ans["url"], "/deletion/"+ans["confirmation_code"]) {
		t.Fatalf("data deletion: %d %v", code, ans)
	}
	if code, body := get(t, base+"/deletion/"+ans["confirmation_code"]); code != http.StatusOK || !strings.Contains(body, "This request is complete") {
		t.Fatalf("status page: %d\n%s", code, body)
	}
	if code, _ := callback(t, base, "/webhooks/threads/deauthorize", signFor(metaSecret, "1")); code != http.StatusOK {
		t.Fatalf("threads deauthorize with META_APP_SECRET: %d", code)
	}
	if code, ans := callback(t, base, "/webhooks/threads/deauthorize", signFor("guessed", "1")); code != http.StatusBadRequest || ans["error"] == "" {
		t.Fatalf("forged: %d %v", code, ans)
	}
	stop()
	for _, s := range []string{igSecret, metaSecret} {
		if strings.Contains(stderr.String(), s) {
			t.Fatalf("an app secret reached the log:\n%s", stderr.String())
		}
	}
}

// TestDemoCallbacks: the demo generates app secrets and prints them with
// its accounts' user ids, so a deauthorize can be tried on its Instagram
// account: the account is revoked.
func TestDemoCallbacks(t *testing.T) {
	t.Parallel()
	base, stdout, _, _ := startServe(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir()}, "demo")
	m := stdout.waitFor(t, regexp.MustCompile(`api token: (\S+)\n`))
	token := m[1]
	m = stdout.waitFor(t, regexp.MustCompile(`Instagram callbacks: POST \S+/webhooks/instagram/deauthorize and /data-deletion, signed_request signed with the app secret (\S+) \(generated\)\n  the demo Instagram account's user id: (\S+)\n`))
	if code, _ := callback(t, base, "/webhooks/instagram/deauthorize", signFor(m[1], m[2])); code != http.StatusOK {
		t.Fatalf("deauthorize: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			Platform, Status string
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	for _, a := range list.Items {
		if want := map[bool]string{true: "revoked", false: "connected"}[a.Platform == "instagram"]; a.Status != want {
			t.Fatalf("%s account is %s, want %s", a.Platform, a.Status, want)
		}
	}
	if len(list.Items) != 4 {
		t.Fatalf("accounts %+v", list.Items)
	}
}
