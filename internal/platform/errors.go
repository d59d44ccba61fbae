package platform

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// Kind is the class of a platform failure: it tells the engine what to do
// next. Every error a platform client returns, apart from programming errors
// and context cancellation, is an *Error of one Kind.
type Kind int

// The error kinds, from "try again" to "never again".
const (
	// KindTransient: the call failed and nothing was changed on the
	// platform (a non-mutating call, or a mutating one that provably never
	// reached the platform). Safe to retry with backoff.
	KindTransient Kind = iota + 1
	// KindOutcomeUnknown: a mutating call was sent but its result was not
	// seen (timeout, connection reset, 5xx, unreadable success body). The
	// post may be live: reconcile before any new attempt.
	KindOutcomeUnknown
	// KindRateLimited: the platform asked us to slow down; retry at RetryAt.
	KindRateLimited
	// KindAuth: the platform refused the credentials (expired, revoked,
	// missing scope). Refresh once, then mark the account needs_reauth.
	KindAuth
	// KindRejected: the platform refused the request for good (invalid
	// content, duplicate, out of credits, usage cap). Reason says why.
	KindRejected
)

// String returns the kind's name as used in logs and audit rows.
func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindOutcomeUnknown:
		return "outcome_unknown"
	case KindRateLimited:
		return "rate_limited"
	case KindAuth:
		return "auth"
	case KindRejected:
		return "rejected"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinel errors for errors.Is. An *Error matches the sentinel of its Kind,
// and ErrDuplicate / ErrQuotaExhausted when its flags say so.
var (
	ErrTransient      = errors.New("platform: transient failure, nothing changed")
	ErrOutcomeUnknown = errors.New("platform: outcome unknown, reconcile before retrying")
	ErrRateLimited    = errors.New("platform: rate limited")
	ErrAuth           = errors.New("platform: credentials refused, reconnect the account")
	ErrRejected       = errors.New("platform: request rejected")
	// ErrDuplicate matches a rejection because the same content was already
	// posted: evidence, for reconciliation, that an earlier attempt is live.
	ErrDuplicate = errors.New("platform: duplicate content")
	// ErrQuotaExhausted matches a final refusal for money or usage caps
	// (X: 402 out of credits, 429 UsageCapExceeded). Not retried.
	ErrQuotaExhausted = errors.New("platform: out of credits or usage cap reached")
	// ErrNotFound is returned by lookups that found nothing (for example a
	// reconciliation search). It carries the snsos ENOTFOUND code.
	ErrNotFound error = &snsos.Error{Code: snsos.ENOTFOUND, Message: "platform: no matching post"}
)

// Error is a classified platform failure. Its message never contains a
// token: every string in it went through redaction before it was stored.
type Error struct {
	Kind     Kind
	Platform snsos.Platform
	// Op says what was being done, e.g. "post tweet (part 2/3)".
	Op string
	// Status is the HTTP status, 0 when no response was seen.
	Status int
	// Code is the platform's own error code or problem type, if any
	// (e.g. "usage-capped", "invalid_request").
	Code string
	// Reason is the platform's explanation or ours, safe to show.
	Reason string
	// RetryAt is when a rate-limited call may be tried again (zero if the
	// platform did not say).
	RetryAt time.Time
	// Duplicate reports that the platform refused the content as a
	// duplicate of an existing post.
	Duplicate bool
	// Quota reports an exhausted credit balance or usage cap.
	Quota bool
	// Err is the underlying cause (already redacted), or nil.
	Err error
}

// Error returns "platform: op: reason (kind, HTTP status)".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Platform != "" {
		b.WriteString(string(e.Platform))
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	switch {
	case e.Reason != "":
		b.WriteString(e.Reason)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(e.Kind.String())
	}
	b.WriteString(" (")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		b.WriteString(", HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if !e.RetryAt.IsZero() {
		b.WriteString(", retry at ")
		b.WriteString(e.RetryAt.UTC().Format(time.RFC3339))
	}
	b.WriteString(")")
	if e.Reason != "" && e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind or of one of its flags.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrTransient:
		return e.Kind == KindTransient
	case ErrOutcomeUnknown:
		return e.Kind == KindOutcomeUnknown
	case ErrRateLimited:
		return e.Kind == KindRateLimited
	case ErrAuth:
		return e.Kind == KindAuth
	case ErrRejected:
		return e.Kind == KindRejected
	case ErrDuplicate:
		return e.Duplicate
	case ErrQuotaExhausted:
		return e.Quota
	}
	return false
}

// Retryable reports whether the engine may simply try again later (after
// RetryAt for rate limits). Outcome-unknown is not retryable: reconcile first.
func (e *Error) Retryable() bool { return e.Kind == KindTransient || e.Kind == KindRateLimited }

// KindOf returns the kind of the first *Error in err's chain, or 0 when err
// is nil or unclassified.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// RetryAt returns when a rate-limited err may be retried, and whether the
// platform said.
func RetryAt(err error) (time.Time, bool) {
	var e *Error
	if errors.As(err, &e) && !e.RetryAt.IsZero() {
		return e.RetryAt, true
	}
	return time.Time{}, false
}

// StatusKind is the default classification of an HTTP status: 401 → auth,
// 429 → rate limited, 408 and 5xx → transient for a call that changes
// nothing and outcome-unknown for a mutating one, any other 4xx → rejected.
// Clients refine it with what the platform's body says.
func StatusKind(status int, mutating bool) Kind {
	switch {
	case status == 401:
		return KindAuth
	case status == 429:
		return KindRateLimited
	case status == 408 || status >= 500:
		if mutating {
			return KindOutcomeUnknown
		}
		return KindTransient
	case status >= 400:
		return KindRejected
	}
	return 0
}

// ambiguous returns KindOutcomeUnknown for a mutating call and
// KindTransient otherwise.
func ambiguous(mutating bool) Kind {
	if mutating {
		return KindOutcomeUnknown
	}
	return KindTransient
}
