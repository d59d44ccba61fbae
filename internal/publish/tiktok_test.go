package publish_test

import (
	"context"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// tiktokMP4 is a small MP4 (the simulator sniffs its ftyp box).
var tiktokMP4 = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 4000)...)

// videoSource hands out tiktokMP4 for every media id, as a stream.
type videoSource struct{}

func (videoSource) PlatformMedia(context.Context, int64) (platform.Media, error) {
	return platform.BytesMedia("video/mp4", tiktokMP4), nil
}

// tiktokEnv is the X harness plus a TikTok account on the real simulator
// (unaudited, as the demo's) over loopback, and a stored MP4.
type tiktokEnv struct {
	*harness
	tt    *ttsim.Sim
	user  ttsim.User
	acct  *snsos.Account
	video int64
}

func newTikTokEnv(t *testing.T, env *storetest.Env, accountOptions map[string]string) *tiktokEnv {
	t.Helper()
	return newTikTokEnvTuned(t, env, accountOptions, nil)
}

// newTikTokEnvTuned is newTikTokEnv with the engine's config tuned further.
func newTikTokEnvTuned(t *testing.T, env *storetest.Env, accountOptions map[string]string, tune func(*publish.Config)) *tiktokEnv {
	t.Helper()
	te := &tiktokEnv{tt: ttsim.New(ttsim.Options{ClientKey: "tkey", ClientSecret: "tsecret", Unaudited: true,
		ProcessingDuration: 20 * time.Millisecond})}
	srv := httptest.NewServer(te.tt)
	t.Cleanup(func() { te.tt.Close(); srv.Close() })
	client := tiktok.New(tiktok.Config{ClientKey: "tkey", ClientSecret: "tsecret", RedirectURL: srv.URL + "/callback", BaseURL: srv.URL,
		HTTP:    platform.NewHTTPClient(platform.HTTPOptions{Timeout: 2 * time.Second}),
		Polling: tiktok.Polling{First: 10 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 10 * time.Second}})
	te.harness = newHarness(t, env, func(c *publish.Config) {
		c.Platforms = maps.Clone(c.Platforms)
		c.Platforms[snsos.PlatformTikTok] = client
		c.Media = videoSource{}
		if tune != nil {
			tune(c)
		}
	})
	s := env.Store
	te.user = te.tt.AddUser("tt_poster", "TT Poster")
	access, refresh := te.tt.IssueTokens(te.user.OpenID)
	te.acct = &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: te.user.OpenID, Handle: te.user.Username, Options: accountOptions}
	if err := s.UpsertAccount(ctx, te.acct); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: te.acct.ID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
		ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m := &snsos.MediaRef{SHA256: "tt-mp4", Key: "k-tt-mp4", Mime: "video/mp4", Size: int64(len(tiktokMP4)), Width: 1080, Height: 1920,
		DurationMS: 2000, FrameRate: 30, Codec: "avc1"}
	if _, err := s.CreateMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	te.video = m.ID
	return te
}

// post returns a post of the video to the TikTok account, due shortly.
func (te *tiktokEnv) post(text string, opts map[string]any) *snsos.Post {
	return &snsos.Post{Body: text, MediaIDs: []int64{te.video}, ScheduledAt: time.Now().Add(200 * time.Millisecond),
		Targets: []*snsos.Target{{AccountID: te.acct.ID, Options: opts}}}
}

// simPosts returns the simulator's publishes with text.
func (te *tiktokEnv) simPosts(text string) []ttsim.Post {
	var out []ttsim.Post
	for _, p := range te.tt.Posts() {
		if p.Title == text {
			out = append(out, p)
		}
	}
	return out
}

