package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Branch is the one branch of the archive.
const Branch = plumbing.ReferenceName("refs/heads/main")

// readmePath is the archive's README; its first line marks a repository as
// an sns-os archive.
const (
	readmePath = "README.md"
	marker     = "# sns-os archive"
)

// committer signs every commit: the archive is written by sns-os, not by a
// person.
var committer = object.Signature{Name: "sns-os", Email: "archive@sns-os.invalid"}

// Repo is the archive's bare git repository. It keeps the listing of the
// branch's tree (path → blob) in memory, so that finding what changed
// never walks the repository. It is not safe for concurrent use: the
// Writer serialises its calls.
type Repo struct {
	path  string
	git   *git.Repository
	head  plumbing.Hash            // the branch's commit; zero before the first
	files map[string]plumbing.Hash // the head tree's files
	// pruneDue: a rewrite of the history (a purge, an adopted remote)
	// moved the branch, and what it left unreachable has not been deleted
	// yet; the purged content is still on the disk until finishPurge
	// succeeds.
	pruneDue bool
	// rewrite is the note of a rewrite not finished (rewrite.go), nil
	// when there is none; it outlives the process, pruneDue does not.
	rewrite *rewriteNote
}

// Open opens the archive at path, creating a bare repository when path does
// not exist or is an empty directory. A directory holding something else, a
// repository that is not bare, or one whose branch does not hold an sns-os
// archive is refused: the archive never writes over someone's data.
func Open(path string) (*Repo, error) {
	r := &Repo{path: path}
	g, err := git.PlainOpen(path)
	switch {
	case errors.Is(err, git.ErrRepositoryNotExists):
		if entries, rerr := os.ReadDir(path); rerr == nil && len(entries) > 0 {
			return nil, fmt.Errorf("archive: %s is not empty and not a git repository; choose another SNSOS_ARCHIVE_DIR", path)
		} else if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("archive: %w", rerr)
		}
		g, err = git.PlainInitWithOptions(path, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: Branch}})
		if err != nil {
			return nil, fmt.Errorf("archive: create %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("archive: %s cannot be opened as a git repository (%w); the repository may be damaged; "+
			"choose another SNSOS_ARCHIVE_DIR", path, err)
	}
	if cfg, err := g.Config(); err != nil {
		return nil, fmt.Errorf("archive: %s: its config cannot be read (%w); the repository may be damaged", path, err)
	} else if !cfg.Core.IsBare {
		return nil, fmt.Errorf("archive: %s is a git repository with a working tree, not an sns-os archive (which is bare)", path)
	}
	if r.git, err = openBare(path); err != nil {
		return nil, fmt.Errorf("archive: open %s: %w", path, err)
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	if r.rewrite, err = r.readRewrite(); err != nil {
		return nil, err
	}
	r.pruneDue = r.rewrite != nil
	return r, nil
}

// storageFS is the file system under a repository's storage: the disk.
// Tests wrap it to run out of space part-way through a commit.
var storageFS = func(dir string) billy.Filesystem { return osfs.New(dir) }

// openBare opens the bare repository at path through storageFS (as
// git.PlainOpen would, through the disk directly).
func openBare(path string) (*git.Repository, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return git.Open(filesystem.NewStorage(storageFS(abs), cache.NewObjectLRUDefault()), nil)
}

// fs is the file system the repository is stored on.
func (r *Repo) fs() (billy.Filesystem, error) {
	s, ok := r.git.Storer.(interface{ Filesystem() billy.Filesystem })
	if !ok {
		return nil, errors.New("archive: the repository is not stored in files")
	}
	return s.Filesystem(), nil
}

