package x

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUsersMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, at := e.user("erin")
	r := e.expect(e.do(http.MethodGet, "/2/users/me?user.fields=created_at,public_metrics,subscription_type", at, nil), 200)
	if r.str("data", "id") != u.ID || r.str("data", "name") != "ERIN" || r.str("data", "subscription_type") != "None" ||
		r.str("data", "created_at") != "2026-11-20T09:00:00.000Z" || r.str("data", "public_metrics", "tweet_count") != "0" {
		t.Fatalf("users/me: %s", r.raw)
	}
	if _, ok := r.body["data"].(map[string]any)["description"]; ok {
		t.Fatal("unrequested field present")
	}
	if r.header.Get("x-rate-limit-limit") != "75" || r.header.Get("x-rate-limit-remaining") != "74" ||
		r.header.Get("x-rate-limit-reset") != strconv.FormatInt(testStart.Add(15*time.Minute).Unix(), 10) {
		t.Fatalf("rate headers: %v", r.header)
	}
	bad := e.expect(e.do(http.MethodGet, "/2/users/me?user.fields=bogus", at, nil), 400)
	if bad.str("title") != "Invalid Request" || bad.str("type") != problemInvalidRequest {
		t.Fatalf("bad field: %s", bad.raw)
	}
	e.expect(e.do(http.MethodGet, "/2/users/me", "", nil), 401)
	e.expect(e.do(http.MethodGet, "/2/users/me", "garbage", nil), 401)
}

func TestIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("ids")
	prev := new(big.Int)
	limit := new(big.Int).Lsh(big.NewInt(1), 53)
	for i := range 5 {
		id := e.post(at, map[string]any{"text": "post " + strconv.Itoa(i)})
		n, ok := new(big.Int).SetString(id, 10)
		if !ok || len(id) != 19 || n.Cmp(limit) <= 0 || n.Cmp(prev) <= 0 {
			t.Fatalf("id %q not a growing 19-digit id above 2^53", id)
		}
		prev = n
	}
	if u := e.sim.AddUser("ids2", ""); len(u.ID) != 19 {
		t.Fatalf("user id %q", u.ID)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestChunkedVideoUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{ProcessingDuration: 4 * time.Second})
	_, at := e.user("vid")
	chunks := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 1000), []byte("tail")}
	total := 2004
	r := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{
		"media_type": "video/mp4", "total_bytes": total, "media_category": "tweet_video"}), 200)
	id := r.str("data", "id")
	if len(id) != 19 || r.str("data", "media_key") != "13_"+id || r.str("data", "expires_after_secs") == "" {
		t.Fatalf("initialize: %s", r.raw)
	}
	if r.header.Get("x-rate-limit-limit") != "1875" {
		t.Fatalf("init limit header %v", r.header)
	}
	appendPath := "/2/media/upload/" + id + "/append"
	// Out of order segment.
	e.expect(e.do(http.MethodPost, appendPath, at, multipartOf(map[string]string{"segment_index": "1"}, "media", chunks[1])), 400)
	// Finalize before all bytes.
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/finalize", at, nil), 400)
	for i, c := range chunks {
		body := any(multipartOf(map[string]string{"segment_index": strconv.Itoa(i)}, "media", c))
		if i == 2 { // JSON variant with base64 media
			body = map[string]any{"segment_index": i, "media": base64.StdEncoding.EncodeToString(c)}
		}
		a := e.expect(e.do(http.MethodPost, appendPath, at, body), 200)
		if a.str("data", "expires_at") == "" {
			t.Fatalf("append: %s", a.raw)
		}
	}
	// Idempotent resend of the last segment.
	e.expect(e.do(http.MethodPost, appendPath, at, multipartOf(map[string]string{"segment_index": "2"}, "media", chunks[2])), 200)
	// Too many bytes.
	e.expect(e.do(http.MethodPost, appendPath, at, multipartOf(map[string]string{"segment_index": "3"}, "media", []byte("x"))), 400)

	f := e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/finalize", at, nil), 200)
	if f.str("data", "processing_info", "state") != "pending" || f.str("data", "processing_info", "check_after_secs") != "1" ||
		f.str("data", "size") != strconv.Itoa(total) {
		t.Fatalf("finalize: %s", f.raw)
	}
	// Not yet usable.
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"media": map[string]any{"media_ids": []string{id}}}), 400)

	status := func() resp {
		return e.expect(e.do(http.MethodGet, "/2/media/upload?command=STATUS&media_id="+id, at, nil), 200)
	}
	if s := status(); s.str("data", "processing_info", "state") != "pending" {
		t.Fatalf("status: %s", s.raw)
	}
	e.clock.Advance(2 * time.Second)
	if s := status(); s.str("data", "processing_info", "state") != "in_progress" || s.str("data", "processing_info", "progress_percent") != "50" {
		t.Fatalf("status: %s", s.raw)
	}
	e.clock.Advance(2 * time.Second)
	if s := status(); s.str("data", "processing_info", "state") != "succeeded" || s.str("data", "processing_info", "progress_percent") != "100" {
		t.Fatalf("status: %s", s.raw)
	}
	pid := e.post(at, map[string]any{"text": "video!", "media": map[string]any{"media_ids": []string{id}}})
	m, ok := e.sim.Media(id)
	sum := sha256.Sum256(bytes.Join(chunks, nil))
	if !ok || m.SHA256 != hex.EncodeToString(sum[:]) || m.State != "succeeded" || m.Received != int64(total) {
		t.Fatalf("Media = %+v", m)
	}
	if p := e.sim.Posts(); len(p) != 1 || p[0].ID != pid || len(p[0].MediaIDs) != 1 {
		t.Fatalf("Posts = %+v", p)
	}
	// Someone else cannot see or use the media.
	_, other := e.user("thief")
	e.expect(e.do(http.MethodGet, "/2/media/upload?command=STATUS&media_id="+id, other, nil), 400)
	r = e.expect(e.do(http.MethodPost, "/2/tweets", other, map[string]any{"media": map[string]any{"media_ids": []string{id}}}), 400)
	if r.str("errors", "0", "message") != msgMediaIDs {
		t.Fatalf("foreign media: %s", r.raw)
	}
}

func TestUploadValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{MaxChunkBytes: 100})
	_, at := e.user("val")
	tests := []struct {
		name string
		body map[string]any
	}{
		{"image too big", map[string]any{"media_type": "image/png", "total_bytes": 6 << 20, "media_category": "tweet_image"}},
		{"gif too big", map[string]any{"media_type": "image/gif", "total_bytes": 16 << 20, "media_category": "tweet_gif"}},
		{"video too big", map[string]any{"media_type": "video/mp4", "total_bytes": 513 << 20, "media_category": "tweet_video"}},
		{"type mismatch", map[string]any{"media_type": "image/png", "total_bytes": 10, "media_category": "tweet_video"}},
		{"unknown category", map[string]any{"media_type": "video/mp4", "total_bytes": 10, "media_category": "tweet_movie"}},
		{"unknown key", map[string]any{"media_type": "video/mp4", "total_bytes": 10, "command": "INIT"}},
		{"zero bytes", map[string]any{"media_type": "video/mp4", "total_bytes": 0}},
	}
	for _, tc := range tests {
		if r := e.do(http.MethodPost, "/2/media/upload/initialize", at, tc.body); r.status != 400 {
			t.Errorf("%s: status %d %s", tc.name, r.status, r.raw)
		}
	}
	r := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{"media_type": "video/mp4", "total_bytes": 500}), 200)
	id := r.str("data", "id")
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/append", at,
		multipartOf(map[string]string{"segment_index": "0"}, "media", make([]byte, 101))), 400) // chunk cap
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+id+"/append", at,
		multipartOf(map[string]string{"segment_index": "1000"}, "media", make([]byte, 10))), 400)
	e.expect(e.do(http.MethodPost, "/2/media/upload/1234567890123456789/append", at,
		multipartOf(map[string]string{"segment_index": "0"}, "media", make([]byte, 10))), 400)
	e.expect(e.do(http.MethodPost, "/2/media/upload?command=INIT", at, map[string]any{}), 400)
	// media.write is required.
	u := e.sim.AddUser("noscope", "")
	ro, _ := e.sim.IssueTokens(u.ID, []string{"tweet.read", "users.read"})
	e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", ro, map[string]any{"media_type": "video/mp4", "total_bytes": 5}), 403)
}

func TestOneShotImagesAndMediaRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	pics, at := e.user("pics")
	var ids []string
	for i := range 5 {
		img := pngBytes(t, 10+i, 20)
		var body any = multipartOf(map[string]string{"media_category": "tweet_image"}, "media", img)
		if i == 4 {
			body = map[string]any{"media": base64.StdEncoding.EncodeToString(img), "media_category": "tweet_image"}
		}
		r := e.expect(e.do(http.MethodPost, "/2/media/upload", at, body), 200)
		if r.str("data", "media_key") != "3_"+r.str("data", "id") || r.str("data", "image", "w") != strconv.Itoa(10+i) ||
			r.str("data", "image", "h") != "20" || r.str("data", "image", "image_type") != "image/png" ||
			r.str("data", "expires_after_secs") != "86400" {
			t.Fatalf("one-shot: %s", r.raw)
		}
		ids = append(ids, r.str("data", "id"))
	}
	e.expect(e.do(http.MethodPost, "/2/media/upload", at,
		multipartOf(map[string]string{"media_category": "tweet_image"}, "media", []byte("not an image at all"))), 400)
	e.expect(e.do(http.MethodPost, "/2/media/upload", at,
		multipartOf(map[string]string{"media_category": "tweet_video"}, "media", pngBytes(t, 1, 1))), 400)
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"media": map[string]any{"media_ids": ids}}), 400) // 5 ids
	e.post(at, map[string]any{"media": map[string]any{"media_ids": ids[:4]}})                                        // media only, no text

	// A GIF and an image cannot share a post.
	g := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{"media_type": "image/gif", "total_bytes": 3, "media_category": "tweet_gif"}), 200)
	gid := g.str("data", "id")
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+gid+"/append", at, multipartOf(map[string]string{"segment_index": "0"}, "media", []byte("GIF"))), 200)
	f := e.expect(e.do(http.MethodPost, "/2/media/upload/"+gid+"/finalize", at, nil), 200)
	if f.str("data", "media_key") != "16_"+gid || f.str("data", "processing_info", "state") != "pending" {
		t.Fatalf("gif finalize: %s", f.raw)
	}
	e.clock.Advance(time.Minute)
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"media": map[string]any{"media_ids": []string{gid, ids[4]}}}), 400)
	e.post(at, map[string]any{"text": "gif", "media": map[string]any{"media_ids": []string{gid}}})
	// Media expire 24h after upload.
	e.clock.Advance(25 * time.Hour)
	at, _ = e.sim.IssueTokens(pics.ID, nil)
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"media": map[string]any{"media_ids": []string{ids[4]}}}), 400)
}

func TestCreateTweetValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("val")
	_, otherAt := e.user("other")
	othersPost := e.post(otherAt, map[string]any{"text": "mine"})
	tests := []struct {
		name   string
		body   any
		status int
		detail string // problem detail or first errors[].message
	}{
		{"plain", map[string]any{"text": "hello"}, 201, ""},
		{"extra settings", map[string]any{"text": "hello 2", "made_with_ai": true, "reply_settings": "following"}, 201, ""},
		{"unknown key", map[string]any{"text": "x", "foo": 1}, 400, "$.foo: is not defined in the schema and the schema does not allow additional properties"},
		{"unknown nested key", map[string]any{"text": "x", "reply": map[string]any{"in_reply_to_tweet_id": othersPost, "bar": 1}}, 400,
			"$.reply.bar: is not defined in the schema and the schema does not allow additional properties"},
		{"empty", map[string]any{}, 400, "$.text: is required unless media or card_uri is present"},
		{"bad json", []byte("{"), 400, ""},
		{"280 ascii ok", map[string]any{"text": strings.Repeat("a", 280)}, 201, ""},
		{"281 ascii", map[string]any{"text": strings.Repeat("a", 281)}, 403, detailTooLong},
		{"140 CJK ok", map[string]any{"text": strings.Repeat("字", 140)}, 201, ""},
		{"141 CJK", map[string]any{"text": strings.Repeat("字", 141)}, 403, detailTooLong},
		{"url counts 23", map[string]any{"text": strings.Repeat("b", 256) + " https://example.com/" + strings.Repeat("p", 300)}, 201, ""},
		{"bad media id", map[string]any{"media": map[string]any{"media_ids": []string{"abc"}}}, 400, ""},
		{"unknown media", map[string]any{"media": map[string]any{"media_ids": []string{"1234567890123456789"}}}, 400, msgMediaIDs},
		{"quote", map[string]any{"text": "q", "quote_tweet_id": othersPost}, 403, detailQuote},
		{"poll and media", map[string]any{"text": "p", "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 60},
			"media": map[string]any{"media_ids": []string{"1"}}}, 400, ""},
		{"poll ok", map[string]any{"text": "poll", "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 60}}, 201, ""},
		{"reply to other", map[string]any{"text": "hey", "reply": map[string]any{"in_reply_to_tweet_id": othersPost}}, 403, detailReply},
		{"reply to missing", map[string]any{"text": "hey", "reply": map[string]any{"in_reply_to_tweet_id": "1234567890123456789"}}, 403, detailReplyGone},
		{"edit", map[string]any{"text": "e", "edit_options": map[string]any{"previous_post_id": othersPost}}, 403, detailEdit},
	}
	for _, tc := range tests {
		r := e.do(http.MethodPost, "/2/tweets", at, tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d want %d: %s", tc.name, r.status, tc.status, r.raw)
			continue
		}
		if tc.status == 201 {
			id := r.str("data", "id")
			if r.str("data", "edit_history_tweet_ids") != `["`+id+`"]` {
				t.Errorf("%s: body %s", tc.name, r.raw)
			}
			continue
		}
		if tc.detail != "" && r.str("detail") != tc.detail && r.str("errors", "0", "message") != tc.detail {
			t.Errorf("%s: body %s", tc.name, r.raw)
		}
		if tc.status == 403 && (r.str("title") != "Forbidden" || r.str("status") != "403" || r.str("type") != "about:blank") {
			t.Errorf("%s: 403 shape %s", tc.name, r.raw)
		}
	}
}

func TestThreadDuplicateDeleteAndSimPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, at := e.user("threader")
	_, otherAt := e.user("someone")
	p1 := e.post(at, map[string]any{"text": "Thread 1/3"})
	p2 := e.post(at, map[string]any{"text": "Thread 2/3", "reply": map[string]any{"in_reply_to_tweet_id": p1}})
	p3 := e.post(at, map[string]any{"text": "Thread 3/3", "reply": map[string]any{"in_reply_to_tweet_id": p2}})

	dup := e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "Thread 1/3"}), 403)
	want := `{"detail":"You are not allowed to create a Tweet with duplicate content.","status":403,"title":"Forbidden","type":"about:blank"}`
	if string(dup.raw) != want {
		t.Fatalf("duplicate body %s", dup.raw)
	}
	e.post(otherAt, map[string]any{"text": "Thread 1/3"}) // another user may say the same

	posts := e.sim.Posts()
	if len(posts) != 4 || posts[1].ReplyTo != p1 || posts[2].ReplyTo != p2 || posts[2].ConversationID != p1 || posts[0].AuthorID != u.ID {
		t.Fatalf("Posts = %+v", posts)
	}
	look := e.expect(e.do(http.MethodGet, "/2/tweets?ids="+p3+"&tweet.fields=conversation_id,in_reply_to_user_id,referenced_tweets,author_id,created_at", at, nil), 200)
	if look.str("data", "0", "conversation_id") != p1 || look.str("data", "0", "in_reply_to_user_id") != u.ID ||
		look.str("data", "0", "referenced_tweets", "0", "id") != p2 || look.str("data", "0", "created_at") != "2026-11-20T09:00:00.000Z" {
		t.Fatalf("lookup %s", look.raw)
	}

	// Delete: only own posts; afterwards the text may be posted again.
	e.expect(e.do(http.MethodDelete, "/2/tweets/"+p1, otherAt, nil), 403)
	d := e.expect(e.do(http.MethodDelete, "/2/tweets/"+p1, at, nil), 200)
	if string(d.raw) != `{"data":{"deleted":true}}` || d.header.Get("x-rate-limit-limit") != "50" {
		t.Fatalf("delete %s", d.raw)
	}
	e.expect(e.do(http.MethodDelete, "/2/tweets/"+p1, at, nil), 404)
	e.post(at, map[string]any{"text": "Thread 1/3"})

	// The duplicate window ends.
	e.clock.Advance(DefaultDuplicateWindow)
	at, _ = e.sim.IssueTokens(u.ID, nil)
	e.post(at, map[string]any{"text": "Thread 2/3"})

	sp := e.expect(e.do(http.MethodGet, "/__sim/posts", "", nil), 200)
	var got struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal(sp.raw, &got)
	if len(got.Items) != 5 || got.Items[0]["id"] != p2 || got.Items[0]["account"] != "threader" ||
		got.Items[0]["text"] != "Thread 2/3" || got.Items[0]["media_count"] != float64(0) ||
		got.Items[0]["created_at"] != "2026-11-20T09:00:00Z" {
		t.Fatalf("__sim/posts %s", sp.raw)
	}
	if _, err := time.Parse(time.RFC3339, got.Items[4]["created_at"].(string)); err != nil {
		t.Fatal(err)
	}
}

func TestMetricsAndPartialErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	owner, at := e.user("metrics")
	viewer, otherAt := e.user("viewer")
	id := e.post(at, map[string]any{"text": "measure me"})
	fields := "&tweet.fields=public_metrics,non_public_metrics,organic_metrics"
	read := func(token, q string) resp {
		return e.expect(e.do(http.MethodGet, "/2/tweets?ids="+q+fields, token, nil), 200)
	}
	num := func(r resp, path ...string) int {
		n, err := strconv.Atoi(r.str(path...))
		if err != nil {
			t.Fatalf("%v not a number in %s", path, r.raw)
		}
		return n
	}
	e.clock.Advance(time.Hour)
	r1 := read(at, id)
	e.clock.Advance(23 * time.Hour)
	at, _ = e.sim.IssueTokens(owner.ID, nil) // the first token expired after 2h
	otherAt, _ = e.sim.IssueTokens(viewer.ID, nil)
	r2 := read(at, id)
	if r2.str("data", "0", "public_metrics") == "" || r2.str("data", "0", "non_public_metrics") == "" || r2.str("data", "0", "organic_metrics") == "" {
		t.Fatalf("metrics missing: %s", r2.raw)
	}
	if _, ok := r2.body["errors"]; ok {
		t.Fatalf("unexpected errors: %s", r2.raw)
	}
	if num(r2, "data", "0", "public_metrics", "impression_count") <= num(r1, "data", "0", "public_metrics", "impression_count") {
		t.Fatalf("impressions did not grow: %s vs %s", r1.raw, r2.raw)
	}
	for _, k := range []string{"retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count"} {
		if num(r2, "data", "0", "public_metrics", k) < num(r1, "data", "0", "public_metrics", k) {
			t.Fatalf("%s shrank", k)
		}
	}
	if again := read(at, id); string(again.raw) != string(r2.raw) {
		t.Fatal("metrics not deterministic at a fixed time")
	}
	// post.fields is an alias.
	alias := e.expect(e.do(http.MethodGet, "/2/tweets?ids="+id+"&post.fields=public_metrics", at, nil), 200)
	if alias.str("data", "0", "public_metrics", "like_count") != r2.str("data", "0", "public_metrics", "like_count") {
		t.Fatalf("post.fields: %s", alias.raw)
	}

	// Another viewer: public metrics plus field errors; unknown id: not-found.
	r := read(otherAt, id+",1234567890123456789")
	if r.str("data", "0", "public_metrics") == "" || r.str("data", "0", "non_public_metrics") != "" {
		t.Fatalf("other viewer: %s", r.raw)
	}
	errs, _ := r.body["errors"].([]any)
	if len(errs) != 3 || r.str("errors", "0", "type") != problemFieldUnauth || r.str("errors", "0", "resource_id") != id ||
		r.str("errors", "2", "type") != problemNotFound || r.str("errors", "2", "title") != "Not Found Error" ||
		r.str("errors", "2", "detail") != "Could not find tweet with id: [1234567890123456789]." {
		t.Fatalf("partial errors: %s", r.raw)
	}
	// Older than 30 days: no private metrics for the owner either.
	e.clock.Advance(30 * 24 * time.Hour)
	at, _ = e.sim.IssueTokens(owner.ID, nil)
	old := read(at, id)
	if old.str("data", "0", "organic_metrics") != "" || old.str("errors", "0", "field") != "non_public_metrics" {
		t.Fatalf("30-day rule: %s", old.raw)
	}
	e.expect(e.do(http.MethodGet, "/2/tweets?ids=abc", at, nil), 400)
	e.expect(e.do(http.MethodGet, "/2/tweets?ids="+id+"&tweet.fields=nope", at, nil), 400)
	single := e.expect(e.do(http.MethodGet, "/2/tweets/"+id+"?tweet.fields=public_metrics", at, nil), 200)
	if single.str("data", "id") != id {
		t.Fatalf("single lookup %s", single.raw)
	}
}

