package snsos

import "log/slog"

// Secret is a string that must never be printed: a platform token, a client
// secret, a password. Its String, GoString, LogValue and MarshalText methods
// all return a fixed mask, so a Secret that reaches a log line, an error
// message or a JSON document by accident shows nothing. Call Reveal to get the
// value where it is really needed (an Authorization header, a sealed column).
type Secret string

// Mask is what a Secret prints as.
const Mask = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String returns the mask, or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Mask
}

// GoString returns the mask, so %#v does not print the value.
func (s Secret) GoString() string { return `snsos.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (and so JSON) with the mask.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
