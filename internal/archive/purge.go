package archive

import (
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Purge removes paths from every commit reachable from the branch, keeping
// the rest of each commit (its other files, author, time and message); a
// commit left with nothing of its own is dropped. The objects no commit
// reaches any more are deleted from the repository. It returns whether the
// history changed: the branch must then be force-pushed. True with an
// error says the branch moved but deleting the old objects failed:
// finishPurge tries again. The rewrite is noted in the repository
// (rewrite.go) before the branch moves, so a restart does not forget it.
func (r *Repo) Purge(paths []string) (bool, error) {
	if r.head.IsZero() || len(paths) == 0 {
		return false, nil
	}
	chain, err := r.chain()
	if err != nil {
		return false, err
	}
	edits := make(map[string]plumbing.Hash, len(paths))
	for _, p := range paths {
		edits[p] = plumbing.ZeroHash
	}
	trees := map[plumbing.Hash]plumbing.Hash{} // old tree → rewritten
	newHead, newTree := plumbing.ZeroHash, plumbing.ZeroHash
	for i := len(chain) - 1; i >= 0; i-- { // oldest first
		c := chain[i]
		t, ok := trees[c.TreeHash]
		if !ok {
			if t, err = r.editTree(c.TreeHash, edits); err == nil && t.IsZero() {
				t, err = r.emptyTree()
			}
			if err != nil {
				return false, fmt.Errorf("archive: purge: %w", err)
			}
			trees[c.TreeHash] = t
		}
		if !newHead.IsZero() && t == newTree {
			continue // the commit only touched purged paths
		}
		var parents []plumbing.Hash
		if !newHead.IsZero() {
			parents = []plumbing.Hash{newHead}
		}
		if t == c.TreeHash && sameParents(c.ParentHashes, parents) {
			newHead, newTree = c.Hash, t // unchanged so far: keep the commit itself
			continue
		}
		nc := &object.Commit{Author: c.Author, Committer: c.Committer, Message: c.Message, TreeHash: t, ParentHashes: parents}
		if newHead, err = r.putObject(nc); err != nil {
			return false, fmt.Errorf("archive: purge: %w", err)
		}
		newTree = t
	}
	if newHead == r.head {
		return false, nil
	}
	if err := r.noteRewrite(paths, false); err != nil {
		return false, err
	}
	if err := r.setHead(newHead, r.head); err != nil {
		return false, err
	}
	r.head, r.pruneDue = newHead, true
	for _, p := range paths {
		delete(r.files, p)
	}
	return true, r.dropUnreachable()
}

// finishPurge deletes what a rewrite of the history left unreachable, when
// that failed before (a full disk while repacking) or was left to it (an
// adopted remote, a rewrite noted by a process that stopped): the branch
// has moved already, so nothing else would try again.
func (r *Repo) finishPurge() error {
	if !r.pruneDue {
		return nil
	}
	return r.dropUnreachable()
}

// chain returns the branch's commits, newest first. The archive's history
// is a line: sns-os never merges.
func (r *Repo) chain() ([]*object.Commit, error) {
	var out []*object.Commit
	for h := r.head; !h.IsZero(); {
		c, err := object.GetCommit(r.git.Storer, h)
		if err != nil {
			return nil, fmt.Errorf("archive: read commit %s: %w", h, err)
		}
		if len(c.ParentHashes) > 1 {
			return nil, fmt.Errorf("archive: commit %s is a merge; the archive's history is expected to be a line", h)
		}
		out = append(out, c)
		h = plumbing.ZeroHash
		if len(c.ParentHashes) == 1 {
			h = c.ParentHashes[0]
		}
	}
	return out, nil
}

func sameParents(a, b []plumbing.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// dropUnreachable deletes the loose objects no ref reaches, and rewrites
// the packs (if any) to hold only reachable ones: the purged content is
// then gone from the disk, not merely hidden.
func (r *Repo) dropUnreachable() error {
	if err := r.git.Prune(git.PruneOptions{Handler: r.git.DeleteObject}); err != nil {
		return fmt.Errorf("archive: prune: %w", err)
	}
	pos, ok := r.git.Storer.(storer.PackedObjectStorer)
	if !ok {
		r.pruneDue = false
		return nil
	}
	packs, err := pos.ObjectPacks()
	if err != nil || len(packs) == 0 {
		r.pruneDue = r.pruneDue && err != nil
		return err
	}
	err = r.repack()
	// The storage caches the packs it had opened, which the repack
	// deleted, and registers the new one even when writing it failed:
	// open the repository again (a push would otherwise look for them).
	g, oerr := openBare(r.path)
	if oerr != nil {
		return fmt.Errorf("archive: open %s again after the repack: %w", r.path, oerr)
	}
	r.git = g
	if err != nil {
		return fmt.Errorf("archive: repack: %w", err)
	}
	r.pruneDue = false
	return nil
}
