package e2e

import (
	"testing"
	"time"
)

// pollUntil checks cond every interval until it holds, and fails the test
// with the message fail returns once limit has passed: a bound only a
// broken run reaches.
func pollUntil(t testing.TB, limit, every time.Duration, cond func() bool, fail func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(fail())
		}
		time.Sleep(every)
	}
}
