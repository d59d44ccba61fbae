package archive

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/sns-os/snsos"
)

// pollOverlap is how far before the last poll the next one looks again: a
// transaction that committed late, or a process whose clock runs behind,
// wrote times a little in the past. Looking twice costs a comparison of
// hashes; missing a change would cost the record. The full comparison
// (FullEvery) catches anything later still.
const pollOverlap = 10 * time.Minute

// page is how many posts are read at once.
const page = 500

// purge removes from the history what the purge outbox, the operator's
// deletions and the last full comparison say is gone (and what a purge
// noted to be made again on the remote's history), and returns how many
// paths it removed. Deleting the old objects may fail where a commit
// would not (a repack needs room for a copy of them all): that failure is
// pruneErr, not err, and the pass goes on, so that archiving and the
// force push do not wait for the room; later passes try again.
func (w *Writer) purge(ctx context.Context) (n int, pruneErr, err error) {
	pruneErr = w.repo.finishPurge()
	n, err = w.purgeNow(ctx, &pruneErr)
	return n, pruneErr, err
}

// purgeNow is purge once the deletion left over from before was tried;
// pruneErr receives the failure of the deletion after a rewrite.
func (w *Writer) purgeNow(ctx context.Context, pruneErr *error) (int, error) {
	var posts, targets, accounts, events []int64
	if w.cfg.Purges != nil {
		evs, err := w.cfg.Purges.PendingPurges(ctx)
		if err != nil {
			return 0, fmt.Errorf("archive: read purge events: %w", err)
		}
		for _, ev := range evs {
			if slices.Contains(w.events, ev.ID) {
				continue // removed already, waiting for the push
			}
			posts, targets = append(posts, ev.PostIDs...), append(targets, ev.TargetIDs...)
			accounts, events = append(accounts, ev.AccountIDs...), append(events, ev.ID)
		}
	}
	if !w.polledAt.IsZero() {
		dels, err := w.cfg.Store.ListAuditEventsSince(ctx, "post.delete", w.polledAt.Add(-pollOverlap))
		if err != nil {
			return 0, fmt.Errorf("archive: read deletions: %w", err)
		}
		for _, e := range dels {
			if e.SubjectType == "post" {
				posts = append(posts, e.SubjectID)
			}
		}
	}
	posts = append(posts, w.deleted...)
	if len(accounts) > 0 { // an account connected again keeps its file
		live, err := w.cfg.Store.ListAccounts(ctx)
		if err != nil {
			return 0, err
		}
		accounts = slices.DeleteFunc(accounts, func(id int64) bool {
			return slices.ContainsFunc(live, func(a *snsos.Account) bool { return a.ID == id })
		})
	}
	redo := w.repo.redoPaths()
	if len(posts)+len(targets)+len(accounts)+len(redo) == 0 {
		w.events = append(w.events, events...)
		return 0, nil
	}
	var paths []string
	if len(posts)+len(targets)+len(accounts) > 0 {
		var err error
		if paths, err = w.repo.purgePaths(posts, targets, accounts); err != nil {
			return 0, err
		}
	}
	paths = dedupe(append(paths, redo...))
	changed, err := w.repo.Purge(paths)
	// A history rewritten is pushed with force and its posts that keep
	// other targets written again, even when deleting the old objects
	// failed after it: the next pass finds the paths gone already.
	w.force = w.force || changed
	for _, p := range paths {
		if id, ok := postIDOf(p); ok {
			w.dirty[id] = true
		}
	}
	if err != nil && !changed {
		return 0, err
	}
	if changed { // its own deletion tried again what was left from before
		*pruneErr = err
	}
	if err := w.repo.redone(); err != nil {
		return 0, err
	}
	w.deleted = nil
	if !changed {
		paths = nil // the paths were gone already
	}
	if len(paths) > 0 {
		w.log.Info("archive: purged from the history", "paths", len(paths))
	}
	// The events are closed once the remote has the rewritten branch and
	// the old objects are gone from the disk (settle).
	w.events = append(w.events, events...)
	return len(paths), nil
}

