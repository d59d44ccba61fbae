package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/config"
)

// archiveTokenSetting is the sealed setting (store.PutSealedSetting) that
// holds the push token given with `sns-os archive token set`;
// SNSOS_ARCHIVE_TOKEN, when set, comes first.
const archiveTokenSetting = "archive.token"

// errVerifyFound is verify's exit 1 once it has listed what it found.
var errVerifyFound = errors.New("the archive's history holds what looks like a secret (listed above)")

func runArchive(ctx context.Context, e *env, args []string) error {
	const desc = `Look after the git archive of post metadata and metrics (SNSOS_ARCHIVE_DIR, SNSOS_ARCHIVE_REMOTE).

  status      what the archive did last: its last commit and push, the last error
  sync        compare everything with the database now, commit and push. Takes the
              data dir lock (stop the server first); on PostgreSQL only the elected
              writer syncs, so another running process may answer instead
  verify      read every object reachable in the archive and run the secret guard
              over every file of every commit and every message; exit 1 on a find
  token set   store the token that pushes to an https remote, read from stdin,
              sealed under the master key like the platform tokens (used from the
              server's next start; SNSOS_ARCHIVE_TOKEN, when set, comes first)`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os archive status|sync|verify|token set [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: status, sync, verify or token set"}
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	if sub == "token" {
		if len(rest) == 0 || rest[0] != "set" {
			return usageError{"use: sns-os archive token set (the token on stdin)"}
		}
		sub, rest = "token set", rest[1:]
	}
	switch sub {
	case "status", "sync", "verify", "token set":
	default:
		return usageError{fmt.Sprintf("unknown archive subcommand %q: use status, sync, verify or token set", sub)}
	}
	fs := newFlags(e, "archive "+sub, "archive "+sub+" [flags]", desc)
	flags := configFlags(fs)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if sub == "token set" {
		return archiveTokenSet(ctx, e, cfg)
	}
	if !cfg.ArchiveEnabled() {
		return errors.New("the git archive is not configured: set SNSOS_ARCHIVE_DIR or SNSOS_ARCHIVE_REMOTE")
	}
	a, err := openApp(ctx, cfg, e.stderr, sub == "sync")
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "status":
		return archiveStatus(ctx, e, cfg, a)
	case "sync":
		return archiveSync(ctx, e, cfg, a)
	}
	return archiveVerify(ctx, e, cfg, a)
}

// archiveStatus prints the status the writer last saved.
func archiveStatus(ctx context.Context, e *env, cfg *config.Config, a *app) error {
	fmt.Fprintf(e.stdout, "archive:     %s\n", cfg.ArchiveDir())
	remote := "none (commits stay local)"
	if cfg.ArchiveRemote != "" {
		remote = archive.RedactURL(cfg.ArchiveRemote)
	}
	fmt.Fprintf(e.stdout, "remote:      %s\n", remote)
	v, err := a.store.Setting(ctx, archive.StatusKey)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		fmt.Fprintln(e.stdout, "status:      no pass has run yet (the server makes one on start, then one a minute)")
		return nil
	} else if err != nil {
		return err
	}
	st, err := archive.ParseStatus(v)
	if err != nil {
		return fmt.Errorf("the saved archive status cannot be read (written by another version?): %w", err)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	commit := "none yet"
	if st.LastCommit != "" {
		commit = st.LastCommit + " at " + when(st.LastCommitAt)
	}
	fmt.Fprintf(e.stdout, "last commit: %s\nlast push:   %s\nfiles:       %d\n", commit, when(st.LastPushAt), st.Files)
	if st.LastError != "" {
		fmt.Fprintf(e.stdout, "last error:  %s (%s)\n", st.LastError, when(st.ErrorAt))
	}
	if st.PushFailures > 0 {
		fmt.Fprintf(e.stdout, "pushes:      %d failed in a row since %s\n", st.PushFailures, when(st.FailingSince))
	}
	if st.Failing(time.Now()) {
		fmt.Fprintln(e.stdout, "attention:   the dashboard lists the archive as needing you")
	}
	return nil
}

// archiveSync runs one pass now, as the elected writer.
func archiveSync(ctx context.Context, e *env, cfg *config.Config, a *app) error {
	run, err := wireArchive(cfg, a)
	if err != nil {
		return err
	}
	defer run.w.Release()
	fmt.Fprintln(e.stderr, "archive: comparing everything with the database…")
	bar := &stageProgress{w: e.stderr, prefix: "sync: "}
	run.w.SetProgress(bar.step)
	res, elected, err := run.w.SyncIfElected(ctx)
	bar.done()
	if err != nil {
		return err
	}
	if !elected {
		return fmt.Errorf("%w; it syncs within a minute (sns-os archive status shows what it did)", archive.ErrNotElected)
	}
	switch {
	case res.Commit != "":
		fmt.Fprintf(e.stdout, "committed %s: %s\n", res.Commit[:12], strings.TrimSpace(res.Message))
	default:
		fmt.Fprintln(e.stdout, "nothing changed since the last commit")
	}
	if res.Purged > 0 {
		fmt.Fprintf(e.stdout, "purged %d paths from the history\n", res.Purged)
	}
	if cfg.ArchiveRemote != "" && res.Pushed {
		fmt.Fprintf(e.stdout, "pushed to %s\n", archive.RedactURL(cfg.ArchiveRemote))
	}
	return nil
}

