package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform/tiktok"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// ttSimulator is the TikTok simulator behind an httptest server, with a
// hook that sees each chunk PUT (its Content-Range) before the simulator
// does, so a test can arm a fault for one chosen chunk.
type ttSimulator struct {
	*ttsim.Sim
	URL   string
	mu    sync.Mutex
	onPut func(first, last, total int64)
}

func newTikTokSimulator(t *testing.T) *ttSimulator {
	t.Helper()
	s := &ttSimulator{Sim: ttsim.New(ttsim.Options{ClientKey: "ttkey", ClientSecret: "ttsecret", AutoApprove: true, Unaudited: true})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/upload/video/" {
			var first, last, total int64
			if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &total); err == nil {
				s.mu.Lock()
				hook := s.onPut
				s.mu.Unlock()
				if hook != nil {
					hook(first, last, total)
				}
			}
		}
		s.Sim.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { s.Sim.Close(); srv.Close() })
	s.URL = srv.URL
	s.Sim.SetBaseURL(srv.URL)
	return s
}

// setOnPut replaces the chunk hook (nil removes it).
func (s *ttSimulator) setOnPut(f func(first, last, total int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPut = f
}

// hanging reports whether a request to path (and, when rangeFrom >= 0, a
// chunk starting there) reached the simulator and is still unanswered:
// the hang fault armed for it holds it.
func (s *ttSimulator) hanging(method, path string, rangeFrom int64) bool {
	for _, r := range s.Requests() {
		if r.Method != method || r.Path != path || r.Status != 0 {
			continue
		}
		if rangeFrom < 0 || strings.HasPrefix(r.ContentRange, fmt.Sprintf("bytes %d-", rangeFrom)) {
			return true
		}
	}
	return false
}

// publishes returns the simulator's publishes titled text.
func (s *ttSimulator) publishes(text string) []ttsim.Post {
	var out []ttsim.Post
	for _, p := range s.Posts() {
		if p.Title == text {
			out = append(out, p)
		}
	}
	return out
}

// chunksSent lists the Content-Range of every chunk PUT, in order, with
// the status answered (0: none, the process died waiting).
func (s *ttSimulator) chunksSent() string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPut {
			out = append(out, fmt.Sprintf("%s=%d", strings.TrimPrefix(r.ContentRange, "bytes "), r.Status))
		}
	}
	return strings.Join(out, ", ")
}

func tiktokEnv(t *testing.T, sim *ttSimulator) map[string]string {
	return map[string]string{
		"SNSOS_DATA_DIR":             t.TempDir(),
		"SNSOS_ADDR":                 "127.0.0.1:0",
		"SNSOS_API_TOKEN":            apiToken,
		"SNSOS_TIKTOK_CLIENT_ID":     "ttkey",
		"SNSOS_TIKTOK_CLIENT_SECRET": "ttsecret",
		"SNSOS_TIKTOK_BASE_URL":      sim.URL,
		"SNSOS_RECONCILE_DELAY":      "300ms",
		"SNSOS_LAND_MARGIN":          "1s",
		"SNSOS_RETRY_BACKOFF":        "500ms",
		"SNSOS_LOG_LEVEL":            "info",
	}
}

// connectTikTok connects the simulator's demo account through the real
// OAuth flow (the simulator consents at once) and returns its id.
func (s *server) connectTikTok(t *testing.T) int64 {
	t.Helper()
	var res struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	s.do(t, "POST", "/api/v1/accounts/connect", map[string]string{"platform": "tiktok"}, &res)
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Timeout: 30 * time.Second}).Get(res.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OAuth callback: %s", resp.Status)
	}
	var accts struct {
		Items []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
			Status   string `json:"status"`
		} `json:"items"`
	}
	s.do(t, "GET", "/api/v1/accounts", nil, &accts)
	if len(accts.Items) != 1 || accts.Items[0].Platform != "tiktok" || accts.Items[0].Status != "connected" {
		t.Fatalf("accounts after connect: %+v", accts)
	}
	return accts.Items[0].ID
}

