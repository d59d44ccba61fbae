package compliance

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestDeauthorize: a verified deauthorize revokes the account it names (by
// either of its ids) at once: tokens deleted, waiting targets failed by the
// engine, drafts and other accounts untouched; a replay changes nothing,
// and the same request sent to the data-deletion callback is refused.
func TestDeauthorize(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{})
		waiting := h.post(t, "soon", snsos.StateScheduled, nil, h.ig, h.x)
		draft := h.post(t, "later", snsos.StateDraft, nil, h.ig)

		sr := signed(t, igSecret, "26000000000000042", h.clk.Now()) // the app-scoped id
		a := h.form(t, "/webhooks/instagram/deauthorize", sr)
		if a.status != http.StatusOK || strings.TrimSpace(a.body) != "{}" {
			t.Fatalf("deauthorize: %d %s", a.status, a.body)
		}
		ig, _ := h.st.FindAccountByID(ctx, h.ig.ID)
		if ig.Status != snsos.AccountRevoked || !strings.Contains(ig.StatusReason, "deleted its tokens") {
			t.Fatalf("account %s %q", ig.Status, ig.StatusReason)
		}
		if _, err := h.st.FindCredential(ctx, h.ig.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept: %v", err)
		}
		for _, other := range []*snsos.Account{h.x, h.th} {
			if a, _ := h.st.FindAccountByID(ctx, other.ID); a.Status != snsos.AccountConnected {
				t.Fatalf("%s account became %s", other.Platform, a.Status)
			}
			if _, err := h.st.FindCredential(ctx, other.ID); err != nil {
				t.Fatalf("%s lost its tokens: %v", other.Platform, err)
			}
		}
		p, _ := h.st.FindPostByID(ctx, waiting.ID)
		for _, tg := range p.Targets {
			want := snsos.StateScheduled
			if tg.AccountID == h.ig.ID {
				want = snsos.StateFailed
				if !strings.Contains(tg.Error, "access was removed on Instagram") || !strings.Contains(tg.Error, "Reconnect") {
					t.Fatalf("failed target's error %q", tg.Error)
				}
			}
			if tg.State != want {
				t.Fatalf("target of account %d is %s, want %s", tg.AccountID, tg.State, want)
			}
		}
		if d, _ := h.st.FindPostByID(ctx, draft.ID); d.Targets[0].State != snsos.StateDraft {
			t.Fatalf("draft became %s", d.Targets[0].State)
		}

		before := h.state(t)
		if again := h.form(t, "/webhooks/instagram/deauthorize", sr); again.status != http.StatusOK {
			t.Fatalf("replayed deauthorize: %d %s", again.status, again.body)
		}
		if other := h.form(t, "/webhooks/instagram/data-deletion", sr); other.status != http.StatusBadRequest ||
			!strings.Contains(other.json["error"], "already used") {
			t.Fatalf("deauthorize request sent to data-deletion: %d %s", other.status, other.body)
		}
		if after := h.state(t); !reflect.DeepEqual(before, after) {
			t.Fatalf("a replay changed the store:\n%+v\n%+v", before, after)
		}
		// By the professional user id too; Threads and its own secret.
		if a := h.form(t, "/webhooks/threads/deauthorize", signed(t, thSecret, h.th.RemoteID, h.clk.Now())); a.status != http.StatusOK {
			t.Fatalf("threads deauthorize: %d %s", a.status, a.body)
		}
		if th, _ := h.st.FindAccountByID(ctx, h.th.ID); th.Status != snsos.AccountRevoked {
			t.Fatalf("threads account %s", th.Status)
		}
		// An unknown user is a harmless 200.
		before = h.state(t)
		if a := h.form(t, "/webhooks/instagram/deauthorize", signed(t, igSecret, "999", h.clk.Now())); a.status != http.StatusOK {
			t.Fatalf("unknown user: %d %s", a.status, a.body)
		}
		after := h.state(t)
		before.Signed++ // the request is remembered, nothing else
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("unknown user changed the store:\n%+v\n%+v", before, after)
		}
	})
}

