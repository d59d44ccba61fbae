package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
)

// minPasswordLen is the shortest operator password accepted.
const minPasswordLen = 12

func runOperator(ctx context.Context, e *env, args []string) error {
	const desc = `Set the operator's password (the web interface asks only for it).

  password             read the new password from the first line of stdin
  password --generate  make a random one and print it once

Every signed-in session ends, so a stolen session stops working too.`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os operator password [--generate] [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: password"}
		}
		return errHelp
	}
	if args[0] != "password" {
		return usageError{fmt.Sprintf("unknown operator subcommand %q: use password", args[0])}
	}
	fs := newFlags(e, "operator password", "operator password [--generate] [flags]", desc)
	generate := fs.Bool("generate", false, "generate a random password and print it")
	flags := configFlags(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (the password is read from stdin)", fs.Arg(0))}
	}
	var pw string
	if *generate {
		var err error
		if pw, err = auth.GeneratePassword(); err != nil {
			return err
		}
	} else {
		sc := bufio.NewScanner(e.stdin)
		sc.Buffer(make([]byte, 4096), 4096)
		if !sc.Scan() {
			return fmt.Errorf("no password on stdin: pipe one in, or use --generate")
		}
		pw = strings.TrimRight(sc.Text(), "\r")
		if utf8.RuneCountInString(pw) < minPasswordLen {
			return fmt.Errorf("the password is too short: use at least %d characters", minPasswordLen)
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
	n, err := auth.SetOperatorPassword(ctx, s, pw, "")
	if err != nil {
		return err
	}
	if *generate {
		fmt.Fprintf(e.stdout, "operator password: %s\n", pw)
	}
	fmt.Fprintf(e.stderr, "operator password set; %d signed-in session(s) ended\n", n)
	return nil
}
