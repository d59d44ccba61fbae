package archive_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// TestReadyDetail: /readyz's archive detail is read from the saved status
// (so every process says the same), names the state and never the error's
// text.
func TestReadyDetail(t *testing.T) {
	b := setup(t, store.SQLite, true)
	detail := archive.ReadyDetail(b.st, b.clk.now)
	show := func() string {
		t.Helper()
		v, err := detail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(v)
		return string(j)
	}
	if got := show(); got != `{"state":"starting"}` {
		t.Fatalf("before the first pass: %s", got)
	}
	p := b.post(t, "ready")
	b.sync(t)
	head := b.w.Repo().Head().String()
	if got := show(); !strings.Contains(got, `"last_commit":"`+head[:12]+`"`) || !strings.Contains(got, `"last_push_at":"2026-03-14T09:01:00Z"`) ||
		strings.Contains(got, "problem") || !strings.Contains(got, `"failing":false`) {
		t.Fatalf("after a pass: %s", got)
	}
	b.move(t, p.Targets[0].ID, func(tg *snsos.Target) { tg.Error = "refused ghp_abcdefghijklmnopqrstuvwxyz0123456789" },
		snsos.StateScheduled, snsos.StatePublishing, snsos.StateFailed)
	b.clk.advance(time.Minute)
	if _, err := b.w.Sync(ctx); err == nil {
		t.Fatal("the guard let a GitHub token through")
	}
	got := show()
	if !strings.Contains(got, `"problem":"blocked"`) || !strings.Contains(got, `"failing":true`) || strings.Contains(got, "posts/") ||
		strings.Contains(got, "GitHub") {
		t.Fatalf("blocked: %s", got)
	}
}
