package archive

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// packWindow is how many objects the pack encoder compares for deltas,
// git's default.
const packWindow = 10

// repack writes every object a reference reaches into one new pack and,
// only once that pack is complete (its index written, the pack in place),
// deletes the old packs and the loose copies. go-git's RepackObjects
// deletes the loose objects before the new pack's index is written: a
// full disk at that moment would lose the newest commits, which a purge
// has just written loose and pointed the branch at.
func (r *Repo) repack() error {
	r.dropPartialPacks() // a repack cut short by a process that stopped
	keep, err := r.reachableObjects()
	if err != nil {
		return err
	}
	pos, ok1 := r.git.Storer.(storer.PackedObjectStorer)
	pfw, ok2 := r.git.Storer.(storer.PackfileWriter)
	los, ok3 := r.git.Storer.(storer.LooseObjectStorer)
	if !ok1 || !ok2 || !ok3 {
		return errors.New("the repository's storage cannot be repacked")
	}
	old, err := pos.ObjectPacks()
	if err != nil {
		return err
	}
	hashes := make([]plumbing.Hash, 0, len(keep))
	for h := range keep {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	w, err := pfw.PackfileWriter()
	if err != nil {
		return err
	}
	pack, err := packfile.NewEncoder(w, r.git.Storer, false).Encode(hashes, packWindow)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.dropPartialPacks()
		return err
	}
	for _, h := range old {
		if h != pack {
			if err := pos.DeleteOldObjectPackAndIndex(h, time.Time{}); err != nil {
				return err
			}
		}
	}
	return los.ForEachObjectHash(func(h plumbing.Hash) error {
		if keep[h] {
			return los.DeleteLooseObject(h)
		}
		return nil
	})
}

// dropPartialPacks deletes what a pack writer that failed part-way
// leaves: the pack indexes whose pack is missing, and the temporary packs.
// go-git trusts an index already there when it writes the same pack
// again, so a truncated one must not stay; and a temporary pack left by
// each failed repack would take the room the next commit needs (a full
// disk is why the repack failed), then that of every try after. The
// archive has one writer, so no other pack is being written meanwhile.
func (r *Repo) dropPartialPacks() {
	fs, err := r.fs()
	if err != nil {
		return
	}
	dir := fs.Join("objects", "pack")
	entries, err := fs.ReadDir(dir)
	if err != nil {
		return
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	for _, e := range entries {
		base, idx := strings.CutSuffix(e.Name(), ".idx")
		if (idx && !have[base+".pack"]) || strings.HasPrefix(e.Name(), "tmp_pack_") {
			_ = fs.Remove(fs.Join(dir, e.Name()))
		}
	}
}

// reachableObjects returns every object a reference reaches: commits,
// trees and blobs.
func (r *Repo) reachableObjects() (map[plumbing.Hash]bool, error) {
	commits, err := r.allCommits()
	if err != nil {
		return nil, err
	}
	seen := map[plumbing.Hash]bool{}
	var walk func(h plumbing.Hash) error
	walk = func(h plumbing.Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		t, err := object.GetTree(r.git.Storer, h)
		if err != nil {
			return fmt.Errorf("tree %s cannot be read (%w); the repository is damaged", h, err)
		}
		for _, e := range t.Entries {
			switch e.Mode {
			case filemode.Dir:
				if err := walk(e.Hash); err != nil {
					return err
				}
			case filemode.Submodule:
			default:
				seen[e.Hash] = true
			}
		}
		return nil
	}
	for _, c := range commits {
		seen[c.Hash] = true
		if err := walk(c.TreeHash); err != nil {
			return nil, err
		}
	}
	return seen, nil
}
