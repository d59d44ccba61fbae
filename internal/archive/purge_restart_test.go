package archive_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// away takes the remote at dir out of reach (as a host that is down)
// until the returned function brings it back.
func away(t *testing.T, dir string) (back func()) {
	t.Helper()
	if err := os.Rename(dir, dir+".away"); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Rename(dir+".away", dir); err != nil {
			t.Fatal(err)
		}
	}
}

// assertPurged fails if a commit of any repository at dirs still reaches
// s.
func assertPurged(t *testing.T, s string, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		for _, obj := range reachable(t, dir) {
			if bytes.Contains(obj, []byte(s)) {
				t.Fatalf("%s still reaches %q:\n%s", dir, s, obj)
			}
		}
	}
}

// settled checks the end of a purge: the event closed, the purged post
// out of the history here and on the remote and off this disk, the remote
// at the head, and no rewrite left noted.
func settled(t *testing.T, b *bundle, gone *snsos.Post) {
	t.Helper()
	if !slices.Equal(b.purges.archived, []int64{7}) {
		t.Fatalf("purge events closed: %v", b.purges.archived)
	}
	assertPurged(t, gone.Body, b.w.Repo().Path(), b.remote)
	assertAbsent(t, b.w.Repo().Path(), gone.Body)
	if remoteHead(t, b.remote) != b.w.Repo().Head().String() {
		t.Fatalf("the remote is at %s, the archive at %s", remoteHead(t, b.remote), b.w.Repo().Head())
	}
	if archive.RewritePending(b.w.Repo()) {
		t.Fatal("the note of the rewrite outlived it")
	}
	gitFsck(t, b.w.Repo().Path())
}

// TestPurgeOutlivesARestartBeforeItsForcePush: a purge rewrites the
// history while the remote is down, and the process stops before a push
// got through. The next process forces the push all the same: the remote
// loses the purged post, and only then is the event closed.
func TestPurgeOutlivesARestartBeforeItsForcePush(t *testing.T) {
	b, gone := purgeScenario(t)
	dir := b.w.Repo().Path()
	back := away(t, b.remote)
	b.clk.advance(time.Minute)
	if res, err := b.w.Sync(ctx); err == nil || res.Purged == 0 || res.Pushed {
		t.Fatalf("the purge with the remote down: %+v, %v", res, err)
	}
	assertAbsent(t, dir, gone.Body) // off this disk already
	if len(b.purges.archived) > 0 || !archive.RewritePending(b.w.Repo()) {
		t.Fatalf("events closed %v before the push; rewrite noted: %v", b.purges.archived, archive.RewritePending(b.w.Repo()))
	}
	// The status says since when the purge is unfinished (the dashboard
	// lists it after an hour).
	if st := b.w.Status(); st.PurgeSince.IsZero() || st.PurgeStuck(st.PurgeSince.Add(59*time.Minute)) ||
		!st.PurgeStuck(st.PurgeSince.Add(time.Hour)) {
		t.Fatalf("status of an unfinished purge: %+v", st)
	}
	since := b.w.Status().PurgeSince
	back()

	b.w = remoteWriter(t, b, dir, archive.Remote{URL: remoteURL(b.remote)}) // the restart
	if got := b.w.Status().PurgeSince; !got.Equal(since) {
		t.Fatalf("the restart reset when the purge was first left unfinished: %v, was %v", got, since)
	}
	if res := b.sync(t); !res.Pushed {
		t.Fatalf("the pass after the restart: %+v", res)
	}
	settled(t, b, gone)
	if st := b.w.Status(); !st.PurgeSince.IsZero() {
		t.Fatalf("a finished purge still in the status: %+v", st)
	}
	gitSecondOpinion(t, b.remote, 2)
}

