package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	pub "github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// mediaIDsOf returns a target's media_ids as the API shows it: nil when
// absent, else the list (possibly empty).
func mediaIDsOf(t *testing.T, target map[string]any) []int64 {
	t.Helper()
	raw, ok := target["media_ids"]
	if !ok {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		t.Fatalf("media_ids = %#v, want a list or nothing", raw)
	}
	out := []int64{}
	for _, x := range list {
		out = append(out, int64(x.(float64)))
	}
	return out
}

// createMedia records media with the given facts (the probe's work).
func createMedia(t *testing.T, st *store.Store, m snsos.MediaRef) int64 {
	t.Helper()
	m.SHA256 = fmt.Sprintf("%s-%dx%d-%d-%s", m.Mime, m.Width, m.Height, m.DurationMS, strings.ReplaceAll(t.Name(), "/", "-")) + fmt.Sprint(pngSeq.Add(1))
	m.Key = "sha256/" + m.SHA256
	if m.Size == 0 {
		m.Size = 1000
	}
	if _, err := st.CreateMedia(ctx, &m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// TestTargetMediaIDs: targets[].media_ids goes in through POST and PUT and
// comes back in every view, absent (the post's media), [] (none) and a
// subset in the target's order kept apart, on each database.
func TestTargetMediaIDs(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, senv *storetest.Env) {
		e := newEnv(t, senv.Store)
		m1, m2 := e.uploadPNG(t), e.uploadPNG(t)
		target := func(p snsos.Platform, media any) map[string]any {
			tg := map[string]any{"account_id": e.accounts[p].ID}
			if media != nil {
				tg["media_ids"] = media
			}
			return tg
		}
		post := e.createPost(t, map[string]any{"body": "per target media", "media_ids": []int64{m1, m2}, "targets": []any{
			target(snsos.PlatformX, nil), target(snsos.PlatformThreads, []int64{}), target(snsos.PlatformInstagram, []int64{m2, m1}),
		}})
		want := [][]int64{nil, {}, {m2, m1}}
		check := func(what string, post map[string]any, want [][]int64) {
			t.Helper()
			for i, tg := range targetsOf(t, post) {
				if got := mediaIDsOf(t, tg); (got == nil) != (want[i] == nil) || !reflect.DeepEqual(got, want[i]) && len(want[i]) > 0 {
					t.Fatalf("%s: target %d media_ids = %#v, want %#v", what, i, got, want[i])
				}
			}
		}
		check("created", post, want)
		path := fmt.Sprintf("/api/v1/posts/%d", idOf(post))
		r := e.get(t, path)
		wantStatus(t, r, http.StatusOK)
		check("GET", r.JSON(t), want)
		r = e.get(t, "/api/v1/posts")
		wantStatus(t, r, http.StatusOK)
		check("list", r.Items(t)[0], want)

		// An edit rewrites each target's list.
		r = e.do(t, req{Method: "PUT", Path: path, JSON: map[string]any{"body": "edited", "media_ids": []int64{m1, m2}, "targets": []any{
			target(snsos.PlatformX, []int64{m1}), target(snsos.PlatformThreads, nil), target(snsos.PlatformInstagram, []int64{}),
		}}})
		wantStatus(t, r, http.StatusOK)
		edited := [][]int64{{m1}, nil, {}}
		check("PUT", r.JSON(t), edited)
		r = e.get(t, path)
		check("GET after PUT", r.JSON(t), edited)
		if got := r.JSON(t)["body"]; got != "edited" {
			t.Fatalf("body after PUT = %v", got)
		}
	})
}

