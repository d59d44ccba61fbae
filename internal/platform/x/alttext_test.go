package x

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
	xsim "github.com/sns-os/snsos/internal/sim/x"
)

// TestSimAltText: the alt text of each image is set with POST
// /2/media/metadata after the upload and before the post; a video's is
// not sent; a failed metadata call is transient with nothing posted, and
// the resumed Publish neither uploads again nor repeats a metadata call it
// recorded.
func TestSimAltText(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2000)...)
	img := func(alt string) platform.Media {
		m := platform.BytesMedia("image/png", png)
		m.AltText = alt
		return m
	}
	gif := platform.BytesMedia("image/gif", append([]byte("GIF89a"), make([]byte, 500)...))
	gif.AltText = "A dancing cat"

	// Two images, one with alt text, and a GIF post.
	pr := platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{
		{Text: "two cats", Media: []platform.Media{img("A sleeping cat on a 猫 cushion"), img("")}}}}, pr); err != nil {
		t.Fatal(err)
	}
	v := pr.Values()
	if m, _ := e.sim.Media(v[MediaKey(1, 1)]); m.AltText != "A sleeping cat on a 猫 cushion" {
		t.Errorf("image 1 alt = %q", m.AltText)
	}
	if m, _ := e.sim.Media(v[MediaKey(1, 2)]); m.AltText != "" {
		t.Errorf("image 2 alt = %q", m.AltText)
	}
	if v[AltTextKey(1, 1)] != v[MediaKey(1, 1)] || v[AltTextKey(1, 2)] != "" {
		t.Errorf("progress %v", v)
	}
	pr = platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{{Text: "gif", Media: []platform.Media{gif}}}}, pr); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.sim.Media(pr.Values()[MediaKey(1, 1)]); m.AltText != "A dancing cat" {
		t.Errorf("gif alt = %q", m.AltText)
	}

	// A video's alt text is not sent (X takes none): the publication works.
	vid := streamMedia("video/mp4", 3000)
	vid.AltText = "ignored"
	if _, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{{Text: "a video", Media: []platform.Media{vid}}}}, platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}

	// Too long: refused before any call (nothing uploaded either).
	long := platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{{Text: "long", Media: []platform.Media{img(strings.Repeat("a", 1001))}}}},
		long); !errors.Is(err, platform.ErrRejected) {
		t.Fatalf("1,001 characters: %v", err)
	}
	if v := long.Values(); len(v) != 0 {
		t.Fatalf("an alt text X refuses was found only after uploading: progress %v", v)
	}
	before := len(e.sim.Posts())

	// The metadata call fails: transient, nothing posted; the retry
	// reuses the upload and sets the alt text once.
	var mu sync.Mutex
	db := map[string]string{}
	save := func(_ context.Context, k, v string) error { mu.Lock(); defer mu.Unlock(); db[k] = v; return nil }
	e.sim.InjectFault(xsim.Fault{Match: "POST /2/media/metadata", Kind: xsim.FaultStatus, Status: 503})
	req := &platform.PublishRequest{Parts: []platform.Part{{Text: "retry cat", Media: []platform.Media{img("A cat, again")}}}}
	_, err := e.c.Publish(ctx, e.auth, req, platform.NewProgress(db, save))
	if platform.KindOf(err) != platform.KindTransient {
		t.Fatalf("metadata 503: %v (kind %v), want transient", err, platform.KindOf(err))
	}
	if n := len(e.sim.Posts()); n != before {
		t.Fatalf("%d posts after the failed metadata call, want %d", n, before)
	}
	mediaID := db[MediaKey(1, 1)]
	if mediaID == "" || db[AltTextKey(1, 1)] != "" {
		t.Fatalf("progress after the failure %v", db)
	}
	if _, err := e.c.Publish(ctx, e.auth, req, platform.NewProgress(db, save)); err != nil {
		t.Fatal(err)
	}
	posts := e.sim.Posts()
	last := posts[len(posts)-1]
	if len(posts) != before+1 || len(last.MediaIDs) != 1 || last.MediaIDs[0] != mediaID {
		t.Fatalf("posts %+v, want one more with media %s", posts, mediaID)
	}
	if m, _ := e.sim.Media(mediaID); m.AltText != "A cat, again" || db[AltTextKey(1, 1)] != mediaID {
		t.Fatalf("alt %q, progress %v", m.AltText, db)
	}

	// Resumed with the alt text recorded: no metadata call is made (a
	// fault on it would fail the publication).
	delete(db, TweetKey(1))
	e.sim.InjectFault(xsim.Fault{Match: "POST /2/media/metadata", Kind: xsim.FaultStatus, Status: 503})
	req.Parts[0].Text = "retry cat, resumed"
	if _, err := e.c.Publish(ctx, e.auth, req, platform.NewProgress(db, save)); err != nil {
		t.Fatalf("resumed publication repeated the metadata call: %v", err)
	}
}
