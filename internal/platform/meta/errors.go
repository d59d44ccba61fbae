package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// GraphError is Meta's error envelope, in either of its shapes:
//
//	{"error":{"message":…,"type":"OAuthException","code":190,"error_subcode":463,"is_transient":false,"fbtrace_id":…}}
//	{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}
//
// The second is what the OAuth token endpoints answer.
type GraphError struct {
	Message     string
	Type        string
	Code        int
	Subcode     int
	IsTransient bool
	UserTitle   string
	UserMessage string
	TraceID     string
}

// Error returns "message (code N/subcode)".
func (g *GraphError) Error() string {
	s := g.Message
	if g.UserMessage != "" && g.UserMessage != g.Message {
		s += ": " + g.UserMessage
	}
	if g.Code != 0 {
		s += " (code " + strconv.Itoa(g.Code)
		if g.Subcode != 0 {
			s += "/" + strconv.Itoa(g.Subcode)
		}
		s += ")"
	}
	return strings.TrimSpace(s)
}

type graphErrorJSON struct {
	Message     string      `json:"message"`
	Type        string      `json:"type"`
	Code        json.Number `json:"code"`
	Subcode     json.Number `json:"error_subcode"`
	IsTransient bool        `json:"is_transient"`
	UserTitle   string      `json:"error_user_title"`
	UserMessage string      `json:"error_user_msg"`
	TraceID     string      `json:"fbtrace_id"`
}