// archiveVerify runs the guard over the whole history.
func archiveVerify(ctx context.Context, e *env, cfg *config.Config, a *app) error {
	dir := cfg.ArchiveDir()
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("SNSOS_ARCHIVE_DIR: no archive at %s yet (%w)", dir, err)
	}
	repo, err := archive.Open(dir)
	if err != nil {
		return err
	}
	tok, err := storedArchiveToken(ctx, cfg, a)
	if err != nil {
		return err
	}
	secrets, err := archive.StoredSecrets(a.store, append(configSecrets(cfg, a), tok)...)(ctx)
	if err != nil {
		return fmt.Errorf("list the secrets to look for: %w", err)
	}
	p := newProgress(e.stderr, "verify: commits")
	rep, err := repo.Verify(archive.NewGuard(secrets), p.step)
	p.done()
	if err != nil {
		return err
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(e.stdout, "commit %s: %s holds what looks like a %s\n", f.Commit[:12], f.Path, f.Kind)
	}
	fmt.Fprintf(e.stdout, "%d commits, %d trees, %d files read; %d finds\n", rep.Commits, rep.Trees, rep.Blobs, len(rep.Findings))
	if len(rep.Findings) > 0 {
		fmt.Fprintln(e.stdout, "Remove it from the database (the post, or the error on its delivery), then purge the paths from the history (delete the post, or ask for help in the issue tracker).")
		return errVerifyFound
	}
	return nil
}

// storedArchiveToken is the push token: SNSOS_ARCHIVE_TOKEN, else the one
// `archive token set` sealed, else "".
func storedArchiveToken(ctx context.Context, cfg *config.Config, a *app) (string, error) {
	if t := cfg.Archive.Token.Reveal(); t != "" {
		return t, nil
	}
	b, err := a.store.SealedSetting(ctx, archiveTokenSetting)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("the archive token stored with sns-os archive token set: %w", err)
	}
	return string(b), nil
}

// archiveTokenSet seals the token read from stdin.
func archiveTokenSet(ctx context.Context, e *env, cfg *config.Config) error {
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the token from stdin: %w", err)
	}
	tok := strings.TrimSpace(line)
	switch {
	case tok == "":
		return errors.New("no token on stdin: pipe it in, e.g. sns-os archive token set < token.txt")
	case strings.ContainsAny(tok, " \t"):
		return errors.New("the token on stdin holds a space: give the token alone")
	}
	a, err := openApp(ctx, cfg, e.stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.store.PutSealedSetting(ctx, archiveTokenSetting, []byte(tok)); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "archive token stored, sealed under the master key; the server uses it from its next start")
	if cfg.Archive.Token.Reveal() != "" {
		fmt.Fprintln(e.stdout, "note: SNSOS_ARCHIVE_TOKEN is set and comes first; unset it to use the stored token")
	}
	return nil
}

// progress shows how far a long run is: a line rewritten in place on a
// terminal, a plain line at each quarter otherwise (logs, pipes).
type progress struct {
	w        io.Writer
	label    string
	tty      bool
	last     int // the last quarter (or, on a terminal, percent) shown
	finished bool
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, last: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) step(done, total int) {
	if total <= 0 {
		return
	}
	if p.tty {
		if pct := done * 100 / total; pct != p.last {
			p.last = pct
			bar := strings.Repeat("█", pct/5) + strings.Repeat("░", 20-pct/5)
			fmt.Fprintf(p.w, "\r%s %s %d/%d", p.label, bar, done, total)
		}
		return
	}
	if q := done * 4 / total; q != p.last {
		p.last = q
		fmt.Fprintf(p.w, "%s: %d/%d\n", p.label, done, total)
	}
}

func (p *progress) done() {
	if p.tty && p.last >= 0 && !p.finished {
		fmt.Fprintln(p.w)
	}
	p.finished = true
}

// stageProgress shows a run of several stages (archive sync: the posts
// compared, then the files written), each with its own progress, one
// after the other. A stage's bar ends its line once complete, so that what
// is logged next starts on its own.
type stageProgress struct {
	w      io.Writer
	prefix string
	stage  string
	cur    *progress
}

func (s *stageProgress) step(stage string, done, total int) {
	if stage != s.stage {
		s.done()
		s.stage, s.cur = stage, newProgress(s.w, s.prefix+stage)
	}
	s.cur.step(done, total)
	if done >= total {
		s.cur.done()
	}
}

func (s *stageProgress) done() {
	if s.cur != nil {
		s.cur.done()
	}
}
