package publish_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// fakeMedia serves every media id as the same small PNG.
type fakeMedia struct{}

var tinyPNG = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1000)...)

func (fakeMedia) PlatformMedia(context.Context, int64) (platform.Media, error) {
	return platform.BytesMedia("image/png", tinyPNG), nil
}

// TestPublishAltText publishes a post with two images, one described,
// through the simulator: the described image carries its alt text on X.
func TestPublishAltText(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.Media = fakeMedia{} })
		s := env.Store
		m1 := &snsos.MediaRef{SHA256: "alt-e1", Key: "k-e1", Mime: "image/png", Size: int64(len(tinyPNG)), Width: 10, Height: 10}
		m2 := &snsos.MediaRef{SHA256: "alt-e2", Key: "k-e2", Mime: "image/png", Size: int64(len(tinyPNG)), Width: 10, Height: 10}
		for _, m := range []*snsos.MediaRef{m1, m2} {
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		p := &snsos.Post{Body: "described cats", MediaIDs: []int64{m1.ID, m2.ID}, MediaAlt: map[int64]string{m2.ID: "A cat asleep on a keyboard"},
			ScheduledAt: time.Now().Add(500 * time.Millisecond), Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		var posted []string
		for _, sp := range h.sim.Posts() {
			if sp.ID == tg.RemoteID {
				posted = sp.MediaIDs
			}
		}
		if len(posted) != 2 {
			t.Fatalf("the post on X has media %v", posted)
		}
		a1, _ := h.sim.Media(posted[0])
		a2, _ := h.sim.Media(posted[1])
		if a1.AltText != "" || a2.AltText != "A cat asleep on a keyboard" {
			t.Fatalf("alt texts on X: %q, %q", a1.AltText, a2.AltText)
		}
	})
}

// TestAltTextValidation: at most 1,000 code points on X, images only, and
// only for media of the post.
func TestAltTextValidation(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, func(c *publish.Config) { c.Media = fakeMedia{} })
	s := env.Store
	img := &snsos.MediaRef{SHA256: "v-img", Key: "k-img", Mime: "image/jpeg", Size: 10, Width: 10, Height: 10, Filename: "cat.jpg"}
	vid := &snsos.MediaRef{SHA256: "v-vid", Key: "k-vid", Mime: "video/mp4", Size: 10, Width: 640, Height: 360, DurationMS: 5000, Filename: "clip.mp4"}
	for _, m := range []*snsos.MediaRef{img, vid} {
		if _, err := s.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	field := func(id int64) string { return "media_alt[" + strconv.FormatInt(id, 10) + "]" }
	post := func(media []int64, alt map[int64]string) *snsos.Post {
		return &snsos.Post{Body: "x", MediaIDs: media, MediaAlt: alt, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
	}
	if err := h.engine.CreatePost(ctx, post([]int64{img.ID}, map[int64]string{img.ID: strings.Repeat("猫", 1000)}), false); err != nil {
		t.Fatalf("1,000 code points: %v", err)
	}
	for _, tt := range []struct {
		name  string
		p     *snsos.Post
		field string
		rule  string
	}{
		{"too long", post([]int64{img.ID}, map[int64]string{img.ID: strings.Repeat("猫", 1001)}), field(img.ID), "alt_text_length"},
		{"video", post([]int64{vid.ID}, map[int64]string{vid.ID: "a clip"}), field(vid.ID), "alt_text_media_kind"},
		{"not attached", post([]int64{img.ID}, map[int64]string{vid.ID: "a clip"}), field(vid.ID), "attached"},
	} {
		err := h.engine.CreatePost(ctx, tt.p, false)
		var found bool
		for _, fe := range validationOf(err) {
			found = found || fe.Field == tt.field && fe.Rule == tt.rule
		}
		if !found {
			t.Errorf("%s: %v, want %s on %s", tt.name, err, tt.rule, tt.field)
		}
	}
}

func validationOf(err error) snsos.ValidationErrors {
	var v snsos.ValidationErrors
	errors.As(err, &v)
	return v
}