func TestUserTweets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, at := e.user("timeline")
	var ids []string
	for i := range 12 {
		ids = append(ids, e.post(at, map[string]any{"text": "n" + strconv.Itoa(i)}))
		e.clock.Advance(time.Minute)
	}
	r := e.expect(e.do(http.MethodGet, "/2/users/"+u.ID+"/tweets?max_results=5&tweet.fields=created_at,public_metrics", at, nil), 200)
	if r.str("meta", "result_count") != "5" || r.str("data", "0", "id") != ids[11] || r.str("meta", "newest_id") != ids[11] ||
		r.str("meta", "oldest_id") != ids[7] || r.str("meta", "next_token") == "" {
		t.Fatalf("page 1 %s", r.raw)
	}
	r2 := e.expect(e.do(http.MethodGet, "/2/users/"+u.ID+"/tweets?max_results=5&pagination_token="+url.QueryEscape(r.str("meta", "next_token")), at, nil), 200)
	if r2.str("data", "0", "id") != ids[6] {
		t.Fatalf("page 2 %s", r2.raw)
	}
	r3 := e.expect(e.do(http.MethodGet, "/2/users/"+u.ID+"/tweets?since_id="+ids[9], at, nil), 200)
	if r3.str("meta", "result_count") != "2" {
		t.Fatalf("since_id %s", r3.raw)
	}
	e.expect(e.do(http.MethodGet, "/2/users/"+u.ID+"/tweets?max_results=1", at, nil), 400)
	nf := e.expect(e.do(http.MethodGet, "/2/users/1234567890123456789/tweets", at, nil), 200)
	if nf.str("errors", "0", "resource_type") != "user" {
		t.Fatalf("unknown user %s", nf.raw)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{RateLimits: map[string]RateLimit{"POST /2/tweets": {Limit: 2}}})
	_, at := e.user("limited")
	r := e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "1"}), 201)
	if r.header.Get("x-rate-limit-limit") != "2" || r.header.Get("x-rate-limit-remaining") != "1" ||
		r.header.Get("x-user-limit-24hour-limit") == "" || r.header.Get("x-app-limit-24hour-remaining") == "" {
		t.Fatalf("headers %v", r.header)
	}
	e.post(at, map[string]any{"text": "2"})
	r = e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "3"}), 429)
	reset := testStart.Add(15 * time.Minute).Unix()
	if string(r.raw) != `{"detail":"Too Many Requests","status":429,"title":"Too Many Requests","type":"about:blank"}` ||
		r.header.Get("x-rate-limit-remaining") != "0" || r.header.Get("x-rate-limit-reset") != strconv.FormatInt(reset, 10) {
		t.Fatalf("429: %s %v", r.raw, r.header)
	}
	if len(e.sim.Posts()) != 2 {
		t.Fatal("rate-limited request stored a post")
	}
	// Other users have their own window.
	_, other := e.user("free")
	e.post(other, map[string]any{"text": "3"})
	e.clock.Advance(15 * time.Minute)
	r = e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "3"}), 201)
	if r.header.Get("x-rate-limit-remaining") != "1" {
		t.Fatalf("after reset %v", r.header)
	}
}

