package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/logging"
	"github.com/sns-os/snsos/internal/store"
)

// exportFormat and exportVersion name the document sns-os export writes; a
// reader checks them before trusting the shape.
const (
	exportFormat  = "sns-os-export"
	exportVersion = 1
	// exportPage is how many rows are read and held at once.
	exportPage = 200
)

const exportDesc = `Write everything this sns-os holds as one JSON document, for portability or
your own analysis: the accounts (without their tokens; with the permissions
granted and when the grant expires), the media library (metadata, not the
files), every post with its targets, their attempts and metric snapshots,
the contact messages, the deletion requests, and the interface preferences.

Never written: tokens, the operator password's hash, API tokens, sessions,
signing keys, a platform's short-lived upload address. Error texts pass
through the same redaction as the log, which also knows every stored token.

The export pages through the database and holds one page in memory, so it
runs beside the server on any size of database. With --out, the file is
created readable by you only (it holds contact messages) and must not exist
yet; on a terminal a progress bar shows on standard error.`

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "export [--out FILE] [flags]", exportDesc)
	out := fs.String("out", "", "write to FILE instead of standard output")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if err := existingDatabase(cfg, "nothing to export"); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	red, err := exportRedactor(ctx, a)
	if err != nil {
		return err
	}
	w, finish, err := openExportOut(e, *out)
	if err != nil {
		return err
	}
	x := &exporter{store: a.store, red: red, w: bufio.NewWriterSize(w, 64<<10), now: time.Now}
	if showProgress(e, *out) {
		x.bar = &progressBar{w: e.stderr}
	}
	err = x.run(ctx)
	if err = finish(err); err != nil {
		return err
	}
	where := "standard output"
	if *out != "" && *out != "-" {
		where = *out
	}
	c := x.written
	fmt.Fprintf(e.stderr, "exported %d accounts, %d media, %d posts (%d targets), %d contact messages and %d deletion requests to %s\n",
		c.Accounts, c.Media, c.Posts, x.targets, c.ContactMessages, c.DeletionRequests, where)
	return nil
}

// existingDatabase refuses a SQLite data dir without a database: a command
// that only reads (export, doctor) pointed at the wrong directory would
// otherwise create an empty one and report on nothing.
func existingDatabase(cfg *config.Config, why string) error {
	if cfg.DatabaseURL != "" {
		return nil
	}
	db := filepath.Join(cfg.DataDir, store.DBFileName)
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("SNSOS_DATA_DIR: no database at %s, %s; point --data at the data dir sns-os serve uses", db, why)
	}
	return nil
}

// exportRedactor returns the app's redactor, which knows the configured
// secrets, taught every stored token as well: free text written by sns-os
// (error messages, attempt details) is scrubbed with it, so even a token
// that an old bug let into such a text never leaves in an export.
func exportRedactor(ctx context.Context, a *app) (*logging.Redactor, error) {
	red := a.red
	red.Add(a.cfg.SMTPURL.Reveal(), a.cfg.AlertWebhookSecret.Reveal(), a.cfg.S3.SecretKey.Reveal())
	accts, err := a.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, ac := range accts {
		c, err := a.store.FindCredential(ctx, ac.ID)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			continue
		case err != nil:
			return nil, fmt.Errorf("account %d: %w", ac.ID, err)
		}
		red.Add(c.AccessToken.Reveal(), c.RefreshToken.Reveal())
	}
	return red, nil
}

// openExportOut returns where the document goes and the function that
// finishes it: for a file, flushed to disk and closed on success, removed
// on failure, so a half-written export is never left looking complete.
func openExportOut(e *env, path string) (io.Writer, func(error) error, error) {
	if path == "" || path == "-" {
		return e.stdout, func(err error) error { return err }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, nil, usageError{fmt.Sprintf("--out %s already exists; choose a new file name", path)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--out: %w", err)
	}
	return f, func(err error) error {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
		return err
	}, nil
}

// showProgress reports whether to draw the progress bar: standard error is
// a terminal, and the document is not going to that same terminal.
func showProgress(e *env, out string) bool {
	if !isTerminal(e.stderr) {
		return false
	}
	return (out != "" && out != "-") || !isTerminal(e.stdout)
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency: os.File's mode says so.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// exporter writes the document. Each top-level list is streamed one
// element per line, so the output stays valid JSON and friendly to line
// tools alike.
type exporter struct {
	store   *store.Store
	red     *logging.Redactor
	w       *bufio.Writer
	bar     *progressBar
	now     func() time.Time
	written store.ExportCounts
	targets int
}

func (x *exporter) run(ctx context.Context) error {
	total, err := x.store.CountExport(ctx)
	if err != nil {
		return err
	}
	x.bar.start(total.Total())
	defer x.bar.finish()
	head, err := json.Marshal(struct {
		Format       string        `json:"format"`
		Version      int           `json:"version"`
		ExportedAt   time.Time     `json:"exported_at"`
		SnsOSVersion string        `json:"sns_os_version"`
		Database     store.Dialect `json:"database"`
	}{exportFormat, exportVersion, x.now().UTC().Truncate(time.Second), Version, x.store.Dialect()})
	if err != nil {
		return err
	}
	x.w.Write(head[:len(head)-1]) // the object stays open for the lists below
	if err := x.settings(ctx); err != nil {
		return err
	}
	for _, sec := range []struct {
		name string
		page func(ctx context.Context, after int64) ([]any, int64, error)
		n    *int
	}{
		{"accounts", x.accounts, &x.written.Accounts},
		{"media", x.media, &x.written.Media},
		{"posts", x.posts, &x.written.Posts},
		{"contact_messages", x.contactMessages, &x.written.ContactMessages},
		{"deletion_requests", x.deletionRequests, &x.written.DeletionRequests},
	} {
		if err := x.list(ctx, sec.name, sec.page, sec.n); err != nil {
			return fmt.Errorf("export %s: %w", strings.ReplaceAll(sec.name, "_", " "), err)
		}
	}
	x.w.WriteString("\n}\n")
	return x.w.Flush()
}

// list writes `,"name":[…]`, asking page for the rows after the last id
// written until it returns none.
func (x *exporter) list(ctx context.Context, name string, page func(context.Context, int64) ([]any, int64, error), n *int) error {
	fmt.Fprintf(x.w, ",\n%q:[", name)
	for after := int64(0); ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		items, last, err := page(ctx, after)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			if *n > 0 {
				x.w.WriteByte(',')
			}
			x.w.WriteByte('\n')
			if _, err := x.w.Write(b); err != nil {
				return err
			}
			*n++
			x.bar.step()
		}
		after = last
	}
	_, err := x.w.WriteString("\n]")
	return err
}

// exportedSettings are the prefixes of the settings an export carries: the
// operator's interface preferences. Everything else in the table is a
// hash, a one-time token, a key or internal bookkeeping.
var exportedSettings = []string{"ui."}

func (x *exporter) settings(ctx context.Context) error {
	rows, err := x.store.ListSettings(ctx)
	if err != nil {
		return fmt.Errorf("export settings: %w", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		for _, p := range exportedSettings {
			if strings.HasPrefix(r.Key, p) {
				out[r.Key] = r.Value
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.w, ",\n\"settings\":%s", b)
	return nil
}
