package archive_test

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// snapshot is every file under dir with a hash of its content and its
// mode: what "nothing was written there" compares.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		sum := sha256.Sum256(b)
		out[p] = info.Mode().String() + " " + string(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFiles(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := snapshot(t, dir)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s was changed or removed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was written", p)
		}
	}
}

// archiveAt commits a one-post archive at a new directory and returns it.
func archiveAt(t *testing.T) (string, *archive.Repo) {
	t.Helper()
	dir := t.TempDir()
	r, err := archive.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"README.md": []byte("# sns-os archive\n"), "posts/2026/03/1.json": []byte(`{"body": "hello"}` + "\n")}
	if _, err := r.Commit(files, "test\n", time.Unix(1e9, 0), nil); err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// garble overwrites the loose object h of the repository at dir.
func garble(t *testing.T, dir string, h plumbing.Hash) {
	t.Helper()
	p := filepath.Join(dir, "objects", h.String()[:2], h.String()[2:])
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not zlib at all"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// refusedUntouched checks that neither Open nor a writer's start accepts
// dir, each with an error saying want, and that nothing under dir changed.
func refusedUntouched(t *testing.T, dir, want string) {
	t.Helper()
	before := snapshot(t, dir)
	_, err := archive.Open(dir)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open: %v, want an error saying %q", err, want)
	}
	t.Log(err)
	b := setup(t, store.SQLite, false)
	if _, err := archive.NewWriter(archive.Config{Dir: dir, Store: b.st, Now: b.clk.now}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NewWriter: %v, want an error saying %q", err, want)
	}
	sameFiles(t, dir, before)
}

// TestForeignRepositoryIsNotWrittenInto: a bare repository made for
// something else is refused whether or not it has a main branch, and
// nothing in it moves (not even HEAD).
func TestForeignRepositoryIsNotWrittenInto(t *testing.T) {
	for _, branch := range []plumbing.ReferenceName{"refs/heads/master", "refs/heads/main", "refs/tags/v1"} {
		dir := t.TempDir()
		g, err := git.PlainInit(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		blob := g.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, _ := blob.Writer()
		_, _ = w.Write([]byte("package main\n"))
		w.Close()
		bh, _ := g.Storer.SetEncodedObject(blob)
		tree := g.Storer.NewEncodedObject()
		if err := (&object.Tree{Entries: []object.TreeEntry{{Name: "main.go", Mode: 0o100644, Hash: bh}}}).Encode(tree); err != nil {
			t.Fatal(err)
		}
		th, _ := g.Storer.SetEncodedObject(tree)
		sig := object.Signature{Name: "someone", Email: "someone@example.com", When: time.Unix(1e9, 0)}
		commit := g.Storer.NewEncodedObject()
		if err := (&object.Commit{Author: sig, Committer: sig, Message: "their project\n", TreeHash: th}).Encode(commit); err != nil {
			t.Fatal(err)
		}
		ch, _ := g.Storer.SetEncodedObject(commit)
		if err := g.Storer.SetReference(plumbing.NewHashReference(branch, ch)); err != nil {
			t.Fatal(err)
		}
		refusedUntouched(t, dir, "not an sns-os archive")
	}
}

// TestCorruptRepositoryIsRefusedClearly: an archive whose branch, commit
// or config is damaged does not open (the writer does not start), and
// nothing is written over it; damage further in is what verify finds.
func TestCorruptRepositoryIsRefusedClearly(t *testing.T) {
	dir, r := archiveAt(t)
	garble(t, dir, r.Head())
	refusedUntouched(t, dir, "the repository may be damaged")

	dir, _ = archiveAt(t)
	if err := os.WriteFile(filepath.Join(dir, "refs", "heads", "main"), []byte("0123 not a hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusedUntouched(t, dir, "the repository may be damaged")

	dir, _ = archiveAt(t)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[core\n\tbare = maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusedUntouched(t, dir, "the repository may be damaged")

	// A blob no commit or tree reading needs opens, and verify says what
	// is damaged.
	dir, r = archiveAt(t)
	post, _ := r.File("posts/2026/03/1.json")
	garble(t, dir, plumbing.ComputeHash(plumbing.BlobObject, post))
	r, err := archive.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(archive.NewGuard(nil), nil); err == nil || !strings.Contains(err.Error(), "posts/2026/03/1.json") ||
		!strings.Contains(err.Error(), "the repository is damaged") {
		t.Fatalf("verify of a damaged blob: %v", err)
	}
}
