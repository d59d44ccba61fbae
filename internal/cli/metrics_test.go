package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMetricsEndpoints runs the real server: /metrics on the main listener
// refuses a request without a valid API token (loopback proves nothing
// behind a proxy) and answers one with it; SNSOS_METRICS_ADDR serves the
// same metrics without a token on a listener of its own. No token appears
// in them.
func TestMetricsEndpoints(t *testing.T) {
	t.Parallel()
	const token = "metrics-api-token-0a1b2c3d4e5f"
	env := map[string]string{"SNSOS_DATA_DIR": t.TempDir(), "SNSOS_API_TOKEN": token, "SNSOS_METRICS_ADDR": "127.0.0.1:0",
		"SNSOS_X_CLIENT_ID": "cid", "SNSOS_X_CLIENT_SECRET": "x-secret-for-metrics"}
	base, _, stderr, _ := startServe(t, env, "serve")
	metricsAddr := stderr.waitFor(t, regexp.MustCompile(`metrics listening\W{1,4}addr\W{1,3}(127\.0\.0\.1:\d+)`))[1]

	fetch := func(url, bearer string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, bad := range []string{"", "not-the-token-0123456789"} {
		if code, body, h := fetch(base+"/metrics", bad); code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || strings.Contains(body, "snsos_") {
			t.Fatalf("/metrics with token %q: %d %s", bad, code, body)
		}
	}
	code, body, h := fetch(base+"/metrics", token)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics with the token: %d %s", code, h.Get("Content-Type"))
	}
	// The jobs waiting are counted at the scrape (obs tests the counts).
	for _, want := range []string{"# TYPE snsos_jobs_waiting gauge", "go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	code, own, _ := fetch("http://"+metricsAddr+"/metrics", "")
	if code != http.StatusOK || !strings.Contains(own, "# TYPE snsos_jobs_waiting gauge") {
		t.Fatalf("SNSOS_METRICS_ADDR /metrics: %d %s", code, own)
	}
	if code, _, _ := fetch("http://"+metricsAddr+"/", ""); code != http.StatusNotFound {
		t.Fatalf("SNSOS_METRICS_ADDR serves / too: %d", code)
	}
	for _, secret := range []string{token, "x-secret-for-metrics"} {
		if strings.Contains(body, secret) || strings.Contains(own, secret) {
			t.Fatal("a secret is in the metrics")
		}
	}
}
