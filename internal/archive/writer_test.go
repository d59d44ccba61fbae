package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
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

var ctx = context.Background()

const accessToken = "x-access-9f8e7d6c5b4a39281706"

// clock is the injected clock every layer of a test shares.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// bundle is a store with one X account holding a token, and a writer.
type bundle struct {
	clk    *clock
	st     *store.Store
	acct   *snsos.Account
	w      *archive.Writer
	purges *fakePurges
	remote string
}

func setup(t *testing.T, d store.Dialect, withRemote bool) *bundle {
	t.Helper()
	b := &bundle{clk: &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}, purges: &fakePurges{}}
	env := storetest.NewWithClock(t, d, b.clk.now)
	b.st = env.Store
	b.acct = &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1001", Handle: "sns_demo", DisplayName: "Demo", Status: snsos.AccountConnected}
	if err := b.st.UpsertAccount(ctx, b.acct); err != nil {
		t.Fatal(err)
	}
	if err := b.st.PutCredential(ctx, &snsos.Credential{AccountID: b.acct.ID, AccessToken: accessToken,
		RefreshToken: "x-refresh-0a1b2c3d4e5f60718293"}); err != nil {
		t.Fatal(err)
	}
	if withRemote {
		b.remote = t.TempDir()
		if _, err := git.PlainInit(b.remote, true); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	b.w, err = archive.NewWriter(archive.Config{Dir: t.TempDir() + "/archive", Store: b.st, Purges: b.purges,
		Remote: archive.Remote{URL: remoteURL(b.remote)}, Secrets: archive.StoredSecrets(b.st), Now: b.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func remoteURL(dir string) string {
	if dir == "" {
		return ""
	}
	return "file://" + dir
}

// post creates a scheduled one-target post and returns it.
func (b *bundle) post(t *testing.T, body string) *snsos.Post {
	t.Helper()
	p := &snsos.Post{Body: body, ScheduledAt: b.clk.t.Add(time.Hour),
		Targets: []*snsos.Target{{AccountID: b.acct.ID, State: snsos.StateScheduled}}}
	if err := b.st.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// move walks target id through states; mutate (if set) applies on the last.
func (b *bundle) move(t *testing.T, id int64, mutate func(*snsos.Target), states ...snsos.TargetState) {
	t.Helper()
	var at *snsos.Attempt
	for i := 0; i+1 < len(states); i++ {
		tr := store.Transition{TargetID: id, From: states[i], To: states[i+1]}
		switch {
		case states[i+1] == snsos.StatePublishing:
			at = &snsos.Attempt{Detail: "POST /2/tweets"}
			tr.Attempt = at
		case states[i] == snsos.StatePublishing:
			tr.Finish = at
		}
		if i+2 == len(states) {
			tr.Mutate = mutate
		}
		if _, err := b.st.TransitionTarget(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
}

func (b *bundle) sync(t *testing.T) archive.Result {
	t.Helper()
	b.clk.advance(time.Minute)
	res, err := b.w.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWriterLayoutMessagesAndPush(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		b := setup(t, env.Dialect, true)
		p := b.post(t, "hello archive")
		res := b.sync(t)
		if !strings.HasPrefix(res.Message, "archive: first export (1 posts, 1 accounts)") || !res.Pushed {
			t.Fatalf("first sync: %+v", res)
		}
		postPath := archive.PostPath(p.ID, p.CreatedAt)
		if !strings.HasPrefix(postPath, "posts/2026/03/") {
			t.Fatalf("post path %s", postPath)
		}
		acct, err := b.w.Repo().File("accounts/x/sns_demo.json")
		if err != nil || !bytes.Contains(acct, []byte(`"handle": "sns_demo"`)) {
			t.Fatalf("account file: %s %v", acct, err)
		}

		// Nothing changed: no commit.
		if res := b.sync(t); res.Commit != "" {
			t.Fatalf("empty sync committed %+v", res)
		}

		tid := p.Targets[0].ID
		b.move(t, tid, func(tg *snsos.Target) {
			tg.RemoteID, tg.RemoteURL, tg.PublishedAt = "1890001", "https://x.com/sns_demo/status/1890001", b.clk.t
		}, snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished)
		res = b.sync(t)
		if want := "publish: post " + itoa(p.ID) + " to x\n"; res.Message != want {
			t.Fatalf("message %q, want %q", res.Message, want)
		}
		doc, _ := b.w.Repo().File(postPath)
		for _, want := range []string{`"remote_id": "1890001"`, `"state": "published"`, `"number": 1`} {
			if !bytes.Contains(doc, []byte(want)) {
				t.Errorf("post file lacks %s:\n%s", want, doc)
			}
		}

		for _, cp := range []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h} {
			if err := b.st.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: cp, FetchedAt: b.clk.t,
				Values: map[string]int64{snsos.MetricViews: 10, snsos.MetricLikes: 2}}); err != nil {
				t.Fatal(err)
			}
			res = b.sync(t)
			if want := "metrics: " + string(cp) + " for 1 post\n"; res.Message != want {
				t.Fatalf("message %q, want %q", res.Message, want)
			}
		}
		csv, _ := b.w.Repo().File(archive.MetricsPath(p.ID, p.CreatedAt))
		if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 3 ||
			lines[0] != "target_id,platform,checkpoint,fetched_at,status,reason,likes,views" {
			t.Fatalf("metrics file:\n%s", csv)
		}

		// The remote holds the same head, and no object anywhere holds a token.
		remote, err := git.PlainOpen(b.remote)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := remote.Reference(archive.Branch, true)
		if err != nil || ref.Hash() != b.w.Repo().Head() {
			t.Fatalf("remote head %v (%v), local %s", ref, err, b.w.Repo().Head())
		}
		assertAbsent(t, b.w.Repo().Path(), accessToken)
		gitSecondOpinion(t, b.w.Repo().Path(), 4)
	})
}

func TestGuardKeepsATokenInATargetErrorOut(t *testing.T) {
	b := setup(t, store.SQLite, true)
	p := b.post(t, "will fail")
	b.sync(t)
	before := b.w.Repo().Head()
	b.move(t, p.Targets[0].ID, func(tg *snsos.Target) {
		tg.Error = "platform said: invalid token " + accessToken
	}, snsos.StateScheduled, snsos.StatePublishing, snsos.StateFailed)
	b.clk.advance(time.Minute)
	_, err := b.w.Sync(ctx)
	var se *archive.SecretError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Path, "posts/") {
		t.Fatalf("sync: %v", err)
	}
	if strings.Contains(err.Error(), accessToken) {
		t.Fatalf("the error names the token: %v", err)
	}
	st := b.w.Status()
	if !st.Blocked || !st.Failing(b.clk.t) || b.w.Repo().Head() != before {
		t.Fatalf("status %+v; head moved from %s to %s", st, before, b.w.Repo().Head())
	}
	assertAbsent(t, b.w.Repo().Path(), accessToken)
	assertAbsent(t, b.remote, accessToken)

	// A token shape the store does not hold is refused too.
	g := archive.NewGuard(nil)
	for _, s := range []string{"IGAAb3c4d5e6f7g8h9i0j1k2l3m4n5o6p7", "Authorization: Bearer abcdefghijklmnop1234", "act.0123456789abcdefghijklmnopqrstuv"} {
		if g.Check("x", []byte(s)) == nil {
			t.Errorf("guard let %q through", s)
		}
	}
	if err := g.Check("x", []byte("an ordinary post about tokens and bears")); err != nil {
		t.Errorf("false positive: %v", err)
	}
}

// assertAbsent fails if any object of the repository at dir holds s.
func assertAbsent(t *testing.T, dir, s string) {
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
		b, _ := io.ReadAll(rd)
		rd.Close()
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("object %s in %s holds %q", o.Hash(), dir, s)
		}
		return nil
	})
}

