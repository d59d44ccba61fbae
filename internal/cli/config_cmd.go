package cli

import (
	"context"
	"fmt"

	"github.com/sns-os/snsos/internal/config"
)

func runConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "config", "config [flags]", "Print every setting as NAME=value with where it came from; secrets are masked and passwords are\nremoved from URLs. Exits 1 and lists each problem when the configuration is not valid.\n\nSettings:")
	flags := configFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: sns-os config [flags]\n\nPrint every setting as NAME=value with where it came from; secrets are masked and passwords are\nremoved from URLs. Exits 1 and lists each problem when the configuration is not valid.\n\nSettings (environment variables; flags override them):\n")
		config.Help(e.stdout)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := config.Load(flags, e.getenv)
	if err != nil {
		return err
	}
	if err := cfg.Dump(e.stdout); err != nil {
		return err
	}
	return cfg.Validate()
}