// TestTikTokDirectPostNeedsAnAudience: a Direct Post without privacy_level
// is refused at approval (created approved, or a draft approved later)
// with the reason, and nothing reaches TikTok; a draft may lack it.
func TestTikTokDirectPostNeedsAnAudience(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, nil)
		refused := func(what string, err error) {
			t.Helper()
			if !hasRule(err, rules.RuleOptionRequired) || !strings.Contains(err.Error(), "privacy_level") ||
				!strings.Contains(strings.ToLower(snsos.ErrorMessage(err)), "choose who can see this tiktok post; sns-os never picks for you") {
				t.Fatalf("%s: err = %v, want the audience refused", what, err)
			}
		}
		refused("create approved", te.engine.CreatePost(ctx, te.post("no audience", nil), true))
		refused("create approved, empty", te.engine.CreatePost(ctx, te.post("no audience", map[string]any{"privacy_level": ""}), true))
		draft := te.post("no audience", nil)
		draft.ScheduledAt = time.Time{}
		if err := te.engine.CreatePost(ctx, draft, false); err != nil {
			t.Fatalf("a draft without an audience was refused: %v", err)
		}
		_, err := te.engine.Approve(ctx, draft.ID)
		refused("approve", err)
		tg, err := env.Store.FindTargetByID(ctx, draft.Targets[0].ID)
		if err != nil || tg.State != snsos.StateDraft {
			t.Fatalf("the refused draft is %+v (%v), want still draft", tg, err)
		}
		if err := te.engine.CreatePost(ctx, te.post("bad audience", map[string]any{"privacy_level": "EVERYONE"}), true); !hasRule(err, rules.RuleOptionValue) {
			t.Fatalf("privacy_level EVERYONE: err = %v, want option_value", err)
		}
		if err := te.engine.CreatePost(ctx, te.post("unknown", map[string]any{"privacy_level": "SELF_ONLY", "post_mode": "MEDIA_UPLOAD"}), true); !hasRule(err, rules.RuleOptionUnknown) {
			t.Fatalf("post_mode set by the operator: err = %v, want option_unknown", err)
		}
		// Preflight says so too, for a draft that lacks it.
		problems, err := te.engine.Preflight(ctx, tg)
		if err != nil || !strings.Contains(strings.ToLower(strings.Join(problems, "\n")), "choose who can see this tiktok post") {
			t.Fatalf("preflight = %q, %v; want the missing audience", problems, err)
		}
		if n := len(te.tt.Posts()); n != 0 {
			t.Fatalf("%d publishes reached TikTok, want none", n)
		}
	})
}

// TestTikTokPublishesOnlyMeOnce: a Direct Post chosen "Only me" publishes
// the video once, as SELF_ONLY, carrying the video's duration; it has a
// publish id and, never public, no link.
func TestTikTokPublishesOnlyMeOnce(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, nil)
		p := te.post("only me, once", map[string]any{"privacy_level": "SELF_ONLY"})
		if err := te.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		tg := te.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		posts := te.simPosts("only me, once")
		if len(posts) != 1 {
			t.Fatalf("%d publishes on TikTok, want exactly 1", len(posts))
		}
		got := posts[0]
		if got.Mode != ttsim.ModeDirect || got.PrivacyLevel != ttsim.PrivacySelfOnly || got.Status != ttsim.StatusPublishComplete ||
			got.UploadedBytes != int64(len(tiktokMP4)) || !got.DisableComment || !got.DisableDuet || !got.DisableStitch {
			t.Fatalf("TikTok publish %+v", got)
		}
		if tg.RemoteID != got.PublishID || tg.RemoteURL != "" {
			t.Fatalf("target remote id %q url %q, want the publish id %q and no link", tg.RemoteID, tg.RemoteURL, got.PublishID)
		}
		if n := len(te.simPosts("only me, once")); n != 1 {
			t.Fatalf("%d publishes after the target settled, want 1", n)
		}
	})
}

// TestTikTokRequestCarriesDuration: the engine passes the video's
// duration, so a video longer than the account may post is refused by the
// client before anything is sent.
func TestTikTokRequestCarriesDuration(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, nil)
		if err := te.tt.SetCreator(te.user.OpenID, ttsim.Creator{MaxVideoPostDurationSec: 1}); err != nil {
			t.Fatal(err)
		}
		p := te.post("too long for this account", map[string]any{"privacy_level": "SELF_ONLY"})
		if err := te.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		tg := te.waitState(t, p.Targets[0].ID, snsos.StateFailed)
		if !strings.Contains(tg.Error, "2s") {
			t.Fatalf("target error %q does not name the video's duration", tg.Error)
		}
		if n := len(te.tt.Posts()); n != 0 {
			t.Fatalf("%d publishes on TikTok, want none (%s)", n, tg.Error)
		}
	})
}