// collect renders what changed since the last poll (everything when full)
// and returns the changes with the commit message saying what they are.
func (w *Writer) collect(ctx context.Context, full bool) (map[string][]byte, string, error) {
	changes := map[string][]byte{readmePath: []byte(readme)}
	sum := &summary{first: w.repo.Head().IsZero()}
	if err := w.collectAccounts(ctx, changes, sum); err != nil {
		return nil, "", err
	}
	if full {
		if err := w.collectAll(ctx, changes, sum); err != nil {
			return nil, "", err
		}
	} else {
		ids, err := w.cfg.Store.ChangedPostIDs(ctx, w.polledAt.Add(-pollOverlap))
		if err != nil {
			return nil, "", fmt.Errorf("archive: read changes: %w", err)
		}
		for id := range w.dirty {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for len(ids) > 0 {
			n := min(page, len(ids))
			posts, err := w.cfg.Store.PostsByID(ctx, ids[:n])
			if err != nil {
				return nil, "", fmt.Errorf("archive: read posts: %w", err)
			}
			if err := w.renderPosts(ctx, posts, changes, sum); err != nil {
				return nil, "", err
			}
			ids = ids[n:]
		}
	}
	return changes, sum.message(), nil
}

// collectAccounts renders every account, and removes the files of
// accounts gone or renamed.
func (w *Writer) collectAccounts(ctx context.Context, changes map[string][]byte, sum *summary) error {
	accts, err := w.cfg.Store.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("archive: read accounts: %w", err)
	}
	keep := map[string]bool{}
	for _, a := range accts {
		p := AccountPath(a)
		if keep[p] { // two accounts with one handle: the second by id too
			p = strings.TrimSuffix(p, ".json") + fmt.Sprintf("-%d.json", a.ID)
		}
		keep[p] = true
		changes[p] = RenderAccount(a)
		sum.account(w.repo, p, changes[p])
	}
	for p := range w.repo.files {
		if strings.HasPrefix(p, "accounts/") && !keep[p] {
			changes[p] = nil
			sum.account(w.repo, p, nil)
		}
	}
	return nil
}

// collectAll renders every post, and removes (then purges, next pass) the
// files of posts the database no longer has.
func (w *Writer) collectAll(ctx context.Context, changes map[string][]byte, sum *summary) error {
	seen, total := map[int64]bool{}, 0
	if w.progress != nil {
		n, err := w.cfg.Store.CountPosts(ctx)
		if err != nil {
			return fmt.Errorf("archive: count posts: %w", err)
		}
		total = n
		w.report(StagePosts, 0, total)
	}
	for after := int64(0); ; {
		posts, err := w.cfg.Store.PostsAfter(ctx, after, page)
		if err != nil {
			return fmt.Errorf("archive: read posts: %w", err)
		}
		if len(posts) == 0 {
			break
		}
		for _, p := range posts {
			seen[p.ID] = true
		}
		if err := w.renderPosts(ctx, posts, changes, sum); err != nil {
			return err
		}
		after = posts[len(posts)-1].ID
		w.report(StagePosts, len(seen), total)
	}
	gone := map[int64]bool{}
	for p := range w.repo.files {
		if id, ok := postIDOf(p); ok && !seen[id] {
			changes[p] = nil
			gone[id] = true
		}
	}
	for id := range gone {
		sum.deleted = append(sum.deleted, id)
		w.deleted = append(w.deleted, id)
	}
	return nil
}

// renderPosts adds the files of posts to changes.
func (w *Writer) renderPosts(ctx context.Context, posts []*snsos.Post, changes map[string][]byte, sum *summary) error {
	var tids, mids []int64
	for _, p := range posts {
		mids = append(mids, p.MediaIDs...)
		for _, t := range p.Targets {
			tids = append(tids, t.ID)
		}
	}
	attempts, err := w.cfg.Store.AttemptsOfTargets(ctx, tids)
	if err != nil {
		return fmt.Errorf("archive: read attempts: %w", err)
	}
	media, err := w.cfg.Store.MediaByIDs(ctx, mids)
	if err != nil {
		return fmt.Errorf("archive: read media: %w", err)
	}
	for _, p := range posts {
		pp, mp := PostPath(p.ID, p.CreatedAt), MetricsPath(p.ID, p.CreatedAt)
		doc, metrics := RenderPost(p, attempts, media), RenderMetrics(p)
		if w.repo.unchanged(pp, doc) && w.repo.unchanged(mp, metrics) {
			continue
		}
		sum.post(w.repo, p, pp, doc, mp, metrics)
		changes[pp], changes[mp] = doc, metrics
	}
	return nil
}

// unchanged reports whether path holds content (nil: is absent).
func (r *Repo) unchanged(path string, content []byte) bool {
	h, ok := r.files[path]
	if content == nil {
		return !ok
	}
	return ok && h == plumbing.ComputeHash(plumbing.BlobObject, content)
}
