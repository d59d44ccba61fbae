package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"

	"github.com/sns-os/snsos/internal/store/storetest"
)

func runEnvIn(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// TestArchiveCommands: status before and after a sync, a sync that commits
// and pushes, a token sealed from stdin, and verify, clean and then with a
// token slipped into the history behind the guard's back.
func TestArchiveCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data, remote := t.TempDir(), t.TempDir()
	if _, err := git.PlainInit(remote, true); err != nil {
		t.Fatal(err)
	}
	key := mustKey(t)
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": key.Encode()}
	if r := run(t, env, "archive", "status"); r.code != 1 || !strings.Contains(r.stderr, "not configured") {
		t.Fatalf("status without an archive: %d %s", r.code, r.stderr)
	}
	env["SNSOS_ARCHIVE_REMOTE"] = "file://" + remote
	tokens := seed(t, data, secret.NewBox(key), 1)
	s, err := store.Open(ctx, store.Options{DataDir: data, Box: secret.NewBox(key)})
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := s.ListAccounts(ctx)
	if err := s.CreatePost(ctx, &snsos.Post{Body: "archived by hand", Targets: []*snsos.Target{{AccountID: accts[0].ID}}}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if r := run(t, env, "archive", "status"); r.code != 0 || !strings.Contains(r.stdout, "no pass has run yet") ||
		!strings.Contains(r.stdout, "remote:      file://"+remote) {
		t.Fatalf("status before a pass: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r := run(t, env, "archive", "sync")
	if r.code != 0 || !strings.Contains(r.stdout, "committed ") || !strings.Contains(r.stdout, "first export (1 posts, 1 accounts)") ||
		!strings.Contains(r.stdout, "pushed to file://"+remote) {
		t.Fatalf("sync: %d %s %s", r.code, r.stdout, r.stderr)
	}
	g, err := git.PlainOpen(remote)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := g.Reference(archive.Branch, true)
	if err != nil {
		t.Fatalf("nothing pushed: %v", err)
	}
	r = run(t, env, "archive", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "last commit: "+ref.Hash().String()) || strings.Contains(r.stdout, "last push:   never") {
		t.Fatalf("status: %d %s %s", r.code, r.stdout, r.stderr)
	}

	// The push token, sealed from stdin.
	const pushToken = "glpat-archivepushtoken0123456789"
	if r := runEnvIn(t, env, "", "archive", "token", "set"); r.code != 1 || !strings.Contains(r.stderr, "no token on stdin") {
		t.Fatalf("token set without a token: %d %s", r.code, r.stderr)
	}
	if r := runEnvIn(t, env, pushToken+"\n", "archive", "token", "set"); r.code != 0 || strings.Contains(r.stdout+r.stderr, pushToken) {
		t.Fatalf("token set: %d %s %s", r.code, r.stdout, r.stderr)
	}
	s, err = store.Open(ctx, store.Options{DataDir: data, Box: secret.NewBox(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SealedSetting(ctx, archiveTokenSetting)
	s.Close()
	if err != nil || string(got) != pushToken {
		t.Fatalf("stored token %q, %v", got, err)
	}

	if r := run(t, env, "archive", "verify"); r.code != 0 || !strings.Contains(r.stdout, "0 finds") {
		t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// A token written past the guard (by hand, say) is found in the history.
	repo, err := archive.Open(filepath.Join(data, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	var stolen string
	for _, v := range tokens {
		stolen = v
	}
	if _, err := repo.Commit(map[string][]byte{"notes.txt": []byte("oops " + stolen)}, "by hand", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(map[string][]byte{"notes.txt": nil}, "removed again", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "archive", "verify")
	if r.code != 1 || !strings.Contains(r.stdout, "notes.txt holds what looks like a value held in the secret store") ||
		!strings.Contains(r.stdout, "3 commits") || strings.Contains(r.stdout+r.stderr, stolen) || !strings.Contains(r.stderr, "verify: commits: 3/3") {
		t.Fatalf("verify after a leak: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestServeReadyzArchiveDetail: a server with the archive on says in
// /readyz what the archive did (its first pass runs at start), and stays
// ready whatever the archive says.
func TestServeReadyzArchiveDetail(t *testing.T) {
	t.Parallel()
	data, remote := t.TempDir(), t.TempDir()
	if _, err := git.PlainInit(remote, true); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_ARCHIVE_REMOTE": "file://" + remote}
	base, _, stderr, stop := startServe(t, env, "serve")
	var body string
	// The writer's first pass runs beside the server.
	storetest.Eventually(t, 20*time.Second, 20*time.Millisecond, func() bool {
		var code int
		if code, body = get(t, base+"/readyz"); code != 200 {
			t.Fatalf("readyz = %d %s", code, body)
		}
		return strings.Contains(body, `"last_commit":"`)
	}, func() string { return "readyz never showed the archive's commit: " + body + "\n" + stderr.String() })
	if !strings.Contains(body, `"archive":{`) || !strings.Contains(body, `"last_push_at":"`) || strings.Contains(body, remote) {
		t.Fatalf("readyz = %s", body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}
