package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/logging"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

// loadConfig builds and validates the Config from parsed flags and env.
func loadConfig(e *env, flags *config.Flags) (*config.Config, error) {
	cfg, err := config.Load(flags, e.getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// newLogger returns the process logger with a redactor that knows the
// configured secrets.
func newLogger(cfg *config.Config, w io.Writer) (*slog.Logger, *logging.Redactor) {
	red := logging.NewRedactor()
	red.Add(cfg.MasterKey.Reveal(), cfg.APIToken.Reveal())
	for _, k := range strings.Split(cfg.MasterKeysOld.Reveal(), ",") {
		red.Add(strings.TrimSpace(k))
	}
	for _, pc := range cfg.Platforms {
		red.Add(pc.ClientSecret.Reveal(), pc.AppSecret.Reveal())
	}
	return logging.New(w, cfg.LogFormat, cfg.LogLevel, red), red
}

// keyMode says where the master key comes from.
type keyMode int

const (
	keyFromFile keyMode = iota // generated key file in the data dir
	keyFromEnv                 // SNSOS_MASTER_KEY(_FILE)
)

// keys is the loaded key material.
type keys struct {
	mode    keyMode
	primary *secret.Key
	next    *secret.Key // file mode: the new key of an unfinished rotation
	old     []*secret.Key
	path    string
}

func (k *keys) box() *secret.Box {
	return secret.NewBox(k.primary, append([]*secret.Key{k.next}, k.old...)...)
}

// warnKeyFileMode warns when the key file at path may be read by users
// other than its owner (group or others have any permission on it).
func warnKeyFileMode(log *slog.Logger, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		log.Warn("the master key file is readable by other users: anyone who can read it can open every stored token; run chmod 600 on it",
			"path", path, "mode", fmt.Sprintf("%04o", mode))
	}
}

// loadKeys loads the master key (and older ones during a rotation). In file
// mode it creates the key file on first run and says so loudly.
func loadKeys(cfg *config.Config, log *slog.Logger, red *logging.Redactor) (*keys, error) {
	k := &keys{path: filepath.Join(cfg.DataDir, secret.KeyFileName)}
	if mk := cfg.MasterKey.Reveal(); mk != "" {
		p, err := secret.ParseKey(mk)
		if err != nil {
			return nil, fmt.Errorf("SNSOS_MASTER_KEY: %s", strings.TrimPrefix(err.Error(), "secret: "))
		}
		k.mode, k.primary = keyFromEnv, p
	} else {
		p, created, err := secret.LoadOrCreateKeyFile(k.path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) {
				return nil, store.DataDirError(cfg.DataDir, err)
			}
			return nil, fmt.Errorf("SNSOS_MASTER_KEY_FILE: %w; set SNSOS_MASTER_KEY or restore the key file from your backup", err)
		}
		if created {
			log.Warn("generated a new master key: back this file up, without it the stored tokens cannot be read", "path", k.path, "key_id", p.ID())
		}
		k.primary = p
		warnKeyFileMode(log, k.path)
		nextPath := filepath.Join(cfg.DataDir, secret.NextKeyFileName)
		next, err := secret.ReadKeyFile(nextPath)
		switch {
		case err == nil:
			k.next = next
			warnKeyFileMode(log, nextPath)
			log.Warn("a master key rotation is unfinished: run 'sns-os keys rotate' to complete it", "next_key_id", next.ID())
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	for i, s := range strings.Split(cfg.MasterKeysOld.Reveal(), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		o, err := secret.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("SNSOS_MASTER_KEY_OLD (key %d): %s", i+1, strings.TrimPrefix(err.Error(), "secret: "))
		}
		k.old = append(k.old, o)
	}
	for _, key := range append([]*secret.Key{k.primary, k.next}, k.old...) {
		if key != nil {
			red.Add(key.Encode())
		}
	}
	return k, nil
}

// app is what the long-running commands share.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	red   *logging.Redactor
	keys  *keys
	store *store.Store
	// linkKey signs the public media links (/m/) and feedKey the calendar
	// feed URL: stored sealed in the database (store.DerivedKey), so they
	// stay the same across master key rotations.
	linkKey, feedKey []byte
	release          func() // the data dir lock, when held
}

// openApp prepares the data dir, takes its lock when exclusive (serve,
// demo, keys rotate), loads the keys, opens and migrates the database (and
// River's tables), checks that every stored credential opens with a loaded
// key, and loads (on first start, creates) the link and feed keys.
func openApp(ctx context.Context, cfg *config.Config, logOut io.Writer, exclusive bool) (_ *app, err error) {
	log, red := newLogger(cfg, logOut)
	if err := store.EnsureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, red: red, release: func() {}}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if exclusive {
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		a.release = release
	}
	if a.keys, err = loadKeys(cfg, log, red); err != nil {
		return nil, err
	}
	if a.store, err = store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Box: a.keys.box(), Logger: log}); err != nil {
		return nil, err
	}
	if err := jobs.Migrate(ctx, a.store.DB(), a.store.Pool(), log); err != nil {
		return nil, err
	}
	if err := a.checkKeys(ctx); err != nil {
		return nil, err
	}
	// Before any rotation can change the primary key: on the first start
	// after an upgrade these are created as the primary key derived them
	// before, so the links and the feed URL already handed out keep working.
	if a.linkKey, err = a.store.DerivedKey(ctx, purposeMediaLinks); err != nil {
		return nil, fmt.Errorf("the media link key: %w", err)
	}
	if a.feedKey, err = a.store.DerivedKey(ctx, purposeICalFeed); err != nil {
		return nil, fmt.Errorf("the calendar feed key: %w", err)
	}
	return a, nil
}

// The purposes of the keys derived for signing (store.DerivedKey).
const (
	purposeMediaLinks = "media-links"
	purposeICalFeed   = "ical-feed"
)

// checkKeys refuses to run with a master key that cannot open the stored
// credentials and link keys: the usual cause is a wrong SNSOS_MASTER_KEY or
// a data dir restored without its key file.
func (a *app) checkKeys(ctx context.Context) error {
	creds, err := a.store.CredentialKeyIDs(ctx)
	if err != nil {
		return err
	}
	settings, err := a.store.SettingKeyIDs(ctx)
	if err != nil {
		return err
	}
	loaded := a.keys.box().KeyIDs()
	for _, c := range []struct {
		what string
		ids  map[string]int
	}{{"stored credentials", creds}, {"link keys", settings}} {
		for _, id := range slices.Sorted(maps.Keys(c.ids)) {
			if id == "" || slices.Contains(loaded, id) { // "": not a sealed value; opening it says so
				continue
			}
			where := "SNSOS_MASTER_KEY"
			if a.keys.mode == keyFromFile {
				where = "the master key file " + a.keys.path
			}
			return fmt.Errorf("SNSOS_MASTER_KEY: %d %s are sealed under key %s, but %s holds key %s: set the master key this database was created with (during a rotation, put the old one in SNSOS_MASTER_KEY_OLD)",
				c.ids[id], c.what, id, where, a.keys.primary.ID())
		}
	}
	return nil
}

// Close closes the database and releases the data dir lock.
func (a *app) Close() error {
	var err error
	if a.store != nil {
		err = a.store.Close()
	}
	a.release()
	return err
}

// configFlags registers the config flags on fs.
func configFlags(fs *flag.FlagSet) *config.Flags { return config.Register(fs) }
