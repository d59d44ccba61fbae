package tiktok

import (
	"context"
	"net/http"
	"strings"

	"github.com/sns-os/snsos/internal/platform"
)

// The states of a publish_id (status/fetch).
const (
	StatusProcessingUpload   = "PROCESSING_UPLOAD"
	StatusProcessingDownload = "PROCESSING_DOWNLOAD"
	StatusInbox              = "SEND_TO_USER_INBOX"
	StatusComplete           = "PUBLISH_COMPLETE"
	StatusFailed             = "FAILED"
)

// publishStatus is what status/fetch says of a publish_id.
type publishStatus struct {
	Status     string
	FailReason string
	// PostID is the first public post id ("" until the post is public and
	// moderated; never for SELF_ONLY).
	PostID        string
	UploadedBytes int64
	// CountsBytes says the answer carried uploaded_bytes.
	CountsBytes bool
}

// fetchStatus asks TikTok where publish_id stands (POST
// /v2/post/publish/status/fetch/, 30 calls a minute).
func (c *Client) fetchStatus(ctx context.Context, acct platform.Auth, publishID string) (*publishStatus, error) {
	data, resp, err := c.do(ctx, call{op: "read the post's status", method: http.MethodPost, path: "/v2/post/publish/status/fetch/",
		token: acct.AccessToken, body: map[string]string{"publish_id": publishID}})
	if err != nil {
		return nil, err
	}
	return decodeStatus(resp, data)
}

// decodeStatus reads the data of status/fetch. The public post ids are
// JSON integers above 2^53 (a list, in TikTok's misspelt
// publicaly_available_post_id); they are kept as decimal strings, never
// through float64.
func decodeStatus(resp *platform.Response, data []byte) (*publishStatus, error) {
	var d struct {
		Status        string        `json:"status"`
		FailReason    string        `json:"fail_reason"`
		PublicIDs     []platform.ID `json:"publicaly_available_post_id"`
		PublicIDsFix  []platform.ID `json:"publicly_available_post_id"`
		UploadedBytes *int64        `json:"uploaded_bytes"`
	}
	if err := decodeData(resp, data, &d); err != nil {
		return nil, err
	}
	st := &publishStatus{Status: strings.ToUpper(strings.TrimSpace(d.Status)), FailReason: strings.TrimSpace(d.FailReason)}
	if d.UploadedBytes != nil {
		st.UploadedBytes, st.CountsBytes = max(*d.UploadedBytes, 0), true
	}
	if st.Status == "" {
		return nil, resp.BadResponse("the status answer has no status")
	}
	for _, id := range append(d.PublicIDs, d.PublicIDsFix...) {
		if !platform.ValidNumericID(string(id)) {
			return nil, resp.BadResponse("the status answer has an invalid post id")
		}
		if st.PostID == "" {
			st.PostID = string(id)
		}
	}
	return st, nil
}

// processing reports a state on the way to an outcome.
func (s *publishStatus) processing() bool {
	switch s.Status {
	case StatusComplete, StatusInbox, StatusFailed:
		return false
	}
	return true
}

// failTexts says in plain words why TikTok failed a post (fail_reason).
var failTexts = map[string]string{
	"file_format_check_failed":           "TikTok could not read the video's format; use an MP4 with H.264 video",
	"duration_check_failed":              "the video is too long or too short for TikTok",
	"frame_rate_check_failed":            "the video's frame rate is outside TikTok's 23 to 60 frames a second",
	"picture_size_check_failed":          "the picture size is outside TikTok's limits (360 to 4096 pixels a side; photos at most 1080p)",
	"internal":                           "TikTok had an internal error",
	"video_pull_failed":                  "TikTok could not download the video from sns-os's public link",
	"photo_pull_failed":                  "TikTok could not download a photo from sns-os's public link",
	"publish_cancelled":                  "the post was cancelled",
	"auth_removed":                       "the account removed sns-os's access to TikTok",
	"spam_risk_too_many_posts":           "the account reached TikTok's daily posting limit; try again tomorrow",
	"spam_risk_user_banned_from_posting": "TikTok has banned this account from posting for now",
	"spam_risk_text":                     "TikTok flagged the caption as spam",
	"spam_risk":                          "TikTok flagged the post as spam",
}

// retryableFail are the fail reasons after which a new upload may
// succeed: TikTok's own error, and a download from a link that works.
var retryableFail = map[string]bool{"internal": true, "video_pull_failed": true, "photo_pull_failed": true}

// failure is the error for a FAILED status: transient when TikTok calls
// the reason retryable (the next Publish starts a new generation), else
// rejected; the daily cap sets Quota.
func failure(op string, st *publishStatus) *platform.Error {
	text, ok := failTexts[st.FailReason]
	switch {
	case !ok && st.FailReason != "":
		text = "TikTok failed the post (" + truncate(st.FailReason, 100) + ")"
	case !ok:
		text = "TikTok failed the post without saying why"
	}
	e := rejected(op, text)
	e.Code = truncate(st.FailReason, 100)
	if retryableFail[st.FailReason] {
		e.Kind = platform.KindTransient
		e.Reason += "; nothing was published, and sns-os will upload it again"
	}
	e.Quota = st.FailReason == "spam_risk_too_many_posts"
	return e
}
