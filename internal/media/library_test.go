package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
)

func TestUploadRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	data := pngBytes(t, 40, 30)
	m, err := lib.Upload(ctx, bytes.NewReader(data), "holiday.png")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	if m.ID == 0 || m.Mime != MIMEPNG || m.Size != int64(len(data)) || m.Width != 40 || m.Height != 30 ||
		m.SHA256 != hexSum || m.Key != "sha256/"+hexSum[:2]+"/"+hexSum || m.Filename != "holiday.png" {
		t.Fatalf("Upload = %+v", m)
	}
	if got := files(t, lib.dir); len(got) != 1 || got[0] != m.Key {
		t.Fatalf("files = %v, want [%s]", got, m.Key)
	}

	rc, got, err := lib.Open(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Open read %d bytes (err %v), want the %d uploaded", len(b), err, len(data))
	}
	if got.ID != m.ID || got.Mime != m.Mime || got.Width != 40 || got.Filename != "holiday.png" {
		t.Fatalf("Open record = %+v", got)
	}

	pm, err := lib.PlatformMedia(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pm.MIME != MIMEPNG || pm.Size != int64(len(data)) || !pm.IsImage() || pm.URL != "" {
		t.Fatalf("PlatformMedia = %+v", pm)
	}
	for range 2 { // each Open starts again from the beginning
		rc, err := pm.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, data) {
			t.Fatal("PlatformMedia.Open streamed other bytes")
		}
	}

	list, err := lib.List(ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("List = %v, %v", list, err)
	}
	if _, _, err := lib.Open(ctx, m.ID+100); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("Open(missing) = %v, want ENOTFOUND", err)
	}
}

func TestUploadKinds(t *testing.T) {
	t.Parallel()
	lib := newTestLib(t, Limits{})
	for _, tt := range []struct {
		name string
		data []byte
		mime string
		w, h int
	}{
		{"photo.jpg", jpegBytes(t, 21, 9), MIMEJPEG, 21, 9},
		{"anim.gif", gifBytes(t, 3, 4), MIMEGIF, 3, 4},
		{"pic.webp", webpVP8X(1080, 1920), MIMEWebP, 1080, 1920},
		{"clip.mp4", mp4Bytes("isom", 1000), MIMEMP4, 0, 0},
		{"clip.mov", mp4Bytes("qt  ", 1000), MIMEQuickTime, 0, 0},
	} {
		m, err := lib.Upload(t.Context(), bytes.NewReader(tt.data), tt.name)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if m.Mime != tt.mime || m.Width != tt.w || m.Height != tt.h || m.Size != int64(len(tt.data)) {
			t.Errorf("%s: got %+v", tt.name, m)
		}
	}
}

func TestUploadDedup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	data := jpegBytes(t, 16, 16)
	a, err := lib.Upload(ctx, bytes.NewReader(data), "a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, err := lib.Upload(ctx, bytes.NewReader(data), "b.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || b.Filename != "a.jpg" {
		t.Fatalf("second upload = %+v, want the first record %+v", b, a)
	}
	if f := files(t, lib.dir); len(f) != 1 {
		t.Fatalf("files = %v, want one", f)
	}
	// Concurrent uploads of the same bytes also end in one record.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			m, err := lib.Upload(ctx, bytes.NewReader(data), "c.jpg")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = m.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != a.ID {
			t.Fatalf("concurrent upload ids = %v, want all %d", ids, a.ID)
		}
	}
	if f := files(t, lib.dir); len(f) != 1 {
		t.Fatalf("files = %v, want one", f)
	}
}

