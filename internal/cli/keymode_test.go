package cli

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/logging"
	"github.com/sns-os/snsos/internal/secret"
)

// TestKeyFileModeWarning: a master key file others may read is named in a
// warning at start; a 0600 one is not.
func TestKeyFileModeWarning(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := loadKeys(cfg, log, logging.NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "readable by other users") {
		t.Fatalf("warning for a 0600 key file:\n%s", logs.String())
	}
	if err := os.Chmod(filepath.Join(dir, secret.KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	if _, err := loadKeys(cfg, log, logging.NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "readable by other users") || !strings.Contains(logs.String(), "mode=0644") {
		t.Fatalf("no warning for a 0644 key file:\n%s", logs.String())
	}
}
