package archive_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// fullDisk is the disk under the archive running out of space: armed with
// fillAfter(n), it lets n writes through, writes half of the next one and
// refuses it with ENOSPC, then refuses every write (and every directory
// it would take to create a file) until free.
type fullDisk struct {
	mu          sync.Mutex
	armed, full bool
	left        int      // writes still let through
	refused     int      // writes refused since armed
	written     []string // the files written since armed
}

func (d *fullDisk) fillAfter(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed, d.full, d.left, d.refused, d.written = true, false, n, 0, nil
}

// free gives the space back and returns how many writes were refused, and
// the files written meanwhile, one name a write.
func (d *fullDisk) free() (int, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed, d.full = false, false
	return d.refused, d.written
}

func (d *fullDisk) isFull() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.full
}

func (d *fullDisk) write(f billy.File, p []byte) (int, error) {
	d.mu.Lock()
	half := false
	if d.armed && !d.full {
		if d.left == 0 {
			d.full, half = true, true
		} else {
			d.left--
		}
	}
	full := d.full
	if full {
		d.refused++
	} else if d.armed {
		d.written = append(d.written, f.Name())
	}
	d.mu.Unlock()
	if !full {
		return f.Write(p)
	}
	n := 0
	if half {
		n, _ = f.Write(p[:len(p)/2])
	}
	return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func (d *fullDisk) wrap(under billy.Filesystem) billy.Filesystem { return fullFS{under, d} }

type fullFS struct {
	billy.Filesystem
	d *fullDisk
}

type fullFile struct {
	billy.File
	d *fullDisk
}

func (f fullFile) Write(p []byte) (int, error) { return f.d.write(f.File, p) }

// room refuses a new directory on a full disk.
func (w fullFS) room(dir string) error {
	if !w.d.isFull() {
		return nil
	}
	if _, err := w.Filesystem.Stat(dir); err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOSPC}
	}
	return nil
}

func (w fullFS) file(f billy.File, err error) (billy.File, error) {
	if err != nil {
		return nil, err
	}
	return fullFile{f, w.d}, nil
}

func (w fullFS) Create(name string) (billy.File, error) {
	if err := w.room(path.Dir(name)); err != nil {
		return nil, err
	}
	return w.file(w.Filesystem.Create(name))
}

func (w fullFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag&os.O_CREATE != 0 {
		if err := w.room(path.Dir(name)); err != nil {
			return nil, err
		}
	}
	return w.file(w.Filesystem.OpenFile(name, flag, perm))
}

func (w fullFS) TempFile(dir, prefix string) (billy.File, error) {
	if err := w.room(dir); err != nil {
		return nil, err
	}
	return w.file(w.Filesystem.TempFile(dir, prefix))
}

func (w fullFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := w.room(dir); err != nil {
		return err
	}
	return w.Filesystem.MkdirAll(dir, perm)
}

func (w fullFS) Chroot(dir string) (billy.Filesystem, error) {
	sub, err := w.Filesystem.Chroot(dir)
	if err != nil {
		return nil, err
	}
	return fullFS{sub, w.d}, nil
}

func (w fullFS) Capabilities() billy.Capability { return billy.Capabilities(w.Filesystem) }

// dbDump is what the database holds that the archive mirrors.
func dbDump(t *testing.T, st *store.Store) string {
	t.Helper()
	posts, err := st.PostsAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := st.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{posts, accts})
	return string(b)
}