// TestUploadNothingLeft covers the failure paths: each must leave the
// store's folder empty (no object, no temporary file) and record nothing.
func TestUploadNothingLeft(t *testing.T) {
	t.Parallel()
	bigPNG := pngBytes(t, 256, 256) // ~256 KiB of noise
	png := pngBytes(t, 32, 32)
	errBroken := errors.New("connection reset")
	tests := []struct {
		name   string
		limits Limits
		r      func() io.Reader
		code   string
		msg    string
		is     error
	}{
		{"reader fails midway", Limits{}, func() io.Reader {
			return &failingReader{r: bytes.NewReader(bigPNG[:len(bigPNG)/2]), err: errBroken}
		}, snsos.EINTERNAL, "", errBroken},
		{"reader fails in the head", Limits{}, func() io.Reader {
			return &failingReader{r: bytes.NewReader(bigPNG[:100]), err: errBroken}
		}, snsos.EINTERNAL, "", errBroken},
		{"oversize image", Limits{MaxImageBytes: 64 << 10}, func() io.Reader { return bytes.NewReader(bigPNG) },
			snsos.ETOOLARGE, "larger than the limit for images of 64 KiB", nil},
		{"image over the image limit though under the video limit", Limits{MaxImageBytes: 1000, MaxVideoBytes: 1 << 20}, func() io.Reader { return bytes.NewReader(png) },
			snsos.ETOOLARGE, "limit for images of 1000 bytes", nil},
		{"oversize video", Limits{MaxVideoBytes: 64 << 10}, func() io.Reader { return bytes.NewReader(mp4Bytes("isom", 100<<10)) },
			snsos.ETOOLARGE, "larger than the limit for videos of 64 KiB", nil},
		{"oversize before the type is known", Limits{MaxImageBytes: 100, MaxVideoBytes: 200}, func() io.Reader { return strings.NewReader(strings.Repeat("x", 300)) },
			snsos.ETOOLARGE, "larger than the upload limit of 200 bytes", nil},
		{"oversize unknown type within the limit sniffs as unsupported", Limits{MaxImageBytes: 100, MaxVideoBytes: 1000}, func() io.Reader { return strings.NewReader(strings.Repeat("x", 300)) },
			snsos.EINVALID, "unsupported file type: text/plain", nil},
		{"empty", Limits{}, func() io.Reader { return strings.NewReader("") }, snsos.EINVALID, "the file is empty", nil},
		{"unsupported", Limits{}, func() io.Reader { return strings.NewReader("%PDF-1.4 …") }, snsos.EINVALID, "unsupported file type: application/pdf", nil},
		{"truncated png", Limits{}, func() io.Reader { return bytes.NewReader(bigPNG[:len(bigPNG)-1000]) }, snsos.EINVALID, "image/png file is truncated", nil},
		{"png bomb", Limits{}, func() io.Reader { return bytes.NewReader(pngHeaderOnly(100000, 100000)) }, snsos.ETOOLARGE, "more than the limit of 100 megapixels", nil},
		{"truncated mp4", Limits{}, func() io.Reader { return bytes.NewReader(mp4Bytes("isom", 1000)[:900]) }, snsos.EINVALID, "video/mp4 file is truncated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lib := newTestLib(t, tt.limits)
			m, err := lib.Upload(t.Context(), tt.r(), "x.png")
			if err == nil {
				t.Fatalf("Upload = %+v, want an error", m)
			}
			assertCode(t, err, tt.code)
			if msg := snsos.ErrorMessage(err); tt.msg != "" && !contains(msg, tt.msg) {
				t.Fatalf("message %q does not contain %q", msg, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want it to wrap %v", err, tt.is)
			}
			assertEmpty(t, lib.dir)
			if list, _ := lib.List(t.Context(), 10); len(list) != 0 {
				t.Fatalf("records left: %v", list)
			}
		})
	}
}

// TestUploadUnsupportedReadsOnlyTheHead checks that a file of an unknown
// type is refused after its first SniffLen bytes, not after reading it all.
func TestUploadUnsupportedReadsOnlyTheHead(t *testing.T) {
	t.Parallel()
	lib := newTestLib(t, Limits{})
	r := &countingReader{r: io.LimitReader(patternReader{}, 10<<20)}
	_, err := lib.Upload(t.Context(), r, "x.bin")
	assertCode(t, err, snsos.EINVALID)
	if r.n > SniffLen {
		t.Fatalf("read %d bytes of an unsupported file", r.n)
	}
}

// TestUploadFailureKeepsExistingFile checks that a failed upload does not
// delete a stored file it did not create.
func TestUploadFailureKeepsExistingFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	data := mp4Bytes("isom", 1000)[:900] // truncated: the probe refuses it
	key, _, _, err := lib.disk.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Upload(ctx, bytes.NewReader(data), "x.mp4"); !snsos.IsCode(err, snsos.EINVALID) {
		t.Fatalf("Upload = %v, want EINVALID", err)
	}
	if f := files(t, lib.dir); len(f) != 1 || f[0] != key {
		t.Fatalf("files = %v, want the pre-existing %s", f, key)
	}
}

func TestUploadMislabelled(t *testing.T) {
	t.Parallel()
	lib := newTestLib(t, Limits{})
	m, err := lib.Upload(t.Context(), bytes.NewReader(pngBytes(t, 8, 8)), "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if m.Mime != MIMEPNG || m.Filename != "photo.jpg" {
		t.Fatalf("Upload = %+v, want image/png named photo.jpg", m)
	}
}

