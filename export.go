package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"paperfeed/feed"
)

// export is "paperfeed export -o DIR [flags]": one fetch cycle (or the
// state's data, when it is fresh), then every topic as .rss, .atom and
// .json, the default feed, the OPML file and a static builder page,
// written into DIR. The same data gives the same bytes. A source that
// failed and that no state covers is an error (exit status 2).
func export(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) error {
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
	log := newLogger(cfg, stderr)
	a, err := openApp(ctx, cfg, stderr, log)
	if err != nil {
		return err
	}
	// The export's own requests to the handler are not a reader's: no
	// access log.
	a.access.Close()
	a.access = nil
	// The state stays open while the files are made: seeds and past
	// listings it holds are read from it, not fetched again.
	defer func() {
		if err := a.refresh.Close(); err != nil {
			log.Warn("state store: final write failed", "error", err)
		}
	}()
	if err := a.refresh.RefreshDue(ctx); err != nil {
		return err
	}
	files, err := a.exportFiles()
	if err != nil {
		return err
	}
	if err := writeTree(dir, files, log); err != nil {
		return err
	}
	log.Info("exported", "dir", dir, "files", len(files), "topics", len(a.topics))
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

// exportFiles renders what a static site serves, by path, through the
// service's own handler (so the bytes are what the server would answer).
func (a *app) exportFiles() (map[string][]byte, error) {
	h := a.routes()
	base, err := url.Parse(a.cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	get := func(path string) ([]byte, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = base.Host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			return nil, fmt.Errorf("export %s: %d %s", path, w.Code, strings.TrimSpace(w.Body.String()))
		}
		return w.Body.Bytes(), nil
	}
	files := map[string][]byte{}
	var paths []string
	for _, f := range feed.Formats {
		paths = append(paths, "/feed."+string(f))
		for _, t := range a.topics {
			paths = append(paths, "/topics/"+t.Name+"."+string(f))
		}
	}
	for _, p := range paths {
		b, err := get(p)
		if err != nil {
			return nil, err
		}
		files[strings.TrimPrefix(p, "/")] = b
	}
	opml, err := get("/opml")
	if err != nil {
		return nil, err
	}
	files["paperfeed.opml"] = opml
	for _, name := range []string{"style.css", "app.js", "favicon.svg"} {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			return nil, err
		}
		files["static/"+name] = b
	}
	page, err := a.staticPage()
	if err != nil {
		return nil, err
	}
	files["index.html"] = page
	return files, nil
}

// staticPage is the builder page's static variant for the default
// feed: its title, count and papers as the server's page shows them,
// every topic, the OPML file; no form (nothing serves it). Its links are
// relative, so it works opened from disk and under any path; the feed
// URLs to copy are the public ones (-base-url).
func (a *app) staticPage() ([]byte, error) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	d := a.pageData(req)
	if d.Error != "" {
		return nil, fmt.Errorf("static page: %s", d.Error)
	}
	d.Prefix, d.OPML = ".", "paperfeed.opml"
	for i, u := range d.FeedURLs {
		d.FeedURLs[i].Href = map[string]string{"application/rss+xml": "feed.rss", "application/atom+xml": "feed.atom", "application/feed+json": "feed.json"}[u.Type]
	}
	for i, t := range d.Topics {
		d.Topics[i].RSS, d.Topics[i].Atom, d.Topics[i].JSON = "topics/"+t.Name+".rss", "topics/"+t.Name+".atom", "topics/"+t.Name+".json"
	}
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "static", d); err != nil {
		return nil, fmt.Errorf("static page: %w", err)
	}
	return buf.Bytes(), nil
}
