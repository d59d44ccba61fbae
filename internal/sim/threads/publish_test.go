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
	u, tok := e.user("cycle")
	c := e.create(u, tok, map[string]any{"media_type": "TEXT", "text": "hello threads"})
	if e.status(c, tok) != "IN_PROGRESS" {
		t.Fatal("fresh container not IN_PROGRESS")
	}
	r := e.expectErr(e.publish(u, tok, c), 400, "24/")
	if r.str("error", "message") != "The requested resource does not exist" || r.str("error", "type") != "THApiException" {
		t.Fatalf("too early %s", r.raw)
	}
	e.clock.Advance(DefaultImageProcessing)
	st := e.expect(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
	if st.str("status") != "FINISHED" || st.str("id") != c || st.str("error_message") != "" || st.str("status_code") != "" {
		t.Fatalf("finished %s", st.raw)
	}
	media := e.expect(e.publish(u, tok, c), 200).str("id")
	if e.status(c, tok) != "PUBLISHED" || len(media) != 17 {
		t.Fatalf("published %s as %s", e.status(c, tok), media)
	}
	r = e.expectErr(e.publish(u, tok, c), 400, "24/")
	if !strings.Contains(r.str("error", "error_user_msg"), media) {
		t.Fatalf("republish %s", r.raw)
	}
	late := e.create(u, tok, map[string]any{"media_type": "TEXT", "text": "too late"})
	e.clock.Advance(24 * time.Hour)
	if e.status(late, tok) != "EXPIRED" || e.status(c, tok) != "PUBLISHED" {
		t.Fatalf("after 24h %s %s", e.status(late, tok), e.status(c, tok))
	}
	e.expectErr(e.publish(u, tok, late), 400, "24/")
	e.expectErr(e.publish(u, tok, "17999999999999999"), 400, "24/")
	p := e.sim.Posts()
	if len(p) != 1 || p[0].ID != media || p[0].MediaType != "TEXT_POST" || p[0].Text != "hello threads" ||
		p[0].Permalink != "https://www.threads.net/@cycle/post/"+p[0].Shortcode || len(p[0].Shortcode) != 11 {
		t.Fatalf("posts %+v", p)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("rules")
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
		{"attachment on image", map[string]any{"media_type": "IMAGE", "image_url": e.mediaURL("photo.jpg"), "link_attachment": "https://a.example"}, "only supported on TEXT"},
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
		r := e.do(http.MethodPost, "/v1.0/me/threads", tok, tc.params)
		if r.status != 400 || r.str("error", "code") != "100" || !strings.Contains(r.str("error", "message"), tc.msg) ||
			r.str("error", "type") != "THApiException" {
			t.Errorf("%s: %d %s, want %q", tc.name, r.status, r.raw, tc.msg)
		}
	}
	// The limits themselves pass: 500 characters, 125 four-byte emoji,
	// five links repeated, a 50-character topic.
	for _, text := range []string{strings.Repeat("a", 500), strings.Repeat("👍", 125), links(5) + links(5), "ok"} {
		e.create(u, tok, map[string]any{"media_type": "TEXT", "text": text, "topic_tag": strings.Repeat("t", 50)})
	}
}

