package cli

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/config"
)

// TestArchiveCAFile: SNSOS_ARCHIVE_CA_FILE unset is no bundle; a file that
// cannot be read or holds no certificate is an error naming the setting,
// never a silent fallback; a PEM certificate is handed to the pushes.
func TestArchiveCAFile(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{}
	if b, err := archiveCABundle(cfg); b != nil || err != nil {
		t.Fatalf("unset: %v, %v", b, err)
	}
	cfg.Archive.CAFile = filepath.Join(dir, "missing.pem")
	if _, err := archiveCABundle(cfg); err == nil || !strings.Contains(err.Error(), "SNSOS_ARCHIVE_CA_FILE") {
		t.Fatalf("missing file: %v", err)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate\n"), 0o600)
	cfg.Archive.CAFile = junk
	if _, err := archiveCABundle(cfg); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Fatalf("junk file: %v", err)
	}
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	good := filepath.Join(dir, "ca.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	cfg.Archive.CAFile = good
	if b, err := archiveCABundle(cfg); err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("good file: %v", err)
	}
}
