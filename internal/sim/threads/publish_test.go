package threads

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestContainerLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("cycle")
	c := e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": "hello threads"})
	if e.Status(c, tok) != "IN_PROGRESS" {
		t.Fatal("fresh container not IN_PROGRESS")
	}
	r := e.ExpectErr(e.Publish(u, tok, c), 400, "24/")
	if r.Str("error", "message") != "The requested resource does not exist" || r.Str("error", "type") != "THApiException" {
		t.Fatalf("too early %s", r.Raw)
	}
	e.Clock.Advance(DefaultImageProcessing)
	st := e.Expect(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
	if st.Str("status") != "FINISHED" || st.Str("id") != c || st.Str("error_message") != "" || st.Str("status_code") != "" {
		t.Fatalf("finished %s", st.Raw)
	}
	media := e.Expect(e.Publish(u, tok, c), 200).Str("id")
	if e.Status(c, tok) != "PUBLISHED" || len(media) != 17 {
		t.Fatalf("published %s as %s", e.Status(c, tok), media)
	}
	r = e.ExpectErr(e.Publish(u, tok, c), 400, "24/")
	if !strings.Contains(r.Str("error", "error_user_msg"), media) {
		t.Fatalf("republish %s", r.Raw)
	}
	late := e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": "too late"})
	e.Clock.Advance(24 * time.Hour)
	if e.Status(late, tok) != "EXPIRED" || e.Status(c, tok) != "PUBLISHED" {
		t.Fatalf("after 24h %s %s", e.Status(late, tok), e.Status(c, tok))
	}
	e.ExpectErr(e.Publish(u, tok, late), 400, "24/")
	e.ExpectErr(e.Publish(u, tok, "17999999999999999"), 400, "24/")
	p := e.sim.Posts()
	if len(p) != 1 || p[0].ID != media || p[0].MediaType != "TEXT_POST" || p[0].Text != "hello threads" ||
		p[0].Permalink != "https://www.threads.net/@cycle/post/"+p[0].Shortcode || len(p[0].Shortcode) != 11 {
		t.Fatalf("posts %+v", p)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("rules")
	links := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(" https://example.com/" + strconv.Itoa(i))
		}
		return b.String()
	}
	tests := []struct {
		name   string
		params map[string]any
		msg    string // substring of the message
	}{
		{"no media type", map[string]any{"text": "x"}, "media_type is required"},
		{"bad media type", map[string]any{"media_type": "AUDIO", "text": "x"}, "media_type must be one of"},
		{"text needs text", map[string]any{"media_type": "TEXT"}, "text is required"},
		{"501 chars", map[string]any{"media_type": "TEXT", "text": strings.Repeat("a", 501)}, "at most 500 characters"},
		{"126 emoji", map[string]any{"media_type": "TEXT", "text": strings.Repeat("👍", 126)}, "at most 500 characters"},
		{"six links", map[string]any{"media_type": "TEXT", "text": links(6)}, "THREADS_API__LINK_LIMIT_EXCEEDED"},
		{"five links and an attachment", map[string]any{"media_type": "TEXT", "text": links(5), "link_attachment": "https://other.example"}, "THREADS_API__LINK_LIMIT_EXCEEDED"},
		{"attachment on image", map[string]any{"media_type": "IMAGE", "image_url": e.MediaURL("photo.jpg"), "link_attachment": "https://a.example"}, "only supported on TEXT"},
		{"topic with dot", map[string]any{"media_type": "TEXT", "text": "x", "topic_tag": "a.b"}, "topic_tag"},
		{"topic with amp", map[string]any{"media_type": "TEXT", "text": "x", "topic_tag": "a&b"}, "topic_tag"},
		{"long topic", map[string]any{"media_type": "TEXT", "text": "x", "topic_tag": strings.Repeat("t", 51)}, "topic_tag"},
		{"alt text on text", map[string]any{"media_type": "TEXT", "text": "x", "alt_text": "y"}, "alt_text"},
		{"reply control", map[string]any{"media_type": "TEXT", "text": "x", "reply_control": "nobody"}, "reply_control"},
		{"missing parent", map[string]any{"media_type": "TEXT", "text": "x", "reply_to_id": "18999999999999999"}, "reply_to_id"},
		{"one child", map[string]any{"media_type": "CAROUSEL", "children": "1"}, "children"},
		{"21 children", map[string]any{"media_type": "CAROUSEL", "children": strings.Repeat("1,", 20) + "1"}, "children"},
		{"text item", map[string]any{"media_type": "TEXT", "text": "x", "is_carousel_item": true}, "is_carousel_item"},
		{"video without url", map[string]any{"media_type": "VIDEO"}, "video_url is required"},
	}
	for _, tc := range tests {
		r := e.Do(http.MethodPost, "/v1.0/me/threads", tok, tc.params)
		if r.Status != 400 || r.Str("error", "code") != "100" || !strings.Contains(r.Str("error", "message"), tc.msg) ||
			r.Str("error", "type") != "THApiException" {
			t.Errorf("%s: %d %s, want %q", tc.name, r.Status, r.Raw, tc.msg)
		}
	}
	// The limits themselves pass: 500 characters, 125 four-byte emoji,
	// five links repeated, a 50-character topic.
	for _, text := range []string{strings.Repeat("a", 500), strings.Repeat("👍", 125), links(5) + links(5), "ok"} {
		e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": text, "topic_tag": strings.Repeat("t", 50)})
	}
}