// TestTikTokInboxUpload: an account that uploads to its TikTok inbox needs
// no audience; the upload is recorded as published with the upload's id
// and no link.
func TestTikTokInboxUpload(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, map[string]string{publish.AccountPublishMode: publish.PublishModeInbox})
		p := te.post("to the inbox", nil)
		if err := te.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatalf("an inbox upload without an audience was refused: %v", err)
		}
		tg := te.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		posts := te.tt.Posts() // an inbox upload carries no caption
		if len(posts) != 1 || posts[0].Mode != ttsim.ModeInbox || posts[0].Status != ttsim.StatusSendToUserInbox {
			t.Fatalf("TikTok publishes %+v, want one inbox upload", posts)
		}
		if tg.RemoteID != posts[0].PublishID || tg.RemoteURL != "" {
			t.Fatalf("target remote id %q url %q, want the upload's id %q and no link", tg.RemoteID, tg.RemoteURL, posts[0].PublishID)
		}
		atts, _ := env.Store.ListAttempts(ctx, tg.ID)
		if len(atts) != 1 || !strings.Contains(atts[0].Detail, "inbox") {
			t.Fatalf("attempts %+v", atts)
		}
	})
}

// TestTikTokModeFlipBeforePublishing: a post approved while the account
// sent posts to its TikTok inbox carries no audience; when the account
// posts directly by the time it is due, the target fails with the reason
// (never given an audience) and nothing reaches TikTok. Switching back to
// the inbox lets a retry upload it.
func TestTikTokModeFlipBeforePublishing(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		te := newTikTokEnv(t, env, map[string]string{publish.AccountPublishMode: publish.PublishModeInbox})
		p := te.post("approved for the inbox", nil)
		p.ScheduledAt = time.Time{}
		if err := te.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		set, err := publish.PublishModeOptions(te.acct, publish.PublishModeDirect)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.MergeAccountOptions(ctx, te.acct.ID, set, "operator"); err != nil {
			t.Fatal(err)
		}
		if _, err := te.engine.Schedule(ctx, p.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		tg := te.waitState(t, p.Targets[0].ID, snsos.StateFailed)
		if !strings.Contains(tg.Error, "now posts directly") || !strings.Contains(tg.Error, "choose who can see") {
			t.Fatalf("target error %q does not say why", tg.Error)
		}
		if n := len(te.tt.Posts()); n != 0 {
			t.Fatalf("%d publishes reached TikTok, want none", n)
		}
		if _, err := env.Store.MergeAccountOptions(ctx, te.acct.ID, map[string]string{publish.AccountPublishMode: publish.PublishModeInbox}, "operator"); err != nil {
			t.Fatal(err)
		}
		if _, err := te.engine.RetryTarget(ctx, tg.ID); err != nil {
			t.Fatal(err)
		}
		te.waitState(t, tg.ID, snsos.StatePublished)
		if posts := te.tt.Posts(); len(posts) != 1 || posts[0].Mode != ttsim.ModeInbox {
			t.Fatalf("TikTok publishes %+v, want one inbox upload", posts)
		}
	})
}

// TestPublishModeOptions: only a TikTok account has a publish mode, and
// only "direct" or "inbox".
func TestPublishModeOptions(t *testing.T) {
	t.Parallel()
	tt := &snsos.Account{Platform: snsos.PlatformTikTok, Handle: "tt"}
	for _, mode := range []string{publish.PublishModeDirect, publish.PublishModeInbox} {
		if set, err := publish.PublishModeOptions(tt, mode); err != nil || set[publish.AccountPublishMode] != mode || len(set) != 1 {
			t.Errorf("%s: %v %v", mode, set, err)
		}
	}
	for _, c := range []struct {
		a    *snsos.Account
		mode string
		rule string
	}{
		{&snsos.Account{Platform: snsos.PlatformX, Handle: "x"}, publish.PublishModeInbox, rules.RuleOptionUnknown},
		{tt, "INBOX", rules.RuleOptionValue},
		{tt, "", rules.RuleOptionValue},
	} {
		_, err := publish.PublishModeOptions(c.a, c.mode)
		if !hasRule(err, c.rule) || !strings.Contains(err.Error(), "options.publish_mode") {
			t.Errorf("%s %q: %v, want %s on options.publish_mode", c.a.Platform, c.mode, err, c.rule)
		}
	}
}

