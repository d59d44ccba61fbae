package compliance

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// archivePurges is the store's purge outbox as the archive reads it (the
// command line wires the same).
type archivePurges struct{ st *store.Store }

func (p archivePurges) PendingPurges(ctx context.Context) ([]archive.PurgeEvent, error) {
	evs, err := p.st.ListPurgeEvents(ctx, 100)
	if err != nil {
		return nil, err
	}
	var out []archive.PurgeEvent
	for _, ev := range evs {
		out = append(out, archive.PurgeEvent{ID: ev.ID, AccountIDs: ev.AccountIDs, PostIDs: ev.PostIDs, TargetIDs: ev.TargetIDs})
	}
	return out, nil
}

func (p archivePurges) MarkPurgeArchived(ctx context.Context, id int64) error {
	return p.st.MarkPurgeEventArchived(ctx, id)
}

// TestDataDeletionLeavesTheArchive carries a real deletion request through:
// Meta's signed data-deletion callback for the Threads user, the purge job
// River runs, its purge event, and the archive's next pass, which rewrites
// the history without the user's post, its target on a shared post and
// its account, and force-pushes. Afterwards no commit reachable in the
// local or the remote repository holds any of it, and the local disk holds
// it nowhere; what the X account posted stays.
func TestDataDeletionLeavesTheArchive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{window: -1, river: true})
		h.post(t, "threads launch plans, never to be kept", snsos.StateDraft, nil, h.th)
		kept := h.post(t, "an X post that stays", snsos.StateDraft, nil, h.x)
		shared := &snsos.Post{Body: "shared between X and Threads", Targets: []*snsos.Target{
			{AccountID: h.x.ID, State: snsos.StateDraft}, {AccountID: h.th.ID, State: snsos.StateDraft, Body: "words only Threads had"}}}
		if err := h.st.CreatePost(ctx, shared, nil); err != nil {
			t.Fatal(err)
		}
		remote := t.TempDir()
		if _, err := git.PlainInit(remote, true); err != nil {
			t.Fatal(err)
		}
		w, err := archive.NewWriter(archive.Config{Dir: t.TempDir() + "/archive", Store: h.st, Purges: archivePurges{h.st},
			Remote: archive.Remote{URL: "file://" + remote}, Secrets: archive.StoredSecrets(h.st), Now: h.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := w.Sync(ctx); err != nil || !res.Pushed {
			t.Fatalf("first export: %+v %v", res, err)
		}
		gone := []string{"threads launch plans", "words only Threads had", `"handle": "threads_op"`}
		if !holds(t, w.Repo().Path(), gone[0]) {
			t.Fatal("the archive never held the Threads post: the test proves nothing")
		}

		a := h.form(t, "/webhooks/threads/data-deletion", signed(t, thSecret, h.th.RemoteID, h.clk.Now()))
		if a.status != http.StatusOK {
			t.Fatalf("data-deletion: %d %s", a.status, a.body)
		}
		waitFor(t, "the purge", func() bool {
			d, err := h.st.FindDeletionRequestByCode(ctx, a.json["confirmation_code"])
			return err == nil && d.Status == snsos.DeletionCompleted
		})
		if evs, err := h.st.ListPurgeEvents(ctx, 100); err != nil || len(evs) != 1 {
			t.Fatalf("purge events %+v, %v", evs, err)
		}

		h.clk.Advance(time.Minute)
		res, err := w.Sync(ctx)
		if err != nil || res.Purged == 0 || !res.Pushed {
			t.Fatalf("purge pass: %+v %v", res, err)
		}
		if evs, err := h.st.ListPurgeEvents(ctx, 100); err != nil || len(evs) != 0 {
			t.Fatalf("the purge event is still open after the push: %+v, %v", evs, err)
		}
		for _, dir := range []string{w.Repo().Path(), remote} {
			for _, s := range gone {
				if holds(t, dir, s) {
					t.Errorf("%s: a reachable object still holds %q", dir, s)
				}
			}
			if !holds(t, dir, "an X post that stays") || !holds(t, dir, "shared between X and Threads") {
				t.Errorf("%s lost what the X account posted", dir)
			}
		}
		onDisk(t, w.Repo().Path(), gone[0])
		if _, err := w.Repo().File(archive.PostPath(kept.ID, kept.CreatedAt)); err != nil {
			t.Fatal(err)
		}
	})
}

// holds reports whether any commit reachable in the repository at dir
// holds s in its message or one of its files.
func holds(t *testing.T, dir, s string) bool {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(archive.Branch, true)
	if err != nil {
		t.Fatal(err)
	}
	commits, err := r.Log(&git.LogOptions{From: ref.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	err = commits.ForEach(func(c *object.Commit) error {
		if bytes.Contains([]byte(c.Message), []byte(s)) {
			found = true
		}
		tree, err := c.Tree()
		if err != nil {
			return err
		}
		return tree.Files().ForEach(func(f *object.File) error {
			body, err := f.Contents()
			if bytes.Contains([]byte(body), []byte(s)) {
				found = true
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// onDisk fails if any object stored at dir, reachable or not, holds s.
func onDisk(t *testing.T, dir, s string) {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	iter, err := r.Storer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	_ = iter.ForEach(func(o plumbing.EncodedObject) error {
		rd, err := o.Reader()
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		var b bytes.Buffer
		b.ReadFrom(rd)
		if bytes.Contains(b.Bytes(), []byte(s)) {
			t.Errorf("object %s in %s still holds %q", o.Hash(), dir, s)
		}
		return nil
	})
}
