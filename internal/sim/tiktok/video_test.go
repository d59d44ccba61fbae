package tiktok

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// publicID returns the video id of a finished public publish.
func (e *env) publicID(pid string) string {
	e.t.Helper()
	for _, p := range e.sim.Posts() {
		if p.PublishID == pid && p.PublicID != "" {
			return p.PublicID
		}
	}
	e.t.Fatalf("publish %s has no video id", pid)
	return ""
}

func TestVideoQueryMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AccessTokenTTL: 7 * 24 * time.Hour})
	_, tok := e.user("walt")
	_, otherTok := e.user("xena")
	id := e.publicID(e.postVideo(tok, "metric me", PrivacyPublic))
	private := e.postVideo(tok, "hidden", PrivacySelfOnly)
	theirs := e.publicID(e.postVideo(otherTok, "theirs", PrivacyPublic))

	const fields = "/v2/video/query/?fields=id,title,like_count,comment_count,share_count,view_count,create_time"
	query := func(ids ...string) resp {
		return e.expect(e.do(http.MethodPost, fields, tok, map[string]any{"filters": map[string]any{"video_ids": ids}}), 200, "ok")
	}
	r := query(id, private, theirs, "7300000000000000999")
	if r.str("data", "videos", "1") != "" || r.str("data", "videos", "0", "id") != id ||
		r.str("data", "videos", "0", "title") != "metric me" || r.str("data", "videos", "0", "share_url") != "" {
		t.Fatalf("query found %s", r.raw)
	}
	if ct := r.str("data", "videos", "0", "create_time"); ct != strconv.FormatInt(testStart.Add(DefaultProcessingDuration).Unix(), 10) {
		t.Fatalf("create_time %s", ct)
	}
	views := func() int64 {
		n, _ := strconv.ParseInt(query(id).str("data", "videos", "0", "view_count"), 10, 64)
		return n
	}
	v0 := views()
	e.clock.Advance(2 * time.Hour)
	v1 := views()
	e.clock.Advance(48 * time.Hour)
	v2 := views()
	if !(v0 < v1 && v1 < v2) {
		t.Fatalf("views do not grow: %d, %d, %d", v0, v1, v2)
	}
	later := query(id)
	likes, _ := strconv.ParseInt(later.str("data", "videos", "0", "like_count"), 10, 64)
	if likes <= 0 || likes >= v2 {
		t.Fatalf("likes %d of %d views", likes, v2)
	}
	if err := e.sim.SetMetrics(id, Metrics{Views: 1200, Likes: 30, Comments: 4, Shares: 2}); err != nil {
		t.Fatal(err)
	}
	if r := query(id); r.str("data", "videos", "0", "view_count") != "1200" || r.str("data", "videos", "0", "share_count") != "2" {
		t.Fatalf("after SetMetrics %s", r.raw)
	}
	if err := e.sim.SetMetrics("1", Metrics{}); err == nil {
		t.Fatal("SetMetrics accepted an unknown video")
	}
	e.expect(e.do(http.MethodPost, "/v2/video/query/?fields=id,likes", tok, map[string]any{"filters": map[string]any{"video_ids": []string{id}}}), 400, codeInvalidParams)
	e.expect(e.do(http.MethodPost, fields, tok, map[string]any{"filters": map[string]any{"video_ids": make([]string, 21)}}), 400, codeInvalidParams)
	u := e.sim.Users()[0]
	noList, _ := e.sim.IssueTokensWithScopes(u.OpenID, []string{ScopeUserBasic, ScopeVideoPublish})
	e.expect(e.do(http.MethodPost, fields, noList, map[string]any{"filters": map[string]any{"video_ids": []string{id}}}), 401, codeScopeNotAuthorized)
}

func TestVideoList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{ClientKey: "ck", ClientSecret: "cs"})
	_, tok := e.user("yuri")
	var ids []string
	for i := range 3 {
		ids = append(ids, e.publicID(e.postVideo(tok, "post "+strconv.Itoa(i), PrivacyPublic)))
	}
	const path = "/v2/video/list/?fields=id,title,share_url,cover_image_url"
	r := e.expect(e.do(http.MethodPost, path, tok, map[string]any{"max_count": 2}), 200, "ok")
	if r.str("data", "videos", "0", "id") != ids[2] || r.str("data", "videos", "1", "id") != ids[1] || r.str("data", "has_more") != "true" {
		t.Fatalf("first page %s", r.raw)
	}
	if share := r.str("data", "videos", "0", "share_url"); share != "https://www.tiktok.com/@yuri/video/"+ids[2]+"?utm_campaign=tt4d_open_api&utm_source=ck" {
		t.Fatalf("share_url %s", share)
	}
	cover := r.str("data", "videos", "0", "cover_image_url")
	if img := e.do(http.MethodGet, cover, "", nil); img.status != 200 || !strings.HasPrefix(img.header.Get("Content-Type"), "image/jpeg") {
		t.Fatalf("cover %s: %d", cover, img.status)
	}
	cursor, _ := strconv.ParseInt(r.str("data", "cursor"), 10, 64)
	r = e.expect(e.do(http.MethodPost, path, tok, map[string]any{"cursor": cursor, "max_count": 2}), 200, "ok")
	if r.str("data", "videos", "0", "id") != ids[0] || r.str("data", "videos", "1") != "" || r.str("data", "has_more") != "false" {
		t.Fatalf("second page %s", r.raw)
	}
	e.expect(e.do(http.MethodPost, path, tok, map[string]any{"max_count": 21}), 400, codeInvalidParams)
}
