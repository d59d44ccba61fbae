package x

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// problem is X's error body: RFC 7807 problem+json at the top level, an
// errors[] list (invalid-request, and partial errors on 200), and the OAuth
// error/error_description pair of the token endpoints.
type problem struct {
	Title            string         `json:"title"`
	Detail           string         `json:"detail"`
	Type             string         `json:"type"`
	Status           any            `json:"status"`
	Errors           []problemEntry `json:"errors"`
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description"`
	Reason           string         `json:"reason"`
}

// problemEntry is one entry of errors[].
type problemEntry struct {
	ResourceID   platform.ID `json:"resource_id"`
	ResourceType string      `json:"resource_type"`
	Parameter    string      `json:"parameter"`
	Value        any         `json:"value"`
	Field        string      `json:"field"`
	Title        string      `json:"title"`
	Detail       string      `json:"detail"`
	Message      string      `json:"message"`
	Type         string      `json:"type"`
}

func (p problemEntry) text() string {
	switch {
	case p.Detail != "":
		return p.Detail
	case p.Message != "":
		return p.Message
	}
	return p.Title
}

// code returns the last path segment of a problem type URL
// ("https://api.x.com/2/problems/usage-capped" → "usage-capped").
func code(typ string) string {
	if typ == "" || typ == "about:blank" {
		return ""
	}
	return typ[strings.LastIndexByte(typ, '/')+1:]
}

