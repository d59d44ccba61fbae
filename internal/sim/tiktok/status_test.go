package tiktok

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestDirectPostStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("max")
	pid, up := e.initDirect(tok, "public one", PrivacyPublic, mp4Head)
	if s := e.expect(e.status(tok, pid), 200, "ok"); s.str("data", "status") != StatusProcessingUpload ||
		s.str("data", "publicaly_available_post_id") != "[]" || s.str("data", "uploaded_bytes") != "0" {
		t.Fatalf("before the upload: %s", s.raw)
	}
	e.uploadWhole(up, mp4Head)
	e.clock.Advance(DefaultProcessingDuration)
	r := e.expect(e.status(tok, pid), 200, "ok")
	// The id is a bare JSON number above 2^53.
	m := regexp.MustCompile(`"publicaly_available_post_id":\[([0-9]+)\]`).FindSubmatch(r.raw)
	if m == nil || r.str("data", "status") != StatusPublishComplete || r.str("data", "fail_reason") != "" {
		t.Fatalf("complete: %s", r.raw)
	}
	id, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || id <= 1<<53 {
		t.Fatalf("video id %s is not an int64 above 2^53", m[1])
	}
	var asFloat struct {
		Data struct {
			IDs []float64 `json:"publicaly_available_post_id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(r.raw, &asFloat)
	if int64(asFloat.Data.IDs[0]) == id {
		t.Fatalf("id %d survives float64; it should not", id)
	}
	if p := e.sim.Posts()[0]; p.PublicID != string(m[1]) || p.CompletedAt != testStart.Add(DefaultProcessingDuration) {
		t.Fatalf("post %+v", p)
	}

	private := e.postVideo(tok, "private one", PrivacySelfOnly)
	if r := e.expect(e.status(tok, private), 200, "ok"); r.str("data", "publicaly_available_post_id") != "[]" {
		t.Fatalf("SELF_ONLY post got a public id: %s", r.raw)
	}
}

func TestModerationDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{ModerationDelay: time.Minute})
	_, tok := e.user("ned")
	pid := e.postVideo(tok, "moderated", PrivacyPublic)
	if ids := e.expect(e.status(tok, pid), 200, "ok").str("data", "publicaly_available_post_id"); ids != "[]" {
		t.Fatalf("id before moderation: %s", ids)
	}
	e.clock.Advance(time.Minute)
	if ids := e.expect(e.status(tok, pid), 200, "ok").str("data", "publicaly_available_post_id"); ids == "[]" {
		t.Fatal("no id after moderation")
	}
}

func TestInboxFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("oli")
	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
		map[string]any{"source_info": fileSource(int64(len(mp4Head)), int64(len(mp4Head)), 1)}), 200, "ok")
	pid, up := r.str("data", "publish_id"), r.str("data", "upload_url")
	if err := e.sim.FinishInbox(pid, true); err == nil {
		t.Fatal("FinishInbox accepted an upload still processing")
	}
	e.uploadWhole(up, mp4Head)
	e.clock.Advance(DefaultProcessingDuration)
	e.clock.Advance(time.Hour) // the user takes their time
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusSendToUserInbox {
		t.Fatalf("inbox status %s", s)
	}
	if p := e.sim.Posts()[0]; p.Mode != ModeInbox || p.PrivacyLevel != "" || p.Status != StatusSendToUserInbox {
		t.Fatalf("inbox post %+v", p)
	}
	if err := e.sim.FinishInbox(pid, true); err != nil {
		t.Fatal(err)
	}
	done := e.expect(e.status(tok, pid), 200, "ok")
	if done.str("data", "status") != StatusPublishComplete || done.str("data", "publicaly_available_post_id") == "[]" {
		t.Fatalf("finished inbox: %s", done.raw)
	}
	if err := e.sim.FinishInbox(pid, false); err == nil {
		t.Fatal("FinishInbox finished a post twice")
	}
	if err := e.sim.FinishInbox("v_inbox_file~v2-1.0", false); err == nil {
		t.Fatal("FinishInbox accepted an unknown publish")
	}
}

func TestPullVideo(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, status, reason string }{
		{name: "mp4", file: "clip.mp4", status: StatusPublishComplete},
		{name: "text", file: "clip.txt", status: StatusFailed, reason: "file_format_check_failed"},
		{name: "404", file: "missing.mp4", status: StatusFailed, reason: "video_pull_failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			_, tok := e.user("pia")
			r := e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", tok, map[string]any{
				"post_info":   postInfoOf("pulled", PrivacyPublic),
				"source_info": map[string]any{"source": "PULL_FROM_URL", "video_url": e.mediaURL(tc.file)}}), 200, "ok")
			pid := r.str("data", "publish_id")
			if e.fetches("/"+tc.file) != 1 || r.str("data", "upload_url") != "" {
				t.Fatalf("fetches %d, answer %s", e.fetches("/"+tc.file), r.raw)
			}
			s := e.expect(e.status(tok, pid), 200, "ok")
			if s.str("data", "status") != StatusProcessingDownload || s.str("data", "uploaded_bytes") != "" {
				t.Fatalf("pull status %s", s.raw)
			}
			e.clock.Advance(DefaultProcessingDuration)
			s = e.expect(e.status(tok, pid), 200, "ok")
			if s.str("data", "status") != tc.status || s.str("data", "fail_reason") != tc.reason {
				t.Fatalf("pull ended %s", s.raw)
			}
			if tc.status == StatusPublishComplete && s.str("data", "downloaded_bytes") != strconv.Itoa(len(mp4Head)) {
				t.Fatalf("downloaded_bytes %s", s.raw)
			}
		})
	}
}

func TestStatusErrorsAndCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("quinn")
	_, other := e.user("rita")
	pid, _ := e.initDirect(tok, "mine", PrivacyPublic, mp4Head)
	e.expect(e.status(tok, "v_pub_file~v2-1.1"), 400, codeInvalidPublishID)
	e.expect(e.status(other, pid), 400, codeNotYourPublish)
	e.expect(e.status(tok, ""), 400, codeInvalidParams)
	e.expect(e.do(http.MethodPost, "/v2/post/publish/cancel/", tok, map[string]any{"publish_id": pid}), 400, codeNotCancellable)

	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/video/init/", tok, map[string]any{
		"post_info":   postInfoOf("pulled", PrivacyPublic),
		"source_info": map[string]any{"source": "PULL_FROM_URL", "video_url": e.mediaURL("clip.mp4")}}), 200, "ok")
	pull := r.str("data", "publish_id")
	e.expect(e.do(http.MethodPost, "/v2/post/publish/cancel/", tok, map[string]any{"publish_id": pull}), 200, "ok")
	e.clock.Advance(DefaultProcessingDuration)
	if s := e.expect(e.status(tok, pull), 200, "ok"); s.str("data", "fail_reason") != "publish_cancelled" {
		t.Fatalf("cancelled pull %s", s.raw)
	}
}

func TestSimPostsAndDoublePost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("sam")
	e.postVideo(tok, "same text", PrivacyPublic)
	e.postVideo(tok, "same text", PrivacyPublic) // no duplicate refusal
	inbox := e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
		map[string]any{"source_info": fileSource(100, 100, 1)}), 200, "ok").str("data", "publish_id")
	r := e.expect(e.do(http.MethodGet, "/__sim/posts", "", nil), 200, "")
	var got struct {
		Items []map[string]any `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.raw))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil || len(got.Items) != 3 {
		t.Fatalf("/__sim/posts %s", r.raw)
	}
	first := got.Items[0]
	for k, want := range map[string]any{"account": "sam", "text": "same text", "media_count": json.Number("1"),
		"created_at": "2026-11-20T09:00:00Z", "privacy_level": PrivacyPublic, "mode": "direct", "status": StatusPublishComplete} {
		if first[k] != want {
			t.Fatalf("item[0].%s = %v, want %v (%s)", k, first[k], want, r.raw)
		}
	}
	if first["public_id"] == "" || first["public_id"] == got.Items[1]["public_id"] || got.Items[1]["text"] != "same text" {
		t.Fatalf("the double post is not two posts: %s", r.raw)
	}
	last := got.Items[2]
	if last["id"] != inbox || last["mode"] != "inbox" || last["status"] != StatusProcessingUpload || last["public_id"] != "" {
		t.Fatalf("inbox item %v", last)
	}
}

