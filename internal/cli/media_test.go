package cli

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/store"
)

func testPNG(t *testing.T, w int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, 4))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seedMedia uploads files into data's media library as of at; the first
// `used` of them are attached to a post.
func seedMedia(t *testing.T, data string, at time.Time, names []string, used int) []*snsos.MediaRef {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DataDir: data, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	disk, err := media.NewDisk(filepath.Join(data, "media"))
	if err != nil {
		t.Fatal(err)
	}
	lib := media.NewLibrary(disk, s, media.Limits{})
	var out []*snsos.MediaRef
	for _, n := range names {
		w, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "w"), ".png"))
		m, err := lib.Upload(ctx, bytes.NewReader(testPNG(t, w)), n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if used > 0 {
		a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "gc" + at.Format("150405"), Handle: "h"}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range out[:used] {
			ids = append(ids, m.ID)
		}
		if err := s.CreatePost(ctx, &snsos.Post{Body: "b", MediaIDs: ids, Targets: []*snsos.Target{{AccountID: a.ID}}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func mediaFiles(t *testing.T, data string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(data, "media", "sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestMediaGC(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	env := map[string]string{"SNSOS_DATA_DIR": data}
	old := seedMedia(t, data, time.Now().Add(-48*time.Hour), []string{"w10.png", "w11.png", "w12.png"}, 1)
	recent := seedMedia(t, data, time.Now().Add(-time.Hour), []string{"w13.png"}, 0)
	if n := mediaFiles(t, data); n != 4 {
		t.Fatalf("%d files seeded", n)
	}

	r := run(t, env, "media", "gc", "--dry-run")
	if r.code != 0 {
		t.Fatalf("dry run: %d %s", r.code, r.stderr)
	}
	for _, m := range old[1:] {
		line := regexp.MustCompile(`(?m)^` + strconv.FormatInt(m.ID, 10) + `\s+` + strconv.FormatInt(m.Size, 10) +
			`\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*\s+` + regexp.QuoteMeta(m.Filename) + `$`)
		if !line.MatchString(r.stdout) {
			t.Fatalf("dry run does not list media %d:\n%s", m.ID, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "would remove 2 media ("+strconv.FormatInt(old[1].Size+old[2].Size, 10)+" bytes)") ||
		!strings.Contains(r.stdout, "CREATED") || strings.Contains(r.stdout, old[0].Filename) || strings.Contains(r.stdout, recent[0].Filename) {
		t.Fatalf("dry run output:\n%s", r.stdout)
	}
	if n := mediaFiles(t, data); n != 4 {
		t.Fatalf("dry run removed files: %d left", n)
	}

	// Removing needs the data dir: not while a server holds it; a dry run can.
	release, err := lockDataDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "media", "gc"); r.code != 1 || !strings.Contains(r.stderr, "another sns-os process") {
		t.Fatalf("gc under a running server: %d %s", r.code, r.stderr)
	}
	if r := run(t, env, "media", "gc", "--dry-run"); r.code != 0 {
		t.Fatalf("dry run under a running server: %d %s", r.code, r.stderr)
	}
	release()

	r = run(t, env, "media", "gc")
	if r.code != 0 || !strings.Contains(r.stdout, "removed 2 media") {
		t.Fatalf("gc: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := mediaFiles(t, data); n != 2 {
		t.Fatalf("%d files after gc, want 2 (the used and the recent)", n)
	}
	// A shorter grace takes the recent one too; the used one stays.
	r = run(t, env, "media", "gc", "--grace", "30m")
	if r.code != 0 || !strings.Contains(r.stdout, "removed 1 media") || !strings.Contains(r.stdout, recent[0].Filename) {
		t.Fatalf("gc --grace 30m: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "media", "gc", "--grace", "0s"); r.code != 0 || !strings.Contains(r.stdout, "removed 0 media") {
		t.Fatalf("gc with nothing to do: %d %s", r.code, r.stdout)
	}
	s, err := store.Open(context.Background(), store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if list, _ := s.ListMedia(context.Background(), 10); len(list) != 1 || list[0].ID != old[0].ID || mediaFiles(t, data) != 1 {
		t.Fatalf("left: %d records, %d files", len(list), mediaFiles(t, data))
	}
}

func TestMediaUsage(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SNSOS_DATA_DIR": t.TempDir()}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"media"}, 2, "Usage: sns-os media gc"},
		{[]string{"media", "--help"}, 0, "--dry-run"},
		{[]string{"media", "gc", "--help"}, 0, "-grace"},
		{[]string{"media", "rm"}, 2, ""},
		{[]string{"media", "gc", "extra"}, 2, ""},
		{[]string{"media", "gc", "--grace", "-1h"}, 2, ""},
		{[]string{"media", "gc", "--grace", "soon"}, 2, ""},
		{[]string{"media", "gc"}, 1, ""}, // no database there
	} {
		r := run(t, env, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.out) {
			t.Fatalf("%v: %d\n%s\n%s", tc.args, r.code, r.stdout, r.stderr)
		}
	}
}