// failedPass checks what a pass refused by a full disk left: a clear
// error, no commit, the database as it was, and an archive that opens
// again (as the next start would) with its branch at the last good
// commit (head; "": wherever the writer has it, which a purge that
// rewrote the history but could not repack has moved), which verify
// reads through. pushed: the pass went on to the push (only the deletion
// of a purge's old objects failed).
func failedPass(t *testing.T, b *bundle, res archive.Result, err error, head, db string, pushed bool) {
	t.Helper()
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("a pass on a full disk: %v", err)
	}
	if res.Commit != "" || res.Pushed != pushed || (head != "" && b.w.Repo().Head().String() != head) {
		t.Fatalf("a pass on a full disk: %+v, head %s (was %s)", res, b.w.Repo().Head(), head)
	}
	head = b.w.Repo().Head().String()
	if st := b.w.Status(); !strings.Contains(st.LastError, "no space left on device") {
		t.Fatalf("status %+v", st)
	}
	if dbDump(t, b.st) != db {
		t.Fatal("the database changed")
	}
	if r := verifyClean(t, b.w.Repo().Path()); r.Head().String() != head {
		t.Fatalf("on disk, the branch is at %s, not the last good commit %s", r.Head(), head)
	}
}

// TestDiskFullMidCommit runs out of space at every write of a commit in
// turn, from the first object to the branch's update; each time, once the
// space is back, the next pass commits and pushes everything missed.
func TestDiskFullMidCommit(t *testing.T) {
	disk := &fullDisk{}
	archive.WrapStorage(t, disk.wrap)
	b := setup(t, store.SQLite, true)
	b.post(t, "before the disk filled")
	b.sync(t)
	commits, failures := 1, 0
	for k := 0; ; k++ {
		if k > 100 {
			t.Fatal("no commit got through")
		}
		p := b.post(t, "written at write "+itoa(int64(k)))
		head, db := b.w.Repo().Head().String(), dbDump(t, b.st)
		disk.fillAfter(k)
		b.clk.advance(time.Minute)
		res, err := b.w.Sync(ctx)
		if refused, _ := disk.free(); refused == 0 { // the commit took fewer than k writes
			if err != nil || res.Commit == "" {
				t.Fatalf("a pass with room: %+v, %v", res, err)
			}
			commits++
			break
		}
		failures++
		failedPass(t, b, res, err, head, db, false)
		res = b.sync(t)
		if res.Commit == "" || !res.Pushed {
			t.Fatalf("the pass after the space came back: %+v", res)
		}
		if doc, err := b.w.Repo().File(archive.PostPath(p.ID, p.CreatedAt)); err != nil || !bytes.Contains(doc, []byte(p.Body)) {
			t.Fatalf("the post written while the disk was full is not archived: %v", err)
		}
		commits++
	}
	t.Logf("a commit cut at %d places", failures)
	if failures < 4 {
		t.Fatalf("a commit was cut at only %d places", failures)
	}
	posts, _ := b.st.PostsAfter(ctx, 0, 10000)
	for _, p := range posts { // nothing lost
		if doc, err := b.w.Repo().File(archive.PostPath(p.ID, p.CreatedAt)); err != nil || !bytes.Contains(doc, []byte(p.Body)) {
			t.Errorf("post %d is not archived: %v", p.ID, err)
		}
	}
	if remoteHead(t, b.remote) != b.w.Repo().Head().String() {
		t.Fatal("the remote does not hold the head")
	}
	verifyClean(t, b.w.Repo().Path())
	gitSecondOpinion(t, b.w.Repo().Path(), commits)
	gitSecondOpinion(t, b.remote, commits)
}

