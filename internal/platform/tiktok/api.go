package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// jsonType is the Content-Type of every API call with a body.
const jsonType = "application/json; charset=UTF-8"

// rateWindow is TikTok's rate-limit window: every limit is a count per
// one-minute sliding window (init 6, status/fetch 30, creator_info 20, the
// user and video reads 600), and TikTok sends no header saying when a slot
// frees, so a refused call waits for the whole window.
const rateWindow = time.Minute

// apiError is the error object of the envelope, and the code of a success
// ("ok").
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	LogID   string `json:"log_id"`
}

// envelope is every API answer: {"data":{…},"error":{…}}. The token
// endpoints answer a flat OAuth error instead ({"error":"invalid_grant",
// "error_description":…,"log_id":…}), which it reads too.
type envelope struct {
	Data             json.RawMessage `json:"data"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	LogID            string          `json:"log_id"`
}

// verdict returns the answer's error object, and whether it has one. A
// string error (the OAuth shape) becomes an apiError with that code.
func (e *envelope) verdict() (apiError, bool) {
	raw := bytes.TrimSpace(e.Error)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return apiError{}, false
	case raw[0] == '"':
		var s string
		if platform.Unmarshal(raw, &s) != nil {
			return apiError{}, false
		}
		return apiError{Code: s, Message: e.ErrorDescription, LogID: e.LogID}, true
	}
	var a struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
		LogID   string `json:"log_id"`
	}
	if platform.Unmarshal(raw, &a) != nil {
		return apiError{}, false
	}
	code := ""
	if a.Code != nil {
		code = strings.TrimSpace(fmt.Sprint(a.Code))
	}
	return apiError{Code: code, Message: a.Message, LogID: a.LogID}, true
}

// hasData reports a data member that is neither absent nor null.
func (e *envelope) hasData() bool {
	d := bytes.TrimSpace(e.Data)
	return len(d) > 0 && !bytes.Equal(d, []byte("null"))
}

// call is one API call.
type call struct {
	op       string
	method   string
	path     string // real path, with its trailing slash
	query    url.Values
	token    snsos.Secret
	body     any // encoded as JSON; nil sends no body
	mutating bool
	redact   []string
}

// do sends an API call and returns the envelope's data when error.code is
// "ok" and the status 2xx, or the classified error otherwise.
func (c *Client) do(ctx context.Context, r call) (json.RawMessage, *platform.Response, error) {
	u := c.api + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req := &platform.Request{
		Platform:    snsos.PlatformTikTok,
		Op:          r.op,
		Method:      r.method,
		URL:         u,
		Token:       r.token,
		ContentType: jsonType,
		Mutating:    r.mutating,
		Redact:      c.secrets(r.redact...),
	}
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, nil, rejected(r.op, "encode request: "+err.Error())
		}
		req.Body = bytes.NewReader(b)
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	data, err := answer(resp, c.now())
	if err != nil {
		return nil, nil, err
	}
	return data, resp, nil
}

// answer returns the data of an API answer when its status is 2xx and its
// envelope's error.code "ok" (an answer with data and no error object is
// taken as a success too); otherwise the classified error.
func answer(resp *platform.Response, now time.Time) (json.RawMessage, error) {
	var env envelope
	err := platform.DecodeJSON(resp, &env)
	if !resp.OK() {
		return nil, ClassifyResponse(resp, now)
	}
	if err != nil {
		return nil, err
	}
	v, ok := env.verdict()
	switch {
	case ok && v.Code != "ok":
		return nil, ClassifyResponse(resp, now)
	case !ok && !env.hasData():
		return nil, resp.BadResponse("the answer has neither data nor an error object")
	}
	return env.Data, nil
}

// decodeData decodes an envelope's data into v; a malformed data object is
// an *Error like DecodeJSON's.
func decodeData(resp *platform.Response, data json.RawMessage, v any) error {
	if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return resp.BadResponse("the answer has no data")
	}
	if err := platform.Unmarshal(data, v); err != nil {
		return resp.BadResponse("malformed data: " + err.Error())
	}
	return nil
}

// codeText is what sns-os says about one of TikTok's error codes.
type codeText struct {
	kind   platform.Kind // 0: the HTTP status decides
	quota  bool
	reason string
}

// unaudited explains the refusals an unaudited app meets.
const unaudited = "this TikTok app has not passed TikTok's Direct Post audit, so TikTok only lets it post as \"Only me\" " +
	"(SELF_ONLY) to an account that is set to private: set the TikTok account to private and choose Only me, or " +
	"send the video to the TikTok inbox instead (inbox mode)"

// codes maps TikTok's error codes (tiktok-x.md §1.3, §1.5) to kinds and
// plain words.
var codes = map[string]codeText{
	"access_token_invalid": {platform.KindAuth, false, "TikTok refused the access token (expired or revoked); refresh it or connect the account again"},
	"scope_not_authorized": {platform.KindAuth, false, "the TikTok account did not grant the permission this needs; " +
		"connect it again and leave every permission ticked"},
	"scope_permission_missed": {platform.KindAuth, false, "TikTok refused a field the granted permissions do not cover; connect the account again"},
	"rate_limit_exceeded":     {platform.KindRateLimited, false, "TikTok's rate limit for this call was reached; sns-os waits a minute"},
	"spam_risk_too_many_posts": {platform.KindRejected, true, "the account reached TikTok's daily posting limit " +
		"(about 15 posts a day, shared by every app); try again tomorrow"},
	"spam_risk_user_banned_from_posting": {platform.KindRejected, false, "TikTok has banned this account from posting for now; " +
		"check the account in the TikTok app"},
	"reached_active_user_cap": {platform.KindRejected, true, "this TikTok app reached its daily cap of accounts that may post " +
		"(an unaudited app: 5 accounts in 24 hours); try again tomorrow"},
	"spam_risk_too_many_pending_share": {platform.KindRejected, true, "the account's TikTok inbox holds the most unfinished uploads " +
		"TikTok allows (5 in 24 hours); finish or delete some in the TikTok app, then try again"},
	"spam_risk_text": {platform.KindRejected, false, "TikTok flagged the caption as spam"},
	"spam_risk":      {platform.KindRejected, false, "TikTok flagged the post as spam"},
	"unaudited_client_can_only_post_to_private_accounts": {platform.KindRejected, false, "TikTok refused the post: " + unaudited},
	"privacy_level_option_mismatch": {platform.KindRejected, false, "TikTok refused the chosen audience (privacy_level): it is " +
		"not one the account offers now. If " + unaudited},
	"url_ownership_unverified": {platform.KindRejected, false, "TikTok fetches photos only from a domain verified in the TikTok " +
		"developer portal: verify sns-os's public address (SNSOS_PUBLIC_URL) there"},
	"app_version_check_failed": {platform.KindRejected, false, "the account's TikTok app is too old to receive photo uploads " +
		"in its inbox; update it to version 31.8 or later"},
	"invalid_param":  {platform.KindRejected, false, "TikTok refused a parameter of the request"},
	"invalid_params": {platform.KindRejected, false, "TikTok refused a parameter of the request"},
	"invalid_file_upload": {platform.KindRejected, false, "TikTok refused the file: it is not a video TikTok takes " +
		"(MP4, WebM or MOV, H.264 recommended)"},
	"invalid_publish_id": {platform.KindRejected, false, "TikTok does not know this publish_id"},
	"token_not_authorized_for_specified_publish_id": {platform.KindRejected, false, "this publish_id belongs to another " +
		"TikTok account than the one connected"},
	"internal_error": {0, false, "TikTok had an internal error"},
}

// ClassifyResponse maps a TikTok answer that is no success (an envelope
// whose error.code is not "ok", whatever the HTTP status, or an error
// status with any body) to a *platform.Error with TikTok's code and its
// meaning in plain words: access_token_invalid and scope_not_authorized →
// auth; rate_limit_exceeded → rate limited until the one-minute window has
// passed (or Retry-After, when sent); the spam_risk codes and the daily
// caps → rejected (the caps with Quota set); the unaudited-app refusals →
// rejected with what the operator can do; internal_error and 5xx →
// transient, or outcome-unknown for a mutating call; any other refusal →
// rejected. A body that is not JSON keeps its status's class.
func ClassifyResponse(resp *platform.Response, now time.Time) *platform.Error {
	var env envelope
	derr := platform.DecodeJSON(resp, &env)
	e, _ := env.verdict()
	if e.Code == "ok" {
		e.Code = ""
	}
	ct, known := codes[e.Code]
	kind := ct.kind
	if kind == 0 {
		kind = platform.StatusKind(resp.StatusCode, resp.Mutating())
	}
	if kind == 0 { // an error code with a 2xx status
		kind = platform.KindRejected
		if e.Code == "internal_error" || e.Code == "" {
			kind = ambiguous(resp.Mutating())
		}
	}
	reason := ct.reason
	switch {
	case !known && e.Code != "":
		reason = "TikTok refused the request (" + e.Code + ")"
	case !known:
		reason = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if c := resp.ContentType(); derr != nil && c != "" && !resp.IsJSON() {
			reason += " with a " + c + " body instead of JSON"
		} else if derr != nil {
			reason += " with an unreadable body"
		}
	}
	if m := strings.TrimSpace(e.Message); m != "" && !strings.EqualFold(m, e.Code) {
		reason += ": TikTok says " + truncate(m, 300)
	}
	if e.LogID != "" {
		reason += " (log_id " + truncate(e.LogID, 64) + ")"
	}
	if kind == platform.KindOutcomeUnknown {
		reason += "; the request was sent, so it may have taken effect"
	}
	pe := resp.Error(kind, truncate(e.Code, 100), reason)
	pe.Quota = ct.quota
	if kind == platform.KindRateLimited {
		pe.RetryAt = now.Add(rateWindow)
		if resp.RetryAt.After(pe.RetryAt) {
			pe.RetryAt = resp.RetryAt
		}
	}
	return pe
}

// ambiguous is the kind of a failure whose effect is unknown: outcome
// unknown for a mutating call, transient otherwise.
func ambiguous(mutating bool) platform.Kind {
	if mutating {
		return platform.KindOutcomeUnknown
	}
	return platform.KindTransient
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
