package oauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// noSession lets every request through, for the tests of the flow itself.
func noSession(h http.Handler) http.Handler { return h }

// TestConnectNeedsSession: /connect goes through the session check; the
// callback does not.
func TestConnectNeedsSession(t *testing.T) {
	t.Parallel()
	env := storetest.New(t, store.SQLite)
	xc := x.New(x.Config{ClientID: "id", RedirectURL: "https://sns.example/oauth/x/callback"})
	svc := New(Config{Store: env.Store, PublicURL: "https://sns.example/",
		Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformX: xc}})
	var checked []string
	refuse := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			checked = append(checked, r.URL.Path)
			if r.Header.Get("X-Test-Session") != "yes" {
				http.Redirect(w, r, "/signin?next="+r.URL.Path, http.StatusSeeOther)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	svc.Routes(mux, refuse)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/connect/x", nil))
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin") || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("/connect/x without a session: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	req := httptest.NewRequest("POST", "/connect/x", nil)
	req.Header.Set("X-Test-Session", "yes")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), x.DefaultAuthBase) {
		t.Fatalf("/connect/x with a session: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// Over https the binding cookie carries the __Secure- prefix (its path,
	// /oauth/, rules out __Host-).
	if sc := rec.Header().Get("Set-Cookie"); !strings.HasPrefix(sc, "__Secure-"+CookieName+"=") || !strings.Contains(sc, "; Secure") {
		t.Fatalf("binding cookie over https: %q", sc)
	}
	// The callback is public: it answers (here, refusing an unknown state)
	// without the session check.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/oauth/x/callback?state=nope&code=c", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	if len(checked) != 2 {
		t.Fatalf("session checked on %v, want the two /connect requests only", checked)
	}
	defer func() {
		if recover() == nil {
			t.Error("Routes without a session check did not panic")
		}
	}()
	svc.Routes(http.NewServeMux(), nil)
}
