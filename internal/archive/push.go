package archive

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// go-git's own file:// client runs git-upload-pack and git-receive-pack;
// its in-process server does the same work without a git binary.
var installFile sync.Once

func inProcessFile() {
	installFile.Do(func() { client.InstallProtocol("file", server.DefaultServer) })
}

// Remote is where the archive is pushed.
type Remote struct {
	// URL is file:///path (or a plain path), https://host/repo.git or
	// ssh://git@host/repo.git.
	URL string
	// Token authenticates https pushes (as basic auth: the URL's user
	// name, else x-access-token, with the token as password).
	Token string
	// SSHKeyFile is the private key of ssh pushes. The server's host key
	// is checked against the files SSH_KNOWN_HOSTS lists (separated by
	// colons), else ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts, as ssh
	// does: a host missing there is refused, never trusted on first use.
	SSHKeyFile string
	// CABundle holds PEM certificates an https remote's certificate may
	// chain to besides the system's: a self-hosted server's private CA.
	CABundle []byte
}

// CheckRemote reports whether u can be used as a remote, in words for the
// operator. It reads no credential.
func CheckRemote(u string) error {
	_, err := endpoint(u)
	return err
}

func endpoint(u string) (*transport.Endpoint, error) {
	if u == "" {
		return nil, errors.New("archive: no remote")
	}
	if strings.HasPrefix(u, "/") {
		u = "file://" + u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("archive: remote %q is not a URL", redact(u))
	}
	switch pu.Scheme {
	case "file", "https", "ssh":
	case "http":
		return nil, errors.New("archive: the remote must be https, ssh or file: plain http would send the push credentials in clear")
	default:
		return nil, fmt.Errorf("archive: remote scheme %q is not supported: use file://, https:// or ssh://", pu.Scheme)
	}
	if _, ok := pu.User.Password(); ok {
		return nil, errors.New("archive: the remote URL holds a password; give it as SNSOS_ARCHIVE_TOKEN instead")
	}
	return transport.NewEndpoint(u)
}

// RedactURL is u without its user information, for messages.
func RedactURL(u string) string { return redact(u) }

// redact drops user information from u for messages.
func redact(u string) string {
	if pu, err := url.Parse(u); err == nil && pu.User != nil {
		pu.User = url.User("xxxxx")
		return pu.String()
	}
	return u
}

// auth returns the credentials for the remote's scheme.
func (rm Remote) auth(ep *transport.Endpoint) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "https":
		if rm.Token == "" {
			return nil, nil // a public or pre-authorised host; its refusal says so
		}
		user := ep.User
		if user == "" {
			user = "x-access-token"
		}
		return &githttp.BasicAuth{Username: user, Password: rm.Token}, nil
	case "ssh":
		if rm.SSHKeyFile == "" {
			return nil, errors.New("archive: an ssh remote needs SNSOS_ARCHIVE_SSH_KEY_FILE")
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		k, err := ssh.NewPublicKeysFromFile(user, rm.SSHKeyFile, "")
		if err != nil {
			return nil, fmt.Errorf("archive: SNSOS_ARCHIVE_SSH_KEY_FILE: %w", err)
		}
		return k, nil
	}
	return nil, nil
}

// Push sends the branch to rm. force replaces the remote's branch (after a
// purge rewrote the history); otherwise a remote that has diverged is
// refused with a clear error and left as it is.
func (r *Repo) Push(ctx context.Context, rm Remote, force bool) error {
	if r.head.IsZero() {
		return nil
	}
	remote, auth, err := r.remote(rm)
	if err != nil {
		return err
	}
	spec := config.RefSpec(Branch + ":" + Branch)
	if force {
		spec = "+" + spec
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err = remote.PushContext(ctx, &git.PushOptions{RemoteName: "archive", RefSpecs: []config.RefSpec{spec}, Auth: auth, Force: force,
		CABundle: rm.CABundle})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case strings.Contains(err.Error(), "non-fast-forward"):
		return fmt.Errorf("archive: push to %s refused: the remote's %s has commits this archive does not have (someone else pushed there?); "+
			"nothing was changed on the remote", redact(rm.URL), Branch.Short())
	}
	return remoteErr("push to", rm, err)
}

// remoteErr says in words why talking to rm failed, without its token.
func remoteErr(verb string, rm Remote, err error) error {
	at := redact(rm.URL)
	var keyErr *knownhosts.KeyError
	msg := err.Error()
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("archive: %s %s: no repository there; create an empty one", verb, at)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("archive: %s %s: the remote refused the credentials (check SNSOS_ARCHIVE_TOKEN or the SSH key)", verb, at)
	case strings.Contains(msg, "ssh: unable to authenticate"):
		return fmt.Errorf("archive: %s %s: the remote refused the SSH key (is the public key of SNSOS_ARCHIVE_SSH_KEY_FILE "+
			"allowed to write there?)", verb, at)
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0, strings.Contains(msg, "knownhosts: key mismatch"):
		return fmt.Errorf("archive: %s %s: the server's SSH host key is not the one known_hosts holds for it: "+
			"the server changed its key, or something is in the way; nothing was sent", verb, at)
	case errors.As(err, &keyErr), strings.Contains(msg, "knownhosts: key is unknown"), strings.Contains(msg, "known_hosts file"):
		return fmt.Errorf("archive: %s %s: the server's SSH host key is not in known_hosts; add its line (ssh-keyscan, "+
			"then check the fingerprint) to ~/.ssh/known_hosts or to a file named by SSH_KNOWN_HOSTS", verb, at)
	case strings.Contains(msg, "x509: "): // go-git's http errors do not unwrap to the x509 types
		return fmt.Errorf("archive: %s %s: the server's TLS certificate is not trusted (%s); nothing was sent", verb, at,
			scrub(msg[strings.Index(msg, "x509: "):], rm.Token))
	}
	return fmt.Errorf("archive: %s %s: %s", verb, at, scrub(msg, rm.Token))
}

// remote returns rm as an anonymous remote of r, with its credentials:
// the URL and the credentials are never written into the repository's
// config.
func (r *Repo) remote(rm Remote) (*git.Remote, transport.AuthMethod, error) {
	ep, err := endpoint(rm.URL)
	if err != nil {
		return nil, nil, err
	}
	if ep.Protocol == "file" {
		inProcessFile()
	}
	auth, err := rm.auth(ep)
	if err != nil {
		return nil, nil, err
	}
	return git.NewRemote(r.git.Storer, &config.RemoteConfig{Name: "archive", URLs: []string{ep.String()}}), auth, nil
}

// scrub removes the token from a transport's error text.
func scrub(s, token string) string {
	if len(token) >= minSecret {
		s = strings.ReplaceAll(s, token, "xxxxx")
	}
	return s
}
