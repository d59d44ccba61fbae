package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var ctx = context.Background()

func mustAccount(t *testing.T, s *store.Store, p snsos.Platform, remote string) *snsos.Account {
	t.Helper()
	a := &snsos.Account{Platform: p, RemoteID: remote, Handle: "h" + remote, DisplayName: "Name " + remote}
	if err := s.UpsertAccount(ctx, a); err != nil {
		t.Fatalf("UpsertAccount: %v", err)
	}
	return a
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := snsos.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestMigrations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		v, err := env.Store.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Fatalf("SchemaVersion = %d, %v", v, err)
		}
		if err := env.Store.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		// Opening again applies nothing and keeps the version.
		s2 := env.Reopen(t)
		if v2, _ := s2.SchemaVersion(ctx); v2 != v {
			t.Fatalf("version after reopen %d, want %d", v2, v)
		}
		// A schema newer than the program is refused.
		if _, err := env.Store.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)`, v+1, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		_, err = store.Open(ctx, store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box})
		if err == nil {
			t.Fatal("Open accepted a newer schema")
		}
		if want := "newer sns-os"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Fatalf("error %q does not say %q", err, want)
		}
		if err := env.Store.Ready(ctx); err == nil {
			t.Fatal("Ready with a newer schema")
		}
	})
}

func TestAccounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "1234567890123456789")
		if a.ID == 0 || a.Status != snsos.AccountConnected || a.CreatedAt.IsZero() {
			t.Fatalf("account not filled: %+v", a)
		}
		// Reconnect: same platform and remote id updates the same account.
		if err := s.SetAccountStatus(ctx, a.ID, snsos.AccountNeedsReauth, "token expired"); err != nil {
			t.Fatal(err)
		}
		again := &snsos.Account{Platform: snsos.PlatformX, RemoteID: a.RemoteID, Handle: "renamed"}
		if err := s.UpsertAccount(ctx, again); err != nil {
			t.Fatal(err)
		}
		if again.ID != a.ID || again.Handle != "renamed" || again.Status != snsos.AccountConnected {
			t.Fatalf("reconnect made %+v, want same id %d, renamed, connected", again, a.ID)
		}
		other := mustAccount(t, s, snsos.PlatformThreads, a.RemoteID) // same remote id, other platform
		if other.ID == a.ID {
			t.Fatal("accounts on two platforms share an id")
		}
		list, err := s.ListAccounts(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListAccounts = %d, %v", len(list), err)
		}
		got, err := s.FindAccountByID(ctx, a.ID)
		if err != nil || got.Handle != "renamed" {
			t.Fatalf("FindAccountByID = %+v, %v", got, err)
		}
		_, err = s.FindAccountByID(ctx, 999)
		wantCode(t, err, snsos.ENOTFOUND)
		wantCode(t, s.SetAccountStatus(ctx, 999, snsos.AccountRevoked, ""), snsos.ENOTFOUND)
		wantCode(t, s.SetAccountStatus(ctx, a.ID, "bogus", ""), snsos.EINVALID)
		wantCode(t, s.UpsertAccount(ctx, &snsos.Account{Platform: "myspace", RemoteID: "1"}), snsos.EINVALID)
		wantCode(t, s.UpsertAccount(ctx, &snsos.Account{Platform: snsos.PlatformX}), snsos.EINVALID)
	})
}

// rawCredentialBytes returns everything an attacker with the database (but
// not the master key) could read: the SQLite file and its WAL, or the
// PostgreSQL row as text.
func rawCredentialBytes(t *testing.T, env *storetest.Env, accountID int64) []byte {
	t.Helper()
	if env.Dialect == store.SQLite {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(env.Store.Path() + suffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	var row string
	err := env.Store.DB().QueryRowContext(ctx, `SELECT c::text FROM credentials c WHERE account_id = $1`, accountID).Scan(&row)
	if err != nil {
		t.Fatal(err)
	}
	var access, refresh []byte
	if err := env.Store.DB().QueryRowContext(ctx, `SELECT access_token, refresh_token FROM credentials WHERE account_id = $1`, accountID).Scan(&access, &refresh); err != nil {
		t.Fatal(err)
	}
	return append(append([]byte(row), access...), refresh...)
}

func TestCredentialsSealed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "100")
		b := mustAccount(t, s, snsos.PlatformX, "200")
		const access, refresh = "PLAINTEXT-ACCESS-7f3a9c1e", "PLAINTEXT-REFRESH-5d2b8e4f"
		exp := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		c := &snsos.Credential{AccountID: a.ID, AccessToken: access, RefreshToken: refresh, TokenType: "bearer",
			Scopes: []string{"tweet.read", "offline.access"}, ExpiresAt: exp}
		if err := s.PutCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: b.ID, AccessToken: "other-access"}); err != nil {
			t.Fatal(err)
		}
		if env.Dialect == store.SQLite {
			if _, err := s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				t.Fatal(err)
			}
		}
		raw := rawCredentialBytes(t, env, a.ID)
		for _, secretText := range []string{access, refresh} {
			if bytes.Contains(raw, []byte(secretText)) {
				t.Fatalf("%s: token %q found in the raw database", env.Dialect, secretText)
			}
		}
		got, err := s.FindCredential(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessToken.Reveal() != access || got.RefreshToken.Reveal() != refresh || !got.ExpiresAt.Equal(exp) || len(got.Scopes) != 2 {
			t.Fatalf("credential round trip: %+v", got)
		}
		meta, err := s.FindCredentialMeta(ctx, a.ID)
		if err != nil || meta.KeyID != env.Box.PrimaryID() || !meta.HasRefreshToken {
			t.Fatalf("meta = %+v, %v", meta, err)
		}

		// A ciphertext moved to another row does not open there.
		if _, err := s.DB().ExecContext(ctx, `UPDATE credentials SET access_token = (SELECT access_token FROM credentials WHERE account_id = $1) WHERE account_id = $2`, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindCredential(ctx, b.ID); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("row-swapped credential opened: %v", err)
		}
		// A tampered ciphertext does not open.
		var sealed []byte
		if err := s.DB().QueryRowContext(ctx, `SELECT refresh_token FROM credentials WHERE account_id = $1`, a.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		sealed[len(sealed)-3] ^= 0x40
		if _, err := s.DB().ExecContext(ctx, `UPDATE credentials SET refresh_token = $1 WHERE account_id = $2`, sealed, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindCredential(ctx, a.ID); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("tampered credential opened: %v", err)
		}
		// Revocation deletes the tokens.
		if err := s.SetAccountStatus(ctx, a.ID, snsos.AccountRevoked, "revoked by the platform"); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindCredential(ctx, a.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		wantCode(t, s.PutCredential(ctx, &snsos.Credential{AccountID: 999, AccessToken: "x"}), snsos.ENOTFOUND)
	})
}

func TestResealResumable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		const n = 12
		want := map[int64]string{}
		for i := range n {
			a := mustAccount(t, s, snsos.PlatformX, string(rune('a'+i)))
			tok := "token-" + a.Handle
			if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(tok), RefreshToken: snsos.Secret("r" + tok)}); err != nil {
				t.Fatal(err)
			}
			want[a.ID] = tok
		}
		newKey, _ := secret.GenerateKey()
		// A process with only the new key cannot read old rows.
		onlyNew := env.Reopen(t)
		onlyNew.SetBox(secret.NewBox(newKey))
		if _, err := onlyNew.FindCredential(ctx, 1); !errors.Is(err, secret.ErrUnknownKey) {
			t.Fatalf("new key opened an old row: %v", err)
		}

		// The rotation reseals 5 rows, then the process "dies".
		rot := env.Reopen(t)
		rot.SetBox(secret.NewBox(newKey, env.Key))
		p, err := rot.ResealCredentials(ctx, 5)
		if err != nil || p.Resealed != 5 || p.Remaining != n-5 {
			t.Fatalf("first run = %+v, %v", p, err)
		}
		rot.Close()
		// Meanwhile a process holding both keys reads every row, old or new.
		for id, tok := range want {
			c, err := env.Store.FindCredential(ctx, id)
			if id <= 5 && err == nil {
				// rows resealed under the new key are unknown to the old-only box
				t.Fatalf("old-only box opened resealed row %d", id)
			}
			_ = c
			_ = tok
		}
		both := env.Reopen(t)
		both.SetBox(secret.NewBox(env.Key, newKey))
		for id, tok := range want {
			c, err := both.FindCredential(ctx, id)
			if err != nil || c.AccessToken.Reveal() != tok {
				t.Fatalf("mid-rotation account %d: %v", id, err)
			}
		}
		// A cancelled run changes nothing.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		rot2 := env.Reopen(t)
		rot2.SetBox(secret.NewBox(newKey, env.Key))
		if p, err := rot2.ResealCredentials(cctx, 0); !errors.Is(err, context.Canceled) || p.Resealed != 0 {
			t.Fatalf("cancelled run: %+v %v", p, err)
		}
		// The resumed run finishes the rest.
		p, err = rot2.ResealCredentials(ctx, 0)
		if err != nil || p.Resealed != n-5 || p.Remaining != 0 {
			t.Fatalf("resumed run = %+v, %v", p, err)
		}
		ids, _ := rot2.CredentialKeyIDs(ctx)
		if len(ids) != 1 || ids[newKey.ID()] != n {
			t.Fatalf("key ids after rotation: %v", ids)
		}
		for id, tok := range want {
			c, err := onlyNew.FindCredential(ctx, id)
			if err != nil || c.AccessToken.Reveal() != tok || c.RefreshToken.Reveal() != "r"+tok {
				t.Fatalf("after rotation account %d: %v", id, err)
			}
		}
		if p, err := rot2.ResealCredentials(ctx, 0); err != nil || p.Resealed != 0 {
			t.Fatalf("second run: %+v %v", p, err)
		}
	})
}

func newPost(t *testing.T, s *store.Store, accounts ...*snsos.Account) *snsos.Post {
	t.Helper()
	p := &snsos.Post{Body: "hello 世界"}
	for _, a := range accounts {
		p.Targets = append(p.Targets, &snsos.Target{AccountID: a.ID, Options: map[string]any{"reply_settings": "following"}})
	}
	if err := s.CreatePost(ctx, p, nil); err != nil {
		t.Fatalf("CreatePost: %v", err)
	}
	return p
}

func TestPostsAndTransitions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "1")
		th := mustAccount(t, s, snsos.PlatformThreads, "2")
		p := newPost(t, s, x, th)
		if p.ID == 0 || p.Targets[0].ID == 0 || p.Targets[0].Platform != snsos.PlatformX || p.Targets[1].State != snsos.StateDraft {
			t.Fatalf("post not filled: %+v %+v", p, p.Targets[0])
		}
		got, err := s.FindPostByID(ctx, p.ID)
		if err != nil || len(got.Targets) != 2 || got.Status != snsos.PostDraft || got.Targets[0].Options["reply_settings"] != "following" {
			t.Fatalf("FindPostByID = %+v, %v", got, err)
		}
		tid := p.Targets[0].ID
		at := time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)

		// The hook runs in the transaction: its failure undoes the transition.
		hookErr := errors.New("enqueue failed")
		_, err = s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StateDraft, To: snsos.StateApproved,
			Hook: func(ctx context.Context, tx *sql.Tx) error { return hookErr }})
		if !errors.Is(err, hookErr) {
			t.Fatalf("hook error lost: %v", err)
		}
		if tg, _ := s.FindTargetByID(ctx, tid); tg.State != snsos.StateDraft {
			t.Fatalf("state after failed hook = %s", tg.State)
		}
		steps := []struct{ from, to snsos.TargetState }{
			{snsos.StateDraft, snsos.StateApproved},
			{snsos.StateApproved, snsos.StateScheduled},
		}
		for _, st := range steps {
			if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: st.from, To: st.to,
				Mutate: func(t *snsos.Target) { t.ScheduledAt = at }}); err != nil {
				t.Fatalf("%s -> %s: %v", st.from, st.to, err)
			}
		}
		a1 := &snsos.Attempt{Detail: "POST /2/tweets"}
		if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: a1, Lease: time.Minute}); err != nil || a1.Number != 1 {
			t.Fatalf("to publishing: %+v %v", a1, err)
		}
		// Not allowed by the state machine.
		_, err = s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StateScheduled})
		wantCode(t, err, snsos.ECONFLICT)
		// From a state the target is not in.
		_, err = s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing})
		wantCode(t, err, snsos.ECONFLICT)
		_, err = s.TransitionTarget(ctx, store.Transition{TargetID: 9999, From: snsos.StateDraft, To: snsos.StateApproved})
		wantCode(t, err, snsos.ENOTFOUND)

		// Progress is recorded while publishing.
		if err := s.SetTargetProgress(ctx, tid, a1.ID, "media_id", "1880028106020515840"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.SetTargetProgress(ctx, p.Targets[1].ID, a1.ID, "k", "v"), snsos.ECONFLICT)
		wantCode(t, s.SetTargetProgress(ctx, tid, a1.ID+1000, "k", "v"), snsos.ECONFLICT) // not the owner
		a1.Detail = "201"
		pub, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StatePublished, Owner: a1.ID, Finish: a1,
			Mutate: func(t *snsos.Target) {
				t.RemoteID, t.RemoteURL = "1880028106020515841", "https://x.com/h1/status/1880028106020515841"
			}})
		if err != nil || pub.PublishedAt.IsZero() {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		got, _ = s.FindPostByID(ctx, p.ID)
		tg := got.Targets[0]
		if tg.State != snsos.StatePublished || tg.RemoteID != "1880028106020515841" || tg.Progress["media_id"] != "1880028106020515840" ||
			tg.Attempts != 1 || !tg.ScheduledAt.Equal(at) {
			t.Fatalf("published target = %+v", tg)
		}
		if got.Status != snsos.PostPartial {
			t.Fatalf("post status = %s, want partial", got.Status)
		}
		atts, err := s.ListAttempts(ctx, tid)
		if err != nil || len(atts) != 1 || atts[0].Outcome != snsos.StatePublished || atts[0].FinishedAt.IsZero() {
			t.Fatalf("attempts = %+v, %v", atts, err)
		}
		posts, err := s.ListPosts(ctx, store.PostFilter{State: snsos.StatePublished})
		if err != nil || len(posts) != 1 {
			t.Fatalf("ListPosts(published) = %d, %v", len(posts), err)
		}
		if posts, _ := s.ListPosts(ctx, store.PostFilter{State: snsos.StateFailed}); len(posts) != 0 {
			t.Fatalf("ListPosts(failed) = %d", len(posts))
		}
		ev, err := s.ListAuditEvents(ctx, "target", tid, 10)
		if err != nil || len(ev) != 4 {
			t.Fatalf("audit of target = %d events, %v", len(ev), err)
		}

		// Bad posts.
		wantCode(t, s.CreatePost(ctx, &snsos.Post{}, nil), snsos.EINVALID)
		wantCode(t, s.CreatePost(ctx, &snsos.Post{Body: "x", Targets: []*snsos.Target{{AccountID: 999}}}, nil), snsos.EINVALID)
		wantCode(t, s.CreatePost(ctx, &snsos.Post{Body: "x", MediaIDs: []int64{42}}, nil), snsos.EINVALID)
		wantCode(t, s.CreatePost(ctx, &snsos.Post{Body: "x", Targets: []*snsos.Target{{AccountID: x.ID}, {AccountID: x.ID}}}, nil), snsos.EINVALID)
		// An account with posts cannot be deleted.
		wantCode(t, s.DeleteAccount(ctx, x.ID), snsos.ECONFLICT)
	})
}

// TestTransitionRace: many workers race to move one scheduled target to
// publishing; exactly one wins. This is the guard against double posting.
func TestTransitionRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		x := mustAccount(t, env.Store, snsos.PlatformX, "1")
		p := &snsos.Post{Body: "race", ScheduledAt: time.Now(), Targets: []*snsos.Target{{AccountID: x.ID, State: snsos.StateScheduled}}}
		if err := env.Store.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		stores := []*store.Store{env.Store, env.Reopen(t), env.Reopen(t)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range 12 {
			wg.Go(func() {
				_, err := stores[i%len(stores)].TransitionTarget(ctx, store.Transition{TargetID: p.Targets[0].ID, From: snsos.StateScheduled, To: snsos.StatePublishing})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case snsos.IsCode(err, snsos.ECONFLICT):
					conflicts++
				case snsos.IsCode(err, snsos.EUNAVAILABLE):
					conflicts++ // busy database: the caller retries later and sees publishing
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != 11 {
			t.Fatalf("wins=%d conflicts=%d, want 1 and 11", wins, conflicts)
		}
	})
}

func TestSnapshots(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "1")
		p := newPost(t, s, x)
		tid := p.Targets[0].ID
		m := &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint1h, Values: map[string]int64{"views": 10, "likes": 2, "impressions": 1 << 40}}
		if err := s.PutSnapshot(ctx, m); err != nil || m.ID == 0 {
			t.Fatalf("PutSnapshot: %v", err)
		}
		wantCode(t, s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint1h}), snsos.ECONFLICT)
		for range 2 {
			if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.CheckpointManual, Values: map[string]int64{"views": 11}}); err != nil {
				t.Fatalf("manual snapshot: %v", err)
			}
		}
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: snsos.Checkpoint24h, Status: snsos.SnapshotUnavailable, Reason: "insights not ready"}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tid, Checkpoint: "soon"}), snsos.EINVALID)
		wantCode(t, s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: 999, Checkpoint: snsos.Checkpoint7d}), snsos.ENOTFOUND)
		snaps, err := s.ListSnapshots(ctx, tid)
		if err != nil || len(snaps) != 4 || snaps[0].Values["impressions"] != 1<<40 || snaps[3].Reason != "insights not ready" {
			t.Fatalf("snapshots = %+v, %v", snaps, err)
		}
		got, _ := s.FindPostByID(ctx, p.ID)
		if len(got.Targets[0].Metrics) != 4 {
			t.Fatalf("post target metrics = %d", len(got.Targets[0].Metrics))
		}
	})
}

func TestMediaAndCompliance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		m := &snsos.MediaRef{SHA256: "ab12", Key: "sha256/ab12", Mime: "image/jpeg", Size: 1000, Width: 1080, Height: 1350}
		created, err := s.CreateMedia(ctx, m)
		if err != nil || !created || m.ID == 0 {
			t.Fatalf("CreateMedia: %v %v", created, err)
		}
		dup := &snsos.MediaRef{SHA256: "ab12", Key: "sha256/ab12", Mime: "image/jpeg", Size: 1000}
		created, err = s.CreateMedia(ctx, dup)
		if err != nil || created || dup.ID != m.ID || dup.Width != 1080 {
			t.Fatalf("duplicate media: %+v %v %v", dup, created, err)
		}
		x := mustAccount(t, s, snsos.PlatformX, "1")
		p := &snsos.Post{Body: "with media", MediaIDs: []int64{m.ID}, Targets: []*snsos.Target{{AccountID: x.ID}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteMedia(ctx, m.ID), snsos.ECONFLICT)
		wantCode(t, s.DeleteMedia(ctx, 999), snsos.ENOTFOUND)
		if list, err := s.ListMedia(ctx, 10); err != nil || len(list) != 1 {
			t.Fatalf("ListMedia = %d, %v", len(list), err)
		}

		msg := &snsos.ContactMessage{Name: "<b>Ann</b>", Email: "ann@example.com", Body: "こんにちは", Lang: "ja"}
		if err := s.CreateContactMessage(ctx, msg); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.ListContactMessages(ctx, 10)
		if err != nil || len(msgs) != 1 || msgs[0].Name != "<b>Ann</b>" || msgs[0].Body != "こんにちは" {
			t.Fatalf("contact messages = %+v, %v", msgs, err)
		}
		d := &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, RemoteUserID: "17841400000000000", ConfirmationCode: "del-abc", DueAt: time.Now().Add(30 * 24 * time.Hour)}
		if err := s.CreateDeletionRequest(ctx, d); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CreateDeletionRequest(ctx, &snsos.DeletionRequest{Platform: snsos.PlatformInstagram, ConfirmationCode: "del-abc"}), snsos.ECONFLICT)
		if err := s.CompleteDeletionRequest(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindDeletionRequestByCode(ctx, "del-abc")
		if err != nil || got.Status != snsos.DeletionCompleted || got.CompletedAt.IsZero() {
			t.Fatalf("deletion request = %+v, %v", got, err)
		}
		_, err = s.FindDeletionRequestByCode(ctx, "nope")
		wantCode(t, err, snsos.ENOTFOUND)
	})
}

func TestBackup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		out := filepath.Join(t.TempDir(), "backup.db")
		err := s.Backup(ctx, out)
		if env.Dialect == store.Postgres {
			wantCode(t, err, snsos.EINVALID)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		mustAccount(t, s, snsos.PlatformX, "after-backup")
		fi, err := os.Stat(out)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v %v", fi, err)
		}
		// The backup is a working database at the schema version.
		b, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		restored := filepath.Join(t.TempDir(), "r")
		os.MkdirAll(restored, 0o700)
		data, _ := os.ReadFile(out)
		os.WriteFile(filepath.Join(restored, store.DBFileName), data, 0o600)
		rs, err := store.Open(ctx, store.Options{DataDir: restored})
		if err != nil {
			t.Fatalf("open backup: %v", err)
		}
		defer rs.Close()
		if accts, _ := rs.ListAccounts(ctx); len(accts) != 0 {
			t.Fatalf("backup holds %d accounts, want 0 (taken before)", len(accts))
		}
		wantCode(t, s.Backup(ctx, out), snsos.ECONFLICT)
		wantCode(t, s.Backup(ctx, filepath.Join(t.TempDir(), "no/such/dir/x.db")), snsos.EINVALID)
	})
}

func TestReadOnlyDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		// root ignores permission bits; use a path under a regular file instead.
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		_, err := store.Open(ctx, store.Options{DataDir: filepath.Join(f, "data")})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("SNSOS_DATA_DIR")) {
			t.Fatalf("error = %v, want one naming SNSOS_DATA_DIR", err)
		}
		return
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	_, err := store.Open(ctx, store.Options{DataDir: dir})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("SNSOS_DATA_DIR")) {
		t.Fatalf("error = %v, want one naming SNSOS_DATA_DIR", err)
	}
}

func TestUnreachablePostgres(t *testing.T) {
	t.Parallel()
	_, err := store.Open(ctx, store.Options{URL: "postgres://u:hunter2secret@127.0.0.1:1/db?connect_timeout=2"})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !bytes.Contains([]byte(err.Error()), []byte("SNSOS_DATABASE_URL")) || bytes.Contains([]byte(err.Error()), []byte("hunter2secret")) {
		t.Fatalf("error = %q: want it to name SNSOS_DATABASE_URL and not show the password", err)
	}
}

func TestDeletePost(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "1")
		m1 := &snsos.MediaRef{SHA256: "m1", Key: "k1", Mime: "image/png", Size: 1}
		m2 := &snsos.MediaRef{SHA256: "m2", Key: "k2", Mime: "image/png", Size: 1}
		s.CreateMedia(ctx, m1)
		s.CreateMedia(ctx, m2)
		p := &snsos.Post{Body: "a", MediaIDs: []int64{m1.ID, m2.ID}, Targets: []*snsos.Target{{AccountID: x.ID}}}
		other := &snsos.Post{Body: "b", MediaIDs: []int64{m2.ID}, Targets: []*snsos.Target{{AccountID: x.ID}}}
		sched := &snsos.Post{Body: "c", ScheduledAt: time.Now().Add(time.Hour), Targets: []*snsos.Target{{AccountID: x.ID, State: snsos.StateScheduled}}}
		for _, q := range []*snsos.Post{p, other, sched} {
			if err := s.CreatePost(ctx, q, nil); err != nil {
				t.Fatal(err)
			}
		}
		unused, err := s.DeletePost(ctx, p.ID)
		if err != nil || len(unused) != 1 || unused[0] != m1.ID {
			t.Fatalf("DeletePost = %v, %v; want [%d]", unused, err, m1.ID)
		}
		_, err = s.FindPostByID(ctx, p.ID)
		wantCode(t, err, snsos.ENOTFOUND)
		_, err = s.DeletePost(ctx, sched.ID)
		wantCode(t, err, snsos.ECONFLICT)
		_, err = s.DeletePost(ctx, 999)
		wantCode(t, err, snsos.ENOTFOUND)
		if err := s.DeleteMedia(ctx, m1.ID); err != nil {
			t.Fatalf("media of a deleted post is still held: %v", err)
		}
	})
}
