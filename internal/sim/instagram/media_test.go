package instagram

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("profile")
	e.post(u, tok, "one")
	fields := "user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count"
	r := e.Expect(e.Do(http.MethodGet, "/v25.0/me?fields="+fields, tok, nil), 200)
	if r.Str("id") != u.ID || r.Str("user_id") != u.UserID || r.Str("username") != "profile" || r.Str("name") != "PROFILE" ||
		r.Str("account_type") != "BUSINESS" || r.Str("media_count") != "1" || r.Str("followers_count") == "" {
		t.Fatalf("/me %s", r.Raw)
	}
	if u.ID == u.UserID || len(u.ID) != 17 || len(u.UserID) != 17 {
		t.Fatalf("ids %q %q", u.ID, u.UserID)
	}
	// Only what was asked for (plus id); user_id is a string here.
	r = e.Expect(e.Do(http.MethodGet, "/me?fields=username", tok, nil), 200)
	if len(r.Body) != 2 || r.Str("username") != "profile" || !bytes.Contains(r.Raw, []byte(`"id":"`+u.ID+`"`)) {
		t.Fatalf("/me?fields=username %s", r.Raw)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/me?fields=username,nope", tok, nil), 400, "100/")
}

func TestAvatars(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("avatar")
	r := e.Expect(e.Do(http.MethodGet, "/me?fields=profile_picture_url", tok, nil), 200)
	want := e.Srv.URL + "/__sim/avatars/" + u.ID + ".jpg"
	if got := r.Str("profile_picture_url"); got != want {
		t.Fatalf("profile_picture_url = %q, want %q", got, want)
	}
	res, err := e.HTTP.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(res.Body)
	res.Body.Close()
	if err != nil || res.Header.Get("Content-Type") != "image/jpeg" || img.Bounds().Dx() != 48 {
		t.Fatalf("avatar: %v %s", err, res.Header.Get("Content-Type"))
	}
	if bytes.Equal(AvatarJPEG(u.ID), AvatarJPEG(u.UserID)) {
		t.Fatal("avatars do not depend on the id")
	}
	e.Expect(e.Do(http.MethodGet, "/__sim/avatars/12345.jpg", "", nil), 404)
	e.Expect(e.Do(http.MethodGet, "/__sim/avatars/"+u.ID+".png", "", nil), 404)

	e.sim.SetBaseURL("https://demo.example/sim/instagram/")
	r = e.Expect(e.Do(http.MethodGet, "/me?fields=profile_picture_url", tok, nil), 200)
	if r.Str("profile_picture_url") != "https://demo.example/sim/instagram/__sim/avatars/"+u.ID+".jpg" {
		t.Fatalf("with base URL: %s", r.Raw)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	sim := New(Options{ClientID: testClientID, ClientSecret: testClientSecret})
	mux := http.NewServeMux()
	mux.Handle("/sim/instagram/", http.StripPrefix("/sim/instagram", sim))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	u := sim.AddUser("mounted", "")
	tok := sim.IssueTokens(u.ID)
	res, err := http.Get(srv.URL + "/sim/instagram/v25.0/me?fields=profile_picture_url&access_token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if want := srv.URL + "/sim/instagram/__sim/avatars/" + u.ID + ".jpg"; body["profile_picture_url"] != want {
		t.Fatalf("profile_picture_url %q, want %q", body["profile_picture_url"], want)
	}
	res, err = http.Get(body["profile_picture_url"])
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("avatar through the prefix: %v %v", err, res)
	}
	res.Body.Close()
}

func TestMediaObjectAndList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("lister")
	var ids []string
	for i := range 5 {
		ids = append(ids, e.post(u, tok, "post "+string(rune('a'+i))))
		e.Clock.Advance(time.Minute)
	}
	story := e.Create(u, tok, map[string]any{"media_type": "STORIES", "image_url": e.MediaURL("photo.jpg")})
	e.Clock.Advance(DefaultImageProcessing)
	storyID := e.Expect(e.Publish(u, tok, story), 200).Str("id")

	fields := "id,permalink,shortcode,media_type,media_product_type,timestamp,caption,like_count,comments_count,username"
	m := e.Expect(e.Do(http.MethodGet, "/v25.0/"+ids[0]+"?fields="+fields, tok, nil), 200)
	sc := m.Str("shortcode")
	if m.Str("permalink") != "https://www.instagram.com/p/"+sc+"/" || len(sc) != 11 || m.Str("media_type") != "IMAGE" ||
		m.Str("media_product_type") != "FEED" || m.Str("timestamp") != "2026-11-20T09:00:02+0000" ||
		m.Str("caption") != "post a" || m.Str("username") != "lister" || m.Str("like_count") == "" {
		t.Fatalf("media %s", m.Raw)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/"+ids[0]+"?fields=impressions", tok, nil), 400, "100/")

	// Newest first, two per page, stories excluded.
	var seen []string
	next := "/v25.0/" + u.UserID + "/media?fields=id,caption&limit=2"
	for page := 0; next != ""; page++ {
		r := e.Expect(e.Do(http.MethodGet, strings.TrimPrefix(next, e.Srv.URL), tok, nil), 200)
		for i := 0; r.Str("data", string(rune('0'+i)), "id") != ""; i++ {
			seen = append(seen, r.Str("data", string(rune('0'+i)), "id"))
		}
		next = r.Str("paging", "next")
		if r.Str("paging", "cursors", "after") == "" || page > 3 {
			t.Fatalf("page %d: %s", page, r.Raw)
		}
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", seen, want)
	}
	st := e.Expect(e.Do(http.MethodGet, "/me/stories?fields=id,media_product_type", tok, nil), 200)
	if st.Str("data", "0", "id") != storyID || st.Str("data", "0", "media_product_type") != "STORY" || st.Str("data", "1") != "" {
		t.Fatalf("stories %s", st.Raw)
	}
	e.Clock.Advance(24 * time.Hour)
	if st := e.Expect(e.Do(http.MethodGet, "/me/stories", tok, nil), 200); st.Str("data", "0") != "" {
		t.Fatalf("stories after 24h %s", st.Raw)
	}
}

func TestPagingKeepsQueryToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("pager")
	e.post(u, tok, "1")
	e.post(u, tok, "2")
	r := e.Expect(e.Do(http.MethodGet, "/v25.0/"+u.UserID+"/media?limit=1&access_token="+tok, "", nil), 200)
	next := r.Str("paging", "next")
	if !strings.HasPrefix(next, e.Srv.URL+"/v25.0/"+u.UserID+"/media?") || !strings.Contains(next, "access_token=") {
		t.Fatalf("next %q", next)
	}
	res, err := e.HTTP.Get(next)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("next page: %v %v", err, res)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(b, []byte(`"paging":{"cursors"`)) || bytes.Contains(b, []byte(`"next"`)) {
		t.Fatalf("last page %s", b)
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("commenter")
	media := e.post(u, tok, "first comment test")
	r := e.Expect(e.Do(http.MethodPost, "/v25.0/"+media+"/comments?message=hello+there", tok, nil), 200)
	cid := r.Str("id")
	if len(cid) != 17 {
		t.Fatalf("comment id %s", r.Raw)
	}
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+media+"/comments", tok, nil), 400, "100/")
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/17999999999999999/comments?message=x", tok, nil), 400, "100/33")
	list := e.Expect(e.Do(http.MethodGet, "/"+media+"/comments?fields=id,text,username", tok, nil), 200)
	if list.Str("data", "0", "id") != cid || list.Str("data", "0", "text") != "hello there" || list.Str("data", "0", "username") != "commenter" {
		t.Fatalf("comments %s", list.Raw)
	}
	one := e.Expect(e.Do(http.MethodGet, "/"+cid+"?fields=text,timestamp", tok, nil), 200)
	if one.Str("text") != "hello there" {
		t.Fatalf("comment %s", one.Raw)
	}
	p := e.sim.Posts()[0]
	if len(p.Comments) != 1 || p.Comments[0].ID != cid || p.Comments[0].Text != "hello there" {
		t.Fatalf("post comments %+v", p.Comments)
	}
}

func TestSimPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("simposts")
	e.post(u, tok, "dup")
	media := e.post(u, tok, "dup")
	e.Expect(e.Do(http.MethodPost, "/"+media+"/comments?message=hi", tok, nil), 200)
	r := e.Expect(e.Do(http.MethodGet, "/__sim/posts", "", nil), 200)
	if strings.Count(string(r.Raw), `"caption":"dup"`) != 2 || r.Str("items", "1", "id") != media ||
		r.Str("items", "1", "account") != "simposts" || r.Str("items", "1", "author_id") != u.UserID ||
		r.Str("items", "1", "media", "0", "format") != "jpeg" || r.Str("items", "1", "media_count") != "1" ||
		r.Str("items", "1", "comments", "0", "text") != "hi" {
		t.Fatalf("__sim/posts %s", r.Raw)
	}
	for _, req := range e.sim.Requests() {
		if strings.HasPrefix(req.Path, "/__sim/") {
			t.Fatalf("recorded %s", req.Path)
		}
	}
}

func TestAdvanceAndTimeFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("timer")
	c := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg"), "caption": "old"})
	e.sim.Advance(DefaultImageProcessing) // the simulator's own clock offset works like the injected clock
	old := e.Expect(e.Publish(u, tok, c), 200).Str("id")
	e.sim.Advance(2 * time.Hour)
	cut := e.sim.Now().Unix()
	fresh := e.post(u, tok, "new")
	if !e.sim.Now().After(e.Clock.Now()) {
		t.Fatal("Advance did not move Now")
	}
	list := func(q string) string {
		r := e.Expect(e.Do(http.MethodGet, "/v25.0/me/media?"+q, tok, nil), 200)
		return r.Str("data", "0", "id") + "," + r.Str("data", "1", "id")
	}
	if got := list("since=" + strconv.FormatInt(cut, 10)); got != fresh+"," {
		t.Fatalf("since: %s", got)
	}
	if got := list("until=" + strconv.FormatInt(cut, 10)); got != old+"," {
		t.Fatalf("until: %s", got)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v25.0/me/media?since=yesterday", tok, nil), 400, "100/")
}
