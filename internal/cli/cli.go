// Package cli is the sns-os command line: it parses arguments, builds the
// Config, wires the store, keys, jobs and server together, and runs one
// subcommand. Main is the whole program; cmd/sns-os only calls it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is set at build time with -ldflags "-X github.com/sns-os/snsos/internal/cli.Version=…".
var Version = "dev"

// env bundles what a command reads from and writes to.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server", runServe},
		{"demo", "run the server with simulated platforms on a demo data dir", runDemo},
		{"lint", "check a post's text against a platform's rules (reads stdin)", runLint},
		{"token", "manage API tokens: create, list, revoke", runToken},
		{"accounts", "list accounts, or print the URL that connects one", runAccounts},
		{"operator", "set the operator password", runOperator},
		{"config", "print the effective configuration, secrets masked", runConfig},
		{"keys", "manage the master key: generate, status, rotate", runKeys},
		{"backup", "write a consistent copy of the SQLite database", runBackup},
		{"restore", "rebuild a fresh database from the git archive or a backup", runRestore},
		{"export", "write everything sns-os holds as JSON (never tokens)", runExport},
		{"doctor", "check this deployment: public URL, platform apps, permissions, media links", runDoctor},
		{"media", "remove media no post uses (gc), or list them with --dry-run", runMedia},
		{"archive", "the git archive of post metadata: status, sync, verify, token set", runArchive},
		{"bench", "build the scale benchmark's data set (seed) and measure a server on it (run)", runBench},
		{"version", "print the version", runVersion},
	}
}

// errHelp is returned after a command printed its help.
var errHelp = flag.ErrHelp

// usageError marks errors that should print usage and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command line args (without the program name) and returns
// the exit code: 0 success, 1 failure, 2 bad usage.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, getenv, stdin, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "sns-os %s: %s\nRun 'sns-os %s --help' for usage.\n", c.name, ue.msg, c.name)
			return 2
		case errors.Is(err, errLintInvalid):
			return 1
		default:
			fmt.Fprintf(stderr, "sns-os %s: %s\n", c.name, indentLines(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "sns-os: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

func usage(w io.Writer) {
	fmt.Fprintf(w, "sns-os schedules, publishes and measures posts on your own Instagram, Threads, TikTok and X accounts.\n\nUsage:\n  sns-os <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'sns-os <command> --help' for a command's flags. Settings come from flags, SNSOS_* environment\nvariables, or a file given with --config; 'sns-os config --help' lists them.\n")
}

// newFlags returns a FlagSet for a command whose --help prints the synopsis,
// the description and the flags to stdout.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: sns-os %s\n\n%s\n\nFlags:\n", synopsis, description)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, printing usage for --help and turning other flag errors
// into usage errors. Flags may come before or after the positional
// arguments ("token revoke 3 --data DIR"); "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) { // the FlagSet has printed the usage
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "version", "Print the version of sns-os and of the Go toolchain that built it.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprintln(e.stdout, versionString())
	return nil
}

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("sns-os %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// reorder moves flags (and their values) before the positional arguments,
// so that flag.FlagSet, which stops at the first positional, sees them all.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}
