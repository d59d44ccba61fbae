package tiktok

import (
	"net/http"
	"strings"
	"testing"
)

// photoBody is a content/init body for images.
func photoBody(mode, privacy string, images ...string) map[string]any {
	pi := map[string]any{"title": "funny cat", "description": "#funny photo", "disable_comment": true,
		"auto_add_music": true, "brand_content_toggle": false, "brand_organic_toggle": false}
	if privacy != "" {
		pi["privacy_level"] = privacy
	}
	return map[string]any{"post_info": pi, "post_mode": mode, "media_type": "PHOTO",
		"source_info": map[string]any{"source": "PULL_FROM_URL", "photo_cover_index": 1, "photo_images": images}}
}

func TestPhotoPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("tara")
	r := e.expect(e.do(http.MethodPost, "/v2/post/publish/content/init/", tok,
		photoBody(PostModeDirect, PrivacyPublic, e.mediaURL("photo.jpg"), e.mediaURL("photo.webp"))), 200, "ok")
	pid := r.str("data", "publish_id")
	if !strings.HasPrefix(pid, "p_pub_url~v2.") || e.fetches("/photo.jpg") != 1 || e.fetches("/photo.webp") != 1 {
		t.Fatalf("publish_id %s, fetches %d/%d", pid, e.fetches("/photo.jpg"), e.fetches("/photo.webp"))
	}
	if s := e.expect(e.status(tok, pid), 200, "ok").str("data", "status"); s != StatusProcessingDownload {
		t.Fatalf("photo status %s", s)
	}
	e.clock.Advance(DefaultProcessingDuration)
	s := e.expect(e.status(tok, pid), 200, "ok")
	if s.str("data", "status") != StatusPublishComplete || s.str("data", "publicaly_available_post_id") == "[]" {
		t.Fatalf("photo done %s", s.raw)
	}
	p := e.sim.Posts()[0]
	if p.MediaType != MediaTypePhoto || len(p.Media) != 2 || p.Media[0].Format != "jpeg" || p.Media[1].Format != "webp" ||
		p.PhotoCoverIndex != 1 || p.Description != "#funny photo" || !p.AutoAddMusic || p.text() != "#funny photo" {
		t.Fatalf("photo post %+v", p)
	}

	// MEDIA_UPLOAD goes to the inbox.
	body := photoBody(PostModeUpload, "", e.mediaURL("photo.jpg"))
	delete(body["source_info"].(map[string]any), "photo_cover_index") // optional
	r = e.expect(e.do(http.MethodPost, "/v2/post/publish/content/init/", tok, body), 200, "ok")
	inbox := r.str("data", "publish_id")
	e.clock.Advance(DefaultProcessingDuration)
	if !strings.HasPrefix(inbox, "p_inbox_url~v2.") || e.expect(e.status(tok, inbox), 200, "ok").str("data", "status") != StatusSendToUserInbox {
		t.Fatalf("photo upload %s", inbox)
	}
}

func TestPhotoPullFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("uma")
	for file, reason := range map[string]string{"photo.png": "file_format_check_failed", "gone.jpg": "photo_pull_failed"} {
		r := e.expect(e.do(http.MethodPost, "/v2/post/publish/content/init/", tok,
			photoBody(PostModeDirect, PrivacySelfOnly, e.mediaURL("photo.jpg"), e.mediaURL(file))), 200, "ok")
		e.clock.Advance(DefaultProcessingDuration)
		s := e.expect(e.status(tok, r.str("data", "publish_id")), 200, "ok")
		if s.str("data", "status") != StatusFailed || s.str("data", "fail_reason") != reason {
			t.Fatalf("%s: %s", file, s.raw)
		}
	}
}

func TestPhotoRefusals(t *testing.T) {
	t.Parallel()
	si := func(b map[string]any) map[string]any { return b["source_info"].(map[string]any) }
	tests := []struct {
		name   string
		edit   func(map[string]any)
		scopes []string
		status int
		code   string
	}{
		{name: "video media_type", edit: func(b map[string]any) { b["media_type"] = "VIDEO" }, status: 400, code: codeInvalidParams},
		{name: "bad post_mode", edit: func(b map[string]any) { b["post_mode"] = "DIRECT POST" }, status: 400, code: codeInvalidParams},
		{name: "file upload", edit: func(b map[string]any) { si(b)["source"] = "FILE_UPLOAD" }, status: 400, code: codeInvalidParams},
		{name: "no images", edit: func(b map[string]any) { si(b)["photo_images"] = []string{} }, status: 400, code: codeInvalidParams},
		{name: "36 images", edit: func(b map[string]any) { si(b)["photo_images"] = make([]string, 36) }, status: 400, code: codeInvalidParams},
		{name: "cover out of range", edit: func(b map[string]any) { si(b)["photo_cover_index"] = 2 }, status: 400, code: codeInvalidParams},
		{name: "title over 90", edit: func(b map[string]any) {
			b["post_info"].(map[string]any)["title"] = strings.Repeat("a", 91)
		}, status: 400, code: codeInvalidParams},
		{name: "no privacy", edit: func(b map[string]any) { delete(b["post_info"].(map[string]any), "privacy_level") }, status: 400, code: codeInvalidParams},
		{name: "direct without video.publish", scopes: []string{ScopeUserBasic, ScopeVideoUpload}, status: 401, code: codeScopeNotAuthorized},
		{name: "upload without video.upload", scopes: []string{ScopeUserBasic, ScopeVideoPublish},
			edit: func(b map[string]any) { b["post_mode"] = PostModeUpload }, status: 401, code: codeScopeNotAuthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			u, tok := e.user("vic")
			if tc.scopes != nil {
				tok, _ = e.sim.IssueTokensWithScopes(u.OpenID, tc.scopes)
			}
			body := photoBody(PostModeDirect, PrivacyPublic, e.mediaURL("photo.jpg"), e.mediaURL("photo.webp"))
			if tc.edit != nil {
				tc.edit(body)
			}
			e.expect(e.do(http.MethodPost, "/v2/post/publish/content/init/", tok, body), tc.status, tc.code)
			if len(e.sim.Posts()) != 0 || e.fetches("/photo.jpg") != 0 {
				t.Fatal("a refused photo init stored or fetched something")
			}
		})
	}
}