func TestCarousel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("album")
	a := e.create(u, tok, map[string]any{"media_type": "IMAGE", "is_carousel_item": true, "image_url": e.mediaURL("photo.png")})
	b := e.create(u, tok, map[string]any{"media_type": "VIDEO", "is_carousel_item": true, "video_url": e.mediaURL("clip.mp4")})
	solo := e.create(u, tok, map[string]any{"media_type": "IMAGE", "image_url": e.mediaURL("photo.jpg")})
	e.expectErr(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + b}), 400, "24/")
	e.clock.Advance(DefaultVideoProcessing)
	e.expectErr(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + solo}), 400, "100/")
	e.expectErr(e.publish(u, tok, a), 400, "100/")
	parent := e.create(u, tok, map[string]any{"media_type": "CAROUSEL", "children": []string{a, b}, "text": "album"})
	e.clock.Advance(DefaultImageProcessing)
	media := e.expect(e.publish(u, tok, parent), 200).str("id")
	p := e.sim.Posts()[0]
	if p.ID != media || p.MediaType != "CAROUSEL_ALBUM" || len(p.Media) != 2 || p.Media[0].Format != "png" || p.Media[1].Kind != "VIDEO" {
		t.Fatalf("carousel %+v", p)
	}
	m := e.expect(e.do(http.MethodGet, "/v1.0/"+media+"?fields=media_type,children", tok, nil), 200)
	if m.str("children", "data", "0", "id") != p.Media[0].ID || e.status(a, tok) != "PUBLISHED" {
		t.Fatalf("carousel media %s", m.raw)
	}
	c := e.expect(e.do(http.MethodGet, "/"+p.Media[1].ID+"?fields=media_type,media_url", tok, nil), 200)
	if c.str("media_type") != "VIDEO" || c.str("media_url") != e.mediaURL("clip.mp4") {
		t.Fatalf("child %s", c.raw)
	}
}

func TestQuotasRoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{QuotaTotal: 2, ReplyQuotaTotal: 1})
	u, tok := e.user("quota")
	root := e.post(u, tok, "same", "")
	e.clock.Advance(time.Hour)
	e.post(u, tok, "same", "")
	e.post(u, tok, "reply", root)
	limit := e.expect(e.do(http.MethodGet, "/v1.0/me/threads_publishing_limit?fields=quota_usage,config,reply_quota_usage,reply_config", tok, nil), 200)
	if limit.str("data", "0", "quota_usage") != "2" || limit.str("data", "0", "reply_quota_usage") != "1" ||
		limit.str("data", "0", "config", "quota_total") != "2" || limit.str("data", "0", "reply_config", "quota_total") != "1" ||
		limit.str("data", "0", "config", "quota_duration") != "86400" {
		t.Fatalf("limit %s", limit.raw)
	}
	third := e.create(u, tok, map[string]any{"media_type": "TEXT", "text": "same"})
	reply := e.create(u, tok, map[string]any{"media_type": "TEXT", "text": "again", "reply_to_id": root})
	e.clock.Advance(DefaultImageProcessing)
	e.expectErr(e.publish(u, tok, third), 400, "4/")
	e.expectErr(e.publish(u, tok, reply), 400, "4/")
	e.expectErr(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "TEXT", "text": "auto", "auto_publish_text": true}), 400, "4/")
	// Each publish leaves the window 24 h after it was made: the first
	// post an hour before the reply.
	e.clock.Advance(23 * time.Hour)
	e.expect(e.publish(u, tok, third), 200)
	e.expectErr(e.publish(u, tok, reply), 400, "4/")
	e.clock.Advance(time.Hour) // the refused reply container expired meanwhile
	e.post(u, tok, "again", root)
	if n := len(e.sim.Posts()); n != 5 {
		t.Fatalf("%d posts; identical texts must not be refused", n)
	}
}

func TestAutoPublishAndScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, tok := e.user("auto")
	id := e.expect(e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "TEXT", "text": "now", "auto_publish_text": "true"}), 200).str("id")
	if p := e.sim.Posts(); len(p) != 1 || p[0].ID != id {
		t.Fatalf("auto-published %v, answer %s", p, id)
	}
	basic := e.token("threads_basic", "basic")
	r := e.expectErr(e.do(http.MethodPost, "/v1.0/me/threads", basic, map[string]any{"media_type": "TEXT", "text": "x"}), 400, "100/10")
	if !strings.Contains(r.str("error", "message"), "threads_content_publish") {
		t.Fatalf("scope error %s", r.raw)
	}
	e.expect(e.do(http.MethodGet, "/v1.0/me?fields=username", basic, nil), 200)
}
