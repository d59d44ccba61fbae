package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/store/storetest"
)

// ttTarget is a TikTok target as GET /api/v1/posts/{id} shows it.
type ttTarget struct {
	ID         int64  `json:"id"`
	State      string `json:"state"`
	RemoteID   string `json:"remote_id"`
	RemoteURL  string `json:"remote_url"`
	Error      string `json:"error"`
	Inbox      bool   `json:"inbox"`
	InboxState string `json:"inbox_state"`
	Metrics    []struct {
		Checkpoint string           `json:"checkpoint"`
		Status     string           `json:"status"`
		Reason     string           `json:"reason"`
		Values     map[string]int64 `json:"values"`
	} `json:"metrics"`
}

// ttSimPost is one item of the TikTok simulator's GET /__sim/posts.
type ttSimPost struct {
	ID           string `json:"id"`
	Text         string `json:"text"`
	PrivacyLevel string `json:"privacy_level"`
	Mode         string `json:"mode"`
	Status       string `json:"status"`
	PublicID     string `json:"public_id"`
	SHA256       string `json:"sha256"`
}

// finalStates are the states a target does not leave by itself.
var finalStates = map[string]bool{"published": true, "failed": true, "canceled": true, "needs_operator": true}

// pollTarget reads post postID's only target until done says so or the
// deadline passes.
func (s *server) pollTarget(t *testing.T, postID int64, within time.Duration, what string, done func(ttTarget) bool) ttTarget {
	t.Helper()
	var tg ttTarget
	storetest.Eventually(t, within, 100*time.Millisecond, func() bool {
		var p struct {
			Targets []ttTarget `json:"targets"`
		}
		s.do(t, "GET", fmt.Sprintf("/api/v1/posts/%d", postID), nil, &p)
		if len(p.Targets) != 1 {
			t.Fatalf("post %d has %d targets, want 1", postID, len(p.Targets))
		}
		tg = p.Targets[0]
		return done(tg)
	}, func() string {
		return fmt.Sprintf("target never %s within %s: %+v\n%s", what, within, tg, s.stderr.String())
	})
	return tg
}

// demoTikTokAccount returns the id of the demo's connected TikTok account.
func demoTikTokAccount(t *testing.T, s *server) int64 {
	t.Helper()
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
			Status   string `json:"status"`
		} `json:"items"`
	}
	s.do(t, "GET", "/api/v1/accounts", nil, &list)
	for _, a := range list.Items {
		if a.Platform == "tiktok" && a.Status == "connected" {
			return a.ID
		}
	}
	t.Fatalf("no connected TikTok demo account: %+v", list)
	return 0
}

// demoTikTokPosts returns the demo TikTok simulator's publishes of the
// video whose SHA-256 is sum: an inbox upload carries no text (the
// operator writes it in the app), so the bytes say which post it is.
func demoTikTokPosts(t *testing.T, base, sum string) []ttSimPost {
	t.Helper()
	var got struct {
		Items []ttSimPost `json:"items"`
	}
	getJSON(t, base+"/sim/tiktok/__sim/posts", &got)
	var out []ttSimPost
	for _, it := range got.Items {
		if it.SHA256 == sum {
			out = append(out, it)
		}
	}
	return out
}

