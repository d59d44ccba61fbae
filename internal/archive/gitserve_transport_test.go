package archive_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The remotes of these tests are served in process by go-git's server side
// (the same code the file:// transport runs), behind the protocols a hosted
// remote speaks: git's smart HTTP over TLS with a token as the basic-auth
// password, and ssh with one authorised key. No git binary is involved.

// repoPath is where the test servers say the repository is.
const repoPath = "/me/archive.git"

// bareRemote creates an empty bare repository and returns its directory.
func bareRemote(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sessions opens go-git's server sessions on the bare repository at dir.
func sessions(dir string) (transport.Transport, *transport.Endpoint, error) {
	ep, err := transport.NewEndpoint(dir)
	return server.DefaultServer, ep, err
}

// gitHTTPS is a hosted remote over https: the smart HTTP protocol in front
// of a bare repository, refusing requests whose basic-auth password is not
// token.
type gitHTTPS struct {
	dir, token string
	srv        *httptest.Server

	mu    sync.Mutex
	users map[string]bool // the basic-auth user names seen
}

func newGitHTTPS(t *testing.T, token string) *gitHTTPS {
	t.Helper()
	g := &gitHTTPS{dir: bareRemote(t), token: token, users: map[string]bool{}}
	g.srv = httptest.NewUnstartedServer(g)
	g.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of the untrusted case
	g.srv.StartTLS()
	t.Cleanup(g.srv.Close)
	return g
}

// sawUser reports whether a request authenticated as user.
func (g *gitHTTPS) sawUser(user string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.users[user]
}

// url is the remote's address.
func (g *gitHTTPS) url() string { return g.srv.URL + repoPath }

// caBundle is the PEM of the server's certificate, which the client must
// be told to trust: it chains to no system root.
func (g *gitHTTPS) caBundle() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw})
}

func (g *gitHTTPS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || pass != g.token {
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	g.mu.Lock()
	g.users[user] = true
	g.mu.Unlock()
	rest, found := strings.CutPrefix(r.URL.Path, repoPath+"/")
	if !found {
		http.NotFound(w, r)
		return
	}
	srv, ep, err := sessions(g.dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	switch {
	case r.Method == http.MethodGet && rest == "info/refs":
		g.advertise(w, r, srv, ep, r.URL.Query().Get("service"))
	case r.Method == http.MethodPost && rest == transport.ReceivePackServiceName:
		g.receivePack(w, r, srv, ep)
	case r.Method == http.MethodPost && rest == transport.UploadPackServiceName:
		g.uploadPack(w, r, srv, ep)
	default:
		http.NotFound(w, r)
	}
}

// advertise answers info/refs: the service line, then the references.
func (g *gitHTTPS) advertise(w http.ResponseWriter, r *http.Request, srv transport.Transport, ep *transport.Endpoint, service string) {
	var ar *packp.AdvRefs
	var err error
	switch service {
	case transport.ReceivePackServiceName:
		var s transport.ReceivePackSession
		if s, err = srv.NewReceivePackSession(ep, nil); err == nil {
			ar, err = s.AdvertisedReferencesContext(r.Context())
		}
	case transport.UploadPackServiceName:
		var s transport.UploadPackSession
		if s, err = srv.NewUploadPackSession(ep, nil); err == nil {
			ar, err = s.AdvertisedReferencesContext(r.Context())
		}
	default:
		http.Error(w, "dumb http is not served", http.StatusForbidden)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ar.Prefix = [][]byte{[]byte("# service=" + service), pktline.Flush}
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	_ = ar.Encode(w)
}

func (g *gitHTTPS) receivePack(w http.ResponseWriter, r *http.Request, srv transport.Transport, ep *transport.Endpoint) {
	s, err := srv.NewReceivePackSession(ep, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req := packp.NewReferenceUpdateRequest()
	if err := req.Decode(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rs, _ := s.ReceivePack(r.Context(), req) // a failure is in the report
	w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
	if rs != nil {
		_ = rs.Encode(w)
	}
}

func (g *gitHTTPS) uploadPack(w http.ResponseWriter, r *http.Request, srv transport.Transport, ep *transport.Endpoint) {
	s, err := srv.NewUploadPackSession(ep, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req := packp.NewUploadPackRequest()
	if err := req.Decode(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := s.UploadPack(r.Context(), req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer resp.Close()
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	_ = resp.Encode(w)
}

// gitSSH is a hosted remote over ssh: user git, one authorised key, the
// commands git-receive-pack and git-upload-pack on one bare repository.
type gitSSH struct {
	dir        string
	addr       string
	hostKey    ssh.Signer
	authorised ssh.PublicKey
}

// newGitSSH starts the server on loopback and returns it with the private
// key file (OpenSSH PEM) of the one key it accepts.
func newGitSSH(t *testing.T) (*gitSSH, string) {
	t.Helper()
	keyFile, pub := sshKey(t)
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	g := &gitSSH{dir: bareRemote(t), hostKey: host, authorised: pub}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if c.User() == "git" && bytes.Equal(k.Marshal(), g.authorised.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("key not authorised")
	}}
	cfg.AddHostKey(host)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { g.serveConn(conn, cfg) })
		}
	})
	return g, keyFile
}

// url is the remote's address.
func (g *gitSSH) url() string { return "ssh://git@" + g.addr + repoPath }

// knownHosts writes a known_hosts file naming key as the server's host key
// and returns its path.
func (g *gitSSH) knownHosts(t *testing.T, key ssh.PublicKey) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(g.addr)}, key) + "\n"
	if err := os.WriteFile(f, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (g *gitSSH) serveConn(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return // a refused key ends here
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go g.serveSession(ch, creqs)
	}
}

// serveSession runs the one command a session asks for, then says how it
// ended.
func (g *gitSSH) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
			continue
		}
		var cmd struct{ Line string }
		if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)
		status := uint32(0)
		if err := g.run(cmd.Line, ch); err != nil {
			fmt.Fprintln(ch.Stderr(), err)
			status = 1
		}
		_ = ch.CloseWrite()
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, status)
		_, _ = ch.SendRequest("exit-status", false, b)
		return
	}
}

