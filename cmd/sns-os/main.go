// Command sns-os schedules, publishes and measures posts on the operator's own
// Instagram, Threads, TikTok and X accounts. Run "sns-os help" for commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sns-os/snsos/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