func TestCarousel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("album")
	a := e.Create(u, tok, map[string]any{"media_type": "IMAGE", "is_carousel_item": true, "image_url": e.MediaURL("photo.png")})
	b := e.Create(u, tok, map[string]any{"media_type": "VIDEO", "is_carousel_item": true, "video_url": e.MediaURL("clip.mp4")})
	solo := e.Create(u, tok, map[string]any{"media_type": "IMAGE", "image_url": e.MediaURL("photo.jpg")})
	e.ExpectErr(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + b}), 400, "24/")
	e.Clock.Advance(DefaultVideoProcessing)
	e.ExpectErr(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + solo}), 400, "100/")
	e.ExpectErr(e.Publish(u, tok, a), 400, "100/")
	parent := e.Create(u, tok, map[string]any{"media_type": "CAROUSEL", "children": []string{a, b}, "text": "album"})
	e.Clock.Advance(DefaultImageProcessing)
	media := e.Expect(e.Publish(u, tok, parent), 200).Str("id")
	p := e.sim.Posts()[0]
	if p.ID != media || p.MediaType != "CAROUSEL_ALBUM" || len(p.Media) != 2 || p.Media[0].Format != "png" || p.Media[1].Kind != "VIDEO" {
		t.Fatalf("carousel %+v", p)
	}
	m := e.Expect(e.Do(http.MethodGet, "/v1.0/"+media+"?fields=media_type,children", tok, nil), 200)
	if m.Str("children", "data", "0", "id") != p.Media[0].ID || e.Status(a, tok) != "PUBLISHED" {
		t.Fatalf("carousel media %s", m.Raw)
	}
	c := e.Expect(e.Do(http.MethodGet, "/"+p.Media[1].ID+"?fields=media_type,media_url", tok, nil), 200)
	if c.Str("media_type") != "VIDEO" || c.Str("media_url") != e.MediaURL("clip.mp4") {
		t.Fatalf("child %s", c.Raw)
	}
}

func TestQuotasRoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{QuotaTotal: 2, ReplyQuotaTotal: 1})
	u, tok := e.User("quota")
	root := e.post(u, tok, "same", "")
	e.Clock.Advance(time.Hour)
	e.post(u, tok, "same", "")
	e.post(u, tok, "reply", root)
	limit := e.Expect(e.Do(http.MethodGet, "/v1.0/me/threads_publishing_limit?fields=quota_usage,config,reply_quota_usage,reply_config", tok, nil), 200)
	if limit.Str("data", "0", "quota_usage") != "2" || limit.Str("data", "0", "reply_quota_usage") != "1" ||
		limit.Str("data", "0", "config", "quota_total") != "2" || limit.Str("data", "0", "reply_config", "quota_total") != "1" ||
		limit.Str("data", "0", "config", "quota_duration") != "86400" {
		t.Fatalf("limit %s", limit.Raw)
	}
	third := e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": "same"})
	reply := e.Create(u, tok, map[string]any{"media_type": "TEXT", "text": "again", "reply_to_id": root})
	e.Clock.Advance(DefaultImageProcessing)
	e.ExpectErr(e.Publish(u, tok, third), 400, "4/")
	e.ExpectErr(e.Publish(u, tok, reply), 400, "4/")
	e.ExpectErr(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "TEXT", "text": "auto", "auto_publish_text": true}), 400, "4/")
	// Each publish leaves the window 24 h after it was made: the first
	// post an hour before the reply.
	e.Clock.Advance(23 * time.Hour)
	e.Expect(e.Publish(u, tok, third), 200)
	e.ExpectErr(e.Publish(u, tok, reply), 400, "4/")
	e.Clock.Advance(time.Hour) // the refused reply container expired meanwhile
	e.post(u, tok, "again", root)
	if n := len(e.sim.Posts()); n != 5 {
		t.Fatalf("%d posts; identical texts must not be refused", n)
	}
}

func TestAutoPublishAndScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.User("auto")
	id := e.Expect(e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "TEXT", "text": "now", "auto_publish_text": "true"}), 200).Str("id")
	if p := e.sim.Posts(); len(p) != 1 || p[0].ID != id {
		t.Fatalf("auto-published %v, answer %s", p, id)
	}
	basic := e.token("threads_basic", "basic")
	r := e.ExpectErr(e.Do(http.MethodPost, "/v1.0/me/threads", basic, map[string]any{"media_type": "TEXT", "text": "x"}), 400, "100/10")
	if !strings.Contains(r.Str("error", "message"), "threads_content_publish") {
		t.Fatalf("scope error %s", r.Raw)
	}
	e.Expect(e.Do(http.MethodGet, "/v1.0/me?fields=username", basic, nil), 200)
}
