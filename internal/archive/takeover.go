package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// fetchedRef holds what Fetch brought until it is adopted or dropped; it
// never outlives the call, so nothing the remote no longer has stays
// reachable here.
const fetchedRef = plumbing.ReferenceName("refs/sns-os/fetched")

// Fetch brings the remote's branch into the repository's object store and
// returns its commit: zero when the remote has no branch yet. The branch
// itself does not move (CatchUp decides).
func (r *Repo) Fetch(ctx context.Context, rm Remote) (plumbing.Hash, error) {
	remote, auth, err := r.remote(rm)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth, CABundle: rm.CABundle})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	} else if err != nil {
		return plumbing.ZeroHash, remoteErr("fetch from", rm, err)
	}
	head := plumbing.ZeroHash
	for _, ref := range refs {
		if ref.Name() == Branch {
			head = ref.Hash()
		}
	}
	// The remote still at this archive's branch from before a rewrite not
	// finished is not fetched: that would bring back what was purged.
	if head.IsZero() || r.git.Storer.HasEncodedObject(head) == nil || head == r.rewrite.from() {
		return head, nil
	}
	spec := config.RefSpec("+" + Branch + ":" + fetchedRef)
	err = remote.FetchContext(ctx, &git.FetchOptions{RemoteName: "archive", RefSpecs: []config.RefSpec{spec}, Auth: auth, Tags: git.NoTags,
		CABundle: rm.CABundle})
	_ = r.git.Storer.RemoveReference(fetchedRef)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, remoteErr("fetch from", rm, err)
	}
	if r.git.Storer.HasEncodedObject(head) != nil {
		return plumbing.ZeroHash, fmt.Errorf("archive: fetch from %s did not bring its commit %s", redact(rm.URL), head)
	}
	return head, nil
}

// Catch-up outcomes.
const (
	CaughtUpNothing = "nothing"      // the remote has nothing this archive lacks
	CaughtUpForward = "fast-forward" // the branch moved forward to the remote's
	CaughtUpAdopted = "adopted"      // the histories had diverged: the remote's was taken
)

// CatchUp moves the branch to remote (a commit Fetch brought) when that
// loses nothing: when the branch is empty or remote descends from it (a
// fast-forward). When the histories diverged, adoptDiverged takes the
// remote's branch anyway and leaves what only this repository held to the
// next finishPurge; the caller allows it when another writer sharing the
// database wrote the remote (a purge there rewrote the history this one
// still holds: keeping it would keep the purged data), and renders
// everything again after. Otherwise a diverged remote is an error, and
// nothing moves.
//
// A purge here whose force push has not gone through is not undone: a
// remote still at the branch from before it is this archive's own older
// state (nothing moves; the force push replaces it), and a remote that
// moved on is taken with the purge noted to be made again on it
// (redoPaths).
func (r *Repo) CatchUp(remote plumbing.Hash, adoptDiverged bool) (string, error) {
	if remote.IsZero() || remote == r.head || remote == r.rewrite.from() {
		return CaughtUpNothing, nil
	}
	outcome := CaughtUpForward
	if !r.head.IsZero() {
		local, err := object.GetCommit(r.git.Storer, r.head)
		if err != nil {
			return "", fmt.Errorf("archive: read %s: %w", r.head, err)
		}
		theirs, err := object.GetCommit(r.git.Storer, remote)
		if err != nil {
			return "", fmt.Errorf("archive: read the remote's %s: %w", remote, err)
		}
		if ahead, err := theirs.IsAncestor(local); err != nil {
			return "", fmt.Errorf("archive: compare with the remote: %w", err)
		} else if ahead {
			return CaughtUpNothing, nil // the next push sends the rest
		}
		behind, err := local.IsAncestor(theirs)
		if err != nil {
			return "", fmt.Errorf("archive: compare with the remote: %w", err)
		}
		if !behind {
			if !adoptDiverged {
				return "", fmt.Errorf("archive: the remote's %s and this archive's have diverged (someone else pushed there?); "+
					"nothing was changed here or there", Branch.Short())
			}
			outcome = CaughtUpAdopted
		}
	}
	files, err := r.archiveFiles(remote)
	if err != nil {
		return "", fmt.Errorf("archive: the remote %w; nothing was changed", err)
	}
	if outcome == CaughtUpAdopted || r.rewrite.forces() {
		if err := r.noteRewrite(nil, true); err != nil {
			return "", err
		}
	}
	if err := r.setHead(remote, r.head); err != nil {
		return "", err
	}
	r.head, r.files = remote, files
	r.pruneDue = r.pruneDue || outcome == CaughtUpAdopted
	return outcome, nil
}

// catchUp brings the remote's branch here before the first commit of a
// writer: on PostgreSQL, where another process (with its own data dir)
// may have written the remote while it held the lock, and for an archive
// without any commit (a new data dir pointed at a remote that has one).
// A writer alone on SQLite otherwise trusts its own branch: a remote that
// diverged from it is refused at the push.
func (w *Writer) catchUp(ctx context.Context) error {
	shared := w.cfg.Locker != nil
	if w.cfg.Remote.URL == "" || (!shared && !w.repo.Head().IsZero()) {
		return nil
	}
	remote, err := w.repo.Fetch(ctx, w.cfg.Remote)
	if err != nil {
		return err
	}
	outcome, err := w.repo.CatchUp(remote, shared)
	if outcome != CaughtUpForward && outcome != CaughtUpAdopted {
		return err
	}
	// The branch is the remote's now (whatever failed after it moved):
	// what this writer meant to push, or to force, is either there or
	// rendered again by a full comparison (every post, against the
	// adopted tree) on this pass; purge events still open, and a purge
	// noted here whose push never went through, are done again on the
	// remote's history, which then needs the force again.
	w.pushed, w.force, w.events, w.deleted = true, false, nil, nil
	w.polledAt, w.dirty = time.Time{}, map[int64]bool{}
	w.st.LastCommit = remote.String()
	w.log.Info("archive: caught up with the remote", "commit", remote.String()[:12], "how", outcome)
	return err
}
