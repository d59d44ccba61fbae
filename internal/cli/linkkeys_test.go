package cli

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// feedToken is the calendar feed token of generation 0 under key, as the
// web handler computes it.
func feedToken(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ical-feed:0"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestLinksSurviveKeyRotation: a signed media link and the calendar feed URL
// handed out by a version that derived their keys from the master key keep
// working on the first start after the upgrade, through a rotation
// interrupted after the credentials were resealed (and resumed), and after a
// second, whole rotation — on the real server, on each database.
func TestLinksSurviveKeyRotation(t *testing.T) {
	t.Parallel()
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			data := t.TempDir()
			env := map[string]string{"SNSOS_DATA_DIR": data}
			if dialect == store.Postgres {
				env["SNSOS_DATABASE_URL"] = storetest.PostgresURL(t)
			}
			oldKey, _, err := secret.LoadOrCreateKeyFile(filepath.Join(data, secret.KeyFileName))
			if err != nil {
				t.Fatal(err)
			}

			// The data dir as an older version left it: a credential and a
			// media file, no stored link keys.
			s, err := store.Open(ctx, store.Options{URL: env["SNSOS_DATABASE_URL"], DataDir: data, Box: secret.NewBox(oldKey)})
			if err != nil {
				t.Fatal(err)
			}
			acct := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "h"}
			if err := s.UpsertAccount(ctx, acct); err != nil {
				t.Fatal(err)
			}
			if err := s.PutCredential(ctx, &snsos.Credential{AccountID: acct.ID, AccessToken: "tok", RefreshToken: "rtok"}); err != nil {
				t.Fatal(err)
			}
			disk, err := media.NewDisk(filepath.Join(data, "media"))
			if err != nil {
				t.Fatal(err)
			}
			img := testPNG(t, 9)
			m, err := media.NewLibrary(disk, s, media.Limits{}).Upload(ctx, bytes.NewReader(img), "a.png")
			if err != nil {
				t.Fatal(err)
			}
			if ids, _ := s.SettingKeyIDs(ctx); len(ids) != 0 {
				t.Fatalf("link keys before the upgrade: %v", ids)
			}
			s.Close()

			// What that version handed out: a link valid for a day, the feed URL.
			signer := func(key []byte) *media.Signer {
				sg, err := media.NewSigner(media.SignerOptions{Key: key, PublicURL: "https://sns.example"})
				if err != nil {
					t.Fatal(err)
				}
				return sg
			}
			exp := time.Now().Add(24 * time.Hour)
			link := signer(oldKey.Derive("media-links")).Path(m.ID, exp)
			feed := "/feeds/schedule.ics?token=" + feedToken(oldKey.Derive("ical-feed"))

			check := func(stage string, others ...*secret.Key) {
				t.Helper()
				base, _, stderr, stop := startServe(t, env, "serve")
				if code, body := get(t, base+link); code != http.StatusOK || body != string(img) {
					t.Errorf("%s: media link = %d", stage, code)
				}
				if code, body := get(t, base+feed); code != http.StatusOK || !strings.Contains(body, "BEGIN:VCALENDAR") {
					t.Errorf("%s: feed URL = %d", stage, code)
				}
				// What the keys would be if still derived from a master key.
				for _, k := range others {
					if code, _ := get(t, base+signer(k.Derive("media-links")).Path(m.ID, exp)); code != http.StatusForbidden {
						t.Errorf("%s: link derived from key %s = %d, want 403", stage, k.ID(), code)
					}
					if code, _ := get(t, base+"/feeds/schedule.ics?token="+feedToken(k.Derive("ical-feed"))); code != http.StatusNotFound {
						t.Errorf("%s: feed derived from key %s = %d, want 404", stage, k.ID(), code)
					}
				}
				if code := stop(); code != 0 {
					t.Fatalf("%s: serve exit %d:\n%s", stage, code, stderr.String())
				}
			}
			check("first start after the upgrade")

			// A rotation that died after resealing every credential but
			// before the link keys: master.key.next exists, the credential is
			// under it, the link keys under the old key.
			next := mustKey(t)
			if err := secret.WriteKeyFile(filepath.Join(data, secret.NextKeyFileName), next); err != nil {
				t.Fatal(err)
			}
			s, err = store.Open(ctx, store.Options{URL: env["SNSOS_DATABASE_URL"], DataDir: data, Box: secret.NewBox(next, oldKey)})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := s.ResealCredentials(ctx, 0); err != nil || p.Resealed != 1 || p.Remaining != 0 {
				t.Fatalf("reseal credentials: %+v %v", p, err)
			}
			s.Close()
			r := run(t, env, "keys", "status")
			if r.code != 0 || !strings.Contains(r.stdout, oldKey.ID()+" (key file") || !strings.Contains(r.stdout, "seals 0 credentials and 2 link keys") ||
				!strings.Contains(r.stdout, next.ID()+" (unfinished rotation): seals 1 credentials and 0 link keys") {
				t.Fatalf("status mid-rotation: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			check("mid-rotation", next)
			r = run(t, env, "keys", "rotate")
			if r.code != 0 || !strings.Contains(r.stdout, "resuming the rotation to key "+next.ID()) ||
				!strings.Contains(r.stdout, "resealed 0 credentials") || !strings.Contains(r.stdout, "resealed 2 link keys under key "+next.ID()) {
				t.Fatalf("resumed rotate: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if installed, err := secret.ReadKeyFile(filepath.Join(data, secret.KeyFileName)); err != nil || installed.ID() != next.ID() {
				t.Fatalf("installed key: %v", err)
			}
			r = run(t, env, "keys", "status")
			if r.code != 0 || !strings.Contains(r.stdout, next.ID()+" (key file") || !strings.Contains(r.stdout, "seals 1 credentials and 2 link keys") {
				t.Fatalf("status after rotation: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			check("after the resumed rotation", next)

			// A whole rotation to a generated key.
			r = run(t, env, "keys", "rotate")
			if r.code != 0 || !strings.Contains(r.stdout, "resealed 1 credentials") || !strings.Contains(r.stdout, "resealed 2 link keys") {
				t.Fatalf("second rotate: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			third, err := secret.ReadKeyFile(filepath.Join(data, secret.KeyFileName))
			if err != nil || third.ID() == next.ID() {
				t.Fatalf("key file after the second rotation: %v", err)
			}
			check("after the second rotation", next, third)
			checkLinkKeys(t, env["SNSOS_DATABASE_URL"], data, secret.NewBox(third), oldKey)
		})
	}
}

// checkLinkKeys: the stored link keys open with box alone and are the ones
// derived from first.
func checkLinkKeys(t *testing.T, url, data string, box *secret.Box, first *secret.Key) {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{URL: url, DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{purposeMediaLinks, purposeICalFeed} {
		k, err := s.DerivedKey(context.Background(), p)
		if err != nil || !bytes.Equal(k, first.Derive(p)) {
			t.Fatalf("%s: changed or %v", p, err)
		}
	}
	if ids, _ := s.SettingKeyIDs(context.Background()); len(ids) != 1 || ids[box.PrimaryID()] != 2 {
		t.Fatalf("link keys sealed under %v", ids)
	}
}

// TestWrongKeyRefusedForLinkKeys: a master key that cannot open the stored
// link keys is refused at start-up, as for credentials.
func TestWrongKeyRefusedForLinkKeys(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if r := run(t, map[string]string{"SNSOS_DATA_DIR": data}, "keys", "status"); r.code != 0 || !strings.Contains(r.stdout, "seals 0 credentials and 2 link keys") {
		t.Fatalf("status: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	k, err := secret.ReadKeyFile(filepath.Join(data, secret.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": mustKey(t).Encode()}, "keys", "status")
	if r.code != 1 || !strings.Contains(r.stderr, "2 link keys are sealed under key "+k.ID()) {
		t.Fatalf("wrong key: %d %s", r.code, r.stderr)
	}
}
