package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sns-os/snsos/internal/secret"
)

func runKeys(ctx context.Context, e *env, args []string) error {
	const desc = `Manage the master key that seals the platform tokens and the link keys (which sign the
media links given to platforms and the calendar feed URL).

  generate  print a new random key (base64) for SNSOS_MASTER_KEY
  status    show the loaded keys and how many credentials and link keys each one seals
  rotate    re-encrypt every credential and link key under a new key

The link keys themselves do not change: media links and the feed URL keep working.
With the generated key file (no SNSOS_MASTER_KEY), 'rotate' writes a new key to master.key.next,
reseals every credential and link key, then replaces master.key with it. Stop 'sns-os serve'
first. If the rotation is interrupted, run it again: it resumes with the same new key and loses
nothing.

With SNSOS_MASTER_KEY, rotate in three steps: set SNSOS_MASTER_KEY to a new key (keys generate)
and the current one in SNSOS_MASTER_KEY_OLD; run 'sns-os keys rotate'; then remove the old key.`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os keys generate|status|rotate [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: generate, status or rotate"}
		}
		return flag.ErrHelp
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "generate":
		fsg := newFlags(e, "keys generate", "keys generate", "Print a new random 32-byte master key, base64 encoded.")
		if err := parse(fsg, rest); err != nil {
			return err
		}
		k, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, k.Encode())
		return nil
	case "status", "rotate":
	default:
		return usageError{fmt.Sprintf("unknown keys subcommand %q: use generate, status or rotate", sub)}
	}
	fsk := newFlags(e, "keys "+sub, "keys "+sub+" [flags]", desc)
	flags := configFlags(fsk)
	if err := parse(fsk, rest); err != nil {
		return err
	}
	if fsk.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fsk.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stderr, sub == "rotate")
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "status" {
		return keysStatus(ctx, e, a)
	}
	return keysRotate(ctx, e, a)
}

func keysStatus(ctx context.Context, e *env, a *app) error {
	creds, err := a.store.CredentialKeyIDs(ctx)
	if err != nil {
		return err
	}
	links, err := a.store.SettingKeyIDs(ctx)
	if err != nil {
		return err
	}
	seals := func(k *secret.Key) string {
		return fmt.Sprintf("seals %d credentials and %d link keys", creds[k.ID()], links[k.ID()])
	}
	mode := "SNSOS_MASTER_KEY"
	if a.keys.mode == keyFromFile {
		mode = "key file " + a.keys.path
	}
	fmt.Fprintf(e.stdout, "primary key %s (%s): %s\n", a.keys.primary.ID(), mode, seals(a.keys.primary))
	if a.keys.next != nil {
		fmt.Fprintf(e.stdout, "next key    %s (unfinished rotation): %s; run 'sns-os keys rotate'\n", a.keys.next.ID(), seals(a.keys.next))
	}
	for _, o := range a.keys.old {
		fmt.Fprintf(e.stdout, "old key     %s (SNSOS_MASTER_KEY_OLD): %s\n", o.ID(), seals(o))
	}
	return nil
}

// keysRotate reseals every credential, then the link keys, under the new
// key. See runKeys. openApp has created the link keys if they were missing,
// under the key in use before the rotation.
func keysRotate(ctx context.Context, e *env, a *app) error {
	k := a.keys
	var target *secret.Key
	switch k.mode {
	case keyFromEnv:
		target = k.primary
	case keyFromFile:
		target = k.next
		nextPath := filepath.Join(a.cfg.DataDir, secret.NextKeyFileName)
		if target == nil {
			var err error
			if target, err = secret.GenerateKey(); err != nil {
				return err
			}
			if err := secret.WriteKeyFile(nextPath, target); err != nil {
				return err
			}
			a.red.Add(target.Encode())
			fmt.Fprintf(e.stdout, "new key %s written to %s\n", target.ID(), nextPath)
		} else {
			fmt.Fprintf(e.stdout, "resuming the rotation to key %s\n", target.ID())
		}
	}
	// Seal under the target, open with everything loaded.
	others := []*secret.Key{k.primary, k.next}
	others = append(others, k.old...)
	a.store.SetBox(secret.NewBox(target, others...))
	total := 0
	for {
		p, err := a.store.ResealCredentials(ctx, 100)
		total += p.Resealed
		if err != nil {
			return fmt.Errorf("after resealing %d credentials: %w (run 'sns-os keys rotate' again to resume)", total, err)
		}
		if p.Remaining == 0 {
			break
		}
		fmt.Fprintf(e.stdout, "resealed %d, %d to go\n", total, p.Remaining)
	}
	fmt.Fprintf(e.stdout, "resealed %d credentials under key %s\n", total, target.ID())
	// The link keys last: each is a compare-and-set, and until none is left
	// under another key the old key stays loadable (master.key, or
	// SNSOS_MASTER_KEY_OLD), so an interruption here resumes on the next run.
	sp, err := a.store.ResealSettings(ctx)
	if err != nil {
		return fmt.Errorf("after resealing %d credentials and %d link keys: %w (run 'sns-os keys rotate' again to resume)", total, sp.Resealed, err)
	}
	if sp.Remaining > 0 {
		return fmt.Errorf("%d link keys are still sealed under another key (changed during the rotation): run 'sns-os keys rotate' again", sp.Remaining)
	}
	fmt.Fprintf(e.stdout, "resealed %d link keys under key %s (media links and the calendar feed URL are unchanged)\n", sp.Resealed, target.ID())
	if k.mode == keyFromEnv {
		if len(k.old) > 0 {
			fmt.Fprintln(e.stdout, "every credential is sealed under SNSOS_MASTER_KEY now: remove SNSOS_MASTER_KEY_OLD and restart sns-os")
		} else {
			fmt.Fprintln(e.stdout, "nothing else to do. To rotate, set SNSOS_MASTER_KEY to a new key ('sns-os keys generate') and the current one in SNSOS_MASTER_KEY_OLD, then run this again")
		}
		return nil
	}
	// Replace the key file atomically; the old key is gone from disk.
	nextPath := filepath.Join(a.cfg.DataDir, secret.NextKeyFileName)
	if err := os.Rename(nextPath, k.path); err != nil {
		return fmt.Errorf("install the new key: %w (the credentials are sealed under %s, kept in %s; run 'sns-os keys rotate' again)", err, target.ID(), nextPath)
	}
	if d, err := os.Open(a.cfg.DataDir); err == nil {
		d.Sync()
		d.Close()
	}
	fmt.Fprintf(e.stdout, "master key %s is now in %s; the old key %s was removed. Back up the new key file.\n", target.ID(), k.path, k.primary.ID())
	return nil
}
