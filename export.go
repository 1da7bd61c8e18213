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
	if err != nil {
		return err
	}
	cfg, err := parseConfig(rest, lookupEnv, stderr)
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
	defer a.access.Close()
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
		return "", nil, errors.New("usage: paperfeed export -o DIR [-topics FILE] [flags]: -o names the directory to write")
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
	for _, name := range []string{"style.css"} {
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

// staticPage is the builder page's static variant: every feed and
// topic with its links, the OPML file, and the newest papers, with no
// form (nothing serves it) and no script.
func (a *app) staticPage() ([]byte, error) {
	v := a.store.View()
	base := a.cfg.BaseURL
	d := pageData{Ready: true, OPML: base + "/paperfeed.opml", Prefix: basePath(base), Title: "Daily Papers"}
	if len(v.HFDays) > 0 {
		d.NewestHF = v.HFDays[0]
	}
	if len(v.ArxivDays) > 0 {
		d.NewestArxiv = v.ArxivDays[0]
	}
	for _, t := range a.topics {
		d.Topics = append(d.Topics, topicLink{Name: t.Name, Title: t.Holds(), RSS: topicURL(base, t.Name, feed.RSS),
			Atom: topicURL(base, t.Name, feed.Atom), JSON: topicURL(base, t.Name, feed.JSON)})
	}
	for _, f := range []struct{ label, typ string }{{"RSS", "application/rss+xml"}, {"Atom", "application/atom+xml"}, {"JSON Feed", "application/feed+json"}} {
		format := map[string]feed.Format{"RSS": feed.RSS, "Atom": feed.Atom, "JSON Feed": feed.JSON}[f.label]
		d.FeedURLs = append(d.FeedURLs, feedLink{Label: f.label, Type: f.typ, URL: feedURL(base, format, "")})
	}
	d.RSSURL, d.AtomURL, d.JSONURL = d.FeedURLs[0].URL, d.FeedURLs[1].URL, d.FeedURLs[2].URL
	for _, p := range v.Papers {
		if p.OnHF && len(d.Papers) < previewMax {
			d.Papers = append(d.Papers, previewItem{Paper: p, When: p.Day()})
		}
	}
	d.Shown, d.Total = len(d.Papers), len(d.Papers)
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "static", d); err != nil {
		return nil, fmt.Errorf("static page: %w", err)
	}
	return buf.Bytes(), nil
}
