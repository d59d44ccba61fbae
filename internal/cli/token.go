package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
)

func runToken(ctx context.Context, e *env, args []string) error {
	const desc = `Manage API tokens for /api/v1 (Authorization: Bearer <token>).

  create --name NAME   make a token and print it once (only its hash is stored)
  list                 list tokens (name, prefix, created, last used, revoked)
  revoke ID            revoke a token at once`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os token create|list|revoke [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: create, list or revoke"}
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	if sub != "create" && sub != "list" && sub != "revoke" {
		return usageError{fmt.Sprintf("unknown token subcommand %q: use create, list or revoke", sub)}
	}
	fs := newFlags(e, "token "+sub, "token "+sub+" [flags]", desc)
	name := fs.String("name", "", "the token's name, e.g. the script that uses it (create)")
	flags := configFlags(fs)
	if err := parse(fs, rest); err != nil {
		return err
	}
	var id int64
	switch sub {
	case "create":
		if *name == "" {
			return usageError{"--name is required"}
		}
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
	case "revoke":
		if fs.NArg() != 1 {
			return usageError{"give the id of the token to revoke (sns-os token list shows it)"}
		}
		var err error
		if id, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil || id <= 0 {
			return usageError{fmt.Sprintf("%q is not a token id", fs.Arg(0))}
		}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	log, _ := newLogger(cfg, e.stderr)
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "create":
		tok := auth.NewToken(api.TokenTag, api.TokenBytes)
		t, err := s.CreateAPIToken(ctx, *name, auth.HashToken(tok), api.TokenPrefix(tok))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "token %d %q created; it is shown once, store it now:\n", t.ID, t.Name)
		fmt.Fprintln(e.stdout, tok)
	case "list":
		ts, err := s.ListAPITokens(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-5s %-20s %-14s %-20s %-20s %s\n", "ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED")
		for _, t := range ts {
			fmt.Fprintf(e.stdout, "%-5d %-20s %-14s %-20s %-20s %s\n", t.ID, t.Name, t.Prefix, when(t.CreatedAt, cfg), when(t.LastUsedAt, cfg), when(t.RevokedAt, cfg))
		}
	case "revoke":
		if err := s.RevokeAPIToken(ctx, id); err != nil {
			if snsos.IsCode(err, snsos.ENOTFOUND) {
				return fmt.Errorf("no API token has id %d", id)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "token %d revoked\n", id)
	}
	return nil
}

func when(t time.Time, cfg interface{ Location() *time.Location }) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(cfg.Location()).Format("2006-01-02 15:04")
}
