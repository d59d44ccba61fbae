package platform

import (
	"errors"
	"time"
)

// Continue is what Publish returns when a step outlasts one job run (a
// video the platform is still processing, an upload of many chunks): every
// id is saved in the progress, no call is in flight, and Publish should be
// called again with the same progress after After. The engine keeps the
// attempt's ownership, parks its lease and snoozes the job; it is not a
// failure.
type Continue struct {
	After time.Duration
	// Step says what is being waited for, for the audit trail.
	Step string
}

// Error implements error.
func (c *Continue) Error() string {
	return "platform: continue after " + c.After.String() + ": " + c.Step
}

// ContinueAfter reports whether err asks to continue later, and when.
func ContinueAfter(err error) (time.Duration, bool) {
	var c *Continue
	if errors.As(err, &c) {
		return max(c.After, time.Second), true
	}
	return 0, false
}

// Permalinker is implemented by clients that can build a post's link from
// the account's handle and the post id (for a post recorded without one,
// such as a partial thread or one settled by the operator).
type Permalinker interface {
	Permalink(handle, id string) string
}
