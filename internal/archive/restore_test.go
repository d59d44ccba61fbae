package archive_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/archive/archivetest"
	mediapkg "github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// seedForRestore gives the bundle's store a second account and posts in
// every kind of state a restore must treat: published with remote ids,
// attempts and snapshots; failed with an error; scheduled; publishing;
// unknown; retry_wait; a draft with no media of its own; media with alt
// text, an image and a video, one of them used by two posts. It returns
// the media ids.
func seedForRestore(t *testing.T, b *bundle) []int64 {
	t.Helper()
	th := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "th-77", Handle: "demo.threads", DisplayName: "Threads Demo",
		AvatarURL: "https://example.test/a.png", Status: snsos.AccountConnected, Options: map[string]string{"reply_control": "everyone"}}
	if err := b.st.UpsertAccount(ctx, th); err != nil {
		t.Fatal(err)
	}
	var media []int64
	for i, m := range []*snsos.MediaRef{
		{Mime: "image/jpeg", Size: 100, Width: 1200, Height: 800, Filename: "cat.jpg"},
		{Mime: "video/mp4", Size: 52_000, Width: 1080, Height: 1920, DurationMS: 12_345, FrameRate: 29.97, Codec: "avc1.640028", Filename: "clip 1.mp4"},
	} {
		m.SHA256 = fmt.Sprintf("%064x", i+1)
		m.Key = mediapkg.KeyFor(m.SHA256)
		if _, err := b.st.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		media = append(media, m.ID)
		b.clk.advance(time.Second)
	}
	var withMedia []int64
	mk := func(body string, targets ...*snsos.Target) *snsos.Post {
		p := &snsos.Post{Body: body, ScheduledAt: b.clk.t.Add(time.Hour), Targets: targets, MediaIDs: withMedia}
		if withMedia != nil {
			p.MediaAlt = map[int64]string{withMedia[0]: "a cat"}
		}
		if err := b.st.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		b.clk.advance(time.Minute)
		return p
	}
	x := b.acct.ID
	withMedia = media
	p1 := mk("published, with media", &snsos.Target{AccountID: x, State: snsos.StateScheduled},
		&snsos.Target{AccountID: th.ID, State: snsos.StateScheduled, Options: map[string]any{"topic": "go", "n": 3}})
	withMedia = nil
	b.move(t, p1.Targets[0].ID, func(tg *snsos.Target) {
		tg.RemoteID, tg.RemoteURL, tg.PublishedAt = "1890001", "https://x.com/sns_demo/status/1890001", b.clk.t
	}, snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished)
	b.move(t, p1.Targets[1].ID, func(tg *snsos.Target) { tg.Error = "the platform refused the text (too long)" },
		snsos.StateScheduled, snsos.StatePublishing, snsos.StateFailed)
	for _, cp := range []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.CheckpointManual} {
		b.clk.advance(time.Hour)
		if err := b.st.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: p1.Targets[0].ID, Checkpoint: cp, FetchedAt: b.clk.t,
			Values: map[string]int64{snsos.MetricViews: 10, snsos.MetricLikes: 2}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.st.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: p1.Targets[0].ID, Checkpoint: snsos.Checkpoint7d, FetchedAt: b.clk.t,
		Status: snsos.SnapshotStatus("unavailable"), Reason: "deleted on the platform"}); err != nil {
		t.Fatal(err)
	}
	withMedia = media[1:]
	mk("scheduled", &snsos.Target{AccountID: x, State: snsos.StateScheduled},
		&snsos.Target{AccountID: th.ID, State: snsos.StateDraft, MediaIDs: []int64{}})
	withMedia = nil
	p3 := mk("in flight", &snsos.Target{AccountID: x, State: snsos.StateScheduled}, &snsos.Target{AccountID: th.ID, State: snsos.StateScheduled})
	b.move(t, p3.Targets[0].ID, nil, snsos.StateScheduled, snsos.StatePublishing)
	b.move(t, p3.Targets[1].ID, func(tg *snsos.Target) { tg.Error = "timeout after the request was sent" },
		snsos.StateScheduled, snsos.StatePublishing, snsos.StateUnknown)
	p4 := mk("waiting to retry", &snsos.Target{AccountID: x, State: snsos.StateScheduled})
	b.move(t, p4.Targets[0].ID, func(tg *snsos.Target) { tg.Error = "503 from the platform" },
		snsos.StateScheduled, snsos.StatePublishing, snsos.StateRetryWait)
	return media
}

func TestRestoreRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		b := setup(t, env.Dialect, false)
		media := seedForRestore(t, b)
		b.sync(t)
		src := b.w.Repo()

		// Restore from a file:// URL: the branch is fetched into a copy.
		fresh := storetest.NewWithClock(t, env.Dialect, b.clk.now).Store
		repo, err := archive.OpenSource(ctx, "file://"+src.Path(), archive.Remote{}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		rep, err := archive.Restore(ctx, repo, fresh, func(done, total int) { steps = append(steps, fmt.Sprintf("%d/%d", done, total)) })
		if err != nil {
			t.Fatal(err)
		}
		if rep != (archive.RestoreReport{Accounts: 2, Media: 2, Posts: 4, Targets: 7, Snapshots: 4, Held: 4}) || !slices.Equal(steps, []string{"4/4"}) {
			t.Fatalf("report %+v, progress %v", rep, steps)
		}
		if _, err := archive.Restore(ctx, repo, fresh, nil); err == nil || !strings.Contains(err.Error(), "fresh one") {
			t.Fatalf("a second restore into the same database: %v", err)
		}

		// Media records come back whole, the storage key included: it is
		// the content address, where the copied files are found again.
		for _, id := range media {
			want, err := b.st.FindMediaByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.FindMediaByID(ctx, id)
			if err != nil || *got != *want {
				t.Errorf("media %d after the restore: %+v (%v), want %+v", id, got, err, want)
			}
		}

		// Accounts hold no credential; new rows get ids past the restored.
		accts, err := fresh.ListAccounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts {
			if _, err := fresh.FindCredential(ctx, a.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
				t.Errorf("account %d has a credential after a restore: %v", a.ID, err)
			}
		}
		last, err := fresh.PostsAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		np := &snsos.Post{Body: "after the restore", Targets: []*snsos.Target{{AccountID: b.acct.ID}}}
		if err := fresh.CreatePost(ctx, np, nil); err != nil || np.ID <= last[len(last)-1].ID {
			t.Fatalf("a new post after the restore: id %d (%v), last restored %d", np.ID, err, last[len(last)-1].ID)
		}
		if _, err := fresh.DeletePost(ctx, np.ID); err != nil {
			t.Fatal(err)
		}

		// The restored database, archived again, holds what the archive
		// held, but for what a restore changes on purpose.
		w2, err := archive.NewWriter(archive.Config{Dir: t.TempDir() + "/again", Store: fresh, Secrets: archive.StoredSecrets(fresh), Now: b.clk.now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w2.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if held := archivetest.CompareRestored(t, src, w2.Repo()); held != 4 {
			t.Errorf("%d held deliveries in the comparison, want 4", held)
		}
	})
}

func TestRestoreRefusesWhatIsNotAnArchive(t *testing.T) {
	empty := t.TempDir()
	if _, err := archive.OpenSource(ctx, empty, archive.Remote{}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("an empty directory: %v", err)
	}
	if _, err := archive.OpenSource(ctx, empty+"/nothing", archive.Remote{}, t.TempDir()); err == nil {
		t.Fatal("a missing directory was accepted")
	}
	if err := os.WriteFile(empty+"/notes.txt", []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.OpenSource(ctx, empty, archive.Remote{}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("a directory of files: %v", err)
	}
	if _, err := archive.OpenSource(ctx, "http://example.test/a.git", archive.Remote{}, t.TempDir()); err == nil {
		t.Fatal("plain http was accepted")
	}
}

// TestRestoreMediaRecords restores archives written by hand: one from
// before the archive held media records, whose media come back as
// placeholders, and two whose records cannot be restored.
func TestRestoreMediaRecords(t *testing.T) {
	created := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	acct := &snsos.Account{ID: 3, Platform: snsos.PlatformX, RemoteID: "1001", Handle: "sns_demo", CreatedAt: created}
	post := func(id int64, m *snsos.MediaRef) []byte {
		p := &snsos.Post{ID: id, Body: "with a picture", CreatedAt: created, MediaIDs: []int64{7}, MediaAlt: map[int64]string{7: "a cat"},
			Targets: []*snsos.Target{{ID: id, AccountID: acct.ID, Platform: snsos.PlatformX, State: snsos.StateDraft}}}
		return archive.RenderPost(p, nil, map[int64]*snsos.MediaRef{7: m})
	}
	image := func(sha string, size int64) *snsos.MediaRef {
		return &snsos.MediaRef{ID: 7, SHA256: sha, Mime: "image/png", Size: size, CreatedAt: created}
	}
	good := fmt.Sprintf("%064x", 7)
	restore := func(t *testing.T, posts ...[]byte) (*store.Store, error) {
		r, err := archive.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{archive.AccountPath(acct): archive.RenderAccount(acct)}
		for i, b := range posts {
			files[archive.PostPath(int64(i+1), created)] = b
		}
		if _, err := r.Commit(files, "by hand\n", created, nil); err != nil {
			t.Fatal(err)
		}
		st := storetest.NewWithClock(t, store.SQLite, func() time.Time { return created }).Store
		_, err = archive.Restore(ctx, r, st, nil)
		return st, err
	}

	st, err := restore(t, post(1, nil))
	if err != nil {
		t.Fatalf("an archive without media records: %v", err)
	}
	if m, err := st.FindMediaByID(ctx, 7); err != nil || m.Mime != "application/octet-stream" || m.Size != 0 {
		t.Fatalf("media of an older archive: %+v (%v), want a placeholder", m, err)
	}
	if _, err := restore(t, post(1, image("not-a-hash", 10))); err == nil || !strings.Contains(err.Error(), "not a SHA-256") {
		t.Fatalf("a media record with a bad hash: %v", err)
	}
	if _, err := restore(t, post(1, image(good, 10)), post(2, image(good, 11))); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("two posts that disagree about a medium: %v", err)
	}
	st, err = restore(t, post(1, image(good, 10)), post(2, image(good, 10)))
	if err != nil {
		t.Fatalf("two posts sharing a medium: %v", err)
	}
	want := image(good, 10)
	want.Key = mediapkg.KeyFor(good)
	if m, err := st.FindMediaByID(ctx, 7); err != nil || *m != *want {
		t.Fatalf("a shared medium: %+v (%v), want %+v", m, err, want)
	}
}
