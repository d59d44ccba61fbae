package archive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/sns-os/snsos/internal/archive"
)

func TestOpenRefusesWhatIsNotAnArchive(t *testing.T) {
	notGit := t.TempDir()
	if err := os.WriteFile(filepath.Join(notGit, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	worktree := t.TempDir()
	if _, err := git.PlainInit(worktree, false); err != nil {
		t.Fatal(err)
	}
	foreign := t.TempDir()
	r, err := archive.Open(foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(map[string][]byte{"main.go": []byte("package main\n")}, "someone else's\n", time.Unix(0, 0), nil); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{notGit: "not empty and not a git repository",
		worktree: "working tree", foreign: "not an sns-os archive"} {
		if _, err := archive.Open(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want an error saying %q", filepath.Base(dir), err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(notGit, "notes.txt")); err != nil {
		t.Fatal("the foreign file was touched")
	}
}

func TestPushToADivergedRemoteIsRefusedClearly(t *testing.T) {
	remote := t.TempDir()
	if _, err := git.PlainInit(remote, true); err != nil {
		t.Fatal(err)
	}
	rm := archive.Remote{URL: "file://" + remote}
	commit := func(r *archive.Repo, body string) {
		t.Helper()
		files := map[string][]byte{"README.md": []byte("# sns-os archive\n"), "posts/1.json": []byte(body)}
		if _, err := r.Commit(files, "test\n", time.Unix(1e9, 0), nil); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := archive.Open(t.TempDir())
	commit(a, "a")
	if err := a.Push(ctx, rm, false); err != nil {
		t.Fatal(err)
	}
	b, _ := archive.Open(t.TempDir())
	commit(b, "b")
	err := b.Push(ctx, rm, false)
	if err == nil || !strings.Contains(err.Error(), "has commits this archive does not have") {
		t.Fatalf("push of a diverged history: %v", err)
	}
	for _, u := range []string{"http://example.com/a.git", "https://me:pw@example.com/a.git", "ftp://x/y"} {
		if err := archive.CheckRemote(u); err == nil {
			t.Errorf("CheckRemote(%q) accepted", u)
		}
	}
}
