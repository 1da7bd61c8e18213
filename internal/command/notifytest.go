package command

import (
	"context"
	"errors"
	"fmt"
	"io"

	"paperfeed/internal/server"
)

// notifyCommand is "paperfeed notify test NAME [flags]": it sends one
// sample message to a subscription of the notify file and prints the
// channel's answer, so an operator sees a channel work (or why not)
// before a paper qualifies.
func Notify(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "test" || args[1] == "" || args[1][0] == '-' {
		return errors.New("usage: paperfeed notify test NAME [flags] (NAME: a subscription of the -notify file)")
	}
	name := args[1]
	cfg, err := parseCommandConfig("notify", args[2:], lookupEnv, stderr)
	if err != nil {
		return err
	}
	answer, err := server.TestNotify(ctx, cfg, lookupEnv, name)
	if answer != "" {
		fmt.Fprintln(stdout, answer)
	}
	if err != nil {
		return fmt.Errorf("notify test %s: %w", name, err)
	}
	return nil
}
