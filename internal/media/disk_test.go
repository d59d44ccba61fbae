package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

func TestDisk(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("any bytes at all: the store does not look at them")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	key, gotSum, size, err := d.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if gotSum != want || key != KeyFor(want) || size != int64(len(data)) {
		t.Fatalf("Put = %q %q %d", key, gotSum, size)
	}
	p := filepath.Join(dir, "sha256", want[:2], want)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}

	// The same content again is a no-op: the file is not rewritten.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if key2, _, _, err := d.Put(ctx, bytes.NewReader(data)); err != nil || key2 != key {
		t.Fatalf("second Put = %q, %v", key2, err)
	}
	if fi, _ := os.Stat(p); !fi.ModTime().Equal(old) {
		t.Errorf("second Put rewrote the file")
	}
	if f := files(t, dir); len(f) != 1 {
		t.Fatalf("files = %v", f)
	}

	if n, err := d.Stat(ctx, key); err != nil || n != int64(len(data)) {
		t.Fatalf("Stat = %d, %v", n, err)
	}
	rc, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.(io.ReaderAt); !ok {
		t.Error("Open's stream is not an io.ReaderAt")
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, data) {
		t.Fatal("Open read other bytes")
	}

	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("second Delete = %v, want nil", err)
	}
	if _, err := d.Stat(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("Stat after Delete = %v", err)
	}
	if _, err := d.Open(ctx, key); !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("Open after Delete = %v", err)
	}
}

func TestDiskRejectsBadKeys(t *testing.T) {
	t.Parallel()
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum := hex.EncodeToString(make([]byte, 32))
	for _, key := range []string{
		"", "../../etc/passwd", "sha256/00/../../x", "sha256/" + sum, "sha256/11/" + sum,
		"sha256/00/" + sum + "/", "/sha256/00/" + sum, "SHA256/00/" + sum, "sha256/AB/AB" + sum[2:],
	} {
		if _, err := d.Open(t.Context(), key); !snsos.IsCode(err, snsos.EINVALID) {
			t.Errorf("Open(%q) = %v, want EINVALID", key, err)
		}
		if err := d.Delete(t.Context(), key); !snsos.IsCode(err, snsos.EINVALID) {
			t.Errorf("Delete(%q) = %v, want EINVALID", key, err)
		}
	}
	if KeyFor("abc") != "" {
		t.Error("KeyFor accepted a short hash")
	}
}

func TestDiskPutFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &failingReader{r: io.LimitReader(patternReader{}, 1<<20), err: io.ErrUnexpectedEOF}
	if _, _, _, err := d.Put(t.Context(), r); err != io.ErrUnexpectedEOF {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	assertEmpty(t, dir)

	ctx, cancel := contextWithCancel(t)
	cancel()
	if _, _, _, err := d.Put(ctx, bytes.NewReader([]byte("x"))); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	assertEmpty(t, dir)
}

func TestNewDiskRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, tempDir, "put-stale"), filepath.Join(dir, tempDir, "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	if _, err := NewDisk(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temporary file removed")
	}
}
