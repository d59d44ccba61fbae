package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
)

// TestMediaAltKeys: a media_alt key that is not a media id is a 400 naming
// that key, not "must be an integer" about a value the caller did send as
// a string; valid keys keep working.
func TestMediaAltKeys(t *testing.T) {
	e := sqliteEnv(t)
	mediaID := e.uploadPNG(t)
	target := []map[string]any{{"account_id": e.accounts[snsos.PlatformX].ID}}
	for _, key := range []string{"abc", "1.5", "-3", "0", "", "99999999999999999999"} {
		r := e.post(t, "/api/v1/posts", map[string]any{"body": "alt", "media_ids": []int64{mediaID},
			"media_alt": map[string]string{key: "a description"}, "targets": target})
		p := wantProblem(t, r, http.StatusBadRequest)
		wantField(t, p, `media_alt["`+key+`"]`, "key")
		if strings.Contains(string(r.Body), "must be an integer") {
			t.Fatalf("key %q: %s", key, r.Body)
		}
	}
	// A value of the wrong type is still named as a value.
	r := e.post(t, "/api/v1/posts", map[string]any{"body": "alt", "media_ids": []int64{mediaID},
		"media_alt": map[string]any{"1": 5}, "targets": target})
	wantField(t, wantProblem(t, r, http.StatusBadRequest), "media_alt", "type")
	// Valid keys keep working.
	post := e.createPost(t, map[string]any{"body": "alt", "media_ids": []int64{mediaID},
		"media_alt": map[string]string{strconv.FormatInt(mediaID, 10): "A tree"}, "targets": target})
	if alt, _ := post["media_alt"].(map[string]any); alt[strconv.FormatInt(mediaID, 10)] != "A tree" {
		t.Fatalf("media_alt = %v", post["media_alt"])
	}
}
