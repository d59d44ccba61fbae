package attention_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestArchiveFailing: the archive is listed while its guard blocks a
// commit, and once pushes have failed three times over an hour; the same
// problem keeps its key from one pass to the next, a new one gets another.
func TestArchiveFailing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
		put := func(st archive.Status) {
			t.Helper()
			b, _ := json.Marshal(st)
			if err := env.Store.PutSetting(ctx, archive.StatusKey, string(b)); err != nil {
				t.Fatal(err)
			}
		}
		list := func() []attention.Item {
			t.Helper()
			items, err := attention.Compute(ctx, env.Store, now, attention.Options{Archive: true})
			if err != nil {
				t.Fatal(err)
			}
			var out []attention.Item
			for _, it := range items {
				if it.Kind == attention.ArchiveFailing {
					out = append(out, it)
				}
			}
			return out
		}
		if got := list(); len(got) != 0 { // no archive has run
			t.Fatalf("items %+v", got)
		}
		pushErr := "archive: push to https://git.example/me/archive.git: the remote refused the credentials (check SNSOS_ARCHIVE_TOKEN or the SSH key)"
		failing := archive.Status{Remote: "https://git.example/me/archive.git", LastCommit: "abc", LastError: pushErr,
			PushFailures: 2, FailingSince: now.Add(-2 * time.Hour)}
		put(failing)
		if got := list(); len(got) != 0 {
			t.Fatalf("two failed pushes listed: %+v", got)
		}
		failing.PushFailures, failing.FailingSince = 5, now.Add(-30*time.Minute)
		put(failing)
		if got := list(); len(got) != 0 {
			t.Fatalf("half an hour of failures listed: %+v", got)
		}
		failing.FailingSince = now.Add(-90 * time.Minute)
		put(failing)
		got := list()
		if len(got) != 1 || got[0].Action.Path != "/settings#archive-h" || got[0].Archive.Failures != 5 {
			t.Fatalf("items %+v", got)
		}
		text := got[0].Text(time.UTC, now)
		for _, want := range []string{"has not reached https://git.example/me/archive.git for 1 h 30 min", "5 pushes failed", "refused the credentials"} {
			if !strings.Contains(text, want) {
				t.Errorf("text %q lacks %q", text, want)
			}
		}
		key := got[0].Key
		failing.PushFailures++ // another try failed: the same problem
		put(failing)
		if got := list(); len(got) != 1 || got[0].Key != key {
			t.Fatalf("the same failure got a new key: %+v, was %s", got, key)
		}

		blocked := archive.Status{LastCommit: "def", Blocked: true, ErrorAt: now,
			LastError: "archive: posts/2026/03/7.json holds what looks like a GitHub token; nothing was committed"}
		put(blocked)
		got = list()
		if len(got) != 1 || !got[0].Archive.Blocked || got[0].Key == key {
			t.Fatalf("blocked: %+v", got)
		}
		if text := got[0].Text(time.UTC, now); !strings.Contains(text, "stopped committing: archive: posts/2026/03/7.json holds") {
			t.Fatalf("text %q", text)
		}
		key = got[0].Key
		blocked.ErrorAt = now.Add(time.Minute) // the next pass, blocked again
		put(blocked)
		if got := list(); len(got) != 1 || got[0].Key != key {
			t.Fatalf("the same block got a new key: %+v, was %s", got, key)
		}

		// A purge's rewrite left unfinished: listed after an hour, before a
		// failing push, with its own key.
		stuck := archive.Status{Remote: "https://git.example/me/archive.git", LastCommit: "ghi", PurgeSince: now.Add(-20 * time.Minute),
			LastError: "archive: delete the purged objects: no space left on device", PushFailures: 4, FailingSince: now.Add(-2 * time.Hour)}
		put(stuck)
		if got := list(); len(got) != 1 || got[0].Archive.Purge {
			t.Fatalf("a purge unfinished for 20 minutes: %+v", got)
		}
		stuck.PurgeSince = now.Add(-3 * time.Hour)
		put(stuck)
		got = list()
		if len(got) != 1 || !got[0].Archive.Purge || got[0].Key == key || !strings.HasPrefix(got[0].Key, "archive:purge:") {
			t.Fatalf("purge stuck: %+v", got)
		}
		if text := got[0].Text(time.UTC, now); !strings.Contains(text, "not finished removing purged data for 3 h") ||
			!strings.Contains(text, "no space left on device") {
			t.Fatalf("text %q", text)
		}

		if err := env.Store.PutSetting(ctx, archive.StatusKey, "{not json"); err != nil {
			t.Fatal(err)
		}
		if got := list(); len(got) != 0 {
			t.Fatalf("unreadable status listed: %+v", got)
		}
	})
}

// TestArchiveSwitchedOff: the status an archive leaves in the database
// once it is switched off lists nothing in a process without the archive
// configured, even a failure; a status a writer in another process saved
// lately (it is configured there) is still listed.
func TestArchiveSwitchedOff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
		failing := archive.Status{Remote: "https://git.example/me/archive.git", LastError: "archive: push refused",
			PushFailures: 7, FailingSince: now.Add(-3 * time.Hour), SavedAt: now.Add(-2 * time.Hour)}
		put := func(st archive.Status) {
			t.Helper()
			b, _ := json.Marshal(st)
			if err := env.Store.PutSetting(ctx, archive.StatusKey, string(b)); err != nil {
				t.Fatal(err)
			}
		}
		listed := func(configured bool) bool {
			t.Helper()
			items, err := attention.Compute(ctx, env.Store, now, attention.Options{Archive: configured})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.Kind == attention.ArchiveFailing {
					return true
				}
			}
			return false
		}
		put(failing)
		if listed(false) {
			t.Fatal("a failure saved two hours ago by an archive since switched off is listed")
		}
		if !listed(true) {
			t.Fatal("the archive is configured here: its failure must be listed")
		}
		failing.SavedAt = now.Add(-time.Minute) // a live writer elsewhere
		put(failing)
		if !listed(false) {
			t.Fatal("a failure a live writer saved a minute ago is not listed")
		}
	})
}
