package config

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

func TestAlertSettings(t *testing.T) {
	t.Parallel()
	c, err := load(t, map[string]string{
		"SNSOS_SMTP_URL":             "smtp://op:smtp-pw-77@mail.example.com:587",
		"SNSOS_ALERT_EMAIL_FROM":     "sns-os@example.com",
		"SNSOS_ALERT_EMAIL_TO":       "op@example.com, Second <b@example.com>",
		"SNSOS_ALERT_WEBHOOK_URL":    "https://hooks.example.com/services/T0/B0/hooktoken-55",
		"SNSOS_ALERT_WEBHOOK_SECRET": "whsec-3391",
		"SNSOS_TRUSTED_PROXIES":      "10.0.0.0/8, 127.0.0.1,::1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	if len(c.TrustedProxies) != 3 || c.TrustedProxies[0] != want[0] || c.TrustedProxies[1] != want[1] || c.TrustedProxies[2] != want[2] {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
	var out bytes.Buffer
	c.Dump(&out)
	for _, leak := range []string{"smtp-pw-77", "whsec-3391", "hooktoken-55", "mail.example.com:587"} {
		if strings.Contains(out.String(), leak) {
			t.Errorf("dump shows %q:\n%s", leak, out.String())
		}
	}
	for _, w := range []string{"SNSOS_ALERT_WEBHOOK_URL=https://hooks.example.com/…", "SNSOS_ALERT_EMAIL_TO=op@example.com, Second <b@example.com>",
		"SNSOS_TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1,::1"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("dump lacks %q:\n%s", w, out.String())
		}
	}
}

func TestAlertSettingsBad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SNSOS_SMTP_URL": "mail.example.com:25", "SNSOS_ALERT_EMAIL_FROM": "a@example.com", "SNSOS_ALERT_EMAIL_TO": "b@example.com"},
			"SNSOS_SMTP_URL: must start with smtp://"},
		{map[string]string{"SNSOS_SMTP_URL": "smtp://u:p@mail.example.com", "SNSOS_ALERT_EMAIL_TO": "b@example.com"},
			"SNSOS_ALERT_EMAIL_FROM: is required"},
		{map[string]string{"SNSOS_SMTP_URL": "smtps://mail.example.com", "SNSOS_ALERT_EMAIL_FROM": "a@example.com", "SNSOS_ALERT_EMAIL_TO": "nobody"},
			`SNSOS_ALERT_EMAIL_TO: "nobody" is not an email address`},
		{map[string]string{"SNSOS_ALERT_EMAIL_TO": "b@example.com"}, "SNSOS_SMTP_URL: is required for alert email"},
		{map[string]string{"SNSOS_ALERT_WEBHOOK_URL": "http://hooks.example.com/x"}, "SNSOS_ALERT_WEBHOOK_URL: must be https://"},
		{map[string]string{"SNSOS_ALERT_WEBHOOK_SECRET": "s"}, "SNSOS_ALERT_WEBHOOK_SECRET: is set but SNSOS_ALERT_WEBHOOK_URL is not"},
	} {
		c, err := load(t, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: Validate = %v, want %q", tc.env, err, tc.want)
		} else if strings.Contains(err.Error(), "u:p@") {
			t.Errorf("error shows the SMTP password: %v", err)
		}
	}
	if _, err := load(t, map[string]string{"SNSOS_TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip"}); err == nil ||
		!strings.Contains(err.Error(), `SNSOS_TRUSTED_PROXIES="10.0.0.0/8,not-an-ip": "not-an-ip" is not an IP address`) {
		t.Errorf("bad proxies: %v", err)
	}
	// A webhook to a loopback host may be plain http.
	c, _ := load(t, map[string]string{"SNSOS_ALERT_WEBHOOK_URL": "http://127.0.0.1:9000/hook"})
	if err := c.Validate(); err != nil {
		t.Errorf("loopback webhook: %v", err)
	}
}
