package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/archive"
)

// TestArchiveSwitchedOffStatus: the status an archive left in the database
// before it was switched off shows nowhere in a process without the
// archive (Settings says none is configured, the dashboard lists no
// failure); with the archive configured, Settings shows that status, or
// says in English and Japanese that the first pass has not run yet.
func TestArchiveSwitchedOffStatus(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	now := pe.clock.Now()
	if _, body := pe.get(t, "/settings"); !strings.Contains(body, "No archive is configured") {
		t.Fatal("settings without an archive or a status")
	}
	pe.h.cfg.Archive = true
	_, body := pe.get(t, "/settings")
	wantAll(t, "settings before the first pass", body, "its first pass has not run yet")
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/settings")
	wantAll(t, "ja settings before the first pass", body, "最初の同期はまだ行われていません")
	setLang(t, pe, "en")

	old, _ := json.Marshal(archive.Status{Remote: "https://git.example/me/archive.git", LastCommit: strings.Repeat("ab", 20),
		LastCommitAt: now.Add(-49 * time.Hour), PushFailures: 40, FailingSince: now.Add(-50 * time.Hour), ErrorAt: now.Add(-48 * time.Hour),
		LastError: "archive: push to https://git.example/me/archive.git: the remote refused the credentials", SavedAt: now.Add(-48 * time.Hour)})
	if err := pe.store.PutSetting(ctx, archive.StatusKey, string(old)); err != nil {
		t.Fatal(err)
	}
	_, body = pe.get(t, "/settings")
	wantAll(t, "settings, configured, with an old failure", body, "Last commit abababababab", "refused the credentials")
	_, body = pe.get(t, "/")
	wantAll(t, "dashboard, configured, with an old failure", body, "has not reached https://git.example/me/archive.git")

	pe.h.cfg.Archive = false // switched off; the setting stays
	_, body = pe.get(t, "/settings")
	if !strings.Contains(body, "No archive is configured") || strings.Contains(body, "refused the credentials") ||
		strings.Contains(body, "abababababab") {
		t.Fatalf("settings of a switched-off archive show its old status:\n%s", body)
	}
	if _, body = pe.get(t, "/"); strings.Contains(body, "has not reached") || strings.Contains(body, "refused the credentials") {
		t.Fatalf("the dashboard lists a switched-off archive's old failure:\n%s", body)
	}
}
