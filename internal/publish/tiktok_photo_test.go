package publish_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// A TikTok photo post's text is a description of up to 4,000 characters,
// a video's caption up to 2,200: approval counts each by its own limit.
func TestTikTokPhotoDescriptionLimit(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, nil)
		img := &snsos.MediaRef{SHA256: "tt-jpeg", Key: "k-tt-jpeg", Mime: "image/jpeg", Size: 5000, Width: 1080, Height: 1920}
		if _, err := env.Store.CreateMedia(ctx, img); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Hour)
		photo := func(text string) *snsos.Post {
			return &snsos.Post{Body: text, MediaIDs: []int64{img.ID}, ScheduledAt: later,
				Targets: []*snsos.Target{{AccountID: te.acct.ID, Options: map[string]any{"privacy_level": "SELF_ONLY", "title": "A title"}}}}
		}
		video := func(text string) *snsos.Post {
			p := te.post(text, map[string]any{"privacy_level": "SELF_ONLY"})
			p.ScheduledAt = later
			return p
		}
		if err := te.engine.CreatePost(ctx, photo(strings.Repeat("a", rules.TikTokMaxVideoTitle+800)), true); err != nil {
			t.Fatalf("a photo description of %d characters was refused: %v", rules.TikTokMaxVideoTitle+800, err)
		}
		if err := te.engine.CreatePost(ctx, photo(strings.Repeat("a", rules.TikTokMaxPhotoDescription+1)), true); !hasRule(err, rules.RuleMaxLength) {
			t.Fatalf("a photo description over %d: err = %v, want max_length", rules.TikTokMaxPhotoDescription, err)
		}
		if err := te.engine.CreatePost(ctx, video(strings.Repeat("a", rules.TikTokMaxVideoTitle+1)), true); !hasRule(err, rules.RuleMaxLength) {
			t.Fatalf("a video caption over %d: err = %v, want max_length", rules.TikTokMaxVideoTitle, err)
		}
	})
}