// TestDataDeletion: a verified data-deletion request deletes the tokens at
// once, answers the status page and code, schedules the purge at the end
// of the window, answers a replay with the same code; the purge deletes
// the account's data (media files too) and completes the request.
func TestDataDeletion(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{window: 72 * time.Hour})
		m1, m2 := h.upload(t, 10), h.upload(t, 20)
		own := h.post(t, "instagram only", snsos.StateScheduled, []int64{m1.ID}, h.ig)
		shared := h.post(t, "both", snsos.StateDraft, []int64{m2.ID}, h.ig, h.x)

		sr := signed(t, igSecret, h.ig.RemoteID, h.clk.Now())
		a := h.form(t, "/webhooks/instagram/data-deletion", sr)
		code := a.json["confirmation_code"]
		if a.status != http.StatusOK || !ValidCode(code) || a.json["url"] != h.srv.URL+"/deletion/"+code {
			t.Fatalf("data-deletion: %d %s", a.status, a.body)
		}
		d, err := h.st.FindDeletionRequestByCode(ctx, code)
		if err != nil || d.Status != snsos.DeletionPending || !reflect.DeepEqual(d.AccountIDs, []int64{h.ig.ID}) ||
			d.TokensDeletedAt.IsZero() || !d.DueAt.Equal(h.start.Add(72*time.Hour)) {
			t.Fatalf("request %+v, %v", d, err)
		}
		if _, err := h.st.FindCredential(ctx, h.ig.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept: %v", err)
		}
		if tg, _ := h.st.FindTargetByID(ctx, own.Targets[0].ID); tg.State != snsos.StateFailed {
			t.Fatalf("waiting target %s", tg.State)
		}
		states, at := h.purgeJobs(t)
		if len(states) != 1 || states[0] != "scheduled" || at[0].Sub(d.DueAt).Abs() > time.Second {
			t.Fatalf("purge jobs %v at %v; want one scheduled at %v", states, at, d.DueAt)
		}
		again := h.form(t, "/webhooks/instagram/data-deletion", sr)
		if again.status != http.StatusOK || again.json["confirmation_code"] != code {
			t.Fatalf("replay: %d %s", again.status, again.body)
		}
		// The same signed_request is byte for byte a valid deauthorize:
		// refused there, as used already.
		before := h.state(t)
		if other := h.form(t, "/webhooks/instagram/deauthorize", sr); other.status != http.StatusBadRequest ||
			!strings.Contains(other.json["error"], "already used") {
			t.Fatalf("data-deletion request sent to deauthorize: %d %s", other.status, other.body)
		}
		if after := h.state(t); !reflect.DeepEqual(before, after) {
			t.Fatalf("the refused deauthorize changed the store:\n%+v\n%+v", before, after)
		}
		if states, _ := h.purgeJobs(t); len(states) != 1 {
			t.Fatalf("a replay queued another purge: %v", states)
		}

		// Not due yet: the scan queues nothing new. Past due it makes sure
		// of the job (already queued: not counted).
		if n, err := h.svc.Scan(ctx); err != nil || n != 0 {
			t.Fatalf("scan before due: %d, %v", n, err)
		}
		h.clk.Advance(73 * time.Hour)
		if n, err := h.svc.Scan(ctx); err != nil || n != 0 {
			t.Fatalf("scan past due: %d, %v", n, err)
		}

		if err := h.svc.Purge(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		done, _ := h.st.FindDeletionRequestByCode(ctx, code)
		want := snsos.PurgeCounts{Accounts: 1, Targets: 2, Posts: 1, Media: 1}
		if done.Status != snsos.DeletionCompleted || done.Purged == nil || *done.Purged != want || done.RemoteUserID != "" {
			t.Fatalf("completed request %+v (purged %+v)", done, done.Purged)
		}
		if _, err := h.lib.Get(ctx, m1.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("media of the deleted post kept: %v", err)
		}
		if _, err := h.disk.Stat(ctx, m1.Key); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("media file kept: %v", err)
		}
		if _, err := h.disk.Stat(ctx, m2.Key); err != nil {
			t.Fatalf("shared media file deleted: %v", err)
		}
		if _, err := h.lib.Get(ctx, m2.ID); err != nil {
			t.Fatalf("media of the shared post deleted: %v", err)
		}
		if p, err := h.st.FindPostByID(ctx, shared.ID); err != nil || len(p.Targets) != 1 || p.Targets[0].AccountID != h.x.ID {
			t.Fatalf("shared post %+v, %v", p, err)
		}
		if _, err := h.st.FindAccountByID(ctx, h.ig.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("account kept: %v", err)
		}
		// Days later the same request is refused as stale, and the scan
		// forgets it.
		if last := h.form(t, "/webhooks/instagram/data-deletion", sr); last.status != http.StatusBadRequest || !strings.Contains(last.body, "stale") {
			t.Fatalf("replay days later: %d %s", last.status, last.body)
		}
		if _, err := h.svc.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if h.state(t).Signed != 0 {
			t.Fatal("old signed requests not pruned")
		}
	})
}

