package soak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	snsplatform "github.com/sns-os/snsos/internal/platform"
	ttclient "github.com/sns-os/snsos/internal/platform/tiktok"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
)

// TestTikTokFront checks the TikTok front itself with sns-os's TikTok
// client (no sns-os process): a video of two chunks posted under the
// prefix of incarnation t1 has its init, both chunks and its status reads
// attributed to its target and to t1 (the chunks go to the upload_url's
// path on the caller's own base URL), and shows as one live post of the
// right bytes; an init whose answer is lost is known as such.
func TestTikTokFront(t *testing.T) {
	t.Parallel()
	f := newTikTok(t, 1, time.Now(), make(chan arrival, 64))
	u := f.sim.AddUser("soak_tt_front", "")
	access, _ := f.sim.IssueTokens(u.OpenID)
	f.mu.Lock()
	f.accessUser[access] = u.OpenID // as a token answer through the front would
	f.mu.Unlock()
	b := soakVideos[3].bytes(3)
	sum := sha256.Sum256(b)
	f.setVideos(map[string]string{hex.EncodeToString(sum[:]): "77"})
	f.expectText(u.OpenID, "front test", "k1")
	f.expectText(u.OpenID, "lost answer", "k2")

	c := ttclient.New(ttclient.Config{ClientKey: ttClientKey, ClientSecret: ttClientSecret, RedirectURL: "http://127.0.0.1:1/cb",
		BaseURL: f.URL + "/p/t1", Polling: ttclient.Polling{First: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	auth := snsplatform.Auth{UserID: u.OpenID, Handle: u.Username, AccessToken: snsos.Secret(access)}
	publish := func(ctx context.Context, text string) (*snsplatform.Published, error) {
		req := &snsplatform.PublishRequest{Parts: []snsplatform.Part{{Text: text, Media: []snsplatform.Media{snsplatform.BytesMedia("video/mp4", b)}}},
			Options: map[string]any{"privacy_level": "SELF_ONLY"}}
		return c.Publish(ctx, auth, req, snsplatform.NewProgress(nil, func(context.Context, string, string) error { return nil }))
	}
	res, err := publish(context.Background(), "front test")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, call := range f.callsOf("k1") {
		kinds[call.kind]++
		if call.tag != "t1" || call.container != res.RemoteID || faulted(call) {
			t.Errorf("call %s %s: tag %q, publish %q (want t1, %s), outcome %s", call.route, call.detail, call.tag, call.container, res.RemoteID, call.outcome)
		}
	}
	if kinds[ttInit] != 1 || kinds[ttChunk] != 2 || kinds[ttStatus] < 1 {
		t.Errorf("calls of k1 by kind: %v, want 1 init, 2 chunks and a status read", kinds)
	}
	live := f.posts()
	if len(live) != 1 || live[0].id != res.RemoteID || live[0].text != "front test" || live[0].author != u.OpenID ||
		len(live[0].sources) != 1 || live[0].sources[0] != "77" {
		t.Errorf("live posts %+v, want one of k1 with video 77", live)
	}

	f.sim.InjectFault(ttsim.Fault{Match: "POST " + ttInitPath, Kind: ttsim.FaultHangAfterCommit})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := publish(ctx, "lost answer"); !errors.Is(err, snsplatform.ErrOutcomeUnknown) {
		t.Fatalf("publish with a lost init answer: %v, want outcome unknown", err)
	}
	// The client gave up first; the front records the call once the
	// simulator's handler sees the connection gone.
	for deadline := time.Now().Add(10 * time.Second); len(f.running()) > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	calls := f.callsOf("k2")
	if len(calls) != 1 || len(calls[0].created) != 1 || f.spoiledInit("k2", nil) == "" || f.spoiledInit("k1", nil) != "" {
		t.Errorf("k2's calls %+v; spoiledInit k2 %q, k1 %q", calls, f.spoiledInit("k2", nil), f.spoiledInit("k1", nil))
	}
}

// TestJudgeTikTok checks the comparison on TikTok's cases: a post known
// by its publish_id or by its public video id, a needs_operator target
// TikTok cannot be asked about (fine only while nothing of it is live), a
// target TikTok refused, the wrong bytes, and a video posted twice.
func TestJudgeTikTok(t *testing.T) {
	t.Parallel()
	const tt = "2a3b4c5d-0000-4000-a000-000000000001"
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := func(caption, unaskable, refused string) expectation {
		return expectation{platform: "tiktok", parts: []string{caption}, user: tt, media: []string{"5"}, unaskable: unaskable, refused: refused}
	}
	video := func(id, alias, caption, source string) livePost {
		return livePost{platform: "tiktok", id: id, alias: alias, author: tt, text: caption, media: 1, sources: []string{source}, createdAt: at}
	}
	expect := map[int64]expectation{
		41: e("forty-one", "", ""),            // published as its publish_id: fine
		42: e("forty-two", "", ""),            // published as its public video id: fine
		43: e("forty-three", "no answer", ""), // needs_operator, TikTok cannot be asked: fine
		44: e("forty-four", "", ""),           // needs_operator, TikTok could be asked: lost
		45: e("forty-five", "no answer", ""),  // needs_operator, cannot be asked, but live: lost
		46: e("forty-six", "", "spam"),        // failed, refused by TikTok: fine
		47: e("forty-seven", "", ""),          // published with other bytes: wrong
		48: e("forty-eight", "", ""),          // live twice: 1 duplicate
		49: e("forty-nine", "", "spam"),       // failed, refused, but live: wrong
	}
	targets := []apiTarget{
		{ID: 41, State: "published", RemoteID: "v_pub_1"},
		{ID: 42, State: "published", RemoteID: "7300000000000000001"},
		{ID: 43, State: "needs_operator"},
		{ID: 44, State: "needs_operator"},
		{ID: 45, State: "needs_operator"},
		{ID: 46, State: "failed"},
		{ID: 47, State: "published", RemoteID: "v_pub_7"},
		{ID: 48, State: "published", RemoteID: "v_pub_8"},
		{ID: 49, State: "failed"},
	}
	posts := []livePost{
		video("v_pub_1", "", "forty-one", "5"),
		video("v_pub_2", "7300000000000000001", "forty-two", "5"),
		video("v_pub_5", "", "forty-five", "5"),
		video("v_pub_7", "", "forty-seven", "sha256:0badbeef"),
		video("v_pub_8", "", "forty-eight", "5"), video("v_pub_8b", "", "forty-eight", "5"),
		video("v_pub_9", "", "forty-nine", "5"),
	}
	v := judge(targets, expect, map[string]string{}, posts)
	checkCounts(t, "tiktok", v.byPlatform["tiktok"], verdict{targets: 9, published: 4, failed: 2, needsOperator: 3,
		duplicates: 1, lost: 2, wrong: 2})
	got := map[int64][]string{}
	for _, p := range v.problems {
		got[p.target] = append(got[p.target], p.kind)
	}
	want := map[int64][]string{44: {"lost"}, 45: {"lost"}, 47: {"wrong"}, 48: {"duplicate"}, 49: {"wrong"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	if line := v.breakdown("sqlite"); line != "soak by platform: db=sqlite tiktok targets=9 published=4 failed=2 needs_operator=3 canceled=0 duplicates=1 lost=2 stuck=0 wrong=2" {
		t.Errorf("breakdown = %q", line)
	}
}
