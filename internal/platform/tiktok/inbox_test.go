package tiktok

import (
	"context"
	"sync"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
)

// TestStartedModeIsKept: a post started as an inbox upload is carried on
// as one when the request now says Direct Post (the account's mode
// changed between two attempts), never refused for its missing audience
// nor started again; a saved mode whose init never went out does not bind
// the next attempt.
func TestStartedModeIsKept(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, ttsim.Options{}, 0)
	ctx := context.Background()
	md, _ := simVideo(3 << 20)
	pr := platform.NewProgress(nil, nil)
	first, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{OptPostMode: ModeInbox}), pr)
	if err != nil || !first.Inbox {
		t.Fatalf("inbox upload: %+v %v", first, err)
	}
	saved := pr.Values()
	if saved[KeyPostMode] != ModeInbox || !InboxUpload(saved) || !AwaitsPublicPost(saved, first.RemoteID) {
		t.Fatalf("progress %v does not say the upload went to the inbox", saved)
	}
	// As if the attempt ended before it recorded its verdict.
	delete(saved, PostIDKey)
	delete(saved, KeyInbox)
	again, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{OptPostMode: ModeDirect}), platform.NewProgress(saved, nil))
	if err != nil || !again.Inbox || again.RemoteID != first.RemoteID {
		t.Fatalf("resumed under Direct Post: %+v %v, want the inbox upload %s", again, err, first.RemoteID)
	}
	if n := len(e.sim.Posts()); n != 1 {
		t.Fatalf("%d publishes on TikTok, want 1", n)
	}

	// A mode saved before an init that never went out binds nothing.
	direct, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{OptPostMode: ModeDirect, OptPrivacyLevel: PrivacySelfOnly}),
		platform.NewProgress(map[string]string{KeyPostMode: ModeInbox}, nil))
	if err != nil || direct.Inbox {
		t.Fatalf("direct post after a refused inbox init: %+v %v", direct, err)
	}
	if posts := e.sim.Posts(); len(posts) != 2 || posts[1].Mode != ttsim.ModeDirect {
		t.Fatalf("publishes %+v, want a second one, direct", posts)
	}
	if AwaitsPublicPost(map[string]string{KeyPostMode: ModeDirect}, direct.RemoteID) {
		t.Error("a Direct Post awaits a public post")
	}
}

// TestCreatorInfoHeard: every creator_info read for a known account is
// passed to OnCreatorInfo with its open_id, and says whether TikTok
// offered only "Only me"; Profile (no account yet) returns it in the
// profile's options instead.
func TestCreatorInfoHeard(t *testing.T) {
	t.Parallel()
	for _, unaudited := range []bool{true, false} {
		e := newSimEnv(t, ttsim.Options{Unaudited: unaudited}, 0)
		var mu sync.Mutex
		heard := map[string]string{}
		e.c.cfg.OnCreatorInfo = func(_ context.Context, openID string, ci *CreatorInfo) {
			mu.Lock()
			defer mu.Unlock()
			heard[openID] = ci.AccountOptions()[AccountUnaudited]
		}
		want := "false"
		if unaudited {
			want = "true"
		}
		ci, err := e.c.CreatorInfo(context.Background(), e.auth)
		if err != nil || ci.OnlyMe() != unaudited {
			t.Fatalf("unaudited %v: creator info %+v %v", unaudited, ci, err)
		}
		if heard[e.user.OpenID] != want || len(heard) != 1 {
			t.Fatalf("unaudited %v: heard %v, want %s for %s", unaudited, heard, want, e.user.OpenID)
		}
		prof, err := e.c.Profile(context.Background(), e.auth.AccessToken)
		if err != nil || prof.Options[AccountUnaudited] != want {
			t.Fatalf("unaudited %v: profile %+v %v", unaudited, prof, err)
		}
		if len(heard) != 1 {
			t.Fatalf("Profile, with no account yet, was heard: %v", heard)
		}
	}
}