// TestSignedRequestOneCallback: one signed_request sent to both callbacks
// at once is acted on by one of them only — the first to record it — and
// the other answers 400 "already used", on both databases.
func TestSignedRequestOneCallback(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{})
		deletions := 0
		for round := range 4 {
			sr := signed(t, igSecret, "5550000"+strconv.Itoa(round), h.clk.Now().Add(-time.Duration(round)*time.Second))
			var wg sync.WaitGroup
			answers := map[string]answer{}
			var mu sync.Mutex
			for _, kind := range []string{KindDeauthorize, KindDataDeletion} {
				wg.Go(func() {
					a := h.form(t, "/webhooks/instagram/"+kind, sr)
					mu.Lock()
					answers[kind] = a
					mu.Unlock()
				})
			}
			wg.Wait()
			won := 0
			for kind, a := range answers {
				switch {
				case a.status == http.StatusOK:
					won++
					if kind == KindDataDeletion {
						deletions++
					}
				case a.status != http.StatusBadRequest || !strings.Contains(a.json["error"], "already used"):
					t.Fatalf("round %d, %s: %d %s", round, kind, a.status, a.body)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d callbacks acted on one signed_request: %+v", round, won, answers)
			}
		}
		if n := h.state(t).Requests; n != deletions {
			t.Fatalf("%d deletion requests for %d data-deletion callbacks acted on", n, deletions)
		}
	})
}

// TestDataDeletionRunsPurge: with a window of zero the purge job runs at
// once on River and the request completes; a user sns-os holds nothing of
// gets a code whose request is complete at once.
func TestDataDeletionRunsPurge(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{window: -1, river: true})
		h.post(t, "gone soon", snsos.StateDraft, nil, h.th)
		a := h.form(t, "/webhooks/threads/data-deletion", signed(t, thSecret, h.th.RemoteID, h.clk.Now()))
		if a.status != http.StatusOK {
			t.Fatalf("data-deletion: %d %s", a.status, a.body)
		}
		waitFor(t, "the purge", func() bool {
			d, err := h.st.FindDeletionRequestByCode(ctx, a.json["confirmation_code"])
			return err == nil && d.Status == snsos.DeletionCompleted
		})
		d, _ := h.st.FindDeletionRequestByCode(ctx, a.json["confirmation_code"])
		if *d.Purged != (snsos.PurgeCounts{Accounts: 1, Targets: 1, Posts: 1}) {
			t.Fatalf("purged %+v", d.Purged)
		}

		u := h.form(t, "/webhooks/instagram/data-deletion", signed(t, igSecret, "123456", h.clk.Now()))
		nd, err := h.st.FindDeletionRequestByCode(ctx, u.json["confirmation_code"])
		if u.status != http.StatusOK || err != nil || nd.Status != snsos.DeletionCompleted || len(nd.AccountIDs) != 0 {
			t.Fatalf("unknown user: %d %s; request %+v, %v", u.status, u.body, nd, err)
		}
		if ig, _ := h.st.FindAccountByID(ctx, h.ig.ID); ig.Status != snsos.AccountConnected {
			t.Fatalf("an unknown user's request touched @%s", ig.Handle)
		}
	})
}

