package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

const pushToken = "archive-push-token-5c1f0e9d8b7a6f5e"

// remoteWriter is a writer of b's store on the archive at dir, pushing to
// rm: a process started with that configuration.
func remoteWriter(t *testing.T, b *bundle, dir string, rm archive.Remote) *archive.Writer {
	t.Helper()
	w, err := archive.NewWriter(archive.Config{Dir: dir, Store: b.st, Purges: b.purges, Remote: rm,
		Secrets: archive.StoredSecrets(b.st), Now: b.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// syncWith runs one pass of w a minute later.
func syncWith(ctx context.Context, b *bundle, w *archive.Writer) (archive.Result, error) {
	b.clk.advance(time.Minute)
	return w.Sync(ctx)
}

// bounded is a context that ends the test's network talk within 10 s.
func bounded(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestHTTPSPushWithAToken(t *testing.T) {
	ctx := bounded(t)
	g := newGitHTTPS(t, pushToken)
	b := setup(t, store.SQLite, false)
	dir := t.TempDir() + "/archive"
	right := archive.Remote{URL: g.url(), Token: pushToken, CABundle: g.caBundle()}

	b.post(t, "pushed over https")
	res, err := syncWith(ctx, b, remoteWriter(t, b, dir, right))
	if err != nil || !res.Pushed {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	local, _ := archive.Open(dir)
	if got := remoteHead(t, g.dir); got != local.Head().String() {
		t.Fatalf("the remote's main is %q, the archive's %s", got, local.Head())
	}
	if !g.sawUser("x-access-token") {
		t.Fatal("the token was not sent as the password of user x-access-token")
	}

	// The server's certificate chains to no system root: without the
	// bundle, the push is refused before anything is sent.
	err = local.Push(ctx, archive.Remote{URL: g.url(), Token: pushToken}, true)
	if err == nil || !strings.Contains(err.Error(), "TLS certificate is not trusted") {
		t.Fatalf("push to an untrusted certificate: %v", err)
	}
	t.Log(err)

	// A wrong token, then none: the commit is made here, the push is
	// refused in words that hold no token, the remote stays where it was.
	pushed := remoteHead(t, g.dir)
	for i, rm := range []archive.Remote{{URL: g.url(), Token: "wrong-token-0a9b8c7d6e5f", CABundle: g.caBundle()},
		{URL: g.url(), CABundle: g.caBundle()}} {
		w := remoteWriter(t, b, dir, rm)
		b.post(t, "written while the token is wrong "+itoa(int64(i)))
		res, err := syncWith(ctx, b, w)
		if err == nil || !strings.Contains(err.Error(), "the remote refused the credentials") || res.Pushed || res.Commit == "" {
			t.Fatalf("sync with token %q: %+v, %v", rm.Token, res, err)
		}
		t.Log(err)
		st, _ := json.Marshal(w.Status())
		for _, secret := range []string{pushToken, "wrong-token-0a9b8c7d6e5f"} {
			if strings.Contains(err.Error(), secret) || bytes.Contains(st, []byte(secret)) {
				t.Fatalf("a token reached the error or the status: %v\n%s", err, st)
			}
		}
		if w.Status().PushFailures != 1 || remoteHead(t, g.dir) != pushed || w.Repo().Head().String() != res.Commit {
			t.Fatalf("status %s; remote %s (was %s); local %s", st, remoteHead(t, g.dir), pushed, w.Repo().Head())
		}
		verifyClean(t, dir)
	}

	// The right token again: everything committed meanwhile goes.
	w := remoteWriter(t, b, dir, right)
	if res, err := syncWith(ctx, b, w); err != nil || !res.Pushed {
		t.Fatalf("sync with the right token: %+v, %v", res, err)
	}
	if remoteHead(t, g.dir) != w.Repo().Head().String() {
		t.Fatalf("the remote's main is %s, the archive's %s", remoteHead(t, g.dir), w.Repo().Head())
	}
	gitSecondOpinion(t, g.dir, 3)
}

func TestHTTPSPurgeIsForcePushed(t *testing.T) {
	ctx := bounded(t)
	g := newGitHTTPS(t, pushToken)
	b := setup(t, store.SQLite, false)
	w := remoteWriter(t, b, t.TempDir()+"/archive", archive.Remote{URL: g.url(), Token: pushToken, CABundle: g.caBundle()})
	b.post(t, "kept post")
	gone := b.post(t, "secret plans for the launch")
	if _, err := syncWith(ctx, b, w); err != nil {
		t.Fatal(err)
	}
	b.post(t, "history on top")
	if _, err := syncWith(ctx, b, w); err != nil {
		t.Fatal(err)
	}
	b.move(t, gone.Targets[0].ID, nil, snsos.StateScheduled, snsos.StateCanceled)
	if _, err := b.st.DeletePost(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	res, err := syncWith(ctx, b, w)
	if err != nil || res.Purged == 0 || !res.Pushed {
		t.Fatalf("purge sync: %+v, %v", res, err)
	}
	if remoteHead(t, g.dir) != w.Repo().Head().String() {
		t.Fatalf("the remote's main is %s, the archive's %s", remoteHead(t, g.dir), w.Repo().Head())
	}
	for _, dir := range []string{w.Repo().Path(), g.dir} {
		for _, obj := range reachable(t, dir) {
			if bytes.Contains(obj, []byte("secret plans")) {
				t.Errorf("%s: a reachable object still holds the purged post:\n%s", dir, obj)
			}
		}
	}
	gitSecondOpinion(t, g.dir, 2)
}

// verifyClean opens the archive at dir afresh (as the next start does)
// and runs verify over it: every object readable, no secret.
func verifyClean(t *testing.T, dir string) *archive.Repo {
	t.Helper()
	r, err := archive.Open(dir)
	if err != nil {
		t.Fatalf("the archive does not open: %v", err)
	}
	rep, err := r.Verify(archive.NewGuard([]string{accessToken, pushToken}), nil)
	if err != nil || len(rep.Findings) > 0 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	return r
}
