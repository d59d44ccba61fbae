// Package archivetest holds what the tests of the git archive share: the
// comparison of an archive with the archive of a database restored from
// it. Tests only; nothing in the binary imports it.
package archivetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// CompareRestored requires again (the archive of a database restored from
// orig) to hold the files of orig, and returns how many deliveries the
// restore held for the operator. A file the restore does not change on
// purpose must be the same bytes; the others (every account, which comes
// back needing re-auth, and the posts with a delivery that was scheduled,
// waiting or in flight, which comes back needs_operator with the
// restore's reason, and so the post's derived status) must hold exactly
// those changes and no other.
func CompareRestored(t testing.TB, orig, again *archive.Repo) (held int) {
	t.Helper()
	if o, a := orig.Files(), again.Files(); !slices.Equal(o, a) {
		t.Fatalf("files differ:\narchive  %v\nrestored %v", o, a)
	}
	for _, p := range orig.Files() {
		want, err := orig.File(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := again.File(p)
		if err != nil {
			t.Fatal(err)
		}
		var edit func(m map[string]any)
		switch {
		case strings.HasPrefix(p, "accounts/"):
			edit = func(m map[string]any) {
				m["status"], m["status_reason"] = string(snsos.AccountNeedsReauth), store.RestoredAccountReason
			}
		case strings.HasPrefix(p, "posts/"):
			edit = func(m map[string]any) { held += holdTargets(m) }
		}
		if edit == nil {
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs:\nwant %s\ngot  %s", p, want, got)
			}
			continue
		}
		plain, expected := canonical(t, want, nil), canonical(t, want, edit)
		if bytes.Equal(plain, expected) { // nothing the restore changes on purpose
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs:\nwant %s\ngot  %s", p, want, got)
			}
			continue
		}
		if got := canonical(t, got, nil); !bytes.Equal(expected, got) {
			t.Errorf("%s differs from what the restore should make of it:\nwant %s\ngot  %s", p, expected, got)
		}
	}
	return held
}

// holdTargets makes of a post document what a restore makes of it: its
// deliveries that could act on their own wait for the operator. It
// returns how many it held.
func holdTargets(m map[string]any) int {
	held := 0
	var states []*snsos.Target
	for _, x := range m["targets"].([]any) {
		tg := x.(map[string]any)
		switch s := tg["state"].(string); s {
		case "scheduled", "retry_wait", "publishing", "unknown":
			tg["state"], tg["error"] = string(snsos.StateNeedsOperator), fmt.Sprintf(store.RestoredReason, s)
			held++
		}
		states = append(states, &snsos.Target{State: snsos.TargetState(tg["state"].(string))})
	}
	if held > 0 {
		m["status"] = string(store.DerivePostStatus(states))
	}
	return held
}

// canonical decodes a JSON file, applies edit (when not nil), and encodes
// it again with sorted keys, so that two files compare by content.
func canonical(t testing.TB, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if edit != nil {
		edit(m)
	}
	out, _ := json.Marshal(m)
	return out
}