// TestInboxState: the inbox mark follows the TikTok client's progress
// (tiktok.InboxUpload) and the target's remote id and checkpoints.
func TestInboxState(t *testing.T) {
	t.Parallel()
	const upload, public = "v_inbox_file~v2-1.9", "7440000000000000009"
	cp := []*snsos.MetricSnapshot{{Checkpoint: "1h", Status: snsos.SnapshotUnavailable}}
	manual := []*snsos.MetricSnapshot{{Checkpoint: snsos.CheckpointManual, Status: snsos.SnapshotUnavailable}}
	for _, c := range []struct {
		name     string
		platform snsos.Platform
		state    snsos.TargetState
		progress map[string]string
		remoteID string
		metrics  []*snsos.MetricSnapshot
		want     string
	}{
		{"waiting", snsos.PlatformTikTok, snsos.StatePublished, map[string]string{tiktok.KeyInbox: "1"}, upload, manual, publish.InboxWaiting},
		{"settled by reconciliation", snsos.PlatformTikTok, snsos.StatePublished, map[string]string{tiktok.KeyPostMode: tiktok.ModeInbox}, upload, nil, publish.InboxWaiting},
		{"posted", snsos.PlatformTikTok, snsos.StatePublished, map[string]string{tiktok.KeyInbox: "1"}, public, nil, publish.InboxPosted},
		{"not posted", snsos.PlatformTikTok, snsos.StatePublished, map[string]string{tiktok.KeyInbox: "1"}, upload, cp, publish.InboxNotPosted},
		{"direct post", snsos.PlatformTikTok, snsos.StatePublished, map[string]string{tiktok.KeyPostMode: tiktok.ModeDirect}, upload, nil, ""},
		{"not published", snsos.PlatformTikTok, snsos.StatePublishing, map[string]string{tiktok.KeyPostMode: tiktok.ModeInbox}, "", nil, ""},
		{"another platform", snsos.PlatformX, snsos.StatePublished, map[string]string{"inbox": "1"}, public, nil, ""},
	} {
		tg := &snsos.Target{Platform: c.platform, State: c.state, Progress: c.progress, RemoteID: c.remoteID, Metrics: c.metrics}
		if got := publish.InboxState(tg); got != c.want {
			t.Errorf("%s: InboxState = %q, want %q", c.name, got, c.want)
		}
		if c.platform == snsos.PlatformTikTok && c.state == snsos.StatePublished && (publish.InboxState(tg) != "") != tiktok.InboxUpload(c.progress) {
			t.Errorf("%s: the engine and the client disagree on the inbox mark", c.name)
		}
	}
}

// TestTikTokStarted: the engine reads the client's progress as the client
// does — a post whose init call went out in any generation has started.
func TestTikTokStarted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		progress map[string]string
		want     bool
	}{
		{nil, false},
		{map[string]string{tiktok.KeyPostMode: tiktok.ModeInbox, "upload.chunk_size": "5242880"}, false}, // an init refused
		{map[string]string{tiktok.InitSentKey(1): "2026-11-28T09:00:00Z"}, true},
		{map[string]string{tiktok.PublishIDKey(1): "v_inbox_file~v2-1.1"}, true},
		{map[string]string{tiktok.InitSentKey(1): "", tiktok.PublishIDKey(2): "v_inbox_file~v2-1.2"}, true},
	} {
		if got := publish.TikTokStartedForTest(c.progress); got != c.want {
			t.Errorf("%v: started %v, want %v", c.progress, got, c.want)
		}
	}
}
