package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// exportPosts is how many posts the export test stores: more than one page.
const exportPosts = exportPage + 30

// exportSeed is what the export test stored, and the values that must
// never appear in an export.
type exportSeed struct {
	secrets []string
	first   int64 // the post with the interesting target
}

func randHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// seedExport stores two accounts with tokens, media, exportPosts posts (the
// first with a target that failed after an attempt whose texts once held
// the tokens, with a TikTok upload address in its progress, and another
// with a snapshot), contact messages with a deletion request and settings
// of every kind.
func seedExport(t *testing.T, dbURL, data string, box *secret.Box) *exportSeed {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{URL: dbURL, DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed := &exportSeed{}
	var accts []*snsos.Account
	for _, p := range []snsos.Platform{snsos.PlatformX, snsos.PlatformTikTok} {
		a := &snsos.Account{Platform: p, RemoteID: "exp-" + string(p), Handle: "exp_" + string(p)}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		access, refresh := "exp-access-"+randHex(t), "exp-refresh-"+randHex(t)
		seed.secrets = append(seed.secrets, access, refresh)
		scopes := x.Scopes
		if p == snsos.PlatformTikTok {
			scopes = tiktok.Scopes
		}
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
			TokenType: "bearer", Scopes: scopes, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	// An old bug's leak, as the export would find it: the token in a reason.
	if err := s.SetAccountStatus(ctx, accts[1].ID, snsos.AccountNeedsReauth, "refresh refused for "+seed.secrets[3]); err != nil {
		t.Fatal(err)
	}
	var media []int64
	for i := range 2 {
		m := &snsos.MediaRef{SHA256: fmt.Sprintf("%064d", i), Key: fmt.Sprintf("sha256/storage-key-%d", i), Mime: "image/jpeg", Size: 100, Filename: "p.jpg"}
		if _, err := s.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		media = append(media, m.ID)
	}
	for i := range exportPosts {
		p := &snsos.Post{Body: fmt.Sprintf("export post %d", i), ScheduledAt: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC)}
		if i == 0 {
			p.MediaIDs, p.MediaAlt = media, map[int64]string{media[0]: "a cat"}
			p.Targets = []*snsos.Target{{AccountID: accts[0].ID, State: snsos.StateScheduled}, {AccountID: accts[1].ID, State: snsos.StateScheduled}}
		}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			seed.first = p.ID
			seedAttempt(t, s, p.Targets[0].ID, seed)
			if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: p.Targets[1].ID, Checkpoint: snsos.Checkpoint1h,
				Status: snsos.SnapshotUnavailable, Reason: "access_token=" + seed.secrets[2] + " expired"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, subj := range []string{"Hello", "Data Deletion Request"} {
		m := &snsos.ContactMessage{Name: "Visitor", Email: fmt.Sprintf("v%d@example.com", i), Subject: subj, Body: "please", Lang: "ja"}
		var d *snsos.DeletionRequest
		if i == 1 {
			d = &snsos.DeletionRequest{ConfirmationCode: "EXPCODE" + randHex(t)}
		}
		if err := s.CreateContact(ctx, m, d); err != nil {
			t.Fatal(err)
		}
	}
	hash, setup := "$argon2id$v=19$m=65536,t=3,p=2$"+randHex(t), "setup-"+randHex(t)+" 1900000000"
	seed.secrets = append(seed.secrets, hash, setup)
	for k, v := range map[string]string{"ui.lang": "ja", "ui.timezone": "Asia/Tokyo", auth.PasswordSetting: hash, "operator_setup_token": setup} {
		if err := s.PutSetting(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	return seed
}

// seedAttempt runs one attempt on target id that saves a TikTok upload
// address and fails with texts that once held the tokens.
func seedAttempt(t *testing.T, s *store.Store, id int64, seed *exportSeed) {
	t.Helper()
	ctx := context.Background()
	att := &snsos.Attempt{Detail: "POST /2/tweets"}
	tg, err := s.TransitionTarget(ctx, store.Transition{TargetID: id, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: att, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	upload := "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=UPLOADTOKEN" + randHex(t)
	seed.secrets = append(seed.secrets, upload[strings.Index(upload, "UPLOADTOKEN"):])
	for k, v := range map[string]string{"g1.publish_id": "v_pub_file~1", "g1.upload_url": upload} {
		if err := s.SetTargetProgress(ctx, id, tg.OwnerAttempt, k, v); err != nil {
			t.Fatal(err)
		}
	}
	fin := &snsos.Attempt{ID: att.ID, Detail: "POST /2/tweets", Error: "401 from X; sent Authorization: Bearer " + seed.secrets[0]}
	if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: id, From: snsos.StatePublishing, To: snsos.StateFailed, Owner: att.ID,
		Finish: fin, Mutate: func(t *snsos.Target) { t.Error = "X refused the refresh token " + seed.secrets[1] }}); err != nil {
		t.Fatal(err)
	}
}

// exportDoc is the part of the document the test reads.
type exportDoc struct {
	Format   string            `json:"format"`
	Version  int               `json:"version"`
	Settings map[string]string `json:"settings"`
	Accounts []struct {
		ID           int64  `json:"id"`
		StatusReason string `json:"status_reason"`
		Credential   struct {
			Scopes []string `json:"scopes"`
		} `json:"credential"`
	} `json:"accounts"`
	Media []map[string]any `json:"media"`
	Posts []struct {
		ID       int64             `json:"id"`
		MediaAlt map[string]string `json:"media_alt"`
		Targets  []struct {
			State        string                 `json:"state"`
			Error        string                 `json:"error"`
			Progress     map[string]string      `json:"progress"`
			AttemptCount int                    `json:"attempt_count"`
			Attempts     []snsos.Attempt        `json:"attempts"`
			Metrics      []snsos.MetricSnapshot `json:"metrics"`
		} `json:"targets"`
	} `json:"posts"`
	ContactMessages  []snsos.ContactMessage  `json:"contact_messages"`
	DeletionRequests []snsos.DeletionRequest `json:"deletion_requests"`
}

// TestExport: on both databases, the export holds every record — posts
// paged in order with targets, attempts and snapshots, accounts with their
// permissions, media metadata, messages, requests, the interface settings
// — and no token, upload address, password hash or setup token, even
// where a stored text once held one; the file is private and never
// overwritten; standard output gets the same document.
func TestExport(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dbURL := ""
			if d == store.Postgres {
				dbURL = storetest.PostgresURL(t)
			}
			data, k := t.TempDir(), mustKey(t)
			seed := seedExport(t, dbURL, data, secret.NewBox(k))
			env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_DATABASE_URL": dbURL, "SNSOS_MASTER_KEY": k.Encode(),
				"SNSOS_X_CLIENT_ID": "exp-x", "SNSOS_X_CLIENT_SECRET": "exp-x-client-secret-" + randHex(t)}
			seed.secrets = append(seed.secrets, k.Encode(), env["SNSOS_X_CLIENT_SECRET"])
			out := filepath.Join(t.TempDir(), "export.json")
			r := run(t, env, "export", "--out", out)
			if r.code != 0 {
				t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
			}
			want := fmt.Sprintf("exported 2 accounts, 2 media, %d posts (2 targets), 2 contact messages and 1 deletion requests to %s", exportPosts, out)
			if !strings.Contains(r.stderr, want) {
				t.Errorf("summary: want %q in\n%s", want, r.stderr)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
				t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
			}
			for _, s := range append(seed.secrets, "sealed.", "storage-key", "upload_url", "key_id", `"access_token"`, `"refresh_token"`) {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("the export holds %q", s)
				}
			}
			checkExportDoc(t, raw, seed)

			if r := run(t, env, "export", "--out", out); r.code != 2 || !strings.Contains(r.stderr, "already exists") {
				t.Errorf("export over an existing file: exit %d\n%s", r.code, r.stderr)
			}
			r = run(t, env, "export")
			if r.code != 0 {
				t.Fatalf("export to stdout: exit %d\n%s", r.code, r.stderr)
			}
			if a, b := withoutTime(t, raw), withoutTime(t, []byte(r.stdout)); !reflect.DeepEqual(a, b) {
				t.Errorf("standard output differs from the file")
			}
		})
	}
}

