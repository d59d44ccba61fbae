package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/oauth"
)

func runAccounts(ctx context.Context, e *env, args []string) error {
	const desc = `Manage connected accounts.

  list               list accounts and their status
  connect PLATFORM   print the URL that connects an account (x, instagram, threads, tiktok):
                     open it in any browser and consent; the running server completes it`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os accounts list|connect PLATFORM [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: list or connect"}
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	if sub != "list" && sub != "connect" {
		return usageError{fmt.Sprintf("unknown accounts subcommand %q: use list or connect", sub)}
	}
	fs := newFlags(e, "accounts "+sub, "accounts "+sub+" [flags]", desc)
	flags := configFlags(fs)
	if err := parse(fs, rest); err != nil {
		return err
	}
	var p snsos.Platform
	if sub == "connect" {
		if fs.NArg() != 1 {
			return usageError{"name the platform: x, instagram, threads or tiktok"}
		}
		var err error
		if p, err = snsos.ParsePlatform(fs.Arg(0)); err != nil {
			return usageError{snsos.ErrorMessage(err)}
		}
	} else if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "list" {
		accts, err := a.store.ListAccounts(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-5s %-10s %-24s %-22s %s\n", "ID", "PLATFORM", "HANDLE", "REMOTE ID", "STATUS")
		for _, ac := range accts {
			fmt.Fprintf(e.stdout, "%-5d %-10s %-24s %-22s %s\n", ac.ID, ac.Platform, "@"+ac.Handle, ac.RemoteID, ac.Status)
		}
		return nil
	}
	platforms := buildPlatforms(cfg, cfg.PublicURL, cfg.Platforms, a)
	svc := oauth.New(oauth.Config{Store: a.store, Platforms: platforms, PublicURL: cfg.PublicURL, Logger: a.log})
	u, err := svc.StartConnect(ctx, p, "")
	if err != nil {
		return fmt.Errorf("%s (set SNSOS_%s_CLIENT_ID and _CLIENT_SECRET)", snsos.ErrorMessage(err), strings.ToUpper(string(p)))
	}
	fmt.Fprintf(e.stderr, "open this URL in a browser within 10 minutes; %s completes the connection at %s/oauth/%s/callback:\n", "sns-os serve", cfg.PublicURL, p)
	fmt.Fprintln(e.stdout, u)
	return nil
}
