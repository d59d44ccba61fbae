package cli

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestPolicyFactsFromConfig: the facts follow the configuration and the
// clients' own lists: Instagram's permissions follow the first comment
// switch, the checkpoints are those in force, the media backend and the
// deletion window are the configured ones.
func TestPolicyFactsFromConfig(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite).Store
	cfg, err := config.Load(nil, func(k string) string {
		return map[string]string{"SNSOS_OPERATOR_NAME": "Op", "SNSOS_JURISDICTION": "Japan", "SNSOS_S3_ENDPOINT": "acct.r2.cloudflarestorage.com",
			"SNSOS_S3_BUCKET": "b", "SNSOS_S3_ACCESS_KEY": "k", "SNSOS_S3_SECRET_KEY": "s", "SNSOS_DELETION_WINDOW": "168h",
			"SNSOS_INSTAGRAM_CLIENT_ID": "ig", "SNSOS_INSTAGRAM_FIRST_COMMENT": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clients := map[snsos.Platform]platform.Platform{snsos.PlatformInstagram: instagram.New(instagram.Config{ClientID: "ig"})}
	cps := []time.Duration{time.Hour, 48 * time.Hour}
	f := policyFacts(cfg, st, clients, cfg.Platforms, collect.Checkpoints(cps))
	if f.Operator != "Op" || f.Jurisdiction != "Japan" || f.Media != "s3" || f.MediaHost != "acct.r2.cloudflarestorage.com" ||
		f.Database != "sqlite" || f.PurgeWindow != 7*24*time.Hour || !slices.Equal(f.Checkpoints, cps) {
		t.Fatalf("facts = %+v", f)
	}
	if len(f.Platforms) != 1 || f.Platforms[0].Platform != snsos.PlatformInstagram ||
		!slices.Equal(f.Platforms[0].Scopes, instagram.Scopes(true)) || !slices.Contains(f.Platforms[0].Scopes, instagram.ScopeComments) {
		t.Fatalf("platforms = %+v", f.Platforms)
	}
	if !slices.Contains(f.Platforms[0].Metrics, "saved") || !slices.Contains(f.Platforms[0].Metrics, "views") {
		t.Fatalf("Instagram metrics = %v", f.Platforms[0].Metrics)
	}
	cfg.Platforms[snsos.PlatformInstagram].FirstComment = false
	if g := policyFacts(cfg, st, clients, cfg.Platforms, nil); slices.Contains(g.Platforms[0].Scopes, instagram.ScopeComments) {
		t.Fatal("the comments permission is listed with the first comment switched off")
	}
}

// TestServePolicyChange runs the real server twice on one data dir: the
// second start asks Instagram for one more permission (the first comment
// switched on), which the policy, the changelog and the attention list
// then carry. The public pages answer without a session; the inbox needs
// one.
func TestServePolicyChange(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_INSTAGRAM_CLIENT_ID": "ig", "SNSOS_INSTAGRAM_CLIENT_SECRET": "igs",
		"SNSOS_OPERATOR_NAME": "Test Operator", "SNSOS_OPERATOR_EMAIL": "privacy@example.com"}
	base, _, _, stop := startServe(t, env, "serve")
	code, body := get(t, base+"/privacy")
	if code != 200 || !strings.Contains(body, "Operator: Test Operator") || !strings.Contains(body, "<code>instagram_business_basic</code>") ||
		strings.Contains(body, instagram.ScopeComments) || !strings.Contains(body, "/webhooks/instagram/data-deletion") {
		t.Fatalf("first policy: %d\n%s", code, body)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, route := range []string{"GET /inbox", "GET /inbox/1", "POST /inbox/1/handled", "POST /inbox/1/delete", "POST /inbox/1/deletion",
		"POST /inbox/policy/1/seen"} {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, base+path, strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
			t.Errorf("%s without a session: %d", route, resp.StatusCode)
		}
	}
	for _, path := range []string{"/terms", "/changelog", "/contact", "/ja/privacy", "/ja/terms", "/ja/changelog", "/ja/contact"} {
		if code, _ := get(t, base+path); code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	stop()

	env["SNSOS_INSTAGRAM_FIRST_COMMENT"] = "true"
	base, _, _, stop = startServe(t, env, "serve")
	defer stop()
	if _, body = get(t, base+"/privacy"); !strings.Contains(body, "<code>"+instagram.ScopeComments+"</code>") {
		t.Fatalf("the policy lacks the new permission:\n%s", body)
	}
	if _, body = get(t, base+"/changelog"); !strings.Contains(body, "Instagram: sns-os now asks for the permission "+instagram.ScopeComments+".") {
		t.Fatalf("the changelog lacks the change:\n%s", body)
	}
	st, err := store.Open(context.Background(), store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	unseen, err := st.ListPolicyChanges(context.Background(), true, 0)
	if err != nil || len(unseen) != 1 || unseen[0].Items[0].Name != instagram.ScopeComments {
		t.Fatalf("unseen changes = %+v, %v", unseen, err)
	}
}
