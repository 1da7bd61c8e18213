package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"paperfeed/internal/server"
	"paperfeed/internal/swapdir"
)

// export is "paperfeed export -o DIR [flags]": one fetch cycle (or the
// state's data, when it is fresh), then every topic as .rss, .atom and
// .json, the default feed, the OPML file and a static builder page,
// written into DIR. The same data gives the same bytes. A source that
// failed and that no state covers is an error (exit status 2).
func Export(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	dir, rest, err := exportDir(args)
	if err != nil && !slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		return err
	}
	cfg, err := parseCommandConfig("export", rest, lookupEnv, stderr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		return errors.New("export needs -base-url (or PAPERFEED_BASE_URL): the public URL the files will be served from, for their self links")
	}
	log := server.NewLogger(cfg, stderr)
	svc, err := server.Open(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.Close(); err != nil {
			log.Warn("state store: final write failed", "error", err)
		}
	}()
	files, err := svc.Export(ctx)
	if err != nil {
		return err
	}
	if err := swapdir.Write(dir, files, log); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	log.Info("exported", "dir", dir, "files", len(files), "topics", len(svc.HTTP.Topics()))
	return nil
}

// exportDir takes -o DIR out of the arguments.
func exportDir(args []string) (string, []string, error) {
	var dir string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "--o":
			if i+1 >= len(args) {
				return "", nil, errors.New("export: -o needs a directory")
			}
			dir = args[i+1]
			i++
		case strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--o="):
			dir = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	if dir == "" {
		return "", rest, errors.New("usage: paperfeed export -o DIR -base-url URL [flags]: -o names the directory to write (paperfeed export -h lists every setting)")
	}
	return dir, rest, nil
}