// TestForgedCallbacks: whatever fails verification is answered 400 with a
// short reason, never 5xx, and changes nothing at all.
func TestForgedCallbacks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{})
		h.post(t, "soon", snsos.StateScheduled, nil, h.ig)
		now := h.clk.Now()
		uid := h.ig.RemoteID
		form := "application/x-www-form-urlencoded"
		used := signed(t, igSecret, uid, now.Add(-time.Second))
		if a := h.form(t, "/webhooks/instagram/deauthorize", signed(t, igSecret, "555", now)); a.status != http.StatusOK {
			t.Fatalf("setting up: %d", a.status)
		}
		tests := []struct {
			name, path, ct, body, reason string
		}{
			{"wrong secret", "/webhooks/instagram/data-deletion", form, "signed_request=" + signed(t, []byte("guessed"), uid, now), "does not match"},
			{"threads secret on instagram", "/webhooks/instagram/deauthorize", form, "signed_request=" + signed(t, thSecret, uid, now), "does not match"},
			{"stale", "/webhooks/instagram/data-deletion", form, "signed_request=" + signed(t, igSecret, uid, now.Add(-2*time.Hour)), "stale"},
			{"future", "/webhooks/instagram/deauthorize", form, "signed_request=" + signed(t, igSecret, uid, now.Add(time.Hour)), "future"},
			{"wrong algorithm", "/webhooks/instagram/deauthorize", form, "signed_request=" +
				Sign([]byte(`{"algorithm":"HMAC-SHA1","issued_at":`+itoa(now.Unix())+`,"user_id":"`+uid+`"}`), igSecret), "algorithm"},
			{"garbage", "/webhooks/instagram/data-deletion", form, "signed_request=%00%ff.%00", "signature"},
			{"missing", "/webhooks/instagram/data-deletion", form, "other=1", "missing"},
			{"twice", "/webhooks/instagram/deauthorize", form, "signed_request=a.b&signed_request=c.d", "more than once"},
			{"JSON body", "/webhooks/instagram/data-deletion", "application/json", `{"signed_request":"` + signed(t, igSecret, uid, now) + `"}`, "JSON"},
			{"no content type", "/webhooks/instagram/deauthorize", "", "signed_request=" + signed(t, igSecret, uid, now), "form"},
			{"multipart", "/webhooks/instagram/deauthorize", "multipart/form-data; boundary=x", "--x--", "form"},
			{"oversized", "/webhooks/instagram/data-deletion", form, "signed_request=" + strings.Repeat("A", 2*maxBody), "too large"},
			{"wrongly padded", "/webhooks/instagram/deauthorize", form, "signed_request=" + addPad(signed(t, igSecret, uid, now), 3), "base64url"},
			{"replayed elsewhere", "/webhooks/threads/data-deletion", form, "signed_request=" + signed(t, igSecret, "555", now), "does not match"},
		}
		// A request seen at one callback and replayed at another.
		if a := h.form(t, "/webhooks/instagram/deauthorize", used); a.status != http.StatusOK {
			t.Fatalf("setting up: %d", a.status)
		}
		if err := h.st.UpsertAccount(ctx, &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: uid, Handle: "instagram_op"}); err != nil {
			t.Fatal(err) // connected again
		}
		if err := h.st.PutCredential(ctx, &snsos.Credential{AccountID: h.ig.ID, AccessToken: "new"}); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, path, ct, body, reason string }{"replayed at the other callback",
			"/webhooks/instagram/data-deletion", form, "signed_request=" + used, "already used"})
		before := h.state(t)
		for _, tt := range tests {
			a := h.callback(t, tt.path, tt.ct, tt.body)
			if a.status != http.StatusBadRequest || !strings.Contains(a.json["error"], tt.reason) || len(a.json["error"]) > 120 {
				t.Errorf("%s: %d %s; want 400 saying %q", tt.name, a.status, a.body, tt.reason)
			}
		}
		if after := h.state(t); !reflect.DeepEqual(before, after) {
			t.Fatalf("refused callbacks changed the store:\n%+v\n%+v", before, after)
		}
		if a := h.callback(t, "/webhooks/tiktok/deauthorize", form, "signed_request=x.y"); a.status != http.StatusNotFound &&
			a.status != http.StatusMethodNotAllowed {
			t.Fatalf("tiktok callback: %d", a.status)
		}
	})
}

