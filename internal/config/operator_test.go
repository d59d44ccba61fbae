package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOperatorSettings: who runs the server, their address and the
// governing law come from the environment over the config file, the
// address is kept bare, and bad values are refused with the setting named.
func TestOperatorSettings(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "snsos.env")
	os.WriteFile(file, []byte("SNSOS_OPERATOR_NAME=File Name\nSNSOS_JURISDICTION=Japan\n"), 0o600)
	c, err := load(t, map[string]string{"SNSOS_CONFIG": file, "SNSOS_OPERATOR_NAME": "Hanako Sato",
		"SNSOS_OPERATOR_EMAIL": "Hanako <privacy@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.OperatorName != "Hanako Sato" || c.OperatorEmail != "privacy@example.com" || c.Jurisdiction != "Japan" {
		t.Fatalf("operator settings: %q %q %q", c.OperatorName, c.OperatorEmail, c.Jurisdiction)
	}
	for env, want := range map[string]string{
		"SNSOS_OPERATOR_EMAIL": "SNSOS_OPERATOR_EMAIL: \"not an address\" is not one email address",
		"SNSOS_OPERATOR_NAME":  "SNSOS_OPERATOR_NAME: must be one line",
		"SNSOS_JURISDICTION":   "SNSOS_JURISDICTION: must be one line",
	} {
		v := "two\nlines"
		if env == "SNSOS_OPERATOR_EMAIL" {
			v = "not an address"
		}
		c, err := load(t, map[string]string{env: v})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%q: %v, want %q", env, v, err, want)
		}
	}
}
