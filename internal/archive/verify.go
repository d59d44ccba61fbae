package archive

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Finding is a secret the guard found in the history: in the file at Path
// (or the message) of Commit.
type Finding struct {
	Commit string
	Path   string // "commit message" for the message
	Kind   string
}

// VerifyReport is what Verify walked and found.
type VerifyReport struct {
	Commits, Trees, Blobs int
	Findings              []Finding
}

// Verify walks every object reachable from the repository's references
// (every commit, every tree, every blob, each once) and runs g over every
// blob and commit message. An object that cannot be read is an error (the
// repository is damaged); a secret is a Finding, and the walk goes on so
// that all of them are listed. progress (when not nil) is told after each
// commit how many were walked, of how many.
func (r *Repo) Verify(g *Guard, progress func(done, total int)) (VerifyReport, error) {
	var rep VerifyReport
	commits, err := r.allCommits()
	if err != nil {
		return rep, err
	}
	seen := map[plumbing.Hash]bool{}
	check := func(c *object.Commit, path string, content []byte) {
		var se *SecretError
		if err := g.Check(path, content); errors.As(err, &se) {
			rep.Findings = append(rep.Findings, Finding{Commit: c.Hash.String(), Path: path, Kind: se.Kind})
		}
	}
	var walk func(c *object.Commit, prefix string, h plumbing.Hash) error
	walk = func(c *object.Commit, prefix string, h plumbing.Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		rep.Trees++
		t, err := object.GetTree(r.git.Storer, h)
		if err != nil {
			return fmt.Errorf("archive: tree %s of commit %s cannot be read (%w); the repository is damaged", h, c.Hash, err)
		}
		for _, e := range t.Entries {
			p := prefix + e.Name
			switch {
			case e.Mode == filemode.Dir:
				if err := walk(c, p+"/", e.Hash); err != nil {
					return err
				}
			case e.Mode == filemode.Submodule, seen[e.Hash]:
			default:
				seen[e.Hash] = true
				rep.Blobs++
				b, err := r.blob(e.Hash)
				if err != nil {
					return fmt.Errorf("archive: %s in commit %s cannot be read (%w); the repository is damaged", p, c.Hash, err)
				}
				check(c, p, b)
			}
		}
		return nil
	}
	for i, c := range commits {
		rep.Commits++
		check(c, "commit message", []byte(c.Message))
		if err := walk(c, "", c.TreeHash); err != nil {
			return rep, err
		}
		if progress != nil {
			progress(i+1, len(commits))
		}
	}
	return rep, nil
}

// allCommits returns every commit reachable from a reference, each once.
func (r *Repo) allCommits() ([]*object.Commit, error) {
	refs, err := r.git.Storer.IterReferences()
	if err != nil {
		return nil, err
	}
	var stack []plumbing.Hash
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			stack = append(stack, ref.Hash())
		}
		return nil
	})
	seen := map[plumbing.Hash]bool{}
	var out []*object.Commit
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(r.git.Storer, h)
		if err != nil {
			return nil, fmt.Errorf("archive: commit %s cannot be read (%w); the repository is damaged", h, err)
		}
		out = append(out, c)
		stack = append(stack, c.ParentHashes...)
	}
	return out, nil
}
