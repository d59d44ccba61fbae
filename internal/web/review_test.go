package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// TestUSDNoFloatNoise: a cost that is a product or a sum of prices is
// written as people write it, never with float noise.
func TestUSDNoFloatNoise(t *testing.T) {
	t.Parallel()
	price, other := 0.1, 0.2 // variables: constant arithmetic would be exact
	for _, c := range []struct {
		v    float64
		want string
	}{{price * 3, "$0.30"}, {price + other, "$0.30"}, {0.015 * float64(len("1234567")), "$0.105"}, {0.0000004, "$0.00"}, {12, "$12.00"}} {
		if got := usd(c.v); got != c.want {
			t.Errorf("usd(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

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

// TestComposeSplitTooLong: Split into parts on a text longer than any post
// may be says so next to the text (422), rather than working for minutes.
func TestComposeSplitTooLong(t *testing.T) {
	ce := newComposeEnv(t)
	text := strings.Repeat("Hello world. This is a sentence ", snsos.MaxBodyBytes/32+1)
	start := time.Now()
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form(text, "split:x"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("split of %d bytes: %d", len(text), resp.StatusCode)
	}
	wantAll(t, "too long", body, "too long to split", `id="body-error"`)
	if strings.Contains(body, `name="part_x"`) {
		t.Error("the text was split anyway")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

// TestZoneNamesBounded: the schedule fields refuse a zone name longer than
// any IANA name, and "Local", through loadZone.
func TestZoneNamesBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 65)
	for _, z := range []string{long, "Local"} {
		if _, _, errs := parseComposeTime("2027-01-01", "10:00", z, time.UTC); errs["zone"] == "" {
			t.Errorf("compose accepted zone %.10q", z)
		}
		if _, _, zerr := calParseLocal("2027-01-01T10:00", z, time.Time{}); zerr != "zone" {
			t.Errorf("calendar accepted zone %.10q", z)
		}
	}
	if _, _, zerr := calParseLocal("2027-01-01T10:00", "", time.Time{}); zerr != "zone" {
		t.Error("calendar accepted an empty zone")
	}
}

// joinEngine refuses every schedule with validation errors wrapped in a
// joined error, as a caller adding context may wrap them.
type joinEngine struct{ Engine }

func (joinEngine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	var v snsos.ValidationErrors
	v.Add("targets[0].scheduled_at", "quota", "over the quota")
	return nil, &snsos.Error{Code: snsos.EINVALID, Message: "refused", Err: errors.Join(errors.New("schedule"), v)}
}

// TestCalRescheduleWrappedValidation: the engine's validation errors are
// found however they are wrapped (errors.As, not a walk that stops at a
// joined error), so the operator reads the rule that was broken.
func TestCalRescheduleWrappedValidation(t *testing.T) {
	ce := newCalEnv(t, func(c *Config) { c.Engine = joinEngine{} })
	p := ce.post(t, "move me", calNow.Add(48*time.Hour), time.Time{})
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/calendar/posts/"+itoa(p.ID)+"/time",
		url.Values{"at": {"2027-02-20T10:00"}, "zone": {"Asia/Tokyo"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reschedule: %d", resp.StatusCode)
	}
	wantAll(t, "quota", body, "posting limit around that time")
}

// TestAnSince: the analytics range is cut from the whole history as the
// store's range would read it: published at or after from, order kept.
func TestAnSince(t *testing.T) {
	t.Parallel()
	from := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	mk := func(id int64, at time.Time) *store.DatedTarget {
		return &store.DatedTarget{Target: &snsos.Target{ID: id}, At: at}
	}
	all := []*store.DatedTarget{mk(1, from.Add(-time.Second)), mk(2, from), mk(3, from.Add(time.Hour)), mk(4, from.Add(-time.Hour))}
	got := anSince(all, from)
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
		t.Fatalf("anSince: %v", got)
	}
	if got := anSince(nil, from); got == nil || len(got) != 0 {
		t.Fatalf("anSince(nil) = %#v", got)
	}
}