// load reads the branch's head and the listing of its tree, and checks that
// the tree is an sns-os archive.
func (r *Repo) load() error {
	ref, err := r.git.Storer.Reference(Branch)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		if other := r.otherRef(); other != "" {
			return fmt.Errorf("archive: %s holds a git repository that is not an sns-os archive (it has %s and no %s); choose another SNSOS_ARCHIVE_DIR",
				r.path, other, Branch)
		}
		r.head, r.files = plumbing.ZeroHash, map[string]plumbing.Hash{}
		return nil
	} else if err != nil {
		return fmt.Errorf("archive: %s: %w", r.path, err)
	}
	files, err := r.archiveFiles(ref.Hash())
	if err != nil {
		return fmt.Errorf("archive: %s: %w; choose another SNSOS_ARCHIVE_DIR", r.path, err)
	}
	r.head, r.files = ref.Hash(), files
	return nil
}

// otherRef names a reference of a repository without the archive's
// branch, "" when there is none: a bare repository someone made for
// something else (its own branches, tags) is not written into, and its
// HEAD is not moved. refs/sns-os/ is the archive's own scratch space
// (Fetch), which a crash may have left behind.
func (r *Repo) otherRef() string {
	refs, err := r.git.Storer.IterReferences()
	if err != nil {
		return "its references cannot be listed"
	}
	defer refs.Close()
	other := ""
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if n := ref.Name(); n != plumbing.HEAD && !strings.HasPrefix(n.String(), "refs/sns-os/") {
			other = n.String()
			return storer.ErrStop
		}
		return nil
	})
	return other
}

// archiveFiles returns the listing of commit h's tree, checking that it
// is an sns-os archive.
func (r *Repo) archiveFiles(h plumbing.Hash) (map[string]plumbing.Hash, error) {
	c, err := object.GetCommit(r.git.Storer, h)
	if err != nil {
		return nil, fmt.Errorf("the branch's commit %s cannot be read (%w); the repository may be damaged", h, err)
	}
	files, err := r.listTree(c.TreeHash)
	if err != nil {
		return nil, err
	}
	readme, ok := files[readmePath]
	if !ok || !r.startsWith(readme, marker) {
		return nil, fmt.Errorf("holds a git repository that is not an sns-os archive (commit %s has no %q)", h, readmePath)
	}
	return files, nil
}

func (r *Repo) startsWith(blob plumbing.Hash, prefix string) bool {
	b, err := r.blob(blob)
	return err == nil && bytes.HasPrefix(b, []byte(prefix))
}

// Path is the repository's directory.
func (r *Repo) Path() string { return r.path }

// Head is the branch's commit, zero before the first.
func (r *Repo) Head() plumbing.Hash { return r.head }

// Files returns the paths of the head tree, sorted.
func (r *Repo) Files() []string {
	out := make([]string, 0, len(r.files))
	for p := range r.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// File returns the content of path in the head tree.
func (r *Repo) File(path string) ([]byte, error) {
	h, ok := r.files[path]
	if !ok {
		return nil, fmt.Errorf("archive: %s: %w", path, os.ErrNotExist)
	}
	return r.blob(h)
}

// listTree returns the files of tree h by path.
func (r *Repo) listTree(h plumbing.Hash) (map[string]plumbing.Hash, error) {
	t, err := object.GetTree(r.git.Storer, h)
	if err != nil {
		return nil, err
	}
	out := map[string]plumbing.Hash{}
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if e.Mode.IsFile() {
			out[name] = e.Hash
		}
	}
}

func (r *Repo) blob(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(r.git.Storer, h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// putBlob stores content and returns its hash; content already stored is
// not written again.
func (r *Repo) putBlob(content []byte) (plumbing.Hash, error) {
	h := plumbing.ComputeHash(plumbing.BlobObject, content)
	if r.git.Storer.HasEncodedObject(h) == nil {
		return h, nil
	}
	o := r.git.Storer.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(content)))
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.git.Storer.SetEncodedObject(o)
}

