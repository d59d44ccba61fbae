package cli

import (
	"testing"

	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestPolicyArchiveFacts: the policy says the archive is on, and where,
// exactly when it is configured: the remote's host without its user, or
// this server's host when the copy stays here.
func TestPolicyArchiveFacts(t *testing.T) {
	t.Parallel()
	st := storetest.New(t, store.SQLite).Store
	for _, tt := range []struct {
		name string
		env  map[string]string
		on   bool
		host string
	}{
		{"off", nil, false, ""},
		{"https remote", map[string]string{"SNSOS_ARCHIVE_REMOTE": "https://me@git.example.com/me/archive.git"}, true, "git.example.com"},
		{"ssh remote", map[string]string{"SNSOS_ARCHIVE_REMOTE": "ssh://git@github.com/me/archive.git"}, true, "github.com"},
		{"local only", map[string]string{"SNSOS_ARCHIVE_DIR": "/var/lib/snsos/archive"}, true, "sns.example.com"},
		{"file remote", map[string]string{"SNSOS_ARCHIVE_REMOTE": "file:///srv/archive.git"}, true, "sns.example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(nil, func(k string) string {
				if k == "SNSOS_PUBLIC_URL" {
					return "https://sns.example.com"
				}
				return tt.env[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			f := policyFacts(cfg, st, nil, cfg.Platforms, collect.Checkpoints(nil))
			if f.Archive != tt.on || f.ArchiveHost != tt.host {
				t.Fatalf("archive %v at %q, want %v at %q", f.Archive, f.ArchiveHost, tt.on, tt.host)
			}
		})
	}
}