// reachable returns the content of every object reachable from the
// repository's refs.
func reachable(t *testing.T, dir string) [][]byte {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	refs, _ := r.References()
	seen := map[plumbing.Hash]bool{}
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		commits, err := r.Log(&git.LogOptions{From: ref.Hash()})
		if err != nil {
			t.Fatal(err)
		}
		return commits.ForEach(func(c *object.Commit) error {
			out = append(out, []byte(c.Message))
			tree, err := c.Tree()
			if err != nil {
				t.Fatal(err)
			}
			return tree.Files().ForEach(func(f *object.File) error {
				if !seen[f.Hash] {
					seen[f.Hash] = true
					s, _ := f.Contents()
					out = append(out, []byte(f.Name+"\n"+s))
				}
				return nil
			})
		})
	})
	return out
}

// gitSecondOpinion runs git fsck and counts the commits with git log,
// when git is installed.
func gitSecondOpinion(t *testing.T, dir string, commits int) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Log("git not installed: no second opinion")
		return
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput(); err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	out, err := exec.Command("git", "-C", dir, "log", "--format=%s", "main").Output()
	if err != nil {
		t.Fatalf("git log: %v", err)
	}
	if n := len(strings.Split(strings.TrimSpace(string(out)), "\n")); n != commits {
		t.Fatalf("git log shows %d commits, want %d:\n%s", n, commits, out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fakePurges is the purge outbox, held in memory.
type fakePurges struct {
	events   []archive.PurgeEvent
	archived []int64
}

func (f *fakePurges) PendingPurges(context.Context) ([]archive.PurgeEvent, error) {
	var out []archive.PurgeEvent
	for _, ev := range f.events {
		if !slices.Contains(f.archived, ev.ID) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (f *fakePurges) MarkPurgeArchived(_ context.Context, id int64) error {
	f.archived = append(f.archived, id)
	return nil
}

func TestPurgeRewritesHistoryLocallyAndOnTheRemote(t *testing.T) {
	b := setup(t, store.SQLite, true)
	other := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "2002", Handle: "leaving", Status: snsos.AccountConnected}
	if err := b.st.UpsertAccount(ctx, other); err != nil {
		t.Fatal(err)
	}
	keep := b.post(t, "kept post")
	gone := b.post(t, "secret plans for the launch")
	shared := &snsos.Post{Body: "shared between two accounts", Targets: []*snsos.Target{
		{AccountID: b.acct.ID, State: snsos.StateDraft}, {AccountID: other.ID, State: snsos.StateDraft, Body: "threads only words"}}}
	if err := b.st.CreatePost(ctx, shared, nil); err != nil {
		t.Fatal(err)
	}
	b.sync(t)
	// More history on top, so the purged files sit in a middle commit.
	b.move(t, keep.Targets[0].ID, func(tg *snsos.Target) { tg.RemoteID = "77" },
		snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished)
	b.sync(t)

	// The operator deletes a post; a data deletion purges the other
	// account's target (the shared post stays for the first account) and
	// the account itself.
	b.move(t, gone.Targets[0].ID, nil, snsos.StateScheduled, snsos.StateCanceled)
	b.sync(t)
	if _, err := b.st.DeletePost(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	b.purges.events = []archive.PurgeEvent{{ID: 9, AccountIDs: []int64{other.ID}, TargetIDs: []int64{shared.Targets[1].ID}}}
	if _, err := b.st.DB().ExecContext(ctx, `DELETE FROM targets WHERE id = $1`, shared.Targets[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.DB().ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, other.ID); err != nil {
		t.Fatal(err)
	}
	res := b.sync(t)
	if res.Purged == 0 || !res.Pushed {
		t.Fatalf("purge sync: %+v", res)
	}
	if !slices.Contains(b.purges.archived, 9) {
		t.Fatalf("purge event not marked archived: %v", b.purges.archived)
	}
	for _, dir := range []string{b.w.Repo().Path(), b.remote} {
		for _, obj := range reachable(t, dir) {
			for _, s := range []string{"secret plans", "threads only words", `"handle": "leaving"`} {
				if bytes.Contains(obj, []byte(s)) {
					t.Errorf("%s: a reachable object still holds %q:\n%s", dir, s, obj)
				}
			}
		}
	}
	assertAbsent(t, b.w.Repo().Path(), "secret plans") // gone from the disk, not only unreachable
	doc, err := b.w.Repo().File(archive.PostPath(shared.ID, shared.CreatedAt))
	if err != nil || !bytes.Contains(doc, []byte("shared between two accounts")) {
		t.Fatalf("the shared post was not written again: %v\n%s", err, doc)
	}
	if doc, _ := b.w.Repo().File(archive.PostPath(keep.ID, keep.CreatedAt)); !bytes.Contains(doc, []byte(`"remote_id": "77"`)) {
		t.Fatalf("the kept post lost its history's last state:\n%s", doc)
	}
	// The commit that only cancelled the deleted post is gone; the last
	// one writes the shared post again, without the purged target.
	gitSecondOpinion(t, b.w.Repo().Path(), 3)
	gitSecondOpinion(t, b.remote, 3)
}
