package tiktok

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestUserInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("dora")
	r := e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id,union_id,avatar_url,display_name,username", tok, nil), 200, "ok")
	if r.str("data", "user", "open_id") != u.OpenID || r.str("data", "user", "union_id") != u.UnionID ||
		r.str("data", "user", "display_name") != "DORA" || r.str("data", "user", "username") != "dora" {
		t.Fatalf("user info %s", r.raw)
	}
	if r.str("data", "user", "follower_count") != "" || r.str("error", "message") != "" {
		t.Fatalf("unrequested field or message: %s", r.raw)
	}
	avatar := r.str("data", "user", "avatar_url")
	if !strings.HasPrefix(avatar, e.srv.URL+"/__sim/avatars/") {
		t.Fatalf("avatar_url %s", avatar)
	}
	img := e.do(http.MethodGet, avatar, "", nil)
	if img.status != 200 || !bytes.HasPrefix(img.raw, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("avatar: %d", img.status)
	}
	stats := e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=video_count,follower_count", tok, nil), 200, "ok")
	if stats.str("data", "user", "video_count") != "0" || stats.str("data", "user", "follower_count") == "" {
		t.Fatalf("stats %s", stats.raw)
	}

	basic, _ := e.sim.IssueTokensWithScopes(u.OpenID, []string{ScopeUserBasic})
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id,username", basic, nil), 400, codeScopeMissed)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id,shoe_size", tok, nil), 400, codeInvalidParams)
	e.expect(e.do(http.MethodGet, "/v2/user/info/", tok, nil), 400, codeInvalidParams)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", "", nil), 401, codeTokenInvalid)
	e.expect(e.do(http.MethodGet, "/v2/user/info/?fields=open_id", "act.bogus", nil), 401, codeTokenInvalid)
	e.expect(e.do(http.MethodGet, "/v2/user/info?fields=open_id", tok, nil), 404, "not_found")
}

func TestCreatorInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      Options
		creator   Creator
		options   string
		code      string
		commentOn bool
	}{
		{name: "audited public", options: `["PUBLIC_TO_EVERYONE","MUTUAL_FOLLOW_FRIENDS","SELF_ONLY"]`, code: "ok"},
		{name: "audited private", creator: Creator{Private: true, CommentDisabled: true},
			options: `["FOLLOWER_OF_CREATOR","MUTUAL_FOLLOW_FRIENDS","SELF_ONLY"]`, code: "ok", commentOn: true},
		{name: "unaudited", opts: Options{Unaudited: true}, options: `["SELF_ONLY"]`, code: "ok"},
		{name: "banned", creator: Creator{BannedFromPosting: true}, code: codeBanned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			u, tok := e.user("eve")
			if err := e.sim.SetCreator(u.OpenID, tc.creator); err != nil {
				t.Fatal(err)
			}
			r := e.expect(e.do(http.MethodPost, "/v2/post/publish/creator_info/query/", tok, nil), 200, tc.code)
			if tc.code != "ok" {
				if r.str("data") != "{}" {
					t.Fatalf("data of a refusal: %s", r.raw)
				}
				return
			}
			if r.str("data", "privacy_level_options") != tc.options || r.str("data", "creator_username") != "eve" ||
				r.str("data", "creator_nickname") != "EVE" || r.str("data", "max_video_post_duration_sec") != "300" ||
				r.str("data", "comment_disabled") != map[bool]string{true: "true", false: "false"}[tc.commentOn] ||
				!strings.Contains(r.str("data", "creator_avatar_url"), u.OpenID) {
				t.Fatalf("creator info %s", r.raw)
			}
		})
	}
	e := newEnv(t, Options{})
	if err := e.sim.SetCreator("nobody", Creator{}); err == nil {
		t.Fatal("SetCreator accepted an unknown open_id")
	}
}