// TestComposeRefusals: with the real engine, what a platform would refuse
// is refused when the post is composed and approved, naming the field and
// the platform's rule, and nothing is stored. (Validation errors are 400
// in this API; see the package documentation.)
func TestComposeRefusals(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite).Store
	e := newEnv(t, st, func(c *api.Config) { c.Engine = pub.New(pub.Config{Store: st}) })
	jpeg := createMedia(t, st, snsos.MediaRef{Mime: "image/jpeg", Width: 1080, Height: 1080})
	story := createMedia(t, st, snsos.MediaRef{Mime: "image/jpeg", Width: 1080, Height: 1920})
	png := createMedia(t, st, snsos.MediaRef{Mime: "image/png", Width: 1080, Height: 1080})
	reel2s := createMedia(t, st, snsos.MediaRef{Mime: "video/mp4", Width: 1080, Height: 1920, DurationMS: 2000, FrameRate: 30})
	var eleven []int64
	for range 11 {
		eleven = append(eleven, createMedia(t, st, snsos.MediaRef{Mime: "image/jpeg", Width: 1080, Height: 1080}))
	}
	words := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s%d ", prefix, i)
		}
		return b.String()
	}
	ig, th := e.accounts[snsos.PlatformInstagram].ID, e.accounts[snsos.PlatformThreads].ID
	post := func(body string, media []int64, target map[string]any) map[string]any {
		return map[string]any{"body": body, "media_ids": media, "approve": true, "targets": []any{target}}
	}
	on := func(account int64, kv ...any) map[string]any {
		tg := map[string]any{"account_id": account}
		for i := 0; i+1 < len(kv); i += 2 {
			tg[kv[i].(string)] = kv[i+1]
		}
		return tg
	}
	tests := []struct {
		name        string
		body        map[string]any
		field, rule string
		msgPart     string
	}{
		{"instagram png", post("a cat", []int64{png}, on(ig)), "targets[0].media[0]", "media_type", "Instagram images must be JPEG; this is PNG."},
		{"instagram two-second reel", post("a clip", []int64{reel2s}, on(ig)), "targets[0].media[0]", "media_duration", "the minimum is 3 s"},
		{"instagram eleven carousel items", post("many", eleven, on(ig)), "targets[0].media", "media_count", "at most 10"},
		{"instagram caption over 2,200", post(strings.Repeat("あ", 2201), []int64{jpeg}, on(ig)), "targets[0].body", "max_length", "2,200"},
		{"instagram 31 hashtags", post(words("#tag", 31), []int64{jpeg}, on(ig)), "targets[0].body", "max_hashtags", "at most 30 hashtags"},
		{"instagram 21 mentions", post(words("@user", 21), []int64{jpeg}, on(ig)), "targets[0].body", "max_mentions", "at most 20 @mentions"},
		{"instagram reels of an image", post("a cat", []int64{jpeg}, on(ig, "options", map[string]any{"media_type": "reels"})),
			"targets[0].options.media_type", "media_type_mismatch", "REELS takes one video"},
		{"instagram carousel of one", post("a cat", []int64{jpeg}, on(ig, "options", map[string]any{"media_type": "CAROUSEL"})),
			"targets[0].options.media_type", "media_type_mismatch", "CAROUSEL takes two or more"},
		{"instagram unknown option", post("a cat", []int64{jpeg}, on(ig, "options", map[string]any{"parts": []string{"a", "b"}})),
			"targets[0].options.parts", "option_unknown", "media_type, first_comment and share_to_feed"},
		{"instagram without media on the target", post("a cat", []int64{jpeg}, on(ig, "media_ids", []int64{})),
			"targets[0].media", "media_required", "Instagram posts need at least one image or video"},
		{"threads text with media", post("hi", []int64{jpeg}, on(th, "options", map[string]any{"media_type": "TEXT"})),
			"targets[0].options.media_type", "media_type_mismatch", "TEXT takes no media"},
		{"threads topic tag with a dot", post("hi", nil, on(th, "options", map[string]any{"topic_tag": "go.dev"})),
			"targets[0].options.topic_tag", "option_value", "'.' or '&'"},
		{"threads link on an image post", post("hi", []int64{jpeg}, on(th, "options", map[string]any{"link_attachment": "https://go.dev/"})),
			"targets[0].options.link_attachment", "option_value", "TEXT posts only"},
		{"target media not on the post", post("hi", []int64{jpeg}, on(th, "media_ids", []int64{story})),
			"targets[0].media_ids", "attached", "not attached to the post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, e.post(t, "/api/v1/posts", tt.body), http.StatusBadRequest)
			wantField(t, p, tt.field, tt.rule)
			for _, fe := range p.Errors {
				if fe.Field == tt.field && fe.Rule == tt.rule && !strings.Contains(fe.Message, tt.msgPart) {
					t.Fatalf("%s %s: %q, want it to say %q", tt.field, tt.rule, fe.Message, tt.msgPart)
				}
			}
		})
	}
	r := e.get(t, "/api/v1/posts")
	if items := r.Items(t); len(items) != 0 {
		t.Fatalf("refused posts were stored: %s", r.Body)
	}

	// What fits is accepted; an explicit media type is stored upper-case,
	// an inferred one is never stored.
	created := e.createPost(t, map[string]any{"body": "a story and a text", "media_ids": []int64{story}, "approve": true, "targets": []any{
		on(ig, "options", map[string]any{"media_type": "stories"}),
		on(th, "media_ids", []int64{}, "options", map[string]any{"topic_tag": "Cats", "link_attachment": "https://example.com/cats"}),
	}})
	ts := targetsOf(t, created)
	if opts, _ := ts[0]["options"].(map[string]any); opts["media_type"] != "STORIES" || ts[0]["state"] != "approved" {
		t.Fatalf("instagram target = %v", ts[0])
	}
	if opts, _ := ts[1]["options"].(map[string]any); opts["media_type"] != nil || ts[1]["state"] != "approved" {
		t.Fatalf("threads target = %v", ts[1])
	}

	// A draft stored before the rules (here: straight into the store) is
	// checked again when it is approved, and stays a draft.
	old := &snsos.Post{Body: "an old draft", MediaIDs: []int64{png}, Targets: []*snsos.Target{{AccountID: ig, Options: map[string]any{"media_type": "REELS"}}}}
	if err := st.CreatePost(ctx, old, nil); err != nil {
		t.Fatal(err)
	}
	p := wantProblem(t, e.post(t, fmt.Sprintf("/api/v1/posts/%d/approve", old.ID), nil), http.StatusBadRequest)
	wantField(t, p, "targets[0].options.media_type", "media_type_mismatch")
	wantField(t, p, "targets[0].media[0]", "media_type")
	if got, _ := st.FindPostByID(ctx, old.ID); got.Targets[0].State != snsos.StateDraft {
		t.Fatalf("refused draft is %s", got.Targets[0].State)
	}
}
