package attention

import (
	"context"
	"strconv"
	"time"

	"github.com/sns-os/snsos/internal/archive"
)

// SettingStore reads the git archive's status, which the elected writer
// (in whichever process holds the lock) saves as a setting; *store.Store
// implements it.
type SettingStore interface {
	Setting(ctx context.Context, key string) (string, error)
}

// Archive says what is wrong with the git archive (ArchiveFailing).
type Archive struct {
	// Blocked: the guard refuses to commit (something shaped like a
	// secret is in what would be written); otherwise pushes fail.
	Blocked bool
	// Failures counts the pushes failed in a row.
	Failures int
	// Remote is the remote without credentials ("" when local only).
	Remote string
	// Purge: a purge's rewrite of the history has stayed unfinished (the
	// deleted data is still in the archive or on its remote).
	Purge bool
}

// addArchive lists the archive when its Status says the operator should
// look (archive.Status.Failing): the guard blocked a commit, or pushes
// have kept failing for an hour. A status that cannot be read (none saved,
// or written by another version) lists nothing, nor does one an archive
// switched off left behind (Options.Archive).
func (c *computation) addArchive(ctx context.Context) error {
	st, ok, err := archive.ReadStatus(ctx, c.st, c.o.Archive, c.now)
	if err != nil {
		return err
	}
	if !ok || !st.Failing(c.now) {
		return nil
	}
	it := Item{Kind: ArchiveFailing, Error: st.LastError, Archive: &Archive{Blocked: st.Blocked, Failures: st.PushFailures,
		Remote: st.Remote}, Action: Action{Kind: ActionSettings, Path: "/settings#archive-h"}}
	switch {
	case st.Blocked:
		// One occurrence per head the guard keeps from moving: a block
		// after a later commit is new, the same block pass after pass is
		// not.
		it.Key, it.Since = "archive:blocked:"+st.LastCommit, st.ErrorAt
	case st.PurgeStuck(c.now):
		// Before a failing push: a purge that cannot finish is the
		// promise to the people whose data it was.
		it.Archive.Purge = true
		it.Key, it.Since = "archive:purge:"+strconv.FormatInt(st.PurgeSince.UnixMicro(), 10), st.PurgeSince
	default:
		it.Key, it.Since = "archive:push:"+strconv.FormatInt(st.FailingSince.UnixMicro(), 10), st.FailingSince
	}
	c.items = append(c.items, it)
	return nil
}

// archiveText is Text for ArchiveFailing.
func (it Item) archiveText(now time.Time) string {
	a := it.Archive
	if a == nil {
		a = &Archive{}
	}
	s := "The git archive stopped committing: " + it.Error + ". Take the secret out of what holds it (a post, or the error stored on a delivery); the next commit then goes through."
	if a.Purge {
		return "The git archive has not finished removing purged data for " + roughDuration(now.Sub(it.Since)) +
			": the data is still in the archive or on its remote. The last error: " + it.Error +
			". It is tried again every minute; free disk space or fix the remote so that it can finish."
	}
	if !a.Blocked {
		where := "its remote"
		if a.Remote != "" {
			where = a.Remote
		}
		s = "The git archive has not reached " + where + " for " + roughDuration(now.Sub(it.Since)) + " (" +
			strconv.Itoa(a.Failures) + " pushes failed in a row): " + it.Error +
			". Commits are kept locally and pushed once it works again; check the remote and its credentials."
	}
	return s
}