// TestTikTokCrashSafety kills the real binary with SIGKILL at each
// dangerous point of a chunked TikTok upload (a 3-chunk video, Direct Post
// "Only me"), starts it again on the same data, and requires the target to
// reach a final state with exactly one post on TikTok when it says
// published, none when it hands the post to the operator — and every other
// upload TikTok holds for it one that can never complete (bytes missing).
func TestTikTokCrashSafety(t *testing.T) {
	t.Parallel()
	const chunk = tiktok.DefaultChunkSize
	tests := []struct {
		name string
		// arm sets the fault; killNow says, from what the simulator
		// recorded, that the process is where it should die.
		arm     func(s *ttSimulator)
		killNow func(s *ttSimulator, text string) bool
		want    string
	}{
		{
			name: "killed mid-upload, chunk 2 of 3 in flight",
			arm: func(s *ttSimulator) {
				s.setOnPut(func(first, _, _ int64) {
					if first == chunk {
						s.InjectFault(ttsim.Fault{Match: "PUT /upload/video/", Kind: ttsim.FaultHang})
					}
				})
			},
			killNow: func(s *ttSimulator, _ string) bool { return s.hanging("PUT", "/upload/video/", chunk) },
			want:    "published",
		},
		{
			name: "killed after TikTok took the last chunk, before its answer",
			arm: func(s *ttSimulator) {
				s.setOnPut(func(_, last, total int64) {
					if last == total-1 {
						s.InjectFault(ttsim.Fault{Match: "PUT /upload/video/", Kind: ttsim.FaultHangAfterCommit})
					}
				})
			},
			killNow: func(s *ttSimulator, text string) bool {
				ps := s.publishes(text)
				return len(ps) == 1 && ps[0].UploadedBytes == ps[0].VideoSize && s.hanging("PUT", "/upload/video/", 2*chunk)
			},
			want: "published",
		},
		{
			name: "killed while reading the status after the upload",
			arm: func(s *ttSimulator) {
				s.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: ttsim.FaultHang})
			},
			killNow: func(s *ttSimulator, _ string) bool { return s.hanging("POST", "/v2/post/publish/status/fetch/", -1) },
			want:    "published",
		},
		{
			// TikTok cannot be searched: with no publish_id saved nothing
			// can prove what the init made, so the operator decides.
			name: "killed after TikTok made the publish, before its publish_id was saved",
			arm: func(s *ttSimulator) {
				s.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/video/init/", Kind: ttsim.FaultHangAfterCommit})
			},
			killNow: func(s *ttSimulator, text string) bool {
				return len(s.publishes(text)) == 1 && s.hanging("POST", "/v2/post/publish/video/init/", -1)
			},
			want: "needs_operator",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newTikTokSimulator(t)
			env := tiktokEnv(t, sim)
			a := start(t, env)
			account := a.connectTikTok(t)
			data := testMP4(720, 1280, 3*chunk) // a little over 3 chunks: TikTok's plan makes 3
			sum := sha256.Sum256(data)
			video := a.upload(t, data, "crash.mp4")
			text := "tiktok crash test: " + tt.name
			tt.arm(sim)
			var p struct {
				ID int64 `json:"id"`
			}
			a.do(t, "POST", "/api/v1/posts", map[string]any{"body": text, "media_ids": []int64{video.ID}, "approve": true,
				"scheduled_at": time.Now().UTC().Format(time.RFC3339Nano),
				"targets":      []any{map[string]any{"account_id": account, "options": map[string]any{"privacy_level": "SELF_ONLY"}}}}, &p)
			storetest.Eventually(t, 60*time.Second, 10*time.Millisecond, func() bool { return tt.killNow(sim, text) },
				func() string {
					return fmt.Sprintf("the fault never held a request: %+v\n%s", sim.publishes(text), a.stderr.String())
				})
			a.kill()
			sim.setOnPut(nil)
			sim.ClearFaults()

			b := start(t, env)
			tg := b.pollTarget(t, p.ID, 120*time.Second, "final", func(tg ttTarget) bool { return finalStates[tg.State] })
			pubs := sim.publishes(text)
			t.Logf("final state %s (%s); TikTok holds %d upload(s) of it; chunks sent: %s", tg.State, tg.Error, len(pubs), sim.chunksSent())
			if tg.State != tt.want {
				t.Fatalf("target ended %s (%s), want %s\n%s", tg.State, tg.Error, tt.want, b.stderr.String())
			}
			var live []ttsim.Post
			for _, up := range pubs {
				switch {
				case up.Status == ttsim.StatusPublishComplete || up.Status == ttsim.StatusSendToUserInbox:
					live = append(live, up)
				case up.Status == ttsim.StatusProcessingUpload && up.UploadedBytes < up.VideoSize:
					// Bytes missing and no one left to send them: it can
					// never go live.
				default:
					t.Errorf("upload %s is %s with %d of %d bytes: it may still go live", up.PublishID, up.Status, up.UploadedBytes, up.VideoSize)
				}
			}
			if tg.State != "published" {
				if len(live) != 0 || tg.Error == "" {
					t.Fatalf("target %s with reason %q, and %d live posts on TikTok", tg.State, tg.Error, len(live))
				}
				return
			}
			if len(live) != 1 {
				t.Fatalf("%d live posts with the text on TikTok, want exactly 1: %+v", len(live), pubs)
			}
			if got := live[0]; got.PublishID != tg.RemoteID || got.PrivacyLevel != ttsim.PrivacySelfOnly || got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("TikTok post %s (%s, sha256 %s), target %+v: want the video byte for byte, SELF_ONLY, under the target's id",
					got.PublishID, got.PrivacyLevel, got.SHA256, tg)
			}
		})
	}
}
