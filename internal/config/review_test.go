package config

import (
	"bytes"
	"strings"
	"testing"
)

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