// TestPurgeOutlivesARestartAfterItsRepackFailed: the disk fills while the
// purge writes its new pack's index (the branch has moved), with the
// remote down too; the operator frees space and starts again. The old
// pack, which holds the purged post, is deleted then, and the remote gets
// the rewritten history.
func TestPurgeOutlivesARestartAfterItsRepackFailed(t *testing.T) {
	disk := &fullDisk{}
	archive.WrapStorage(t, disk.wrap)
	b, _ := purgeScenario(t)
	disk.fillAfter(1 << 30)
	b.sync(t)
	_, trace := disk.free()
	idx := slices.IndexFunc(trace, func(n string) bool { return strings.HasSuffix(path.Base(n), ".idx") })
	if idx < 0 {
		t.Fatalf("a purge writes no pack index: %v", trace)
	}

	b, gone := purgeScenario(t)
	dir, before := b.w.Repo().Path(), b.w.Repo().Head()
	back := away(t, b.remote)
	disk.fillAfter(idx)
	b.clk.advance(time.Minute)
	res, err := b.w.Sync(ctx)
	disk.free()
	back()
	if !errors.Is(err, syscall.ENOSPC) || res.Pushed || b.w.Repo().Head() == before {
		t.Fatalf("the purge on a full disk: %+v, %v (the branch did not move: %v)", res, err, b.w.Repo().Head() == before)
	}
	// The pack it wrote is not left to fill the disk again.
	packs, err := os.ReadDir(path.Join(dir, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range packs {
		if strings.HasPrefix(e.Name(), "tmp_") {
			t.Fatalf("the failed repack left %s", e.Name())
		}
	}

	b.w = remoteWriter(t, b, dir, archive.Remote{URL: remoteURL(b.remote)})
	if res := b.sync(t); !res.Pushed {
		t.Fatalf("the pass after the restart: %+v", res)
	}
	settled(t, b, gone)
}

// noPackFS is a nearly full disk: room for a commit's few small files, not
// for a new pack (a copy of every object).
type noPackFS struct {
	billy.Filesystem
	full *bool
}

func (w noPackFS) TempFile(dir, prefix string) (billy.File, error) {
	if *w.full && strings.HasPrefix(prefix, "tmp_pack") {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOSPC}
	}
	return w.Filesystem.TempFile(dir, prefix)
}

func (w noPackFS) Chroot(dir string) (billy.Filesystem, error) {
	sub, err := w.Filesystem.Chroot(dir)
	if err != nil {
		return nil, err
	}
	return noPackFS{sub, w.full}, nil
}

func (w noPackFS) Capabilities() billy.Capability { return billy.Capabilities(w.Filesystem) }

// TestNoRoomForARepackKeepsArchiving: a purge's old objects cannot be
// deleted for want of room for the new pack. The rewritten history is
// force-pushed all the same, and the posts written meanwhile are
// committed and pushed, pass after pass; the status says why, and the
// event stays open until the room comes back and the deletion goes
// through.
func TestNoRoomForARepackKeepsArchiving(t *testing.T) {
	full := false
	archive.WrapStorage(t, func(under billy.Filesystem) billy.Filesystem { return noPackFS{under, &full} })
	b, gone := purgeScenario(t)
	full = true
	b.clk.advance(time.Minute)
	res, err := b.w.Sync(ctx)
	if !errors.Is(err, syscall.ENOSPC) || res.Purged == 0 || !res.Pushed {
		t.Fatalf("the purge without room for a pack: %+v, %v", res, err)
	}
	assertPurged(t, gone.Body, b.w.Repo().Path(), b.remote)
	for i := range 3 {
		p := b.post(t, "written while the disk is full "+itoa(int64(i)))
		b.clk.advance(time.Minute)
		res, err := b.w.Sync(ctx)
		if !errors.Is(err, syscall.ENOSPC) || res.Commit == "" || !res.Pushed || remoteHead(t, b.remote) != res.Commit {
			t.Fatalf("pass %d: %+v, %v; the remote at %s", i, res, err, remoteHead(t, b.remote))
		}
		if _, err := b.w.Repo().File(archive.PostPath(p.ID, p.CreatedAt)); err != nil {
			t.Fatalf("pass %d: the new post is not archived: %v", i, err)
		}
		if st := b.w.Status(); !strings.Contains(st.LastError, "no space left on device") || st.PushFailures != 0 {
			t.Fatalf("pass %d: status %+v", i, st)
		}
		if len(b.purges.archived) > 0 {
			t.Fatalf("pass %d: the event was closed while the purged post is on the disk", i)
		}
	}

	full = false
	b.sync(t)
	settled(t, b, gone)
	if st := b.w.Status(); st.LastError != "" {
		t.Fatalf("status after the deletion went through: %+v", st)
	}
}

// TestPurgeOutlivesRestartAndTakeoverOnPostgres: processes share one
// PostgreSQL database and one remote, each with its own data dir. A post
// deleted while the writer was down leaves its tree on the next start (a
// commit that is pushed), then its history (a purge whose force push fails:
// the remote is down), and the writer stops. When it comes back, the
// remote still at its branch from before the purge is its own older state:
// it keeps its purged history and forces the push. When instead another
// process was the writer meanwhile and built on the remote's unpurged
// history, it takes that history and removes the post from it again.
func TestPurgeOutlivesRestartAndTakeoverOnPostgres(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	env := storetest.NewWithClock(t, store.Postgres, clk.now)
	stA, stB := env.Store, env.Reopen(t)
	acct := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1001", Handle: "sns_demo", Status: snsos.AccountConnected}
	if err := stA.UpsertAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	remote := t.TempDir()
	if _, err := git.PlainInit(remote, true); err != nil {
		t.Fatal(err)
	}
	dirA, dirB := t.TempDir()+"/archive", t.TempDir()+"/archive"
	start := func(st *store.Store, dir string) *archive.Writer { // a process starting
		t.Helper()
		l := archive.NewPGLock(st.DB())
		t.Cleanup(func() { l.Unlock() }) // before the store closes
		w, err := archive.NewWriter(archive.Config{Dir: dir, Store: st, Remote: archive.Remote{URL: remoteURL(remote)},
			Secrets: archive.StoredSecrets(st), Locker: l, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	pass := func(w *archive.Writer) (archive.Result, error) {
		t.Helper()
		clk.advance(time.Minute)
		res, elected, err := w.SyncIfElected(ctx)
		if !elected {
			t.Fatalf("not elected (%v)", err)
		}
		return res, err
	}
	good := func(w *archive.Writer) archive.Result {
		t.Helper()
		res, err := pass(w)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	post := func(body string) *snsos.Post {
		t.Helper()
		p := &snsos.Post{Body: body, Targets: []*snsos.Target{{AccountID: acct.ID, State: snsos.StateDraft}}}
		if err := stA.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// purgeUnpushed archives a post, deletes it while A is down, and has
	// A, started again, take it out of the tree (pushed) and then of the
	// history (not pushed); A stops.
	a := start(stA, dirA)
	purgeUnpushed := func(body string) {
		t.Helper()
		p := post(body)
		good(a)
		if err := a.Release(); err != nil {
			t.Fatal(err)
		}
		if _, err := stA.DeletePost(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		a = start(stA, dirA)
		if res := good(a); res.Commit == "" || !res.Pushed {
			t.Fatalf("the full comparison after the start: %+v", res)
		}
		back := away(t, remote)
		if res, err := pass(a); err == nil || res.Purged == 0 || res.Pushed {
			t.Fatalf("the purge with the remote down: %+v, %v", res, err)
		}
		back()
		assertPurged(t, body, dirA)
		if err := a.Release(); err != nil {
			t.Fatal(err)
		}
	}
	post("kept post")
	purgeUnpushed("first secret")

	a = start(stA, dirA)
	if res := good(a); !res.Pushed {
		t.Fatalf("A back: %+v", res)
	}
	assertPurged(t, "first secret", dirA, remote)
	assertAbsent(t, dirA, "first secret")
	if remoteHead(t, remote) != a.Repo().Head().String() || archive.RewritePending(a.Repo()) {
		t.Fatalf("A back: the remote at %s, A at %s; rewrite noted: %v", remoteHead(t, remote), a.Repo().Head(),
			archive.RewritePending(a.Repo()))
	}

	purgeUnpushed("second secret")
	b := start(stB, dirB)
	bs := post("written by B")
	if res := good(b); res.Commit == "" || !res.Pushed {
		t.Fatalf("B's pass: %+v", res)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	a = start(stA, dirA)
	if res := good(a); !res.Pushed {
		t.Fatalf("A back after B: %+v", res)
	}
	assertPurged(t, "second secret", dirA, remote)
	assertAbsent(t, dirA, "second secret")
	if remoteHead(t, remote) != a.Repo().Head().String() || archive.RewritePending(a.Repo()) {
		t.Fatalf("A back after B: the remote at %s, A at %s; rewrite noted: %v", remoteHead(t, remote), a.Repo().Head(),
			archive.RewritePending(a.Repo()))
	}
	if _, err := a.Repo().File(archive.PostPath(bs.ID, bs.CreatedAt)); err != nil {
		t.Fatalf("B's post is not in A's archive: %v", err)
	}
	if st := a.Status(); st.LastError != "" || st.PushFailures != 0 {
		t.Fatalf("status %+v", st)
	}
	gitFsck(t, dirA)
}