// putObject encodes and stores an object (a tree or a commit).
func (r *Repo) putObject(e interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	o := r.git.Storer.NewEncodedObject()
	if err := e.Encode(o); err != nil {
		return plumbing.ZeroHash, err
	}
	if r.git.Storer.HasEncodedObject(o.Hash()) == nil {
		return o.Hash(), nil
	}
	return r.git.Storer.SetEncodedObject(o)
}

// editTree returns the tree that is base (zero: empty) with changes
// applied: path → the blob it now holds, or the zero hash to remove it.
// Only the trees on the changed paths are read and written again; a tree
// left empty disappears, as in git. The result is zero when nothing is
// left.
func (r *Repo) editTree(base plumbing.Hash, changes map[string]plumbing.Hash) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := object.GetTree(r.git.Storer, base)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = slices.Clone(t.Entries)
	}
	files := map[string]plumbing.Hash{}
	dirs := map[string]map[string]plumbing.Hash{}
	for p, h := range changes {
		name, rest, sub := strings.Cut(p, "/")
		if !sub {
			files[name] = h
			continue
		}
		if dirs[name] == nil {
			dirs[name] = map[string]plumbing.Hash{}
		}
		dirs[name][rest] = h
	}
	byName := make(map[string]int, len(entries))
	for i, e := range entries {
		byName[e.Name] = i
	}
	set := func(name string, mode filemode.FileMode, h plumbing.Hash) {
		i, ok := byName[name]
		switch {
		case h.IsZero() && ok:
			entries[i].Hash = plumbing.ZeroHash // dropped below
		case h.IsZero():
		case ok:
			entries[i] = object.TreeEntry{Name: name, Mode: mode, Hash: h}
		default:
			byName[name] = len(entries)
			entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
		}
	}
	for name, h := range files {
		set(name, filemode.Regular, h)
	}
	for name, sub := range dirs {
		old := plumbing.ZeroHash
		if i, ok := byName[name]; ok && entries[i].Mode == filemode.Dir {
			old = entries[i].Hash
		}
		h, err := r.editTree(old, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		set(name, filemode.Dir, h)
	}
	entries = slices.DeleteFunc(entries, func(e object.TreeEntry) bool { return e.Hash.IsZero() })
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	sort.Sort(object.TreeEntrySorter(entries))
	return r.putObject(&object.Tree{Entries: entries})
}

// emptyTree stores and returns git's empty tree.
func (r *Repo) emptyTree() (plumbing.Hash, error) { return r.putObject(&object.Tree{}) }

// commitTree stores a commit of tree on parents with msg at when.
func (r *Repo) commitTree(tree plumbing.Hash, parents []plumbing.Hash, msg string, when time.Time) (plumbing.Hash, error) {
	sig := committer
	sig.When = when
	return r.putObject(&object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents})
}

// setHead moves the branch from old (zero: absent) to c, failing if
// something else moved it meanwhile. The new value is written to a file of
// its own, then renamed over the ref: a write that fails part-way (a full
// disk) leaves the branch where it was. go-git's own update truncates the
// ref before writing it, which can leave it empty or half a hash. The
// archive has one writer (the Writer's mutex, the election across
// processes), so the check and the rename need no lock; nor does a crash
// leave one behind, only a stray file beside the refs, which git ignores.
func (r *Repo) setHead(c, old plumbing.Hash) error {
	fail := func(err error) error { return fmt.Errorf("archive: move %s: %w", Branch.Short(), err) }
	fs, err := r.fs()
	if err != nil {
		return fail(err)
	}
	name := fs.Join(strings.Split(Branch.String(), "/")...)
	f, err := fs.TempFile("", "sns-os-head-")
	if err != nil {
		return fail(err)
	}
	_, err = f.Write([]byte(c.String() + "\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.checkHead(old)
	}
	if err == nil {
		err = fs.MkdirAll(fs.Join("refs", "heads"), 0o777)
	}
	if err == nil {
		err = fs.Rename(f.Name(), name)
	}
	if err != nil {
		_ = fs.Remove(f.Name())
		return fail(err)
	}
	// HEAD of a new bare repository already names the branch; make sure,
	// writing it only when it does not (it too is truncated, then written).
	if h, err := r.git.Storer.Reference(plumbing.HEAD); err == nil && h.Type() == plumbing.SymbolicReference && h.Target() == Branch {
		return nil
	}
	return r.git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, Branch))
}