func TestPrefixMount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("/sim/x/", http.StripPrefix("/sim/x", e.sim))
	e.srv.Config.Handler = mux

	loc := e.consent(e.srv.URL+"/sim/x/i/oauth2/authorize?"+authorizeQuery(allScopes).Encode(), true, "prefixed")
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("callback %s", loc)
	}
	r := e.expect(e.do(http.MethodPost, "/sim/x/2/oauth2/token", "", url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {testVerifier}, "client_id": {testClientID}}), 200)
	e.expect(e.do(http.MethodPost, "/sim/x/2/tweets", r.str("access_token"), map[string]any{"text": "via prefix"}), 201)
	sp := e.expect(e.do(http.MethodGet, "/sim/x/__sim/posts", "", nil), 200)
	if sp.str("items", "0", "account") != "prefixed" {
		t.Fatalf("__sim/posts %s", sp.raw)
	}

	// With BaseURL the form action is absolute.
	b := newEnv(t, Options{BaseURL: "http://demo.local/sim/x/"})
	page := b.expect(b.do(http.MethodGet, "/i/oauth2/authorize?"+authorizeQuery(allScopes).Encode(), "", nil), 200)
	if !bytes.Contains(page.raw, []byte(`action="http://demo.local/sim/x/i/oauth2/authorize"`)) {
		t.Fatalf("form action: %s", page.raw)
	}
}

func TestWeightedLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"hello", 5},
		{"日本語", 6},
		{"café", 4},
		{"“quotes”", 8},
		{"see https://example.com/very/long/path ok", 4 + 23 + 3},
		{"😀", 2},
	}
	for _, tc := range tests {
		if got := WeightedLength(tc.in); got != tc.want {
			t.Errorf("WeightedLength(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestAllowDuplicatesOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{AllowDuplicates: true})
	_, at := e.user("twice")
	p1 := e.post(at, map[string]any{"text": "same words"})
	p2 := e.post(at, map[string]any{"text": "same words"})
	if p1 == p2 {
		t.Fatalf("two posts share id %s", p1)
	}
	if posts := e.sim.Posts(); len(posts) != 2 || posts[0].Text != posts[1].Text {
		t.Fatalf("Posts = %+v", posts)
	}
}

func TestSetAllowDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("toggler")
	e.post(at, map[string]any{"text": "again and again"})
	e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "again and again"}), http.StatusForbidden)

	e.sim.SetAllowDuplicates(true)
	e.post(at, map[string]any{"text": "again and again"})
	e.post(at, map[string]any{"text": "again and again"})

	// Back on: the posts made meanwhile still count as earlier posts.
	e.sim.SetAllowDuplicates(false)
	dup := e.expect(e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "again and again"}), http.StatusForbidden)
	if dup.str("detail") != "You are not allowed to create a Tweet with duplicate content." {
		t.Fatalf("duplicate body %s", dup.raw)
	}
	if n := len(e.sim.Posts()); n != 3 {
		t.Fatalf("%d posts, want 3", n)
	}
}

// TestSetAllowDuplicatesConcurrent flips the switch while posts are made, for
// the race detector.
func TestSetAllowDuplicatesConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Unlimited: true})
	_, at := e.user("racer")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			e.sim.SetAllowDuplicates(i%2 == 0)
		}
	}()
	for range 10 {
		r := e.do(http.MethodPost, "/2/tweets", at, map[string]any{"text": "racing"})
		if r.status != http.StatusCreated && r.status != http.StatusForbidden {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	}
	<-done
}
