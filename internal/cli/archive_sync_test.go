package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

// TestArchiveSyncProgress: away from a terminal, `archive sync` says how
// far it is in plain lines, stage by stage (posts compared, then files
// written), at the start and at each quarter, with no bar drawn.
func TestArchiveSyncProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	key := mustKey(t)
	box := secret.NewBox(key)
	seed(t, data, box, 1)
	s, err := store.Open(ctx, store.Options{DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := s.ListAccounts(ctx)
	for i := range 8 {
		p := &snsos.Post{Body: fmt.Sprint("post ", i), Targets: []*snsos.Target{{AccountID: accts[0].ID}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": key.Encode(), "SNSOS_ARCHIVE_DIR": data + "/archive"}
	r := run(t, env, "archive", "sync")
	if r.code != 0 || !strings.Contains(r.stdout, "first export (8 posts, 1 accounts)") {
		t.Fatalf("sync: %d %s %s", r.code, r.stdout, r.stderr)
	}
	var lines []string
	for l := range strings.Lines(r.stderr) {
		if strings.HasPrefix(l, "sync: ") {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	// Ten files: the README, the account and the eight posts (no metrics).
	want := []string{"sync: posts: 0/8", "sync: posts: 8/8",
		"sync: files: 0/10", "sync: files: 3/10", "sync: files: 5/10", "sync: files: 8/10", "sync: files: 10/10"}
	if !slices.Equal(lines, want) || strings.ContainsAny(r.stderr, "\r█") {
		t.Fatalf("progress lines %q, want %q; stderr:\n%s", lines, want, r.stderr)
	}

	// Nothing new: the posts are compared again, no file is written.
	r = run(t, env, "archive", "sync")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing changed") || !strings.Contains(r.stderr, "sync: posts: 8/8\n") ||
		strings.Contains(r.stderr, "sync: files") {
		t.Fatalf("second sync: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
