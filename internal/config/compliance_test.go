package config

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// TestComplianceSettings: the callbacks' window and the purge window have
// defaults and bounds; META_APP_SECRET is kept beside the per-platform app
// secrets it stands in for, and masked.
func TestComplianceSettings(t *testing.T) {
	t.Parallel()
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SignedRequestMaxAge != time.Hour || c.DeletionWindow != 30*24*time.Hour {
		t.Fatalf("defaults: max age %s, window %s", c.SignedRequestMaxAge, c.DeletionWindow)
	}
	c, err = load(t, map[string]string{"SNSOS_SIGNED_REQUEST_MAX_AGE": "10m", "SNSOS_DELETION_WINDOW": "0s",
		"META_APP_SECRET": "meta-secret-1", "SNSOS_THREADS_APP_SECRET": "threads-secret-2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SignedRequestMaxAge != 10*time.Minute || c.DeletionWindow != 0 || c.MetaAppSecret != "meta-secret-1" ||
		c.Platforms[snsos.PlatformInstagram].AppSecret != "meta-secret-1" || c.Platforms[snsos.PlatformThreads].AppSecret != "threads-secret-2" {
		t.Fatalf("loaded: %s %s %q %q %q", c.SignedRequestMaxAge, c.DeletionWindow, c.MetaAppSecret.Reveal(),
			c.Platforms[snsos.PlatformInstagram].AppSecret.Reveal(), c.Platforms[snsos.PlatformThreads].AppSecret.Reveal())
	}
	var out bytes.Buffer
	c.Dump(&out)
	if strings.Contains(out.String(), "secret-") {
		t.Fatalf("dump shows an app secret:\n%s", out.String())
	}
	for env, val := range map[string]string{"SNSOS_DELETION_WINDOW": "721h", "SNSOS_SIGNED_REQUEST_MAX_AGE": "1s"} {
		if _, err := load(t, map[string]string{env: val}); err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%s: %v", env, val, err)
		}
	}
}
