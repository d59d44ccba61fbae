package web

import (
	"regexp"
	"strings"
	"testing"
)

// previewOf returns the preview article of platform key on a compose page.
func previewOf(t *testing.T, body, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<article class="preview p-` + key + `\b.*?</article>`).FindString(body)
	if m == "" {
		t.Fatalf("no %s preview", key)
	}
	return m
}

// TestComposePreviewsMeta: the Instagram preview shows the first item in a
// 4:5 frame for a portrait image, a dot per carousel item, and the caption
// folded after about 125 characters; Threads shows the text, each part as
// a reply, then its own media in a row.
func TestComposePreviewsMeta(t *testing.T) {
	ce := newComposeEnv(t)
	ig, th := ce.metaAccounts(t)
	tall := ce.upload(t, testJPEG(t, 40, 50, 1), "tall.jpg")
	sq := ce.upload(t, testJPEG(t, 40, 40, 2), "square.jpg")
	caption := strings.Repeat("港の朝。", 40) // 160 characters
	f := ce.form(caption, "check")
	f["account"] = []string{itoa(ig.ID), itoa(th.ID)}
	f["media"] = []string{itoa(tall), itoa(sq)}
	f.Set("thread_threads", "1")
	f["part_threads"] = []string{"First part", "Second part"}
	f.Set("tmedia_mode_threads", "choose")
	f["tmedia_order_threads"] = []string{itoa(sq), itoa(tall)}
	f["tmedia_threads"] = []string{itoa(sq)}
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "previews", body, "Preview — approximate")

	igp := previewOf(t, body, "instagram")
	wantAll(t, "Instagram preview", igp, `<div class="ig-frame portrait" data-frame><img src="/media/`+itoa(tall)+`"`, "Carousel of 2",
		`<strong class="ig-handle">ig_demo</strong>`+string([]rune(caption)[:125])+`<span class="more">…more</span>`)
	if n := strings.Count(igp, `aria-hidden="true">●</span>`); n != 2 {
		t.Fatalf("%d carousel dots", n)
	}
	thp := previewOf(t, body, "threads")
	wantAll(t, "Threads preview", thp, `<p class="ptext">First part</p><p class="ptext">Second part</p>`,
		`<div class="pimages n1 row" data-pimages><img src="/media/`+itoa(sq)+`"`)
	if i, j := strings.Index(thp, "Second part"), strings.Index(thp, "data-pimages"); i > j {
		t.Fatal("Threads shows the media before the text")
	}

	// One square image: a square frame, no dots, a short caption unfolded.
	f = ce.form("Short", "check")
	f["account"] = []string{itoa(ig.ID)}
	f["media"] = []string{itoa(sq)}
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	igp = previewOf(t, body, "instagram")
	wantAll(t, "square", igp, `class="ig-frame square"`, `<p class="ig-dots" data-dots hidden>`, `ig_demo</strong>Short</p>`)
	if strings.Contains(igp, `<span class="more">`) {
		t.Fatal("a short caption is folded")
	}
}

// TestComposeJaStyle: the compose page in Japanese with the Instagram and
// Threads tabs, media badges, the conversion offer, previews and refused
// fields follows ui-guide §7.
func TestComposeJaStyle(t *testing.T) {
	ce := newComposeEnv(t)
	ce.reconfigure(t, func(c *Config) { c.InstagramFirstComment = true })
	ig, th := ce.metaAccounts(t)
	jpg := ce.upload(t, testJPEG(t, 64, 64, 1), "boat.jpg")
	pngID := ce.upload(t, testPNG(t), "flag.png")
	setLang(t, &pagesEnv{testEnv: ce.testEnv, c: ce.c}, "ja")
	seeds := append(jaSeeds, "boat.jpg", "flag.png", "ig_demo", "th_demo", "Demo Instagram")

	f := ce.form("港の朝 #harbour", "check")
	f["account"] = []string{itoa(ce.x.ID), itoa(ig.ID), itoa(th.ID)}
	f["media"] = []string{itoa(jpg), itoa(pngID)}
	f.Set("tmedia_mode_x", "none")
	f.Set("link_attachment_threads", "https://example.com/")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	jaCheckPage(t, "compose with Instagram and Threads", resp.StatusCode, body, seeds)
	wantAll(t, "Japanese tabs", body, "Instagramの画像・動画", "投稿と同じ", "自動：2点のカルーセル", "JPEGに変換", "PNGは非対応（JPEGのみ）",
		"X：使用しない", "ハッシュタグ1/30個", "リンク1/5個", "最初のコメント", "トピックタグ", "Threadsの500文字")

	// Refused: the errors next to the fields, in Japanese where compose
	// has its own words.
	f.Set("do", "approve")
	f.Set("topic_tag_threads", "a.b")
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != 422 {
		t.Fatalf("refused: %d", resp.StatusCode)
	}
	jaCheckPage(t, "refused compose", resp.StatusCode, body, seeds)
	wantAll(t, "refused", body, `id="error-summary"`, `id="topic_tag_threads-error"`, `id="link_attachment_threads-error"`)

	// Converted.
	v := composeFormValues(t, body)
	v.Set("do", "convert:"+itoa(pngID))
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", v)
	jaCheckPage(t, "converted", resp.StatusCode, body, seeds)
	wantAll(t, "converted", body, "flag.pngをJPEGに変換しました（flag.jpg）。")
}
