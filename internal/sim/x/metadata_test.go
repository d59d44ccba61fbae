package x

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestMediaMetadataAltText: POST /2/media/metadata stores the alt text of
// the caller's finalized image, refuses unknown ids, other users' media,
// videos and texts over 1,000 characters, and GET /__sim/posts shows it.
func TestMediaMetadataAltText(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, at := e.user("alty")
	_, other := e.user("other")
	up := e.expect(e.do(http.MethodPost, "/2/media/upload", at, multipartOf(map[string]string{"media_category": "tweet_image"}, "media", pngBytes(t, 4, 4))), 200)
	id := up.str("data", "id")
	meta := func(token, id, text string) resp {
		return e.do(http.MethodPost, "/2/media/metadata", token, map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]any{"text": text}}})
	}

	// Auth as every API endpoint: no token is 401.
	e.expect(meta("", id, "x"), 401)
	e.expect(meta(at, "1234567890123456789", "x"), 400)
	e.expect(meta(other, id, "x"), 400)
	e.expect(meta(at, id, strings.Repeat("猫", 1001)), 400)
	e.expect(e.do(http.MethodPost, "/2/media/metadata", at, map[string]any{"id": id, "metadata": map[string]any{"alt_text": map[string]any{}}}), 400)
	e.expect(e.do(http.MethodPost, "/2/media/metadata", at, map[string]any{"id": id, "metadata": map[string]any{}, "extra": 1}), 400)

	ok := e.expect(meta(at, id, strings.Repeat("猫", 1000)), 200)
	if ok.str("data", "associated_metadata", "alt_text", "text") != strings.Repeat("猫", 1000) {
		t.Fatalf("metadata answer %s", ok.raw)
	}
	ok = e.expect(meta(at, id, "A dancing cat"), 200)
	if ok.str("data", "associated_metadata", "alt_text", "text") != "A dancing cat" || ok.header.Get("x-rate-limit-limit") == "" {
		t.Fatalf("metadata answer %s %v", ok.raw, ok.header)
	}
	if m, _ := e.sim.Media(id); m.AltText != "A dancing cat" {
		t.Fatalf("sim media %+v", m)
	}

	// A video takes no alt text.
	v := e.expect(e.do(http.MethodPost, "/2/media/upload/initialize", at, map[string]any{"media_type": "video/mp4", "total_bytes": 4, "media_category": "tweet_video"}), 200)
	vid := v.str("data", "id")
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+vid+"/append", at, multipartOf(map[string]string{"segment_index": "0"}, "media", []byte("abcd"))), 200)
	e.expect(e.do(http.MethodPost, "/2/media/upload/"+vid+"/finalize", at, nil), 200)
	e.expect(meta(at, vid, "a video"), 400)

	e.post(at, map[string]any{"text": "cat", "media": map[string]any{"media_ids": []string{id}}})
	sp := e.expect(e.do(http.MethodGet, "/__sim/posts", "", nil), 200)
	var got struct {
		Items []struct {
			Media []struct {
				ID      string `json:"id"`
				AltText string `json:"alt_text"`
			} `json:"media"`
		} `json:"items"`
	}
	if err := json.Unmarshal(sp.raw, &got); err != nil || len(got.Items) != 1 || len(got.Items[0].Media) != 1 ||
		got.Items[0].Media[0].ID != id || got.Items[0].Media[0].AltText != "A dancing cat" {
		t.Fatalf("__sim/posts %s", sp.raw)
	}
}