func TestUploadPathTraversalName(t *testing.T) {
	t.Parallel()
	lib := newTestLib(t, Limits{})
	parent := filepath.Dir(lib.dir)
	before := files(t, parent)
	m, err := lib.Upload(t.Context(), bytes.NewReader(pngBytes(t, 8, 8)), "../../etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if m.Filename != "passwd" {
		t.Fatalf("Filename = %q, want passwd", m.Filename)
	}
	if f := files(t, lib.dir); len(f) != 1 || f[0] != m.Key || strings.Contains(m.Key, "passwd") {
		t.Fatalf("files = %v, want only %s", f, m.Key)
	}
	if after := files(t, parent); len(after) != len(before)+1 {
		t.Fatalf("files around the store changed: %v → %v", before, after)
	}
}

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200) + ".jpeg" // 405 bytes
	tests := []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\Desktop\cat.png`, "cat.png"},
		{"dir/", ""},
		{"..", ""},
		{".", ""},
		{"  spaced name.png ", "spaced name.png"},
		{"bell\a\x00tab\t\nname\x7f.png", "belltabname.png"},
		{"photo\u202egpj.exe", "photogpj.exe"},
		{"bad\xffutf8.png", "badutf8.png"},
		{"日本語の写真.jpg", "日本語の写真.jpg"},
		{long, strings.Repeat("é", 125) + ".jpeg"},
		{strings.Repeat("a", 300), strings.Repeat("a", 255)},
		{strings.Repeat("a", 250) + "." + strings.Repeat("b", 40), strings.Repeat("a", 250) + "." + strings.Repeat("b", 4)},
	}
	for _, tt := range tests {
		got := SanitizeFilename(tt.in)
		if got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > MaxFilenameBytes {
			t.Errorf("SanitizeFilename(%q) is %d bytes", tt.in, len(got))
		}
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	used, err := lib.Upload(ctx, bytes.NewReader(pngBytes(t, 9, 9)), "used.png")
	if err != nil {
		t.Fatal(err)
	}
	free, err := lib.Upload(ctx, bytes.NewReader(gifBytes(t, 9, 9)), "free.gif")
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.db.CreatePost(ctx, &snsos.Post{Body: "hello", MediaIDs: []int64{used.ID}}, nil); err != nil {
		t.Fatal(err)
	}

	assertCode(t, lib.Delete(ctx, used.ID), snsos.ECONFLICT)
	if _, err := lib.Get(ctx, used.ID); err != nil {
		t.Fatalf("record of used media: %v", err)
	}
	if _, err := lib.disk.Stat(ctx, used.Key); err != nil {
		t.Fatalf("file of used media: %v", err)
	}

	if err := lib.Delete(ctx, free.ID); err != nil {
		t.Fatal(err)
	}
	assertCode(t, lib.Delete(ctx, free.ID), snsos.ENOTFOUND)
	if _, err := lib.disk.Stat(ctx, free.Key); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("file of deleted media: Stat = %v, want ENOTFOUND", err)
	}
	if f := files(t, lib.dir); len(f) != 1 || f[0] != used.Key {
		t.Fatalf("files = %v, want only %s", f, used.Key)
	}

	// Uploading the deleted content again stores and records it afresh.
	again, err := lib.Upload(ctx, bytes.NewReader(gifBytes(t, 9, 9)), "again.gif")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == free.ID || again.Key != free.Key {
		t.Fatalf("re-upload = %+v", again)
	}
	if _, err := lib.disk.Stat(ctx, again.Key); err != nil {
		t.Fatal(err)
	}
}

// TestUploadDeleteRace runs uploads and deletions of the same content
// together: whatever the interleaving, every record left must have its
// file.
func TestUploadDeleteRace(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	data := pngBytes(t, 12, 12)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				m, err := lib.Upload(ctx, bytes.NewReader(data), "r.png")
				if err != nil {
					t.Error(err)
					return
				}
				if err := lib.Delete(ctx, m.ID); err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	list, err := lib.List(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if _, err := lib.disk.Stat(ctx, m.Key); err != nil {
			t.Fatalf("record %d has no file: %v", m.ID, err)
		}
	}
	if len(list) == 0 {
		assertEmptyObjects(t, lib.dir)
	}
}

func assertEmptyObjects(t *testing.T, dir string) {
	t.Helper()
	for _, f := range files(t, dir) {
		t.Errorf("file left behind: %s", f)
	}
}

// TestUploadMemory streams a 64 MiB video through Upload and checks that
// the heap does not grow with it.
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	// Not parallel: the figures would include other tests' allocations.
	lib := newTestLib(t, Limits{})
	const n = 64 << 20
	r, size := mp4Stream(n)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := lib.Upload(context.Background(), r, "big.mp4")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if m.Size != size || m.Mime != MIMEMP4 {
		t.Fatalf("Upload = %+v", m)
	}
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("64 MiB upload: heap grew by %.2f MiB (HeapAlloc %d → %d), %.2f MiB allocated in all, heap reserved from the OS %.2f MiB",
		float64(growth)/(1<<20), before.HeapAlloc, after.HeapAlloc, float64(allocated)/(1<<20), float64(after.HeapSys)/(1<<20))
	if growth > 32<<20 {
		t.Fatalf("heap grew by %d bytes for a %d-byte upload", growth, size)
	}
	if allocated > 32<<20 {
		t.Fatalf("upload allocated %d bytes for a %d-byte upload: it is being buffered", allocated, size)
	}
	if fi, err := os.Stat(filepath.Join(lib.dir, filepath.FromSlash(m.Key))); err != nil || fi.Size() != size {
		t.Fatalf("stored file: %v, %v", fi, err)
	}
}