// checkHead reports whether the branch is at old (zero: absent).
func (r *Repo) checkHead(old plumbing.Hash) error {
	ref, err := r.git.Storer.Reference(Branch)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		if old.IsZero() {
			return nil
		}
	case err != nil:
		return err
	case ref.Hash() == old:
		return nil
	}
	return errors.New("the branch was moved by someone else meanwhile")
}

// Commit writes the files in changes (path → content, nil to remove) as one
// commit on the branch with msg, and returns it. Paths whose content is
// unchanged are skipped; when nothing changes, no commit is made and the
// zero hash is returned. guard (when not nil) sees every new content
// before anything is written: its error aborts the commit.
func (r *Repo) Commit(changes map[string][]byte, msg string, when time.Time, guard func(path string, content []byte) error) (plumbing.Hash, error) {
	return r.commit(changes, msg, when, guard, nil)
}

// commit is Commit, telling written (when not nil) how many of the new
// files are written, of how many: a first commit of a large database
// writes one object per file, which takes minutes.
func (r *Repo) commit(changes map[string][]byte, msg string, when time.Time, guard func(path string, content []byte) error,
	written func(done, total int)) (plumbing.Hash, error) {
	edits := map[string]plumbing.Hash{}
	for _, p := range sortedKeys(changes) {
		content := changes[p]
		old, had := r.files[p]
		if content == nil {
			if had {
				edits[p] = plumbing.ZeroHash
			}
			continue
		}
		if had && old == plumbing.ComputeHash(plumbing.BlobObject, content) {
			continue
		}
		if guard != nil {
			if err := guard(p, content); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		edits[p] = plumbing.ComputeHash(plumbing.BlobObject, content)
	}
	if len(edits) == 0 {
		return plumbing.ZeroHash, nil
	}
	if guard != nil {
		if err := guard("commit message", []byte(msg)); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	total, done := 0, 0
	for _, h := range edits {
		if !h.IsZero() {
			total++
		}
	}
	if written != nil {
		written(0, total)
	}
	for p, h := range edits {
		if h.IsZero() {
			continue
		}
		if _, err := r.putBlob(changes[p]); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("archive: write %s: %w", p, err)
		}
		if done++; written != nil {
			written(done, total)
		}
	}
	c, err := r.commitEdits(edits, msg, when)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for p, h := range edits {
		if h.IsZero() {
			delete(r.files, p)
		} else {
			r.files[p] = h
		}
	}
	return c, nil
}

// commitEdits builds the tree, the commit, and moves the branch.
func (r *Repo) commitEdits(edits map[string]plumbing.Hash, msg string, when time.Time) (plumbing.Hash, error) {
	base := plumbing.ZeroHash
	var parents []plumbing.Hash
	if !r.head.IsZero() {
		c, err := object.GetCommit(r.git.Storer, r.head)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("archive: read %s: %w", r.head, err)
		}
		base, parents = c.TreeHash, []plumbing.Hash{r.head}
	}
	tree, err := r.editTree(base, edits)
	if err == nil && tree.IsZero() {
		tree, err = r.emptyTree()
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("archive: build tree: %w", err)
	}
	c, err := r.commitTree(tree, parents, msg, when)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("archive: write commit: %w", err)
	}
	if err := r.setHead(c, r.head); err != nil {
		return plumbing.ZeroHash, err
	}
	r.head = c
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// storerOf gives the purge and the tests the object storage.
func (r *Repo) storer() storer.Storer { return r.git.Storer }
