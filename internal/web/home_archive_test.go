package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/archive"
)

// TestDashboardArchiveFailing: a git archive whose pushes keep failing,
// then one whose guard blocked a commit, is on the dashboard in English
// and Japanese, with a link to Settings and the error as the detail.
func TestDashboardArchiveFailing(t *testing.T) {
	pe := newPagesEnv(t)
	pe.h.cfg.Archive = true // configured in this process, as serve sets it
	ctx := context.Background()
	put := func(st archive.Status) {
		t.Helper()
		b, _ := json.Marshal(st)
		if err := pe.store.PutSetting(ctx, archive.StatusKey, string(b)); err != nil {
			t.Fatal(err)
		}
	}
	now := pe.clock.Now()
	put(archive.Status{Remote: "https://git.example/me/archive.git", PushFailures: 4, FailingSince: now.Add(-2 * time.Hour),
		LastError: "archive: push to https://git.example/me/archive.git: no repository there; create an empty one"})
	_, body := pe.get(t, "/")
	wantAll(t, "dashboard", body, "Git archive", "has not reached https://git.example/me/archive.git for 2 h",
		"4 pushes failed in a row", "no repository there; create an empty one", `href="/settings#archive-h"`, "Open Settings")
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/")
	wantAll(t, "ja dashboard", body, "Gitアーカイブ", "https://git.example/me/archive.git", "4回続けて失敗", "設定を開く")

	put(archive.Status{Blocked: true, ErrorAt: now, LastError: "archive: posts/2026/03/7.json holds what looks like a GitHub token; nothing was committed"})
	_, body = pe.get(t, "/")
	wantAll(t, "ja blocked", body, "コミットを止めています", "posts/2026/03/7.json holds what looks like a GitHub token")
	setLang(t, pe, "en")
	_, body = pe.get(t, "/")
	wantAll(t, "blocked", body, "The git archive stopped committing")
	if strings.Contains(body, "has not reached") {
		t.Fatal("the old push failure is still listed")
	}

	put(archive.Status{PurgeSince: now.Add(-3 * time.Hour), ErrorAt: now, LastError: "archive: delete the purged objects: no space left on device"})
	_, body = pe.get(t, "/")
	wantAll(t, "purge stuck", body, "has not finished removing purged data for 3 h", "no space left on device")
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/")
	wantAll(t, "ja purge stuck", body, "削除したデータの除去が3時間前から終わっていません")
}
