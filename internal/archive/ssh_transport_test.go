package archive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// The host key is checked as ssh does, against the files SSH_KNOWN_HOSTS
// names (what an operator sets when ~/.ssh/known_hosts is not the place);
// these tests set it, so they do not run in parallel.

func TestSSHPushWithAKey(t *testing.T) {
	ctx := bounded(t)
	g, key := newGitSSH(t)
	t.Setenv("SSH_KNOWN_HOSTS", g.knownHosts(t, g.hostKey.PublicKey()))
	b := setup(t, store.SQLite, false)
	dir := t.TempDir() + "/archive"
	right := archive.Remote{URL: g.url(), SSHKeyFile: key}

	b.post(t, "pushed over ssh")
	w := remoteWriter(t, b, dir, right)
	res, err := syncWith(ctx, b, w)
	if err != nil || !res.Pushed {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	if remoteHead(t, g.dir) != w.Repo().Head().String() {
		t.Fatalf("the remote's main is %q, the archive's %s", remoteHead(t, g.dir), w.Repo().Head())
	}

	// A key the server does not know: committed here, refused there.
	pushed := remoteHead(t, g.dir)
	other, _ := sshKey(t)
	b.post(t, "written with the wrong key")
	res, err = syncWith(ctx, b, remoteWriter(t, b, dir, archive.Remote{URL: g.url(), SSHKeyFile: other}))
	if err == nil || !strings.Contains(err.Error(), "the remote refused the SSH key") || res.Commit == "" {
		t.Fatalf("sync with a wrong key: %+v, %v", res, err)
	}
	t.Log(err)
	if remoteHead(t, g.dir) != pushed {
		t.Fatal("the remote moved")
	}
	local := verifyClean(t, dir)

	// The server's host key is checked: another key under its address is
	// refused, and so is an address known_hosts does not list.
	_, impostor := sshKey(t)
	t.Setenv("SSH_KNOWN_HOSTS", g.knownHosts(t, impostor))
	err = local.Push(ctx, right, false)
	if err == nil || !strings.Contains(err.Error(), "not the one known_hosts holds") {
		t.Fatalf("push to a host whose key changed: %v", err)
	}
	t.Log(err)
	elsewhere := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{"git.example.com"}, g.hostKey.PublicKey()) + "\n"
	if err := os.WriteFile(elsewhere, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_KNOWN_HOSTS", elsewhere)
	err = local.Push(ctx, right, false)
	if err == nil || !strings.Contains(err.Error(), "host key is not in known_hosts") {
		t.Fatalf("push to an unknown host: %v", err)
	}
	t.Log(err)
	if remoteHead(t, g.dir) != pushed {
		t.Fatal("the remote moved")
	}

	// The right key and host key: what was committed meanwhile goes.
	t.Setenv("SSH_KNOWN_HOSTS", g.knownHosts(t, g.hostKey.PublicKey()))
	w = remoteWriter(t, b, dir, right)
	if res, err := syncWith(ctx, b, w); err != nil || !res.Pushed {
		t.Fatalf("sync with the right key: %+v, %v", res, err)
	}
	if remoteHead(t, g.dir) != w.Repo().Head().String() {
		t.Fatalf("the remote's main is %s, the archive's %s", remoteHead(t, g.dir), w.Repo().Head())
	}
	gitSecondOpinion(t, g.dir, 2)
}