// TestNoSecretConfigured: a platform without an app secret refuses every
// callback, however it is signed.
func TestNoSecretConfigured(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	h := newHarness(t, env, harnessOptions{secrets: map[snsos.Platform][][]byte{snsos.PlatformInstagram: {igSecret}}})
	before := h.state(t)
	a := h.form(t, "/webhooks/threads/deauthorize", signed(t, thSecret, h.th.RemoteID, h.clk.Now()))
	if a.status != http.StatusBadRequest || !strings.Contains(a.json["error"], "no app secret") {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if after := h.state(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("changed:\n%+v\n%+v", before, after)
	}
}

// TestConfirmDeletion: a request from the contact form deletes nothing
// until the operator confirms it; the confirmation deletes the tokens of
// the accounts chosen and queues the purge; a second one is refused.
func TestConfirmDeletion(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, harnessOptions{window: 24 * time.Hour})
		contact := func() *snsos.DeletionRequest {
			d := &snsos.DeletionRequest{ConfirmationCode: NewCode()}
			if err := h.st.CreateContact(ctx, &snsos.ContactMessage{Name: "Op", Email: "op@example.com", Subject: "Data Deletion Request",
				Body: "please delete"}, d); err != nil {
				t.Fatal(err)
			}
			return d
		}
		d := contact()
		waiting := h.post(t, "soon", snsos.StateScheduled, nil, h.ig)
		if _, err := h.st.FindCredential(ctx, h.ig.ID); err != nil {
			t.Fatalf("tokens gone before the confirmation: %v", err)
		}
		if err := h.svc.ConfirmDeletion(ctx, d.ConfirmationCode, []int64{h.ig.ID}); err != nil {
			t.Fatal(err)
		}
		got, _ := h.st.FindDeletionRequestByCode(ctx, d.ConfirmationCode)
		if !reflect.DeepEqual(got.AccountIDs, []int64{h.ig.ID}) || got.ConfirmedAt.IsZero() || got.Status != snsos.DeletionPending {
			t.Fatalf("confirmed request %+v", got)
		}
		if _, err := h.st.FindCredential(ctx, h.ig.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("tokens kept: %v", err)
		}
		if tg, _ := h.st.FindTargetByID(ctx, waiting.Targets[0].ID); tg.State != snsos.StateFailed ||
			!strings.Contains(tg.Error, "data is being deleted") {
			t.Fatalf("waiting target %s %q", tg.State, tg.Error)
		}
		states, at := h.purgeJobs(t)
		if len(states) != 1 || at[0].Sub(h.start.Add(24*time.Hour)).Abs() > time.Second {
			t.Fatalf("purge jobs %v at %v", states, at)
		}
		if err := h.svc.ConfirmDeletion(ctx, d.ConfirmationCode, []int64{h.ig.ID}); !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("second confirmation: %v", err)
		}
		if states, _ := h.purgeJobs(t); len(states) != 1 {
			t.Fatalf("a second confirmation queued another purge: %v", states)
		}
		if err := h.svc.ConfirmDeletion(ctx, "NOSUCHCODE0000", nil); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("confirm of no request: %v", err)
		}
		// A callback's request is not the operator's to confirm.
		cb := h.form(t, "/webhooks/threads/data-deletion", signed(t, thSecret, h.th.RemoteID, h.clk.Now()))
		if err := h.svc.ConfirmDeletion(ctx, cb.json["confirmation_code"], nil); !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("confirming a callback's request: %v", err)
		}
		// A request about no account is complete once confirmed.
		empty := contact()
		if err := h.svc.ConfirmDeletion(ctx, empty.ConfirmationCode, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.st.FindDeletionRequestByCode(ctx, empty.ConfirmationCode); got.Status != snsos.DeletionCompleted {
			t.Fatalf("empty request %s", got.Status)
		}
		bad := contact()
		if err := h.svc.ConfirmDeletion(ctx, bad.ConfirmationCode, []int64{999}); !snsos.IsCode(err, snsos.EINVALID) {
			t.Fatalf("unknown account: %v", err)
		}
		if got, _ := h.st.FindDeletionRequestByCode(ctx, bad.ConfirmationCode); got.Status != snsos.DeletionUnconfirmed {
			t.Fatalf("a refused confirmation changed the request: %s", got.Status)
		}
	})
}
