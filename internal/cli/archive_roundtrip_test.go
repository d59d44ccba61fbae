package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/archive/archivetest"
	"github.com/sns-os/snsos/internal/store"

	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestArchiveRoundTripFromDemo is the round trip from a real
// publish: in the demo, a post with an image goes to X, Instagram and
// Threads through the engine and the simulators and its checkpoints are
// collected, another waits for its time and a third stays a draft; the
// demo's archive is synced and pushed, restored from the remote into an
// empty data dir, and the restored database archived again holds the same
// files: byte for byte, but for what a restore changes on purpose (the
// accounts need connecting again, the scheduled delivery waits for the
// operator).
func TestArchiveRoundTripFromDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	base, stdout, stderr, stop := startServe(t, map[string]string{"SNSOS_DATA_DIR": data}, "demo", "--checkpoint-delays", "2s,3s,4s")
	token := stdout.waitFor(t, regexp.MustCompile(`api token: (\S+)\n(?s:.*)metric checkpoints are accelerated`))[1]
	c := &demoClient{t: t, base: base, token: token}

	var accts struct {
		Items []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
		} `json:"items"`
	}
	c.call("GET", "/api/v1/accounts", nil, &accts)
	ids := map[string]int64{}
	for _, a := range accts.Items {
		ids[a.Platform] = a.ID
	}
	img := c.upload(demoJPEG(t))
	var now, later, draft demoPost
	c.call("POST", "/api/v1/posts", map[string]any{
		"body": "Round trip through the archive", "media_ids": []int64{img}, "media_alt": map[string]string{fmt.Sprint(img): "a red square"},
		"approve": true, "scheduled_at": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano),
		"targets": []any{
			map[string]any{"account_id": ids["x"]},
			map[string]any{"account_id": ids["instagram"]},
			map[string]any{"account_id": ids["threads"], "body": "Round trip, the Threads words"},
		},
	}, &now)
	c.call("POST", "/api/v1/posts", map[string]any{"body": "Due tomorrow", "approve": true,
		"scheduled_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339Nano),
		"targets":      []any{map[string]any{"account_id": ids["x"]}}}, &later)
	c.call("POST", "/api/v1/posts", map[string]any{"body": "A draft", "targets": []any{map[string]any{"account_id": ids["threads"]}}}, &draft)
	if len(now.Targets) != 3 || len(later.Targets) != 1 || len(draft.Targets) != 1 {
		t.Fatalf("posts made: %+v %+v %+v", now, later, draft)
	}

	// Published everywhere, every checkpoint taken.
	// The demo runs on the wall clock: poll it.
	storetest.Eventually(t, 40*time.Second, 100*time.Millisecond, func() bool {
		c.call("GET", fmt.Sprintf("/api/v1/posts/%d", now.ID), nil, &now)
		done := true
		for _, tg := range now.Targets {
			switch {
			case tg.State == "failed" || tg.State == "needs_operator":
				t.Fatalf("target %+v\n%s", tg, stderr.String())
			case tg.State != "published" || len(tg.Metrics) < 3 || tg.RemoteURL == "":
				done = false
			}
		}
		return done
	}, func() string { return fmt.Sprintf("targets after 40 s: %+v\n%s", now.Targets, stderr.String()) })
	if code := stop(); code != 0 { // the writer's last pass commits and pushes
		t.Fatalf("demo exit %d\n%s", code, stderr.String())
	}

	remote := filepath.Join(data, "archive-remote.git")
	if r := run(t, map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_ARCHIVE_REMOTE": "file://" + remote}, "archive", "sync"); r.code != 0 ||
		!strings.Contains(r.stdout, "nothing changed since the last commit") {
		t.Fatalf("archive sync after the demo: %d %s %s", r.code, r.stdout, r.stderr)
	}
	orig, err := archive.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	checkArchived(t, orig, now)

	dst := t.TempDir()
	dstEnv := map[string]string{"SNSOS_DATA_DIR": dst, "SNSOS_ARCHIVE_DIR": filepath.Join(dst, "archive")}
	r := run(t, dstEnv, "restore", "--from-archive", "file://"+remote)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("restored %d accounts, 3 posts, 5 deliveries, 9 metric snapshots", len(ids))) ||
		!strings.Contains(r.stdout, "1 deliveries were scheduled or in flight") {
		t.Fatalf("restore: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, dstEnv, "archive", "sync"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("first export (3 posts, %d accounts)", len(ids))) {
		t.Fatalf("archive sync of the restored data dir: %d %s %s", r.code, r.stdout, r.stderr)
	}
	again, err := archive.Open(filepath.Join(dst, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	if held := archivetest.CompareRestored(t, orig, again); held != 1 {
		t.Errorf("%d deliveries held in the comparison, want the one due tomorrow", held)
	}

	st, err := store.Open(ctx, store.Options{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tg, err := st.FindTargetByID(ctx, later.Targets[0].ID)
	if err != nil || tg.State != snsos.StateNeedsOperator || !strings.Contains(tg.Error, "restored from a copy while it was scheduled") {
		t.Fatalf("the delivery due tomorrow after the restore: %+v %v", tg, err)
	}
	var creds int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials`).Scan(&creds); err != nil || creds != 0 {
		t.Fatalf("%d credentials after the restore (%v): the archive holds none", creds, err)
	}
	for _, id := range ids {
		if a, err := st.FindAccountByID(ctx, id); err != nil || a.Status != snsos.AccountNeedsReauth {
			t.Errorf("account %d after the restore: %+v %v", id, a, err)
		}
	}
}

// checkArchived requires the archive to hold what the published post
// went out as: each delivery's state, id and link, attempts, the media
// record with its alt text, and a metrics row per checkpoint.
func checkArchived(t *testing.T, r *archive.Repo, p demoPost) {
	t.Helper()
	var doc struct {
		Media []struct {
			SHA256 string `json:"sha256"`
			Mime   string `json:"mime"`
			Alt    string `json:"alt"`
		} `json:"media"`
		Targets []struct {
			ID        int64             `json:"id"`
			State     string            `json:"state"`
			RemoteID  string            `json:"remote_id"`
			RemoteURL string            `json:"remote_url"`
			Attempts  []json.RawMessage `json:"attempts"`
		} `json:"targets"`
	}
	path := archive.PostPath(p.ID, p.CreatedAt)
	b, err := r.File(path)
	if err != nil {
		t.Fatalf("%s: %v (files %v)", path, err, r.Files())
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Media) != 1 || doc.Media[0].Mime != "image/jpeg" || len(doc.Media[0].SHA256) != 64 || doc.Media[0].Alt != "a red square" {
		t.Fatalf("media in %s: %s", path, b)
	}
	for i, tg := range doc.Targets {
		want := p.Targets[i]
		if tg.ID != want.ID || tg.State != "published" || tg.RemoteID != want.RemoteID || tg.RemoteURL != want.RemoteURL || len(tg.Attempts) == 0 {
			t.Fatalf("target %d in %s: %+v, published as %+v", i, path, tg, want)
		}
	}
	csv, err := r.File(archive.MetricsPath(p.ID, p.CreatedAt))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(string(csv), "\n") - 1; rows < 9 {
		t.Fatalf("%d metric rows, want 3 checkpoints of 3 deliveries:\n%s", rows, csv)
	}
}

// demoPost is a post as the API shows it.
type demoPost struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Targets   []struct {
		ID        int64             `json:"id"`
		State     string            `json:"state"`
		RemoteID  string            `json:"remote_id"`
		RemoteURL string            `json:"remote_url"`
		Metrics   []json.RawMessage `json:"metrics"`
	} `json:"targets"`
}

// demoClient calls the demo's API with its token.
type demoClient struct {
	t           *testing.T
	base, token string
}

func (c *demoClient) call(method, path string, body, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	c.do(req, out)
}

// upload sends a JPEG to the media library and returns its id.
func (c *demoClient) upload(jpg []byte) int64 {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "red.jpg")
	fw.Write(jpg)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/api/v1/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var m struct {
		ID int64 `json:"id"`
	}
	c.do(req, &m)
	return m.ID
}

func (c *demoClient) do(req *http.Request, out any) {
	c.t.Helper()
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		c.t.Fatalf("%s %s = %d: %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		c.t.Fatalf("%s %s: %v: %s", req.Method, req.URL.Path, err, b)
	}
}

// demoJPEG is a 600×600 red square, which every platform takes.
func demoJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 600, 600))
	for y := range 600 {
		for x := range 600 {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