func checkExportDoc(t *testing.T, raw []byte, seed *exportSeed) {
	t.Helper()
	var doc exportDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the export is not JSON: %v\n%.500s", err, raw)
	}
	if doc.Format != exportFormat || doc.Version != 1 {
		t.Errorf("format %q version %d", doc.Format, doc.Version)
	}
	if !reflect.DeepEqual(doc.Settings, map[string]string{"ui.lang": "ja", "ui.timezone": "Asia/Tokyo"}) {
		t.Errorf("settings = %v", doc.Settings)
	}
	if len(doc.Accounts) != 2 || !reflect.DeepEqual(doc.Accounts[0].Credential.Scopes, x.Scopes) ||
		!strings.Contains(doc.Accounts[1].StatusReason, snsos.Mask) {
		t.Errorf("accounts = %+v", doc.Accounts)
	}
	if len(doc.Media) != 2 || doc.Media[0]["sha256"] == nil || doc.Media[0]["filename"] != "p.jpg" {
		t.Errorf("media = %v", doc.Media)
	}
	if len(doc.Posts) != exportPosts {
		t.Fatalf("%d posts, want %d", len(doc.Posts), exportPosts)
	}
	for i := 1; i < len(doc.Posts); i++ {
		if doc.Posts[i].ID <= doc.Posts[i-1].ID {
			t.Fatalf("posts out of order at %d: %d after %d", i, doc.Posts[i].ID, doc.Posts[i-1].ID)
		}
	}
	p := doc.Posts[0]
	if p.ID != seed.first || len(p.Targets) != 2 || p.MediaAlt == nil {
		t.Fatalf("first post = %+v", p)
	}
	xt, tt := p.Targets[0], p.Targets[1]
	if xt.State != "failed" || xt.AttemptCount != 1 || len(xt.Attempts) != 1 || xt.Attempts[0].Outcome != snsos.StateFailed ||
		!strings.Contains(xt.Attempts[0].Error, snsos.Mask) || !strings.Contains(xt.Error, snsos.Mask) {
		t.Errorf("failed target = %+v", xt)
	}
	if !reflect.DeepEqual(xt.Progress, map[string]string{"g1.publish_id": "v_pub_file~1"}) {
		t.Errorf("progress = %v (no upload address may leave)", xt.Progress)
	}
	if len(tt.Metrics) != 1 || tt.Metrics[0].Checkpoint != snsos.Checkpoint1h || !strings.Contains(tt.Metrics[0].Reason, snsos.Mask) || tt.Attempts == nil {
		t.Errorf("target with a snapshot = %+v", tt)
	}
	if len(doc.ContactMessages) != 2 || len(doc.DeletionRequests) != 1 ||
		doc.ContactMessages[1].DeletionCode != doc.DeletionRequests[0].ConfirmationCode {
		t.Errorf("messages %+v, requests %+v", doc.ContactMessages, doc.DeletionRequests)
	}
}

