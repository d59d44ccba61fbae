package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func load(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(f, envOf(env))
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.PublicURL != "http://127.0.0.1:8080" || c.Timezone != "Asia/Tokyo" || c.LogFormat != "text" {
		t.Fatalf("defaults: %+v", c)
	}
	want := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	if len(c.Checkpoints) != 3 || c.Checkpoints[0] != want[0] || c.Checkpoints[2] != want[2] {
		t.Fatalf("checkpoints %v", c.Checkpoints)
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "snsos.env")
	os.WriteFile(file, []byte("# comment\nSNSOS_ADDR=127.0.0.1:7000\nexport SNSOS_LOG_FORMAT=\"json\"\nSNSOS_TIMEZONE=UTC\n"), 0o600)
	c, err := load(t, map[string]string{"SNSOS_CONFIG": file, "SNSOS_ADDR": "127.0.0.1:7001", "SNSOS_LOG_LEVEL": "debug"}, "--addr", "127.0.0.1:7002")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7002" || c.LogFormat != "json" || c.Timezone != "UTC" || c.LogLevel != "debug" {
		t.Fatalf("precedence: addr=%s format=%s tz=%s level=%s", c.Addr, c.LogFormat, c.Timezone, c.LogLevel)
	}
	var out bytes.Buffer
	c.Dump(&out)
	for _, want := range []string{"SNSOS_ADDR=127.0.0.1:7002\t# flag --addr", "SNSOS_LOG_FORMAT=json\t# file", "SNSOS_LOG_LEVEL=debug\t# env"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSecretsFromFilesAndMasked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "tok")
	os.WriteFile(tokFile, []byte("api-token-from-file-0123456789\n"), 0o600)
	c, err := load(t, map[string]string{
		"SNSOS_API_TOKEN_FILE":      tokFile,
		"SNSOS_X_CLIENT_SECRET":     "x-client-secret-abcdef",
		"META_APP_SECRET":           "meta-app-secret-123456",
		"SNSOS_DATABASE_URL":        "postgres://snsos:db-password-999@db.internal:5432/snsos",
		"SNSOS_ARCHIVE_REMOTE":      "https://ghp_archivetoken777@github.example/me/archive.git",
		"SNSOS_THREADS_APP_SECRET":  "threads-own-secret-42",
		"SNSOS_INSTAGRAM_CLIENT_ID": "ig-client",
		"SNSOS_X_BASE_URL":          "http://127.0.0.1:9/sim/x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.APIToken.Reveal() != "api-token-from-file-0123456789" {
		t.Fatalf("token from file = %q", c.APIToken.Reveal())
	}
	if c.Platforms["instagram"].AppSecret.Reveal() != "meta-app-secret-123456" || c.Platforms["threads"].AppSecret.Reveal() != "threads-own-secret-42" {
		t.Fatal("META_APP_SECRET fallback wrong")
	}
	var out bytes.Buffer
	c.Dump(&out)
	for _, s := range []string{"api-token-from-file", "x-client-secret-abcdef", "meta-app-secret", "db-password-999", "ghp_archivetoken777", "threads-own-secret"} {
		if strings.Contains(out.String(), s) {
			t.Fatalf("dump shows %q:\n%s", s, out.String())
		}
	}
	if !strings.Contains(out.String(), "SNSOS_INSTAGRAM_CLIENT_ID=ig-client") || !strings.Contains(out.String(), "db.internal:5432") {
		t.Fatalf("dump lost plain values:\n%s", out.String())
	}
	if strings.Contains(c.APIToken.String(), "api-token") {
		t.Fatal("Secret.String shows the value")
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"addr", map[string]string{"SNSOS_ADDR": "localhost"}, "SNSOS_ADDR"},
		{"db url", map[string]string{"SNSOS_DATABASE_URL": "mysql://x"}, "SNSOS_DATABASE_URL"},
		{"public url", map[string]string{"SNSOS_PUBLIC_URL": "sns.example.com"}, "SNSOS_PUBLIC_URL"},
		{"timezone", map[string]string{"SNSOS_TIMEZONE": "Mars/Olympus"}, "SNSOS_TIMEZONE"},
		{"checkpoints", map[string]string{"SNSOS_CHECKPOINTS": "1h,soon"}, "SNSOS_CHECKPOINTS"},
		{"negative checkpoint", map[string]string{"SNSOS_CHECKPOINTS": "-1h"}, "SNSOS_CHECKPOINTS"},
		{"log format", map[string]string{"SNSOS_LOG_FORMAT": "xml"}, "SNSOS_LOG_FORMAT"},
		{"short master key", map[string]string{"SNSOS_MASTER_KEY": "c2hvcnQ="}, "SNSOS_MASTER_KEY"},
		{"garbage master key", map[string]string{"SNSOS_MASTER_KEY": "!!not a key!!"}, "SNSOS_MASTER_KEY"},
		{"bad old key", map[string]string{"SNSOS_MASTER_KEY_OLD": "abc"}, "SNSOS_MASTER_KEY_OLD"},
		{"short api token", map[string]string{"SNSOS_API_TOKEN": "short"}, "SNSOS_API_TOKEN"},
		{"base url", map[string]string{"SNSOS_TIKTOK_BASE_URL": "ftp://x"}, "SNSOS_TIKTOK_BASE_URL"},
		{"shutdown", map[string]string{"SNSOS_SHUTDOWN_TIMEOUT": "-5s"}, "SNSOS_SHUTDOWN_TIMEOUT"},
		{"s3 without bucket", map[string]string{"SNSOS_S3_ENDPOINT": "acct.r2.cloudflarestorage.com", "SNSOS_S3_ACCESS_KEY": "k", "SNSOS_S3_SECRET_KEY": "s"}, "SNSOS_S3_BUCKET"},
		{"s3 with scheme", map[string]string{"SNSOS_S3_ENDPOINT": "https://acct.r2.cloudflarestorage.com", "SNSOS_S3_BUCKET": "b", "SNSOS_S3_ACCESS_KEY": "k", "SNSOS_S3_SECRET_KEY": "s"}, "SNSOS_S3_ENDPOINT"},
		{"s3 without keys", map[string]string{"SNSOS_S3_ENDPOINT": "acct.r2.cloudflarestorage.com", "SNSOS_S3_BUCKET": "b"}, "SNSOS_S3_ACCESS_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(t, tt.env)
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one naming %s", err, tt.want)
			}
			for _, v := range tt.env {
				if strings.Contains(tt.want, "KEY") && strings.Contains(err.Error(), v) {
					t.Fatalf("error echoes the secret: %v", err)
				}
			}
		})
	}
	// Load-time errors.
	dir := t.TempDir()
	loadErrs := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"both value and file", map[string]string{"SNSOS_API_TOKEN": "x", "SNSOS_API_TOKEN_FILE": "/etc/hostname"}, "both set"},
		{"missing secret file", map[string]string{"SNSOS_MASTER_KEY_FILE": filepath.Join(dir, "nope")}, "SNSOS_MASTER_KEY_FILE"},
		{"missing config file", map[string]string{"SNSOS_CONFIG": filepath.Join(dir, "nope.env")}, "config file"},
		{"bad duration", map[string]string{"SNSOS_SHUTDOWN_TIMEOUT": "soon"}, "SNSOS_SHUTDOWN_TIMEOUT"},
	}
	bad := filepath.Join(dir, "bad.env")
	os.WriteFile(bad, []byte("SNSOS_ADDR=1\nNOT_A_SETTING=2\n"), 0o600)
	loadErrs = append(loadErrs, struct {
		name string
		env  map[string]string
		want string
	}{"unknown key in file", map[string]string{"SNSOS_CONFIG": bad}, "line 2: unknown setting NOT_A_SETTING"})
	for _, tt := range loadErrs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                   "",
		"postgres://u:pw@h/db":               "postgres://u:xxxxx@h/db",
		"https://tok@github.com/a/b.git":     "https://xxxxx@github.com/a/b.git",
		"git@github.com:me/archive.git":      "git@github.com:me/archive.git",
		"postgres://h/db?password=secret123": "postgres://h/db?password=xxxxx",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPlainHTTPOnlyOnLoopback: an http:// public URL is refused when the
