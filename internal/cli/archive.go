package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/server"
	"github.com/sns-os/snsos/internal/store"
)

// archiveRun is the archive writer running beside the server.
type archiveRun struct {
	w      *archive.Writer
	cancel context.CancelFunc
	done   chan struct{}
}

// wireArchive builds the git archive's writer when the archive is
// configured (SNSOS_ARCHIVE_DIR or SNSOS_ARCHIVE_REMOTE); nil otherwise.
func wireArchive(cfg *config.Config, a *app) (*archiveRun, error) {
	if !cfg.ArchiveEnabled() {
		return nil, nil
	}
	tok, err := storedArchiveToken(context.Background(), cfg, a) // archive_cmd.go
	if err != nil {
		return nil, err
	}
	a.red.Add(tok)
	ca, err := archiveCABundle(cfg)
	if err != nil {
		return nil, err
	}
	var locker archive.Locker
	if a.store.Dialect() == store.Postgres { // several processes: one writer
		locker = archive.NewPGLock(a.store.DB())
	}
	w, err := archive.NewWriter(archive.Config{Dir: cfg.ArchiveDir(), Store: a.store, Purges: storePurges{a.store},
		Remote:  archive.Remote{URL: cfg.ArchiveRemote, Token: tok, SSHKeyFile: cfg.Archive.SSHKeyFile, CABundle: ca},
		Secrets: archive.StoredSecrets(a.store, append(configSecrets(cfg, a), tok)...), Locker: locker, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("SNSOS_ARCHIVE_DIR / SNSOS_ARCHIVE_REMOTE: %w", err)
	}
	return &archiveRun{w: w}, nil
}

// archiveCABundle reads SNSOS_ARCHIVE_CA_FILE: nil when unset, an error
// that names the setting when the file cannot be read or holds no PEM
// certificate (a typo must not fall back to "not trusted" at every push).
func archiveCABundle(cfg *config.Config) ([]byte, error) {
	if cfg.Archive.CAFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(cfg.Archive.CAFile)
	if err != nil {
		return nil, fmt.Errorf("SNSOS_ARCHIVE_CA_FILE: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("SNSOS_ARCHIVE_CA_FILE: %s holds no PEM certificate", cfg.Archive.CAFile)
	}
	return b, nil
}

// archiveDetails is the archive's part of /readyz when it is configured:
// the status the elected writer saved, never a verdict on readiness.
func archiveDetails(cfg *config.Config, a *app) []server.Detail {
	if !cfg.ArchiveEnabled() {
		return nil
	}
	return []server.Detail{{Name: "archive", Func: archive.ReadyDetail(a.store, time.Now)}}
}

// start runs the writer until stop.
func (r *archiveRun) start(ctx context.Context) {
	if r == nil {
		return
	}
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		r.w.Run(ctx, nil)
	}()
}

// stop makes the writer's last commit and push, and waits for them.
func (r *archiveRun) stop() {
	if r == nil || r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
}

// configSecrets lists the secrets of the configuration, which the
// archive's guard keeps out besides the stored tokens.
func configSecrets(cfg *config.Config, a *app) []string {
	out := []string{cfg.APIToken.Reveal(), cfg.MetaAppSecret.Reveal(), cfg.SMTPURL.Reveal(), cfg.AlertWebhookSecret.Reveal(),
		cfg.S3.SecretKey.Reveal(), cfg.Archive.Token.Reveal(), cfg.MasterKey.Reveal(), cfg.MasterKeysOld.Reveal()}
	if u, err := url.Parse(cfg.SMTPURL.Reveal()); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
	}
	for _, pc := range cfg.Platforms {
		out = append(out, pc.ClientSecret.Reveal(), pc.AppSecret.Reveal())
	}
	for _, k := range []*secret.Key{a.keys.primary, a.keys.next} {
		if k != nil {
			out = append(out, k.Encode())
		}
	}
	return out
}

// storePurges is the store's purge outbox as the archive reads it.
type storePurges struct{ st *store.Store }

func (p storePurges) PendingPurges(ctx context.Context) ([]archive.PurgeEvent, error) {
	evs, err := p.st.ListPurgeEvents(ctx, 100)
	if err != nil {
		return nil, err
	}
	out := make([]archive.PurgeEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, archive.PurgeEvent{ID: ev.ID, AccountIDs: ev.AccountIDs, PostIDs: ev.PostIDs, TargetIDs: ev.TargetIDs})
	}
	return out, nil
}

func (p storePurges) MarkPurgeArchived(ctx context.Context, id int64) error {
	return p.st.MarkPurgeEventArchived(ctx, id)
}

// setDemoArchive turns the archive on in the demo, unless configured:
// the repository in the data dir, pushed to a bare repository beside it,
// so that what the demo publishes can be seen arriving there.
func setDemoArchive(cfg *config.Config, out io.Writer) error {
	if cfg.ArchiveEnabled() {
		return nil
	}
	remote := filepath.Join(cfg.DataDir, "archive-remote.git")
	if _, err := os.Stat(filepath.Join(remote, "config")); os.IsNotExist(err) {
		if _, err := git.PlainInitWithOptions(remote, &git.PlainInitOptions{Bare: true,
			InitOptions: git.InitOptions{DefaultBranch: archive.Branch}}); err != nil {
			return fmt.Errorf("demo archive remote: %w", err)
		}
	}
	cfg.ArchiveRemote = "file://" + remote
	fmt.Fprintf(out, "git archive: %s, pushed within a minute of each change to %s (see: git -C %s log --stat)\n",
		cfg.ArchiveDir(), remote, remote)
	return nil
}
