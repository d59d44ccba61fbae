package threads

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ids lists the data[].id of a list answer.
func ids(r resp) []string {
	var out []string
	for i := 0; r.str("data", strconv.Itoa(i), "id") != ""; i++ {
		out = append(out, r.str("data", strconv.Itoa(i), "id"))
	}
	return out
}

func TestMeAndAvatar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("wren")
	r := e.expect(e.do(http.MethodGet, "/v1.0/me?fields=id,username,name,threads_profile_picture_url,threads_biography,is_verified", tok, nil), 200)
	pic := r.str("threads_profile_picture_url")
	if r.str("id") != u.ID || r.str("username") != "wren" || r.str("name") != "WREN" || r.str("is_verified") != "false" ||
		pic != e.srv.URL+"/__sim/avatars/"+u.ID+".jpg" || len(u.ID) != 17 {
		t.Fatalf("/me %s", r.raw)
	}
	res, err := e.http.Get(pic)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(res.Body)
	res.Body.Close()
	if err != nil || img.Bounds().Dx() != 48 || !bytes.Equal(AvatarJPEG(u.ID), AvatarJPEG(u.ID)) {
		t.Fatalf("avatar %v", err)
	}
	e.expectErr(e.do(http.MethodGet, "/v1.0/me?fields=followers_count", tok, nil), 400, "100/")
	e.expectErr(e.do(http.MethodGet, "/v1.0/25999999999999999", tok, nil), 400, "100/33")
}

func TestListsAndReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("talker")
	o, otok := e.user("friend")
	var roots []string
	for i := range 3 {
		roots = append(roots, e.post(u, tok, "root "+strconv.Itoa(i), ""))
		e.clock.Advance(time.Minute)
	}
	r1 := e.post(u, tok, "my reply", roots[0])
	r2 := e.post(o, otok, "their reply", roots[0])
	r3 := e.post(u, tok, "nested", r2)

	// /threads: top-level only, newest first, paged.
	page := e.expect(e.do(http.MethodGet, "/v1.0/me/threads?fields=id,text,permalink&limit=2", tok, nil), 200)
	if got := ids(page); strings.Join(got, ",") != roots[2]+","+roots[1] || page.str("paging", "next") == "" {
		t.Fatalf("first page %s", page.raw)
	}
	next := strings.TrimPrefix(page.str("paging", "next"), e.srv.URL)
	page = e.expect(e.do(http.MethodGet, next, tok, nil), 200)
	if got := ids(page); len(got) != 1 || got[0] != roots[0] || page.str("paging", "next") != "" {
		t.Fatalf("second page %s", page.raw)
	}
	// /{user}/replies: the user's replies.
	if got := ids(e.expect(e.do(http.MethodGet, "/v1.0/"+u.ID+"/replies", tok, nil), 200)); strings.Join(got, ",") != r3+","+r1 {
		t.Fatalf("user replies %v", got)
	}
	// /{media}/replies: direct replies; /conversation: the whole tree.
	if got := ids(e.expect(e.do(http.MethodGet, "/v1.0/"+roots[0]+"/replies?reverse=false", tok, nil), 200)); strings.Join(got, ",") != r1+","+r2 {
		t.Fatalf("media replies %v", got)
	}
	if got := ids(e.expect(e.do(http.MethodGet, "/v1.0/"+roots[0]+"/conversation", tok, nil), 200)); strings.Join(got, ",") != r3+","+r2+","+r1 {
		t.Fatalf("conversation %v", got)
	}
	m := e.expect(e.do(http.MethodGet, "/v1.0/"+r3+"?fields=id,text,is_reply,replied_to,root_post,username,media_type,timestamp,permalink,has_replies", tok, nil), 200)
	if m.str("is_reply") != "true" || m.str("replied_to", "id") != r2 || m.str("root_post", "id") != roots[0] ||
		m.str("username") != "talker" || m.str("media_type") != "TEXT_POST" || m.str("has_replies") != "false" ||
		!strings.HasPrefix(m.str("permalink"), "https://www.threads.net/@talker/post/") || !strings.HasSuffix(m.str("timestamp"), "+0000") {
		t.Fatalf("reply media %s", m.raw)
	}
	if p := e.sim.Posts(); len(p) != 6 || p[5].ReplyTo != r2 || p[5].RootID != roots[0] || p[4].OwnerID != o.ID {
		t.Fatalf("posts %+v", p)
	}
	e.expectErr(e.do(http.MethodGet, "/v1.0/"+o.ID+"/threads", tok, nil), 400, "100/33")
	// Every reply endpoint needs threads_read_replies, the account's own
	// replies included.
	publisher := e.token("threads_basic,threads_content_publish", "talker")
	for _, path := range []string{"/v1.0/" + u.ID + "/replies", "/v1.0/me/replies", "/v1.0/" + roots[0] + "/replies"} {
		r := e.expectErr(e.do(http.MethodGet, path, publisher, nil), 400, "100/10")
		if !strings.Contains(r.str("error", "message"), "threads_read_replies") {
			t.Fatalf("%s without the scope: %s", path, r.raw)
		}
	}

	r := e.expect(e.do(http.MethodGet, "/__sim/posts", "", nil), 200)
	if r.str("items", "5", "reply_to_id") != r2 || r.str("items", "5", "root_id") != roots[0] || r.str("items", "5", "text") != "nested" ||
		r.str("items", "4", "account") != "friend" || r.str("items", "0", "media_count") != "0" {
		t.Fatalf("__sim/posts %s", r.raw)
	}
}

func TestAdvanceBaseURLAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("timer")
	old := e.post(u, tok, "old", "")
	e.sim.Advance(3 * time.Hour)
	cut := e.sim.Now().Unix()
	fresh := e.post(u, tok, "new", "")
	for q, want := range map[string]string{"since=" + strconv.FormatInt(cut, 10): fresh, "until=" + strconv.FormatInt(cut, 10): old} {
		if got := ids(e.expect(e.do(http.MethodGet, "/v1.0/me/threads?"+q, tok, nil), 200)); len(got) != 1 || got[0] != want {
			t.Fatalf("%s: %v", q, got)
		}
	}
	e.expectErr(e.do(http.MethodGet, "/v1.0/me/threads?until=soon", tok, nil), 400, "100/")
	e.sim.SetBaseURL("https://demo.example/sim/threads/")
	r := e.expect(e.do(http.MethodGet, "/v1.0/me/threads?limit=1&access_token="+tok, "", nil), 200)
	if !strings.HasPrefix(r.str("paging", "next"), "https://demo.example/sim/threads/v1.0/me/threads?") {
		t.Fatalf("next %s", r.str("paging", "next"))
	}
	e.expectErr(e.do(http.MethodGet, "/v1.0/me/threads/extra", tok, nil), 400, "2500/")
	e.expectErr(e.do(http.MethodPut, "/v1.0/"+old, tok, nil), 400, "100/33")
}