// purgeScenario is an archive whose next pass purges a post from the
// middle of its history: its writer caught up with a remote that had the
// post already, so the post's objects came in a pack, which the purge
// rewrites.
func purgeScenario(t *testing.T) (*bundle, *snsos.Post) {
	t.Helper()
	b := setup(t, store.SQLite, true)
	b.post(t, "kept post")
	gone := b.post(t, "to be purged")
	b.sync(t)
	b.w = remoteWriter(t, b, t.TempDir()+"/archive", archive.Remote{URL: remoteURL(b.remote)})
	b.sync(t)
	b.move(t, gone.Targets[0].ID, nil, snsos.StateScheduled, snsos.StateCanceled)
	b.post(t, "history on top")
	b.sync(t)
	if _, err := b.st.DeletePost(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	b.purges.events = []archive.PurgeEvent{{ID: 7, PostIDs: []int64{gone.ID}}}
	return b, gone
}

// TestDiskFullMidPurge runs out of space during a purge: while the
// rewritten history is written, as the branch moves, while the new pack
// and its index are written. A first pass with room lists the writes; the
// disk then fills at the first, middle and last write of each kind. Each
// time the purge event stays open, the purge (or, once the branch has
// moved, the deletion of the old objects) is done again on the next pass,
// and the purged post leaves the history (and the disk) here and on the
// remote before the event is closed.
func TestDiskFullMidPurge(t *testing.T) {
	disk := &fullDisk{}
	archive.WrapStorage(t, disk.wrap)
	b, _ := purgeScenario(t)
	disk.fillAfter(1 << 30)
	b.sync(t)
	_, trace := disk.free()
	// The writes by kind of file: loose objects, the branch's new value,
	// the pack, its index.
	kinds := map[string][]int{}
	for i, n := range trace {
		kind := strings.TrimRight(path.Base(n), "0123456789_")
		kind = strings.TrimLeft(strings.TrimPrefix(kind, "pack-"), "0123456789abcdef")
		kinds[kind] = append(kinds[kind], i)
	}
	var cuts []int
	for _, at := range kinds {
		cuts = append(cuts, at[0], at[len(at)/2], at[len(at)-1])
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	t.Logf("a purge writes %d times; cut at %v", len(trace), cuts)
	for _, kind := range []string{"tmp_obj", "sns-os-head-", "tmp_pack", ".idx"} {
		if len(kinds[kind]) == 0 {
			t.Fatalf("the purge did not write %s, which this test means to cut: %v", kind, slices.Collect(maps.Keys(kinds)))
		}
	}
	wentOn := 0
	for _, k := range cuts {
		b, gone := purgeScenario(t)
		db, before := dbDump(t, b.st), b.w.Repo().Head()
		disk.fillAfter(k)
		b.clk.advance(time.Minute)
		res, err := b.w.Sync(ctx)
		if refused, _ := disk.free(); refused == 0 {
			t.Fatalf("write %d: the disk was never full: %+v, %v", k, res, err)
		}
		// Once the branch has moved, only the repack failed: the pass
		// goes on and force-pushes the rewritten history.
		moved := b.w.Repo().Head() != before
		if moved {
			wentOn++
		}
		failedPass(t, b, res, err, "", db, moved)
		if moved && remoteHead(t, b.remote) != b.w.Repo().Head().String() {
			t.Fatalf("write %d: the rewritten history was not pushed", k)
		}
		if len(b.purges.archived) > 0 {
			t.Fatalf("write %d: the purge event was closed by a failed pass", k)
		}
		if res := b.sync(t); !res.Pushed || !slices.Equal(b.purges.archived, []int64{7}) {
			t.Fatalf("write %d: the pass after the space came back: %+v, events closed %v", k, res, b.purges.archived)
		}
		for _, dir := range []string{b.w.Repo().Path(), b.remote} {
			for _, obj := range reachable(t, dir) {
				if bytes.Contains(obj, []byte(gone.Body)) {
					t.Fatalf("write %d: %s still reaches the purged post", k, dir)
				}
			}
		}
		assertAbsent(t, b.w.Repo().Path(), gone.Body)
		if remoteHead(t, b.remote) != b.w.Repo().Head().String() {
			t.Fatalf("write %d: the remote does not hold the head", k)
		}
		verifyClean(t, b.w.Repo().Path())
		gitFsck(t, b.w.Repo().Path())
	}
	if wentOn == 0 || wentOn == len(cuts) {
		t.Fatalf("%d of %d cuts came after the branch moved: the repack's cuts are not tested", wentOn, len(cuts))
	}
}

// gitFsck runs git fsck over the repository at dir, when git is installed.
func gitFsck(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput(); err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
}