// ParseError reads Meta's error envelope from body; nil when body holds
// none. It never fails: fields of an unexpected type are left empty.
func ParseError(body []byte) *GraphError {
	var env struct {
		Error        json.RawMessage `json:"error"`
		ErrorType    string          `json:"error_type"`
		ErrorMessage string          `json:"error_message"`
		Code         json.Number     `json:"code"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&env) != nil {
		return nil
	}
	if len(env.Error) > 0 && env.Error[0] == '{' {
		var e graphErrorJSON
		d := json.NewDecoder(bytes.NewReader(env.Error))
		d.UseNumber()
		if d.Decode(&e) != nil {
			return nil
		}
		return &GraphError{Message: e.Message, Type: e.Type, Code: atoi(e.Code), Subcode: atoi(e.Subcode),
			IsTransient: e.IsTransient, UserTitle: e.UserTitle, UserMessage: e.UserMessage, TraceID: e.TraceID}
	}
	if env.ErrorType != "" || env.ErrorMessage != "" {
		return &GraphError{Message: env.ErrorMessage, Type: env.ErrorType, Code: atoi(env.Code)}
	}
	if len(env.Error) > 0 && env.Error[0] == '"' { // {"error":"…"} from a proxy or an older endpoint
		var s string
		if json.Unmarshal(env.Error, &s) == nil && s != "" {
			return &GraphError{Message: s}
		}
	}
	return nil
}

func atoi(n json.Number) int {
	i, err := strconv.Atoi(string(n))
	if err != nil {
		return 0
	}
	return i
}

// Defaults for waits Meta does not time.
const (
	// ThrottleWait is how long to wait on a throttling code without a
	// usage header saying how long.
	ThrottleWait = 15 * time.Minute
	// QuotaWait is how long to wait when the 24-hour publishing quota is
	// used up and the caller knows no better.
	QuotaWait = time.Hour
	// NotReadyWait is how long to wait after "media is not ready for
	// publishing".
	NotReadyWait = 30 * time.Second
)

// Codes used by callers.
const (
	CodeTokenInvalid  = 190
	CodeNotReady      = 9007
	SubcodeNotReady   = 2207027
	CodePublishQuota  = 9
	SubcodeQuota      = 2207042
	CodeBadParameter  = 100
	SubcodeNoObject   = 33
	CodeFetchFailed   = 9004
	SubcodeNotFetched = 2207052
)

// throttling reports the Graph codes that ask the caller to slow down:
// app (4), user (17), page (32), custom (613) and the business use case
// family (80001–80014; 80002 is Instagram's).
func throttling(code int) bool {
	switch code {
	case 4, 17, 32, 613:
		return true
	}
	return code >= 80001 && code <= 80014
}

// retryableSubcodes are the media subcodes the notes call retryable: a new
// attempt (usually a new container) may succeed.
var retryableSubcodes = map[int]bool{
	2207001: true, // Instagram server error
	2207003: true, // timeout downloading the media
	2207008: true, // media builder expired (transient)
	2207020: true, // media expired: make a new container
	2207032: true, // create media failed
	2207052: true, // media could not be fetched from the URI
	2207053: true, // unknown upload error
	2207076: true, // video download failed
	2207077: true,
	2207082: true, // upload failed, retryable
}

// Classify returns the classified error of a refused Graph call. now is
// the clock for waits the headers time. A response without Meta's envelope
// gets the status's default kind.
func Classify(resp *platform.Response, now time.Time) *platform.Error {
	g := ParseError(resp.Body)
	if g == nil {
		if resp.OK() {
			return resp.BadResponse("no error envelope in a failed answer")
		}
		return resp.Error(0, "", fmt.Sprintf("HTTP %d without Meta's error envelope", resp.StatusCode))
	}
	code := graphCode(g)
	reason := g.Error()
	if g.Message == "" && g.UserMessage == "" {
		reason = strings.TrimSpace(fmt.Sprintf("the platform refused the request without saying why (HTTP %d) %s", resp.StatusCode, reason))
	}
	kind, wait := kindOf(g, resp.Mutating())
	e := resp.Error(kind, code, reason)
	if kind == platform.KindRateLimited {
		e.RetryAt = waitUntil(resp, now, wait)
	}
	return e
}

// graphCode is the error's code as the platform.Error carries it:
// "190/463", "100", or the type for an envelope without a code.
func graphCode(g *GraphError) string {
	switch {
	case g.Code != 0 && g.Subcode != 0:
		return strconv.Itoa(g.Code) + "/" + strconv.Itoa(g.Subcode)
	case g.Code != 0:
		return strconv.Itoa(g.Code)
	}
	return g.Type
}

// kindOf maps an envelope to a kind and, for waits, the default wait.
func kindOf(g *GraphError, mutating bool) (platform.Kind, time.Duration) {
	switch {
	case g.Code == CodeTokenInvalid || g.Code == 102 || g.Code == 2500 && strings.Contains(g.Message, "access token"):
		return platform.KindAuth, 0
	case g.Subcode == 2207051 || g.Subcode == 2207050:
		// restricted as spam, or the account is restricted: only the
		// operator can act, in the app.
		return platform.KindRejected, 0
	case throttling(g.Code):
		return platform.KindRateLimited, ThrottleWait
	case g.Code == CodePublishQuota || g.Subcode == SubcodeQuota:
		return platform.KindRateLimited, QuotaWait
	case g.Code == CodeNotReady || g.Subcode == SubcodeNotReady:
		return platform.KindRateLimited, NotReadyWait
	case g.Code == 368: // temporarily blocked for policy reasons
		return platform.KindRateLimited, QuotaWait
	case g.Subcode == 2207020 || g.Subcode == 2207006:
		// the container expired or is gone: it cannot have been
		// published by this call
		return platform.KindTransient, 0
	case retryableSubcodes[g.Subcode], g.Code == CodeFetchFailed, g.IsTransient:
		// Retryable — but on a call that publishes, "server error" or
		// "upload failed" does not prove nothing went live: reconcile
		// (the container's status settles it) before any new attempt.
		return ambiguousKind(mutating), 0
	case g.Code == 1 || g.Code == 2 || g.Code == -1:
		// "An unknown error occurred" / "Service temporarily unavailable":
		// on a call that publishes, the post may be live.
		return ambiguousKind(mutating), 0
	case g.Code == -2: // timeouts on Meta's side fetching media
		return platform.KindTransient, 0
	}
	return platform.KindRejected, 0
}

func ambiguousKind(mutating bool) platform.Kind {
	if mutating {
		return platform.KindOutcomeUnknown
	}
	return platform.KindTransient
}

// waitUntil returns when a throttled call may be tried again: the latest of
// Retry-After, the usage headers' estimated_time_to_regain_access, and
// now+def when neither says.
func waitUntil(resp *platform.Response, now time.Time, def time.Duration) time.Time {
	at := resp.RetryAt
	if u, ok := Usage(resp.Header.Get("X-Business-Use-Case-Usage")); ok && u > 0 {
		if t := now.Add(u); t.After(at) {
			at = t
		}
	}
	if at.IsZero() || at.Before(now) {
		at = now.Add(def)
	}
	return at
}

// Usage returns the longest estimated_time_to_regain_access (given in
// minutes) in an X-Business-Use-Case-Usage header value:
//
//	{"17841400000000001":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":12}]}
//
// ok is false when the header is absent or unreadable.
func Usage(header string) (time.Duration, bool) {
	if strings.TrimSpace(header) == "" {
		return 0, false
	}
	var m map[string][]struct {
		Minutes json.Number `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(header), &m) != nil {
		return 0, false
	}
	var longest time.Duration
	for _, entries := range m {
		for _, e := range entries {
			if n := atoi(e.Minutes); n > 0 && n < 7*24*60 {
				longest = max(longest, time.Duration(n)*time.Minute)
			}
		}
	}
	return longest, true
}

var statusCodeRE = regexp.MustCompile(`(?i)error code (\d+)`)

// StatusErrorCode returns the error code in a container's status text
// ("Error: Media upload has failed with error code 2207026"), or 0.
func StatusErrorCode(status string) int {
	m := statusCodeRE.FindStringSubmatch(status)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// RetryableSubcode reports whether a media error code (from an error
// envelope or a container status) is one the notes call retryable.
func RetryableSubcode(code int) bool { return retryableSubcodes[code] }