// ClassifyResponse maps an X error response to a *platform.Error:
//   - 401, and 403 unsupported-authentication → auth;
//   - 402 (any body) and 429 usage-capped / UsageCapExceeded → rejected and
//     Quota: final, top up credits or wait for the cap period;
//   - other 429 → rate limited with RetryAt from the headers;
//   - 403 "duplicate content" → rejected and Duplicate;
//   - other 4xx → rejected with X's reason;
//   - 408 and 5xx → transient, or outcome-unknown for a mutating call.
//
// A body that is not JSON (an HTML page from a proxy) keeps the status's
// class and says so in the reason.
func ClassifyResponse(resp *platform.Response) *platform.Error {
	var p problem
	var reason string
	if err := platform.DecodeJSON(resp, &p); err != nil {
		reason = fmt.Sprintf("HTTP %d %s with an unreadable body", resp.StatusCode, http.StatusText(resp.StatusCode))
		if ct := resp.ContentType(); ct != "" && !resp.IsJSON() {
			reason = fmt.Sprintf("HTTP %d %s with a %s body instead of JSON", resp.StatusCode, http.StatusText(resp.StatusCode), ct)
		}
	} else {
		reason = p.reason()
	}
	if reason == "" {
		reason = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	c := code(p.Type)
	if c == "" {
		c = p.Error
	}
	reason = resp.Redact(reason)
	e := resp.Error(0, c, truncate(reason, 500))
	switch {
	case resp.StatusCode == http.StatusPaymentRequired || c == "credits" || c == "credits-depleted":
		e.Kind, e.Quota, e.RetryAt = platform.KindRejected, true, time.Time{}
		e.Reason = resp.Redact("out of X API credits, top up the account: " + truncate(reason, 300))
	case c == "usage-capped" || p.Title == "UsageCapExceeded":
		e.Kind, e.Quota, e.RetryAt = platform.KindRejected, true, time.Time{}
		e.Reason = resp.Redact("X usage cap reached: " + truncate(reason, 300))
	case resp.StatusCode == http.StatusUnauthorized || c == "unsupported-authentication":
		e.Kind = platform.KindAuth
		e.Reason = resp.Redact("X refused the access token (expired, revoked or wrong kind); refresh it or reconnect the account: " + truncate(reason, 300))
	case isDuplicate(reason):
		e.Kind, e.Duplicate = platform.KindRejected, true
	}
	return e
}

func (p problem) reason() string {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !containsString(parts, s) {
			parts = append(parts, s)
		}
	}
	add(p.Detail)
	if p.Detail == "" {
		add(p.Title)
	}
	add(p.ErrorDescription)
	if p.ErrorDescription == "" {
		add(p.Error)
	}
	add(p.Reason)
	for i, e := range p.Errors {
		if i == 3 {
			break
		}
		add(e.text())
	}
	return strings.Join(parts, "; ")
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isDuplicate(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "duplicate content") || strings.Contains(r, "status is a duplicate")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// userResponse is GET /2/users/me.
type userResponse struct {
	Data *struct {
		ID              platform.ID `json:"id"`
		Name            string      `json:"name"`
		Username        string      `json:"username"`
		ProfileImageURL string      `json:"profile_image_url"`
	} `json:"data"`
	Errors []problemEntry `json:"errors"`
}

// decodeProfile reads GET /2/users/me.
func decodeProfile(resp *platform.Response) (*platform.Profile, error) {
	var u userResponse
	if err := platform.DecodeJSON(resp, &u); err != nil {
		return nil, err
	}
	if u.Data == nil || !platform.ValidNumericID(string(u.Data.ID)) || u.Data.Username == "" {
		return nil, resp.BadResponse("no user id and username in the answer" + firstError(u.Errors))
	}
	return &platform.Profile{
		RemoteID:    string(u.Data.ID),
		Handle:      u.Data.Username,
		DisplayName: u.Data.Name,
		AvatarURL:   u.Data.ProfileImageURL,
	}, nil
}

func firstError(errs []problemEntry) string {
	if len(errs) == 0 {
		return ""
	}
	return ": " + truncate(errs[0].text(), 200)
}

// tweetCreated is the 201 answer of POST /2/tweets.
type tweetCreated struct {
	Data *struct {
		ID   platform.ID `json:"id"`
		Text string      `json:"text"`
	} `json:"data"`
	Errors []problemEntry `json:"errors"`
}

// decodeCreated reads POST /2/tweets; the id is mandatory.
func decodeCreated(resp *platform.Response) (string, error) {
	var t tweetCreated
	if err := platform.DecodeJSON(resp, &t); err != nil {
		return "", err
	}
	if t.Data == nil || !platform.ValidNumericID(string(t.Data.ID)) {
		return "", resp.BadResponse("the answer has no valid post id" + firstError(t.Errors))
	}
	return string(t.Data.ID), nil
}

// processingInfo is the media processing state.
type processingInfo struct {
	State           string `json:"state"`
	CheckAfterSecs  int64  `json:"check_after_secs"`
	ProgressPercent int64  `json:"progress_percent"`
	Error           *struct {
		Code    any    `json:"code"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// mediaResponse is the answer of initialize, finalize and STATUS.
type mediaResponse struct {
	Data *struct {
		ID               platform.ID     `json:"id"`
		MediaKey         string          `json:"media_key"`
		Size             int64           `json:"size"`
		ExpiresAfterSecs int64           `json:"expires_after_secs"`
		ProcessingInfo   *processingInfo `json:"processing_info"`
	} `json:"data"`
	Errors []problemEntry `json:"errors"`
}

// decodeMedia reads a media answer; the id is mandatory.
func decodeMedia(resp *platform.Response) (id string, info *processingInfo, err error) {
	var m mediaResponse
	if err := platform.DecodeJSON(resp, &m); err != nil {
		return "", nil, err
	}
	if m.Data == nil || !platform.ValidNumericID(string(m.Data.ID)) {
		return "", nil, resp.BadResponse("the media answer has no valid id" + firstError(m.Errors))
	}
	return string(m.Data.ID), m.Data.ProcessingInfo, nil
}

// tweet is a post in a lookup or timeline.
type tweet struct {
	ID               platform.ID      `json:"id"`
	Text             string           `json:"text"`
	CreatedAt        string           `json:"created_at"`
	PublicMetrics    map[string]int64 `json:"public_metrics"`
	NonPublicMetrics map[string]int64 `json:"non_public_metrics"`
	OrganicMetrics   map[string]int64 `json:"organic_metrics"`
	ReferencedTweets []struct {
		Type string      `json:"type"`
		ID   platform.ID `json:"id"`
	} `json:"referenced_tweets"`
	Attachments struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
	Entities struct {
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
			DisplayURL  string `json:"display_url"`
		} `json:"urls"`
	} `json:"entities"`
}

func (t *tweet) created() time.Time {
	ts, err := time.Parse(time.RFC3339Nano, t.CreatedAt)
	if err != nil {
		return time.Time{}
	}
	return ts
}

func (t *tweet) inReplyTo() string {
	for _, r := range t.ReferencedTweets {
		if r.Type == "replied_to" {
			return string(r.ID)
		}
	}
	return ""
}

// tweetList is GET /2/tweets and GET /2/users/{id}/tweets.
type tweetList struct {
	Data   []tweet        `json:"data"`
	Errors []problemEntry `json:"errors"`
	Meta   struct {
		ResultCount int64  `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

// decodeTweets reads a list of posts, partial errors included.
func decodeTweets(resp *platform.Response) (*tweetList, error) {
	var l tweetList
	if err := platform.DecodeJSON(resp, &l); err != nil {
		return nil, err
	}
	for _, t := range l.Data {
		if !platform.ValidNumericID(string(t.ID)) {
			return nil, resp.BadResponse(fmt.Sprintf("a post has an invalid id %.30q", t.ID))
		}
	}
	return &l, nil
}
