package threads

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

// ids lists the data[].id of a list answer.
func ids(r graphtest.Resp) []string {
	var out []string
	for i := 0; r.Str("data", strconv.Itoa(i), "id") != ""; i++ {
		out = append(out, r.Str("data", strconv.Itoa(i), "id"))
	}
	return out
}

func TestMeAndAvatar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("wren")
	r := e.Expect(e.Do(http.MethodGet, "/v1.0/me?fields=id,username,name,threads_profile_picture_url,threads_biography,is_verified", tok, nil), 200)
	pic := r.Str("threads_profile_picture_url")
	if r.Str("id") != u.ID || r.Str("username") != "wren" || r.Str("name") != "WREN" || r.Str("is_verified") != "false" ||
		pic != e.Srv.URL+"/__sim/avatars/"+u.ID+".jpg" || len(u.ID) != 17 {
		t.Fatalf("/me %s", r.Raw)
	}
	res, err := e.HTTP.Get(pic)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(res.Body)
	res.Body.Close()
	if err != nil || img.Bounds().Dx() != 48 || !bytes.Equal(AvatarJPEG(u.ID), AvatarJPEG(u.ID)) {
		t.Fatalf("avatar %v", err)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/me?fields=followers_count", tok, nil), 400, "100/")
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/25999999999999999", tok, nil), 400, "100/33")
}

func TestListsAndReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("talker")
	o, otok := e.User("friend")
	var roots []string
	for i := range 3 {
		roots = append(roots, e.post(u, tok, "root "+strconv.Itoa(i), ""))
		e.Clock.Advance(time.Minute)
	}
	r1 := e.post(u, tok, "my reply", roots[0])
	r2 := e.post(o, otok, "their reply", roots[0])
	r3 := e.post(u, tok, "nested", r2)

	// /threads: top-level only, newest first, paged.
	page := e.Expect(e.Do(http.MethodGet, "/v1.0/me/threads?fields=id,text,permalink&limit=2", tok, nil), 200)
	if got := ids(page); strings.Join(got, ",") != roots[2]+","+roots[1] || page.Str("paging", "next") == "" {
		t.Fatalf("first page %s", page.Raw)
	}
	next := strings.TrimPrefix(page.Str("paging", "next"), e.Srv.URL)
	page = e.Expect(e.Do(http.MethodGet, next, tok, nil), 200)
	if got := ids(page); len(got) != 1 || got[0] != roots[0] || page.Str("paging", "next") != "" {
		t.Fatalf("second page %s", page.Raw)
	}
	// /{user}/replies: the user's replies.
	if got := ids(e.Expect(e.Do(http.MethodGet, "/v1.0/"+u.ID+"/replies", tok, nil), 200)); strings.Join(got, ",") != r3+","+r1 {
		t.Fatalf("user replies %v", got)
	}
	// /{media}/replies: direct replies; /conversation: the whole tree.
	if got := ids(e.Expect(e.Do(http.MethodGet, "/v1.0/"+roots[0]+"/replies?reverse=false", tok, nil), 200)); strings.Join(got, ",") != r1+","+r2 {
		t.Fatalf("media replies %v", got)
	}
	if got := ids(e.Expect(e.Do(http.MethodGet, "/v1.0/"+roots[0]+"/conversation", tok, nil), 200)); strings.Join(got, ",") != r3+","+r2+","+r1 {
		t.Fatalf("conversation %v", got)
	}
	m := e.Expect(e.Do(http.MethodGet, "/v1.0/"+r3+"?fields=id,text,is_reply,replied_to,root_post,username,media_type,timestamp,permalink,has_replies", tok, nil), 200)
	if m.Str("is_reply") != "true" || m.Str("replied_to", "id") != r2 || m.Str("root_post", "id") != roots[0] ||
		m.Str("username") != "talker" || m.Str("media_type") != "TEXT_POST" || m.Str("has_replies") != "false" ||
		!strings.HasPrefix(m.Str("permalink"), "https://www.threads.net/@talker/post/") || !strings.HasSuffix(m.Str("timestamp"), "+0000") {
		t.Fatalf("reply media %s", m.Raw)
	}
	if p := e.sim.Posts(); len(p) != 6 || p[5].ReplyTo != r2 || p[5].RootID != roots[0] || p[4].OwnerID != o.ID {
		t.Fatalf("posts %+v", p)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/"+o.ID+"/threads", tok, nil), 400, "100/33")
	// Every reply endpoint needs threads_read_replies, the account's own
	// replies included.
	publisher := e.token("threads_basic,threads_content_publish", "talker")
	for _, path := range []string{"/v1.0/" + u.ID + "/replies", "/v1.0/me/replies", "/v1.0/" + roots[0] + "/replies"} {
		r := e.ExpectErr(e.Do(http.MethodGet, path, publisher, nil), 400, "100/10")
		if !strings.Contains(r.Str("error", "message"), "threads_read_replies") {
			t.Fatalf("%s without the scope: %s", path, r.Raw)
		}
	}

	r := e.Expect(e.Do(http.MethodGet, "/__sim/posts", "", nil), 200)
	if r.Str("items", "5", "reply_to_id") != r2 || r.Str("items", "5", "root_id") != roots[0] || r.Str("items", "5", "text") != "nested" ||
		r.Str("items", "4", "account") != "friend" || r.Str("items", "0", "media_count") != "0" {
		t.Fatalf("__sim/posts %s", r.Raw)
	}
}

func TestAdvanceBaseURLAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("timer")
	old := e.post(u, tok, "old", "")
	e.sim.Advance(3 * time.Hour)
	cut := e.sim.Now().Unix()
	fresh := e.post(u, tok, "new", "")
	for q, want := range map[string]string{"since=" + strconv.FormatInt(cut, 10): fresh, "until=" + strconv.FormatInt(cut, 10): old} {
		if got := ids(e.Expect(e.Do(http.MethodGet, "/v1.0/me/threads?"+q, tok, nil), 200)); len(got) != 1 || got[0] != want {
			t.Fatalf("%s: %v", q, got)
		}
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/me/threads?until=soon", tok, nil), 400, "100/")
	e.sim.SetBaseURL("https://demo.example/sim/threads/")
	r := e.Expect(e.Do(http.MethodGet, "/v1.0/me/threads?limit=1&access_token="+tok, "", nil), 200)
	if !strings.HasPrefix(r.Str("paging", "next"), "https://demo.example/sim/threads/v1.0/me/threads?") {
		t.Fatalf("next %s", r.Str("paging", "next"))
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/me/threads/extra", tok, nil), 400, "2500/")
	e.ExpectErr(e.Do(http.MethodPut, "/v1.0/"+old, tok, nil), 400, "100/33")
}
