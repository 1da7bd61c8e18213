package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"paperfeed/feed"
)

// ExportFiles renders what a static site serves, by path, through the
// service's own handler (so the bytes are what the server would answer).
func (s *Server) ExportFiles() (map[string][]byte, error) {
	h := s.routes()
	base, err := url.Parse(s.cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	get := func(path string) ([]byte, error) {
		req := httptest.NewRequestWithContext(withExport(context.Background()), http.MethodGet, path, nil)
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
	for _, f := range feed.FeedFormats {
		paths = append(paths, "/feed."+string(f))
		for _, t := range s.topics {
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
	// Every exported item links its paper's page and citations.
	ids, err := exportedPapers(files)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		for _, kind := range []string{".bib", ".ris", ""} {
			b, err := get(feed.CitePath(id) + kind)
			if err != nil {
				return nil, err
			}
			name := strings.TrimPrefix(feed.CitePath(id), "/") + kind
			if kind == "" {
				name += "/index.html" // /papers/ID on any static host
			}
			files[name] = b
		}
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
	page, err := s.staticPage()
	if err != nil {
		return nil, err
	}
	files["index.html"] = page
	return files, nil
}

// exportedPapers are the IDs of the papers the exported JSON feeds hold,
// sorted.
func exportedPapers(files map[string][]byte) ([]string, error) {
	seen := map[string]bool{}
	for name, b := range files {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		var doc struct {
			Items []struct {
				Ext struct {
					ArxivID string `json:"arxiv_id"`
				} `json:"_paperfeed"`
			} `json:"items"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("export %s: %w", name, err)
		}
		for _, it := range doc.Items {
			if it.Ext.ArxivID != "" {
				seen[it.Ext.ArxivID] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// staticPage is the builder page's static variant for the default
// feed: its title, count and papers as the server's page shows them,
// every topic, the OPML file; no form (nothing serves it). Its links are
// relative, so it works opened from disk and under any path; the feed
// URLs to copy are the public ones (-base-url).
func (s *Server) staticPage() ([]byte, error) {
	req := httptest.NewRequestWithContext(withExport(context.Background()), http.MethodGet, "/", nil)
	d := s.pageData(req)
	if d.Error != "" {
		return nil, fmt.Errorf("static page: %s", d.Error)
	}
	d.Prefix, d.OPML = ".", "paperfeed.opml"
	for i, u := range d.FeedURLs {
		d.FeedURLs[i].Href = "feed." + string(u.Format)
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

// A request of the static export is marked in its context: what it
// renders links nothing a static host cannot serve (no "More like
// this", which needs the server's builder page and feeds).
type exportKey struct{}

func withExport(ctx context.Context) context.Context {
	return context.WithValue(ctx, exportKey{}, true)
}

func isExport(ctx context.Context) bool { b, _ := ctx.Value(exportKey{}).(bool); return b }
