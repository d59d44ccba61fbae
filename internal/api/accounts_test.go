package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestUpdateAccountPublishMode: PATCH /accounts/{id} sets a TikTok
// account's publish mode and answers the account; every other setting,
// value, platform or body is refused in words, field by field.
func TestUpdateAccountPublishMode(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, senv *storetest.Env) {
		e := newEnv(t, senv.Store)
		tt, x := e.accounts[snsos.PlatformTikTok], e.accounts[snsos.PlatformX]
		path := fmt.Sprintf("/api/v1/accounts/%d", tt.ID)
		patch := func(path string, body any) *response {
			return e.do(t, req{Method: http.MethodPatch, Path: path, JSON: body})
		}

		for _, mode := range []string{"inbox", "direct"} {
			r := patch(path, map[string]any{"options": map[string]string{"publish_mode": mode}})
			wantStatus(t, r, http.StatusOK)
			m := r.JSON(t)
			opts, _ := m["options"].(map[string]any)
			if m["id"] != float64(tt.ID) || m["platform"] != "tiktok" || opts["publish_mode"] != mode {
				t.Fatalf("PATCH %s: %v", mode, m)
			}
			stored, err := senv.Store.FindAccountByID(ctx, tt.ID)
			if err != nil || stored.Options["publish_mode"] != mode {
				t.Fatalf("stored after %s: %+v %v", mode, stored, err)
			}
		}
		for _, a := range e.get(t, "/api/v1/accounts").Items(t) {
			if a["platform"] == "tiktok" {
				if opts, _ := a["options"].(map[string]any); opts["publish_mode"] != "direct" {
					t.Fatalf("listed TikTok account %v", a)
				}
			}
		}

		for _, tc := range []struct {
			name, path string
			body       any
			field      string
			rule       string
		}{
			{"another platform", fmt.Sprintf("/api/v1/accounts/%d", x.ID), map[string]any{"options": map[string]string{"publish_mode": "inbox"}},
				"options.publish_mode", "option_unknown"},
			{"unknown mode", path, map[string]any{"options": map[string]string{"publish_mode": "drafts"}}, "options.publish_mode", "option_value"},
			{"another setting", path, map[string]any{"options": map[string]string{"unaudited": "false"}}, "options.unaudited", "unknown"},
			{"no settings", path, map[string]any{"options": map[string]string{}}, "options", "required"},
		} {
			p := wantProblem(t, patch(tc.path, tc.body), http.StatusBadRequest)
			wantField(t, p, tc.field, tc.rule)
		}
		wantProblem(t, patch(path, map[string]any{"publish_mode": "inbox"}), http.StatusBadRequest) // not under options
		wantProblem(t, patch("/api/v1/accounts/999999", map[string]any{"options": map[string]string{"publish_mode": "inbox"}}), http.StatusNotFound)
		wantProblem(t, patch("/api/v1/accounts/abc", map[string]any{"options": map[string]string{"publish_mode": "inbox"}}), http.StatusNotFound)
		none := ""
		wantProblem(t, e.do(t, req{Method: http.MethodPatch, Path: path, JSON: map[string]any{"options": map[string]string{"publish_mode": "inbox"}},
			Auth: &none}), http.StatusUnauthorized)
		if stored, _ := senv.Store.FindAccountByID(ctx, tt.ID); stored.Options["publish_mode"] != "direct" {
			t.Fatalf("a refused PATCH changed the mode: %v", stored.Options)
		}
		if stored, _ := senv.Store.FindAccountByID(ctx, x.ID); stored.Options["publish_mode"] != "" {
			t.Fatalf("the X account got a publish mode: %v", stored.Options)
		}
	})
}

// TestTargetInboxMark: a TikTok video delivered to the inbox is marked
// "inbox": true with its state — waiting, then posted once its public id
// is recorded, or not_posted once its checkpoints stopped waiting; other
// targets carry no mark.
func TestTargetInboxMark(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, senv *storetest.Env) {
		e := newEnv(t, senv.Store)
		s := senv.Store
		publish := func(a *snsos.Account, remoteID string, progress map[string]string) *snsos.Post {
			p := &snsos.Post{Body: "to the inbox", Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled,
				ScheduledAt: time.Now().UTC()}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			tid := p.Targets[0].ID
			if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StatePublished,
				Mutate: func(t *snsos.Target) { t.RemoteID, t.Progress = remoteID, progress }}); err != nil {
				t.Fatal(err)
			}
			return p
		}
		target := func(p *snsos.Post) map[string]any {
			r := e.get(t, fmt.Sprintf("/api/v1/posts/%d", p.ID))
			wantStatus(t, r, http.StatusOK)
			ts, _ := r.JSON(t)["targets"].([]any)
			return ts[0].(map[string]any)
		}
		tt := e.accounts[snsos.PlatformTikTok]
		const upload = "v_inbox_file~v2-1.44"
		inbox := publish(tt, upload, map[string]string{"post_mode": "MEDIA_UPLOAD", "publish_id": upload, "inbox": "1"})
		if got := target(inbox); got["inbox"] != true || got["inbox_state"] != "waiting" {
			t.Fatalf("waiting upload: inbox %v, state %v", got["inbox"], got["inbox_state"])
		}
		if _, err := s.RecordPublicPost(ctx, inbox.Targets[0].ID, upload, "7440000000000000044",
			"https://www.tiktok.com/@me_tiktok/video/7440000000000000044", time.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if got := target(inbox); got["inbox"] != true || got["inbox_state"] != "posted" || got["remote_id"] != "7440000000000000044" {
			t.Fatalf("posted upload: %v", got)
		}

		// Settled by reconciliation: only the mode it started in says so.
		left := publish(tt, "v_inbox_file~v2-1.45", map[string]string{"post_mode": "MEDIA_UPLOAD", "publish_id": "v_inbox_file~v2-1.45"})
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: left.Targets[0].ID, Checkpoint: "7d", Status: snsos.SnapshotUnavailable,
			Reason: "sent to the TikTok inbox", FetchedAt: time.Now(), Values: map[string]int64{"views": 0}}); err != nil {
			t.Fatal(err)
		}
		if got := target(left); got["inbox"] != true || got["inbox_state"] != "not_posted" {
			t.Fatalf("upload never posted: inbox %v, state %v", got["inbox"], got["inbox_state"])
		}

		direct := publish(tt, "v_pub_file~v2-1.46", map[string]string{"post_mode": "DIRECT_POST", "publish_id": "v_pub_file~v2-1.46"})
		for _, p := range []*snsos.Post{direct, publish(e.accounts[snsos.PlatformX], "1880028106020515841", nil)} {
			if got := target(p); got["inbox"] != nil || got["inbox_state"] != nil {
				t.Fatalf("post %d is marked as an inbox upload: %v", p.ID, got)
			}
		}
	})
}
