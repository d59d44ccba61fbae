package media_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/cli"
)

// Meta's crawlers, which fetch the signed /m/ links for Instagram and
// Threads, and the generic group every crawler falls back to.
var mediaFetchers = []string{"facebookexternalhit", "meta-externalagent", "Facebot", "*"}

// TestRobotsTxtLetsPlatformsFetchMedia runs the real server and checks that
// nothing it serves as /robots.txt keeps Meta's fetcher away from the
// signed media links (meta-instagram-threads.md §1.4: a crawler blocked by
// robots.txt makes the media fetch fail). sns-os serves no robots.txt
// today; this keeps one that may come from disallowing /m/.
func TestRobotsTxtLetsPlatformsFetchMedia(t *testing.T) {
	t.Parallel()
	base := startServe(t)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(base + "/robots.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Logf("GET /robots.txt answers %d %s: no robots.txt, nothing is disallowed", resp.StatusCode, resp.Header.Get("Content-Type"))
		return
	}
	for _, agent := range mediaFetchers {
		if robotsDisallows(string(body), agent, "/m/12?exp=1900000000&sig=abc") {
			t.Errorf("robots.txt keeps %s away from /m/:\n%s", agent, body)
		}
	}
}

// TestRobotsDisallows checks the test's own reading of robots.txt
// (RFC 9309: the most specific group, the longest match, Allow on a tie).
func TestRobotsDisallows(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		robots, agent string
		want          bool
	}{
		{"", "*", false},
		{"User-agent: *\nDisallow: /", "facebookexternalhit", true},
		{"User-agent: *\nDisallow: /\nAllow: /m/", "facebookexternalhit", false},
		{"User-agent: *\nDisallow: /m", "*", true},
		{"User-agent: *\nDisallow: /*?sig=", "*", false},
		{"User-agent: *\nDisallow: /*sig=", "*", true},
		{"User-agent: *\nDisallow: /\n\nUser-agent: facebookexternalhit\nAllow: /", "facebookexternalhit", false},
		{"User-agent: facebookexternalhit\nDisallow: /m/\n\nUser-agent: *\nAllow: /", "*", false},
		{"# comment\nUser-agent: Meta-ExternalAgent\nUser-agent: Facebot\nDisallow: /m/ # no media", "facebot", true},
		{"User-agent: *\nDisallow: /m/$", "*", false},
	} {
		if got := robotsDisallows(tt.robots, tt.agent, "/m/12?exp=1&sig=abc"); got != tt.want {
			t.Errorf("%q for %s: disallowed = %v, want %v", tt.robots, tt.agent, got, tt.want)
		}
	}
}

// robotsDisallows reports whether robots keeps agent away from path.
func robotsDisallows(robots, agent, path string) bool {
	type rule struct {
		allow   bool
		pattern string
	}
	groups := map[string][]rule{}
	var agents []string
	inRules := false
	for _, line := range strings.Split(robots, "\n") {
		line, _, _ = strings.Cut(line, "#")
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch key {
		case "user-agent":
			if inRules {
				agents, inRules = nil, false
			}
			agents = append(agents, strings.ToLower(value))
		case "allow", "disallow":
			inRules = true
			for _, a := range agents {
				if value != "" {
					groups[a] = append(groups[a], rule{allow: key == "allow", pattern: value})
				} else if _, ok := groups[a]; !ok {
					groups[a] = nil
				}
			}
		}
	}
	rules, ok := groups[strings.ToLower(agent)]
	if !ok {
		rules = groups["*"]
	}
	best, disallowed := -1, false
	for _, r := range rules {
		if !robotsMatch(r.pattern, path) {
			continue
		}
		if n := len(r.pattern); n > best || n == best && r.allow {
			best, disallowed = n, !r.allow
		}
	}
	return disallowed
}

// robotsMatch matches a robots.txt path pattern ('*' any run, '$' the
// end) against the start of path.
func robotsMatch(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	expr := "^" + strings.Join(parts, ".*")
	if anchored {
		expr += "$"
	}
	return regexp.MustCompile(expr).MatchString(path)
}

// startServe runs "sns-os serve" on a loopback port in a fresh data dir and
// returns its base URL; it stops with the test.
func startServe(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"SNSOS_DATA_DIR": t.TempDir()}
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] },
			strings.NewReader(""), io.Discard, stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	ready := regexp.MustCompile(`ready\W{1,4}addr\W{1,3}(127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := ready.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d before it was ready:\n%s", code, stderr.String())
		default:
		}
	}
	t.Fatalf("serve not ready:\n%s", stderr.String())
	return ""
}

// lockedBuffer collects the server's log while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