// server listens on an address other hosts can reach.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr, public string
		ok           bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"localhost:8080", "http://localhost:8080", true},
		{"[::1]:8080", "http://[::1]:8080", true},
		{"0.0.0.0:8080", "https://sns.example.com", true},
		{"0.0.0.0:8080", "http://sns.example.com", false},
		{":8080", "http://sns.example.com", false},
		{"192.0.2.10:8080", "http://192.0.2.10:8080", false},
		{"[::]:8080", "http://sns.example.com", false},
	} {
		c, err := load(t, map[string]string{"SNSOS_ADDR": tc.addr, "SNSOS_PUBLIC_URL": tc.public, "SNSOS_DATA_DIR": t.TempDir()})
		if err == nil {
			err = c.Validate()
		}
		if (err == nil) != tc.ok {
			t.Errorf("addr %s, public URL %s: %v", tc.addr, tc.public, err)
		} else if err != nil && !strings.Contains(err.Error(), "SNSOS_PUBLIC_URL") {
			t.Errorf("addr %s: error does not name the setting: %v", tc.addr, err)
		}
	}
}

// TestDumpMasksConnectionStrings: `sns-os config` prints the settings
// before it validates them, so a database URL in a form Validate refuses
// (pgx's key=value connection string) or with its password in another
// query parameter must still not show the password.
func TestDumpMasksConnectionStrings(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"host=db user=u password=kv-pw-4411 dbname=x": "SNSOS_DATABASE_URL=[REDACTED]",
		"postgres://u@h/db?sslpassword=ssl-pw-4411":   "SNSOS_DATABASE_URL=postgres://u@h/db?sslpassword=xxxxx",
		"postgres://h/db?PASSWORD=up-pw-4411&x=1":     "SNSOS_DATABASE_URL=postgres://h/db?PASSWORD=xxxxx&x=1",
		"/var/lib/snsos/archive.git":                  "", // no secret: shown as is (archive remote below)
	} {
		env := map[string]string{"SNSOS_DATABASE_URL": in}
		if want == "" {
			env = map[string]string{"SNSOS_ARCHIVE_REMOTE": in}
			want = "SNSOS_ARCHIVE_REMOTE=" + in
		}
		c, err := load(t, env)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := c.Dump(&out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "4411") {
			t.Errorf("dump of %q shows the password:\n%s", in, out.String())
		}
		if !strings.Contains(out.String(), want+"\t") {
			t.Errorf("dump of %q lacks %q:\n%s", in, want, out.String())
		}
	}
}

