// Command paperfeed serves Hugging Face Daily Papers and arXiv category
// feeds as filtered RSS, Atom and JSON feeds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"paperfeed/internal/command"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	cmd, failed := "", 2
	if len(args) > 0 && (args[0] == "export" || args[0] == "healthcheck" || args[0] == "notify") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "export":
		err = command.Export(ctx, args, os.LookupEnv, os.Stderr)
	case "notify":
		err = command.Notify(ctx, args, os.LookupEnv, os.Stdout, os.Stderr)
	case "healthcheck":
		err, failed = command.Healthcheck(ctx, args, os.LookupEnv, os.Stdout), 1 // unhealthy, as a container runtime reads it
	default:
		err = command.Serve(ctx, args, os.LookupEnv, os.Stderr, nil)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "paperfeed:", err)
		os.Exit(failed)
	}
}
