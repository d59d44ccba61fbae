package archive_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestTakeoverOnPostgres: two processes share one PostgreSQL database and
// one file:// remote, each with its own data dir. When the writer stops,
// the other is elected, fetches the remote and builds on it (no
// "diverged"); when the first comes back after the second purged a post,
// it takes the remote's rewritten history and the purged post leaves its
// disk too.
func TestTakeoverOnPostgres(t *testing.T) {
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
	purges := &fakePurges{}
	writer := func(st *store.Store) (*archive.Writer, *archive.PGLock) {
		l := archive.NewPGLock(st.DB())
		t.Cleanup(func() { l.Unlock() }) // before the store closes
		w, err := archive.NewWriter(archive.Config{Dir: t.TempDir() + "/archive", Store: st, Purges: purges,
			Remote: archive.Remote{URL: "file://" + remote}, Secrets: archive.StoredSecrets(st), Locker: l, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		return w, l
	}
	a, lockA := writer(stA)
	b, lockB := writer(stB)
	pass := func(w *archive.Writer, elected bool) archive.Result {
		t.Helper()
		clk.advance(time.Minute)
		res, got, err := w.SyncIfElected(ctx)
		if err != nil || got != elected {
			t.Fatalf("pass: elected=%v (want %v) err=%v", got, elected, err)
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
	remoteHead := func() string {
		t.Helper()
		r, err := git.PlainOpen(remote)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := r.Reference(archive.Branch, true)
		if err != nil {
			t.Fatal(err)
		}
		return ref.Hash().String()
	}

	first := post("first post")
	if res := pass(a, true); !res.Pushed {
		t.Fatalf("first export: %+v", res)
	}
	pass(b, false)
	gone := post("secret plans for the launch")
	pass(a, true)

	// A stops; B is elected and builds on what A pushed.
	if err := lockA.Unlock(); err != nil {
		t.Fatal(err)
	}
	post("after the takeover")
	res := pass(b, true)
	if res.Commit == "" || !res.Pushed || remoteHead() != res.Commit {
		t.Fatalf("takeover pass: %+v, remote at %s", res, remoteHead())
	}
	if _, err := b.Repo().File(archive.PostPath(first.ID, first.CreatedAt)); err != nil {
		t.Fatalf("B's archive lacks A's post: %v", err)
	}
	gitSecondOpinion(t, remote, 3) // A's two commits and B's on top

	// B purges a post (history rewritten, force-pushed) while A waits.
	if _, err := stA.DeletePost(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	purges.events = []archive.PurgeEvent{{ID: 1, PostIDs: []int64{gone.ID}}}
	if res := pass(b, true); res.Purged == 0 || !res.Pushed || !slices.Contains(purges.archived, 1) {
		t.Fatalf("purge pass: %+v, archived %v", res, purges.archived)
	}
	pass(a, false)

	// B stops; A, whose history still holds the purged post, takes the
	// remote's and drops its own.
	if err := lockB.Unlock(); err != nil {
		t.Fatal(err)
	}
	if res := pass(a, true); !res.Pushed || a.Repo().Head().String() != remoteHead() {
		t.Fatalf("second takeover: %+v; A at %s, remote at %s", res, a.Repo().Head(), remoteHead())
	}
	for _, dir := range []string{a.Repo().Path(), remote} {
		for _, obj := range reachable(t, dir) {
			if bytes.Contains(obj, []byte("secret plans")) {
				t.Errorf("%s: a reachable object holds the purged post:\n%s", dir, obj)
			}
		}
	}
	assertAbsent(t, a.Repo().Path(), "secret plans")
	post("after the second takeover")
	if res := pass(a, true); res.Commit == "" || remoteHead() != res.Commit {
		t.Fatalf("A's next commit: %+v, remote at %s", res, remoteHead())
	}
	if st := a.Status(); st.LastError != "" || st.PushFailures != 0 {
		t.Fatalf("status %+v", st)
	}
}
