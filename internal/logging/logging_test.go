package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
)

// TestSecretsNeverLogged pushes known secret values through every logging
// path we have and checks none reaches the output.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	const (
		tok       = "AAAAtok3n-Value-9f8e7d6c5b4a"
		refresh   = "RRRRrefresh-Value-1a2b3c4d"
		masterKey = "bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk="
		clientSec = "client-secret-value-42xyz"
	)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			r := NewRedactor()
			r.Add(masterKey, clientSec)
			log := New(&buf, format, "debug", r)
			u, _ := url.Parse("https://api.example.com/cb?code=" + tok + "&state=abc")
			log.Info("secret typed value", "cred", snsos.Secret(tok))
			log.Info("struct with secret", "c", snsos.Credential{AccessToken: tok, RefreshToken: refresh})
			log.Info("named attrs", "access_token", tok, "refresh_token", refresh, "Authorization", "Bearer "+tok, "cookie", "session="+tok, "client_secret", clientSec)
			log.Info("error with header", "err", errors.New("request failed: Authorization: Bearer "+tok))
			log.Info("error with form", "err", fmt.Errorf("token endpoint: body refresh_token=%s&grant_type=refresh_token", refresh))
			log.Info("json body", "body", `{"access_token":"`+tok+`","expires_in":7200}`)
			log.Info("url", "url", u.String())
			log.Info("registered literal", "detail", "key is "+masterKey, "other", clientSec)
			log.With("access_token", tok).WithGroup("g").Info("with attrs", "token", tok)
			log.Info("message leaks " + "Bearer " + tok)
			log.Debug("bytes", "raw", []byte("access_token="+tok))
			out := buf.String()
			for _, s := range []string{tok, refresh, masterKey, clientSec} {
				if strings.Contains(out, s) {
					t.Fatalf("secret %q in %s log output:\n%s", s, format, out)
				}
			}
			if !strings.Contains(out, snsos.Mask) || !strings.Contains(out, "state=abc") {
				t.Fatalf("output lost its non-secret parts:\n%s", out)
			}
		})
	}
}

func TestSecretKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"token": true, "access_token": true, "X.client_secret": true, "Authorization": true, "password": true,
		"account_id": false, "platform": false, "token_type_hint_count": false, "path": false,
	} {
		if got := SecretKey(key); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, "json", "warn", nil)
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Fatalf("levels: %s", buf.String())
	}
	_ = slog.LevelWarn
}

// The scheme words mask what follows them only as a scheme: a scope list
// that ends a word in "basic" keeps its next scope.
func TestRedactSchemes(t *testing.T) {
	r := NewRedactor()
	for in, want := range map[string]string{
		"Authorization: Bearer abcdef123456":                 "Authorization: Bearer " + snsos.Mask,
		"basic dXNlcjpwYXNzd29yZA==":                         "basic " + snsos.Mask,
		"(Basic dXNlcjpwYXNzd29yZA==)":                       "(Basic " + snsos.Mask + ")",
		"scopes user.info.basic video.upload":                "scopes user.info.basic video.upload",
		"scopes instagram_business_basic instagram_business": "scopes instagram_business_basic instagram_business",
		"threads_basic,threads_content_publish":              "threads_basic,threads_content_publish",
	} {
		if got := r.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
