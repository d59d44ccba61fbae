package web

import (
	"strconv"
	"testing"
	"time"
)

// TestParseIDsBounded: a form naming the same or many ids costs no more
// than composeMaxIDs distinct ids.
func TestParseIDsBounded(t *testing.T) {
	t.Parallel()
	vals := []string{"3", "3", "x", "-1", "0", "1"}
	for i := range 100000 {
		vals = append(vals, strconv.Itoa(i+2))
	}
	start := time.Now()
	got := parseIDs(vals)
	if len(got) != composeMaxIDs || got[0] != 3 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("parseIDs: %d ids, starting %v", len(got), got[:3])
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("parseIDs took %v", d)
	}
}
