package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// CreatorInfo is what TikTok says the account may post now
// (creator_info/query): the compose page builds its audience list and its
// interaction switches from it, and Publish checks every post against a
// fresh copy.
type CreatorInfo struct {
	AvatarURL string
	Username  string
	Nickname  string
	// PrivacyLevelOptions are the audiences the account offers, e.g.
	// PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY.
	PrivacyLevelOptions []string
	// CommentDisabled, DuetDisabled and StitchDisabled say the account
	// turned these off in its TikTok settings.
	CommentDisabled bool
	DuetDisabled    bool
	StitchDisabled  bool
	// MaxVideoDuration is the longest video the account may post.
	MaxVideoDuration time.Duration
}

// OnlyMe reports that the account offers no audience but "Only me", as
// for an app that has not passed TikTok's Direct Post audit.
func (ci *CreatorInfo) OnlyMe() bool {
	return len(ci.PrivacyLevelOptions) == 1 && ci.PrivacyLevelOptions[0] == PrivacySelfOnly
}

// CreatorInfo asks TikTok what acct may post now (POST
// /v2/post/publish/creator_info/query/, 20 calls a minute). TikTok answers
// an account that may not post now (too many posts today, banned, the
// app's daily cap of accounts) with HTTP 200 and an error, which comes back
// here as a rejected *platform.Error saying so.
func (c *Client) CreatorInfo(ctx context.Context, acct platform.Auth) (*CreatorInfo, error) {
	data, resp, err := c.do(ctx, call{op: "read what the account may post", method: http.MethodPost,
		path: "/v2/post/publish/creator_info/query/", token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	ci, err := decodeCreator(resp, data)
	if err == nil && acct.UserID != "" && c.cfg.OnCreatorInfo != nil {
		c.cfg.OnCreatorInfo(ctx, acct.UserID, ci)
	}
	return ci, err
}

// AccountUnaudited is the account option (snsos.Account.Options) that
// says whether TikTok offered the account no audience but "Only me" when
// it was last asked: "true" for an app that has not passed TikTok's
// Direct Post audit (its Direct Posts can only be private), "false" once
// it offers more.
const AccountUnaudited = "unaudited"

// AccountOptions are what ci says of the account, under the names stored
// with it (snsos.Account.Options).
func (ci *CreatorInfo) AccountOptions() map[string]string {
	return map[string]string{AccountUnaudited: strconv.FormatBool(ci.OnlyMe())}
}

// decodeCreator reads the data of creator_info/query.
func decodeCreator(resp *platform.Response, data []byte) (*CreatorInfo, error) {
	var d struct {
		AvatarURL           string   `json:"creator_avatar_url"`
		Username            string   `json:"creator_username"`
		Nickname            string   `json:"creator_nickname"`
		PrivacyLevelOptions []string `json:"privacy_level_options"`
		CommentDisabled     bool     `json:"comment_disabled"`
		DuetDisabled        bool     `json:"duet_disabled"`
		StitchDisabled      bool     `json:"stitch_disabled"`
		MaxDurationSec      int64    `json:"max_video_post_duration_sec"`
	}
	if err := decodeData(resp, data, &d); err != nil {
		return nil, err
	}
	ci := &CreatorInfo{AvatarURL: d.AvatarURL, Username: d.Username, Nickname: d.Nickname,
		CommentDisabled: d.CommentDisabled, DuetDisabled: d.DuetDisabled, StitchDisabled: d.StitchDisabled}
	for _, o := range d.PrivacyLevelOptions {
		if o = strings.ToUpper(strings.TrimSpace(o)); o != "" && !slices.Contains(ci.PrivacyLevelOptions, o) {
			ci.PrivacyLevelOptions = append(ci.PrivacyLevelOptions, o)
		}
	}
	if len(ci.PrivacyLevelOptions) == 0 {
		return nil, resp.BadResponse("the creator answer lists no audience (privacy_level_options)")
	}
	if d.MaxDurationSec > 0 && d.MaxDurationSec < 1<<31 {
		ci.MaxVideoDuration = time.Duration(d.MaxDurationSec) * time.Second
	}
	return ci, nil
}

// checkCreator refuses what the account may not post: an audience it does
// not offer, a video longer than it may post, interactions it turned off.
// An inbox upload is checked for its length only: the rest is chosen in the
// TikTok app.
func checkCreator(p *post, ci *CreatorInfo) error {
	const op = "check the post against the account"
	if p.video != nil && p.duration > 0 && ci.MaxVideoDuration > 0 && p.duration > ci.MaxVideoDuration {
		return rejected(op, fmt.Sprintf("the video is %s long; this TikTok account may post videos of at most %s",
			p.duration.Round(time.Second), ci.MaxVideoDuration))
	}
	if p.inbox() {
		return nil
	}
	if !slices.Contains(ci.PrivacyLevelOptions, p.privacy) {
		reason := fmt.Sprintf("this TikTok account offers the audiences %s, not %s; choose one of them",
			strings.Join(ci.PrivacyLevelOptions, ", "), p.privacy)
		if ci.OnlyMe() {
			reason += ". TikTok offers only \"Only me\" here: " + unaudited
		}
		return rejected(op, reason)
	}
	for _, t := range []struct {
		allowed, off bool
		what         string
	}{
		{!p.disableComment, ci.CommentDisabled, "comments"},
		{!p.disableDuet && p.video != nil, ci.DuetDisabled, "Duet"},
		{!p.disableStitch && p.video != nil, ci.StitchDisabled, "Stitch"},
	} {
		if t.allowed && t.off {
			return rejected(op, fmt.Sprintf("the post allows %s, which this account turned off in its TikTok settings; "+
				"untick Allow %s or turn it on in the TikTok app", t.what, t.what))
		}
	}
	return nil
}