// TestAlertSettingsCheckedLikeTheChannels: Validate checks the alert
// settings with the alert channels' own parsers, so a setting that would
// stop the server at startup (a bad SMTP port) is refused by `sns-os
// config` first, still without quoting the password.
func TestAlertSettingsCheckedLikeTheChannels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SNSOS_SMTP_URL": "smtp://u:port-pw-5521@mail.example.com:0", "SNSOS_ALERT_EMAIL_FROM": "a@example.com",
			"SNSOS_ALERT_EMAIL_TO": "b@example.com"}, "SNSOS_SMTP_URL: has a bad port"},
		{map[string]string{"SNSOS_SMTP_URL": "smtp://u:port-pw-5521@mail.example.com", "SNSOS_ALERT_EMAIL_FROM": "a@example.com, c@example.com",
			"SNSOS_ALERT_EMAIL_TO": "b@example.com"}, "SNSOS_ALERT_EMAIL_FROM: give one address"},
		{map[string]string{"SNSOS_SMTP_URL": "smtp://u:port-pw-5521@mail.example.com", "SNSOS_ALERT_EMAIL_FROM": "a@example.com",
			"SNSOS_ALERT_EMAIL_TO": " , "}, "SNSOS_ALERT_EMAIL_TO: is required"},
		{map[string]string{"SNSOS_ALERT_WEBHOOK_URL": "https://u:port-pw-5521@hooks.example.com/x"}, "SNSOS_ALERT_WEBHOOK_URL: must not carry user info"},
		{map[string]string{"SNSOS_ALERT_WEBHOOK_URL": "ftp://hooks.example.com/x"}, "SNSOS_ALERT_WEBHOOK_URL: is not an absolute http(s) URL"},
	} {
		c, err := load(t, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: Validate = %v, want %q", tc.env, err, tc.want)
		} else if strings.Contains(err.Error(), "5521") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	c, err := load(t, map[string]string{"SNSOS_SMTP_URL": "smtps://mail.example.com:465", "SNSOS_ALERT_EMAIL_FROM": "Ops <a@example.com>",
		"SNSOS_ALERT_EMAIL_TO": "b@example.com, c@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid alert email: %v", err)
	}
}
