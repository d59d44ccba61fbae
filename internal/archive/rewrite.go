package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// rewriteFile is the note, beside the refs in the repository's directory,
// of a rewrite of the history that is not finished: a purge whose old
// objects are still on the disk or whose force push has not gone through,
// or an adopted remote whose dropped history is still on the disk. Kept in
// memory only, both would be lost to a restart between the branch's move
// and their end: the next process would find nothing left to purge, never
// force the push (refused then as non-fast-forward for ever), and leave the
// purged data here and on the remote. Git ignores the file.
const rewriteFile = "sns-os-rewrite"

// rewriteNote is what rewriteFile holds.
type rewriteNote struct {
	// From is the branch before the first rewrite not finished: a remote
	// found there holds this archive's own older state, which the force
	// push is to replace.
	From string `json:"from"`
	// Paths are what the purges since removed from the history (none
	// after an adopted remote alone).
	Paths []string `json:"paths,omitempty"`
	// Redo: the branch took the remote's history since (CatchUp), which
	// may hold Paths again; the next purge step removes them again.
	Redo bool `json:"redo,omitempty"`
	// unreadable: the note could not be parsed (rewrite.go writes it
	// whole, so only someone else's edit can do that).
	unreadable bool
}

func (n *rewriteNote) from() plumbing.Hash {
	if n == nil {
		return plumbing.ZeroHash
	}
	return plumbing.NewHash(n.From)
}

// forces reports whether the note asks for the branch to be force-pushed:
// a purge rewrote it, and the remote may still hold what it removed.
func (n *rewriteNote) forces() bool { return n != nil && (len(n.Paths) > 0 || n.unreadable) }

// readRewrite reads the note, nil when there is none. A note that cannot
// be parsed still says a rewrite was under way: its old objects are
// deleted and the branch force-pushed, which is what it would ask for.
func (r *Repo) readRewrite() (*rewriteNote, error) {
	fs, err := r.fs()
	if err != nil {
		return nil, err
	}
	f, err := fs.Open(rewriteFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("archive: read %s: %w", rewriteFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("archive: read %s: %w", rewriteFile, err)
	}
	var n rewriteNote
	if json.Unmarshal(b, &n) != nil {
		n = rewriteNote{unreadable: true}
	}
	return &n, nil
}

// writeRewrite replaces the note with n the way setHead moves the branch:
// a file of its own renamed over the old one, so a full disk leaves the
// note as it was, never half written.
func (r *Repo) writeRewrite(n *rewriteNote) error {
	fail := func(err error) error { return fmt.Errorf("archive: write %s: %w", rewriteFile, err) }
	b, err := json.Marshal(n)
	if err != nil {
		return fail(err)
	}
	fs, err := r.fs()
	if err != nil {
		return fail(err)
	}
	f, err := fs.TempFile("", rewriteFile+"-")
	if err != nil {
		return fail(err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(f.Name(), rewriteFile)
	}
	if err != nil {
		_ = fs.Remove(f.Name())
		return fail(err)
	}
	r.rewrite = n
	return nil
}

// noteRewrite records, before the branch moves away from its head, that a
// rewrite removing paths (none: an adopted remote) is under way; redo
// marks the branch as about to take the remote's history. An older
// rewrite not finished keeps its From: the remote may be that far back.
func (r *Repo) noteRewrite(paths []string, redo bool) error {
	n := rewriteNote{From: r.head.String()}
	if r.rewrite != nil {
		n = *r.rewrite
		n.Paths = slices.Clone(n.Paths)
	}
	for _, p := range paths {
		if !slices.Contains(n.Paths, p) {
			n.Paths = append(n.Paths, p)
		}
	}
	n.Redo = n.Redo || (redo && len(n.Paths) > 0)
	if r.rewrite != nil && slices.Equal(n.Paths, r.rewrite.Paths) && n.Redo == r.rewrite.Redo {
		return nil
	}
	return r.writeRewrite(&n)
}

// redoPaths returns the paths to remove again from a history caught up
// from the remote (nil when there is nothing to redo).
func (r *Repo) redoPaths() []string {
	if r.rewrite == nil || !r.rewrite.Redo || len(r.rewrite.Paths) == 0 {
		return nil
	}
	return r.rewrite.Paths
}

// redone records that the paths were removed again.
func (r *Repo) redone() error {
	if r.rewrite == nil || !r.rewrite.Redo {
		return nil
	}
	n := *r.rewrite
	n.Redo = false
	return r.writeRewrite(&n)
}

// rewriteDone removes the note: the caller saw the old objects deleted
// and the remote (if any) given the rewritten branch.
func (r *Repo) rewriteDone() error {
	if r.rewrite == nil {
		return nil
	}
	fs, err := r.fs()
	if err != nil {
		return err
	}
	if err := fs.Remove(rewriteFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("archive: remove %s: %w", rewriteFile, err)
	}
	r.rewrite = nil
	return nil
}
