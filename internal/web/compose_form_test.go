package web

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sns-os/snsos"
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

// FuzzComposeFormFrom: any form reads without a panic, and every tab's
// media is a subset of the post's, each item once, in the order given.
func FuzzComposeFormFrom(f *testing.F) {
	f.Add("media=1&media=2&tmedia_mode_threads=choose&tmedia_order_threads=2&tmedia_order_threads=1&tmedia_threads=2")
	f.Add(`options_instagram=%7B%22media_type%22%3A%22REELS%22%2C%22parts%22%3A1%7D&share_to_feed_instagram=0&share_to_feed_instagram=1`)
	f.Add("options_x=[1,2]&media_type_instagram=%20story%20&topic_tag_threads=&tmedia_mode_x=none")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		form := composeFormFrom(v)
		for _, cp := range composePlatforms {
			ids := form.targetMedia(cp.Platform)
			seen := map[int64]bool{}
			for _, id := range ids {
				if seen[id] || !slices.Contains(form.Media, id) {
					t.Fatalf("%s media %v, post media %v", cp.Platform, ids, form.Media)
				}
				seen[id] = true
			}
			if _, ok := form.tab(cp.Platform).Options["parts"]; ok {
				t.Fatalf("%s options carry parts from the hidden field", cp.Platform)
			}
		}
		accts := map[int64]*snsos.Account{}
		for _, id := range form.Accounts {
			accts[id] = &snsos.Account{ID: id, Platform: composePlatforms[id%int64(len(composePlatforms))].Platform}
		}
		p := composeBuildPost(form, accts, nil, time.Time{})
		for _, tg := range p.Targets {
			outside := slices.ContainsFunc(tg.MediaIDs, func(id int64) bool { return !slices.Contains(p.MediaIDs, id) })
			if outside {
				t.Fatalf("target media %v outside the post's %v", tg.MediaIDs, p.MediaIDs)
			}
		}
	})
}