func withoutTime(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "exported_at")
	return m
}

// TestExportProgressBar: the bar counts up to the total and ends its line;
// rows added while exporting stop it at 100%; a buffer is no terminal.
func TestExportProgressBar(t *testing.T) {
	var b bytes.Buffer
	bar := &progressBar{w: &b}
	bar.start(4)
	for range 5 {
		bar.step()
	}
	bar.finish()
	out := b.String()
	for _, want := range []string{"\rexporting   0% [>", "\rexporting  50% [===============>", "100% [==============================] 5/4", "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in %q", want, out)
		}
	}
	if n := strings.Count(out, "\r"); n != 6 { // 0, 25, 50, 75 and 100 %, then the final redraw
		t.Errorf("%d redraws, want 6: %q", n, out)
	}
	var nilBar *progressBar
	nilBar.start(3)
	nilBar.step()
	nilBar.finish()
	if isTerminal(&b) {
		t.Error("a buffer is not a terminal")
	}
}

// TestExportAndDoctorBadInput: stray arguments and bad flags are usage
// errors; a data dir without a database is refused, and left without one.
func TestExportAndDoctorBadInput(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	env := map[string]string{"SNSOS_DATA_DIR": empty}
	for _, c := range []struct {
		args  []string
		code  int
		words string
	}{
		{[]string{"export", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"doctor", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"doctor", "--timeout", "0s"}, 2, "--timeout must be between"},
		{[]string{"export"}, 1, "no database at " + filepath.Join(empty, store.DBFileName) + ", nothing to export"},
		{[]string{"doctor"}, 1, "no database at " + filepath.Join(empty, store.DBFileName) + ", nothing to check"},
	} {
		r := run(t, env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.words) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, r.code, c.code, c.words, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(empty, store.DBFileName)); err == nil {
		t.Error("a refused command created a database")
	}
	if r := run(t, env, "export", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Never written: tokens") {
		t.Errorf("export --help: exit %d\n%s", r.code, r.stdout)
	}
}