// TestSimFinishInboxControl: POST /__sim/inbox/finish posts an inbox
// upload as its user would, publicly (a video id appears in status/fetch)
// or for "Only me" (none); an upload not waiting in the inbox, an unknown
// one or another privacy is refused with a reason.
func TestSimFinishInboxControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("pia")
	inbox := func() string {
		r := e.expect(e.do(http.MethodPost, "/v2/post/publish/inbox/video/init/", tok,
			map[string]any{"source_info": fileSource(int64(len(mp4Head)), int64(len(mp4Head)), 1)}), 200, "ok")
		pid, up := r.str("data", "publish_id"), r.str("data", "upload_url")
		e.uploadWhole(up, mp4Head)
		return pid
	}
	pub, priv := inbox(), inbox()
	if r := e.do(http.MethodPost, "/__sim/inbox/finish", "", url.Values{"publish_id": {pub}}); r.status != 400 || r.str("error") == "" {
		t.Fatalf("an upload still processing was finished: %d %s", r.status, r.raw)
	}
	e.clock.Advance(DefaultProcessingDuration)
	r := e.do(http.MethodPost, "/__sim/inbox/finish", "", url.Values{"publish_id": {pub}})
	if r.status != 200 || r.str("status") != StatusPublishComplete || r.str("privacy_level") != PrivacyPublic || r.str("public_id") == "" {
		t.Fatalf("finish publicly: %d %s", r.status, r.raw)
	}
	if ids := e.expect(e.status(tok, pub), 200, "ok").str("data", "publicaly_available_post_id"); ids != "["+r.str("public_id")+"]" {
		t.Fatalf("status/fetch ids %s, want the control's %s", ids, r.str("public_id"))
	}
	r = e.do(http.MethodPost, "/__sim/inbox/finish", "", url.Values{"publish_id": {priv}, "privacy": {PrivacySelfOnly}})
	if r.status != 200 || r.str("privacy_level") != PrivacySelfOnly || r.str("public_id") != "" {
		t.Fatalf("finish for only me: %d %s", r.status, r.raw)
	}
	for _, bad := range []url.Values{{"publish_id": {pub}}, {"publish_id": {"v_inbox_file~v2-1.0"}},
		{"publish_id": {inbox()}, "privacy": {"FRIENDS"}}} {
		if r := e.do(http.MethodPost, "/__sim/inbox/finish", "", bad); r.status != 400 || r.str("error") == "" {
			t.Errorf("%v: %d %s, want 400 with a reason", bad, r.status, r.raw)
		}
	}
}
