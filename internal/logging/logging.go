// Package logging builds sns-os's slog logger and keeps secrets out of it.
//
// Three layers of defence, so that no single mistake leaks a token:
//   - values of type snsos.Secret log as a mask (they implement LogValuer);
//   - attributes whose key names a secret (token, secret, password,
//     authorization, cookie, code, signed_request …) are masked whatever
//     their value;
//   - every string that is logged, including error texts, is scrubbed of
//     bearer tokens, token-bearing query parameters and any literal value
//     registered with the Redactor (the master key, the API token, client
//     secrets, tokens in use).
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/sns-os/snsos"
)

// Redactor scrubs secrets from strings. It is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values map[string]struct{}
}

// NewRedactor returns a Redactor that knows no literal values yet.
func NewRedactor() *Redactor { return &Redactor{values: map[string]struct{}{}} }

// Add registers literal secret values to scrub. Values shorter than 8
// bytes are ignored: masking them would garble ordinary text.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= 8 {
			r.values[v] = struct{}{}
		}
	}
}

var (
	// The scheme starts the text or follows a separator other than a dot
	// or underscore, so that a scope such as "user.info.basic video.upload"
	// is not taken for a credential.
	bearerRE = regexp.MustCompile(`(?i)(^|[^A-Za-z0-9._-])(bearer|basic)\s+[A-Za-z0-9\-._~+/=%]{6,}`)
	// key=value pairs in URLs, form bodies and JSON-ish text whose key names a secret.
	// OAuth codes and signatures in query strings.
	queryRE = regexp.MustCompile(`([?&](?:code|sig|signature|oauth_verifier)=)([^&\s"#]+)`)
	pairRE  = regexp.MustCompile(`(?i)("?(?:access_token|refresh_token|client_secret|code_verifier|id_token|token|password|secret|signed_request|api_key|apikey)"?\s*[=:]\s*"?)([^&"\s,;}]{4,})`)
)

// Scrub returns s with secrets replaced by the mask.
func (r *Redactor) Scrub(s string) string {
	if s == "" {
		return s
	}
	if r != nil {
		r.mu.RLock()
		for v := range r.values {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, snsos.Mask)
			}
		}
		r.mu.RUnlock()
	}
	s = bearerRE.ReplaceAllString(s, "${1}${2} "+snsos.Mask)
	s = queryRE.ReplaceAllString(s, "${1}"+snsos.Mask)
	return pairRE.ReplaceAllString(s, "${1}"+snsos.Mask)
}

// secretKeys are attribute keys (lower case, or a suffix after _ or .)
// whose values are always masked.
var secretKeys = []string{"token", "access_token", "refresh_token", "secret", "client_secret", "app_secret", "password",
	"authorization", "cookie", "set-cookie", "code_verifier", "signed_request", "api_key", "master_key", "key_material", "passphrase"}

// SecretKey reports whether an attribute key names a secret.
func SecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretKeys {
		if k == s || strings.HasSuffix(k, "_"+s) || strings.HasSuffix(k, "."+s) || strings.HasSuffix(k, "-"+s) {
			return true
		}
	}
	return false
}

// replaceAttr masks secret attributes and scrubs strings and errors.
func (r *Redactor) replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if SecretKey(a.Key) {
		if a.Value.Kind() == slog.KindString && a.Value.String() == "" {
			return a
		}
		return slog.String(a.Key, snsos.Mask)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.Scrub(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			return slog.String(a.Key, r.Scrub(v.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, r.Scrub(v.String()))
		case []byte:
			return slog.String(a.Key, r.Scrub(string(v)))
		default:
			return slog.String(a.Key, r.Scrub(fmt.Sprint(v)))
		}
	}
	return a
}

// New returns a logger writing to w in "text" or "json" at level ("debug",
// "info", "warn", "error"), with every attribute passed through r.
func New(w io.Writer, format, level string, r *Redactor) *slog.Logger {
	if r == nil {
		r = NewRedactor()
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: r.replaceAttr}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(&scrubMessage{Handler: h, r: r})
}

// scrubMessage scrubs the record's message too (ReplaceAttr does not see it);
// messages are meant to be constants, but a mistake must not leak.
type scrubMessage struct {
	slog.Handler
	r *Redactor
}

func (h *scrubMessage) Handle(ctx context.Context, rec slog.Record) error {
	rec.Message = h.r.Scrub(rec.Message)
	return h.Handler.Handle(ctx, rec)
}

func (h *scrubMessage) WithAttrs(as []slog.Attr) slog.Handler {
	return &scrubMessage{Handler: h.Handler.WithAttrs(as), r: h.r}
}

func (h *scrubMessage) WithGroup(name string) slog.Handler {
	return &scrubMessage{Handler: h.Handler.WithGroup(name), r: h.r}
}

// MinLevel returns a logger that drops records below level: for chatty
// libraries (River logs every migration and start at info).
func MinLevel(l *slog.Logger, level slog.Level) *slog.Logger {
	return slog.New(&minLevel{Handler: l.Handler(), level: level})
}

type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h *minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return &minLevel{Handler: h.Handler.WithAttrs(as), level: h.level}
}

func (h *minLevel) WithGroup(name string) slog.Handler {
	return &minLevel{Handler: h.Handler.WithGroup(name), level: h.level}
}