// run serves "git-receive-pack '/me/archive.git'" or git-upload-pack over
// the channel, as git's commands do over their standard input and output.
func (g *gitSSH) run(line string, ch ssh.Channel) error {
	service, path, _ := strings.Cut(line, " ")
	if strings.Trim(path, "'") != repoPath {
		return fmt.Errorf("no repository at %s", path)
	}
	srv, ep, err := sessions(g.dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	// The server closes the pack's reader when it has read it; reading
	// through the channel itself, that would close the channel before the
	// report is written.
	stdin := struct{ io.Reader }{ch}
	switch service {
	case transport.ReceivePackServiceName:
		s, err := srv.NewReceivePackSession(ep, nil)
		if err != nil {
			return err
		}
		ar, err := s.AdvertisedReferencesContext(ctx)
		if err != nil {
			return err
		}
		if err := ar.Encode(ch); err != nil {
			return err
		}
		req := packp.NewReferenceUpdateRequest()
		if err := req.Decode(stdin); err != nil {
			return nil // the client only listed the references
		}
		rs, err := s.ReceivePack(ctx, req)
		if rs != nil {
			_ = rs.Encode(ch)
		}
		return err
	case transport.UploadPackServiceName:
		s, err := srv.NewUploadPackSession(ep, nil)
		if err != nil {
			return err
		}
		ar, err := s.AdvertisedReferencesContext(ctx)
		if err != nil {
			return err
		}
		if err := ar.Encode(ch); err != nil {
			return err
		}
		req := packp.NewUploadPackRequest()
		if err := req.Decode(stdin); err != nil {
			return nil // the client only listed the references
		}
		resp, err := s.UploadPack(ctx, req)
		if err != nil {
			return err
		}
		defer resp.Close()
		return resp.Encode(ch)
	}
	return fmt.Errorf("%s: command not served", service)
}

// sshKey writes a new ed25519 private key in OpenSSH's format and returns
// its file and public key.
func sshKey(t *testing.T) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(f, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return f, sp
}

// remoteHead is the commit of the archive's branch in the bare repository
// at dir, "" when it has none.
func remoteHead(t *testing.T, dir string) string {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference("refs/heads/main", false)
	if err != nil {
		return ""
	}
	return ref.Hash().String()
}
