package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestDemoPublishesToThreePlatforms is the "done when" in the
// real binary: in sns-os demo, one approved post goes to X, to Instagram
// as a carousel of two images and to Threads as text with one image, at
// its time, exactly once each, with permalinks, and every checkpoint fills
// with each platform's own metrics.
func TestDemoPublishesToThreePlatforms(t *testing.T) {
	t.Parallel()
	d := startDemoWith(t, []string{"--checkpoint-delays", "1s,2s,3s"}, []string{"SNSOS_API_TOKEN=" + apiToken})
	s := &server{base: d.base, stderr: d.stderr}
	accounts := map[string]int64{}
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
			Status   string `json:"status"`
		} `json:"items"`
	}
	s.do(t, "GET", "/api/v1/accounts", nil, &list)
	for _, a := range list.Items {
		if a.Status != "connected" {
			t.Fatalf("demo account %+v is not connected", a)
		}
		accounts[a.Platform] = a.ID
	}
	for _, p := range []string{"x", "instagram", "threads"} {
		if accounts[p] == 0 {
			t.Fatalf("no demo account for %s: %+v\n%s", p, list, d.stdout.String())
		}
	}
	img1 := s.upload(t, testJPEG(t, 600, 600, color.RGBA{200, 40, 40, 255}), "one.jpg")
	img2 := s.upload(t, testJPEG(t, 600, 750, color.RGBA{40, 40, 200, 255}), "two.jpg")
	text := fmt.Sprintf("Three platforms, once each (%d)", time.Now().UnixNano())
	var p struct {
		ID      int64 `json:"id"`
		Targets []struct {
			ID        int64  `json:"id"`
			Platform  string `json:"platform"`
			State     string `json:"state"`
			RemoteID  string `json:"remote_id"`
			RemoteURL string `json:"remote_url"`
			Error     string `json:"error"`
			Metrics   []struct {
				Checkpoint string           `json:"checkpoint"`
				Status     string           `json:"status"`
				Values     map[string]int64 `json:"values"`
			} `json:"metrics"`
		} `json:"targets"`
	}
	s.do(t, "POST", "/api/v1/posts", map[string]any{
		"body": text, "media_ids": []int64{img1.ID, img2.ID}, "approve": true,
		"scheduled_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano),
		"targets": []any{
			map[string]any{"account_id": accounts["x"]},
			map[string]any{"account_id": accounts["instagram"]},
			map[string]any{"account_id": accounts["threads"], "media_ids": []int64{img1.ID}},
		},
	}, &p)

	storetest.Eventually(t, 90*time.Second, 100*time.Millisecond, func() bool {
		s.do(t, "GET", fmt.Sprintf("/api/v1/posts/%d", p.ID), nil, &p)
		done := true
		for _, tg := range p.Targets {
			switch tg.State {
			case "published":
			case "failed", "canceled", "needs_operator":
				t.Fatalf("%s target ended %s: %s\n%s", tg.Platform, tg.State, tg.Error, d.stderr.String())
			default:
				done = false
			}
		}
		return done
	}, func() string { return fmt.Sprintf("not all published: %+v\n%s", p.Targets, d.stderr.String()) })
	for _, tg := range p.Targets {
		if tg.RemoteID == "" || !strings.HasPrefix(tg.RemoteURL, "https://") {
			t.Errorf("%s target published without id or permalink: %+v", tg.Platform, tg)
		}
	}
	// Exactly once each, with the media each platform was given.
	for platform, media := range map[string]int{"x": 2, "instagram": 2, "threads": 1} {
		var got struct {
			Items []struct {
				ID         string `json:"id"`
				Text       string `json:"text"`
				MediaCount int    `json:"media_count"`
			} `json:"items"`
		}
		getJSON(t, d.base+"/sim/"+platform+"/__sim/posts", &got)
		n := 0
		for _, it := range got.Items {
			if it.Text == text {
				n++
				if it.MediaCount != media {
					t.Errorf("%s post has %d media, want %d", platform, it.MediaCount, media)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s has %d posts with the text, want exactly 1: %+v", platform, n, got.Items)
		}
	}
	// The three checkpoints fill with each platform's metrics.
	want := map[string]string{"instagram": "reach", "threads": "reposts"}
	storetest.Eventually(t, 60*time.Second, 200*time.Millisecond, func() bool {
		s.do(t, "GET", fmt.Sprintf("/api/v1/posts/%d", p.ID), nil, &p)
		filled := 0
		for _, tg := range p.Targets {
			ok := 0
			for _, m := range tg.Metrics {
				if m.Status != "ok" {
					t.Fatalf("%s checkpoint %s is %s: %+v", tg.Platform, m.Checkpoint, m.Status, m)
				}
				if extra := want[tg.Platform]; extra != "" {
					if _, has := m.Values[extra]; !has {
						t.Fatalf("%s checkpoint %s lacks %s: %v", tg.Platform, m.Checkpoint, extra, m.Values)
					}
				}
				ok++
			}
			if ok >= 3 {
				filled++
			}
		}
		return filled == len(p.Targets)
	}, func() string { return fmt.Sprintf("checkpoints not filled: %+v\n%s", p.Targets, d.stderr.String()) })
}

func testJPEG(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}

// TestDemoPublishesToTikTok: in sns-os demo, whose TikTok app is
// unaudited, a video post to TikTok without an audience is refused at
// approval, and one posted "Only me" (SELF_ONLY) is published exactly
// once, as the simulator sees it.
func TestDemoPublishesToTikTok(t *testing.T) {
	t.Parallel()
	d := startDemoWith(t, []string{"--checkpoint-delays", "3s,6s,9s"}, []string{"SNSOS_API_TOKEN=" + apiToken})
	s := &server{base: d.base, stderr: d.stderr}
	if !strings.Contains(d.stdout.String(), "/sim/tiktok/__sim/posts") {
		t.Errorf("the demo does not show the TikTok simulator:\n%s", d.stdout.String())
	}
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
			Status   string `json:"status"`
		} `json:"items"`
	}
	s.do(t, "GET", "/api/v1/accounts", nil, &list)
	var account int64
	for _, a := range list.Items {
		if a.Platform == "tiktok" && a.Status == "connected" {
			account = a.ID
		}
	}
	if account == 0 {
		t.Fatalf("no connected TikTok demo account: %+v\n%s", list, d.stdout.String())
	}
	video := s.upload(t, testMP4(720, 1280, 4096), "clip.mp4") // 25 fps, 2 s
	text := fmt.Sprintf("Only me, once (%d)", time.Now().UnixNano())
	post := func(opts map[string]any) map[string]any {
		tg := map[string]any{"account_id": account}
		if opts != nil {
			tg["options"] = opts
		}
		return map[string]any{"body": text, "media_ids": []int64{video.ID}, "approve": true,
			"scheduled_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano), "targets": []any{tg}}
	}
	if code := s.do(t, "POST", "/api/v1/posts", post(nil), nil); code != http.StatusBadRequest {
		t.Fatalf("a TikTok post without privacy_level was answered %d, want a refusal", code)
	}
	var p struct {
		ID      int64 `json:"id"`
		Targets []struct {
			State     string `json:"state"`
			RemoteID  string `json:"remote_id"`
			RemoteURL string `json:"remote_url"`
			Error     string `json:"error"`
		} `json:"targets"`
	}
	s.do(t, "POST", "/api/v1/posts", post(map[string]any{"privacy_level": "SELF_ONLY"}), &p)
	storetest.Eventually(t, 90*time.Second, 100*time.Millisecond, func() bool {
		switch st := p.Targets[0].State; st {
		case "published":
			return true
		case "failed", "canceled", "needs_operator":
			t.Fatalf("TikTok target ended %s: %s\n%s", st, p.Targets[0].Error, d.stderr.String())
		}
		s.do(t, "GET", fmt.Sprintf("/api/v1/posts/%d", p.ID), nil, &p)
		return p.Targets[0].State == "published"
	}, func() string { return fmt.Sprintf("not published: %+v\n%s", p.Targets, d.stderr.String()) })
	if p.Targets[0].RemoteID == "" {
		t.Errorf("published without the publish id: %+v", p.Targets[0])
	}
	var got struct {
		Items []struct {
			ID           string `json:"id"`
			Text         string `json:"text"`
			PrivacyLevel string `json:"privacy_level"`
			Mode         string `json:"mode"`
			Status       string `json:"status"`
		} `json:"items"`
	}
	getJSON(t, d.base+"/sim/tiktok/__sim/posts", &got)
	n := 0
	for _, it := range got.Items {
		if it.Text != text {
			continue
		}
		n++
		if it.PrivacyLevel != "SELF_ONLY" || it.Status != "PUBLISH_COMPLETE" || it.ID != p.Targets[0].RemoteID {
			t.Errorf("TikTok post = %+v, want SELF_ONLY, PUBLISH_COMPLETE, id %s", it, p.Targets[0].RemoteID)
		}
	}
	if n != 1 {
		t.Errorf("TikTok has %d posts with the text, want exactly 1: %+v", n, got.Items)
	}
}
