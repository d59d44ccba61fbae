package archive

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/sns-os/snsos"
)

// A Guard refuses content that holds a secret: a literal value the caller
// knows (every token in the secret store, the app secrets, the master key)
// or something shaped like a token. Findings name the path and the kind of
// secret, never the value.
type Guard struct {
	literals [][]byte
}

// minSecret is the shortest literal the guard looks for: shorter values
// would match ordinary text (the same bound as the log redactor's).
const minSecret = 8

// NewGuard returns a guard for these literal values (shorter ones are
// ignored) and the known token shapes.
func NewGuard(literals []string) *Guard {
	g := &Guard{}
	seen := map[string]bool{}
	for _, v := range literals {
		if len(v) < minSecret || seen[v] {
			continue
		}
		seen[v] = true
		g.literals = append(g.literals, []byte(v))
		// Inside a JSON string a quote, a backslash or a control
		// character is escaped: look for that form too.
		if b := bytes.TrimSuffix(marshal(v), []byte("\n")); string(b[1:len(b)-1]) != v {
			g.literals = append(g.literals, b[1:len(b)-1])
		}
	}
	return g
}

// shapes are tokens recognisable by their form. Each needs enough
// characters after its prefix that prose does not match.
var shapes = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Meta (Instagram, Threads, Facebook) access token", regexp.MustCompile(`\b(?:IGAA|IGQV|THAA|THQV|EAA[A-Z])[A-Za-z0-9_-]{24,}`)},
	{"TikTok token", regexp.MustCompile(`\b(?:act|rft)\.[A-Za-z0-9!*._-]{24,}`)},
	{"GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`)},
	{"GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{"Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"AWS access key", regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"JSON web token", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)},
	{"bearer credential", regexp.MustCompile(`(?i)\b(?:bearer|basic)\s+[A-Za-z0-9\-._~+/]{16,}=*`)},
	{"token parameter", regexp.MustCompile(`(?i)\b(?:access_token|refresh_token|client_secret|api_key|password)["']?\s*[=:]\s*["']?[A-Za-z0-9\-._~+/]{12,}`)},
}

// SecretError is the guard's refusal: Path holds a secret of Kind.
type SecretError struct {
	Path string
	Kind string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("archive: %s holds what looks like a %s; nothing was committed", e.Path, e.Kind)
}

// Check returns a *SecretError when content holds a secret.
func (g *Guard) Check(path string, content []byte) error {
	for _, v := range g.literals {
		if bytes.Contains(content, v) {
			return &SecretError{Path: path, Kind: "value held in the secret store"}
		}
	}
	for _, s := range shapes {
		if s.re.Match(content) {
			return &SecretError{Path: path, Kind: s.name}
		}
	}
	return nil
}

// Credentials reads the tokens of every account. *store.Store implements
// it.
type Credentials interface {
	ListAccounts(ctx context.Context) ([]*snsos.Account, error)
	FindCredential(ctx context.Context, accountID int64) (*snsos.Credential, error)
}

// StoredSecrets returns a Config.Secrets listing the access and refresh
// tokens of every account (opened from the secret store) and extra (the
// app secrets, keys and tokens of the configuration).
func StoredSecrets(st Credentials, extra ...string) func(ctx context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		out := slices.Clone(extra)
		accts, err := st.ListAccounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range accts {
			c, err := st.FindCredential(ctx, a.ID)
			if snsos.IsCode(err, snsos.ENOTFOUND) {
				continue
			} else if err != nil {
				return nil, err
			}
			out = append(out, c.AccessToken.Reveal(), c.RefreshToken.Reveal())
		}
		return out, nil
	}
}