// TestDemoTikTokInboxUpload is issue 13's inbox half in sns-os demo: the
// TikTok account switched to inbox uploads through the API, a video post
// without an audience is delivered to the account's inbox exactly once and
// published with the inbox mark; once the operator posts it publicly in
// the (simulated) TikTok app, the target picks up the public id from the
// accelerated checkpoints and its metrics start.
func TestDemoTikTokInboxUpload(t *testing.T) {
	t.Parallel()
	// The checkpoints of an inbox upload ask TikTok for a public id every
	// +1h offset (2 s here) until the +7d one (90 s): time enough to play
	// the operator in the app before they give up.
	d := startDemoWith(t, []string{"--checkpoint-delays", "2s,4s,90s"}, []string{"SNSOS_API_TOKEN=" + apiToken})
	s := &server{base: d.base, stderr: d.stderr}
	account := demoTikTokAccount(t, s)

	var acct struct {
		Options map[string]string `json:"options"`
	}
	s.do(t, "PATCH", fmt.Sprintf("/api/v1/accounts/%d", account), map[string]any{"options": map[string]string{"publish_mode": "inbox"}}, &acct)
	if acct.Options["publish_mode"] != "inbox" {
		t.Fatalf("account options after the switch = %v, want publish_mode inbox", acct.Options)
	}

	video := s.upload(t, testMP4(720, 1280, 4096), "inbox.mp4")
	text := fmt.Sprintf("To the inbox, once (%d)", time.Now().UnixNano())
	var p struct {
		ID      int64      `json:"id"`
		Targets []ttTarget `json:"targets"`
	}
	s.do(t, "POST", "/api/v1/posts", map[string]any{"body": text, "media_ids": []int64{video.ID}, "approve": true,
		"scheduled_at": time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano),
		"targets":      []any{map[string]any{"account_id": account}}}, &p) // no privacy_level: the operator picks it in the app

	tg := s.pollTarget(t, p.ID, 90*time.Second, "final", func(tg ttTarget) bool { return finalStates[tg.State] })
	if tg.State != "published" {
		t.Fatalf("the inbox upload ended %s: %s\n%s", tg.State, tg.Error, d.stderr.String())
	}
	if !tg.Inbox || tg.InboxState != "waiting" || tg.RemoteID == "" {
		t.Fatalf("published inbox upload = %+v, want the inbox mark, waiting, under its publish_id", tg)
	}
	sims := demoTikTokPosts(t, d.base, video.SHA256)
	if len(sims) != 1 {
		t.Fatalf("TikTok has %d uploads of the video, want exactly 1: %+v", len(sims), sims)
	}
	up := sims[0]
	if up.ID != tg.RemoteID || up.Mode != "inbox" || up.Status != "SEND_TO_USER_INBOX" || up.PrivacyLevel != "" {
		t.Fatalf("TikTok upload = %+v, want an inbox upload waiting (SEND_TO_USER_INBOX) under %s", up, tg.RemoteID)
	}

	// The operator opens the upload in the TikTok app and posts it for
	// everyone.
	resp, err := http.PostForm(d.base+"/sim/tiktok/__sim/inbox/finish", url.Values{"publish_id": {up.ID}, "privacy": {"PUBLIC_TO_EVERYONE"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("finishing the upload in the app: %s", resp.Status)
	}
	sims = demoTikTokPosts(t, d.base, video.SHA256)
	if len(sims) != 1 || sims[0].PublicID == "" || sims[0].Status != "PUBLISH_COMPLETE" {
		t.Fatalf("after posting in the app: %+v, want one public PUBLISH_COMPLETE post", sims)
	}
	public := sims[0].PublicID

	tg = s.pollTarget(t, p.ID, 60*time.Second, "given the public id", func(tg ttTarget) bool { return tg.InboxState != "waiting" })
	if tg.State != "published" || !tg.Inbox || tg.InboxState != "posted" || tg.RemoteID != public || !strings.HasSuffix(tg.RemoteURL, "/video/"+public) {
		t.Fatalf("target after the post in the app = %+v, want inbox posted under %s with its link", tg, public)
	}
	// The checkpoints start again from the public post: +1h and +24h (2 s
	// and 4 s here) fill with TikTok's numbers.
	s.pollTarget(t, p.ID, 60*time.Second, "given two checkpoints", func(tg ttTarget) bool {
		ok := 0
		for _, m := range tg.Metrics {
			if m.Status != "ok" {
				t.Fatalf("checkpoint %s of the public post is %s: %s", m.Checkpoint, m.Status, m.Reason)
			}
			if _, has := m.Values["views"]; has {
				ok++
			}
		}
		return ok >= 2
	})
	if sims := demoTikTokPosts(t, d.base, video.SHA256); len(sims) != 1 {
		t.Fatalf("TikTok has %d posts of the video at the end, want exactly 1: %+v", len(sims), sims)
	}
}
