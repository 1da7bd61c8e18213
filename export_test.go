package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"paperfeed/internal/upstream"
)

func exportEnv(site, dataDir string) func(string) (string, bool) {
	vars := siteEnv(site, dataDir)
	vars["PAPERFEED_BASE_URL"] = "https://example.org/papers"
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Two exports of the same data are the same bytes; every file parses;
// every link goes through the base URL.
func TestExportIsDeterministicAndValid(t *testing.T) {
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	data := t.TempDir()
	one, two := t.TempDir(), t.TempDir()
	if err := export(context.Background(), []string{"-o", one}, exportEnv(up, data), io.Discard); err != nil {
		t.Fatal(err)
	}
	hits := upstreamHits(site)
	if err := export(context.Background(), []string{"-o=" + two}, exportEnv(up, data), io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := upstreamHits(site) - hits; n != 0 {
		t.Errorf("the second export fetched %d times though the state was fresh", n)
	}
	a, b := readTree(t, one), readTree(t, two)
	topics := mustTopics(t)
	if want := 3*(1+len(topics)) + 3; len(a) != want {
		t.Errorf("%d files exported, want %d: %v", len(a), want, keys(a))
	}
	for name, body := range a {
		if !bytes.Equal(body, b[name]) {
			t.Errorf("%s differs between two exports of the same data", name)
		}
	}
	for name, body := range a {
		switch {
		case strings.HasSuffix(name, ".rss") || strings.HasSuffix(name, ".atom") || strings.HasSuffix(name, ".json"):
			f := parseFeed(t, string(body))
			if len(f.Items) == 0 && !strings.Contains(name, "trending") {
				t.Errorf("%s has no item", name)
			}
			if self := f.FeedLink; self != "" && !strings.HasPrefix(self, "https://example.org/papers/") {
				t.Errorf("%s: self link %s is not under the base URL", name, self)
			}
			if f.Link != "" && !strings.HasPrefix(f.Link, "https://example.org/papers/") {
				t.Errorf("%s: link %s is not under the base URL", name, f.Link)
			}
		case name == "paperfeed.opml":
			var doc opmlDoc
			if err := xml.Unmarshal(body, &doc); err != nil {
				t.Fatalf("opml: %v", err)
			}
			for _, o := range doc.Body.Outlines {
				if !strings.HasPrefix(o.XMLURL, "https://example.org/papers/") {
					t.Errorf("opml outline %s", o.XMLURL)
				}
				rel := strings.TrimPrefix(o.XMLURL, "https://example.org/papers/")
				if _, ok := a[rel]; !ok {
					t.Errorf("opml names %s, which was not exported", rel)
				}
			}
		case name == "index.html":
			page := string(body)
			for _, want := range []string{`href="/papers/static/style.css"`, `href="https://example.org/papers/topics/agents.rss"`,
				`href="https://example.org/papers/paperfeed.opml"`, `<ol class="papers">`} {
				if !strings.Contains(page, want) {
					t.Errorf("index.html lacks %s", want)
				}
			}
			if strings.Contains(page, "<script") || strings.Contains(page, "<form") {
				t.Error("the static page has a script or a form nothing serves")
			}
		}
	}
}

// An upstream failure that no state covers is an error with a clear
// message; the exit status is not 0.
func TestExportFailsWithoutData(t *testing.T) {
	site, err := upstream.NewSite("testdata", upstream.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.SetFault("/", upstream.Fault{Status: 500})
	up := newUpstream(t, site)
	err = export(context.Background(), []string{"-o", t.TempDir()}, exportEnv(up, t.TempDir()), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Hugging Face failed and no saved state covers it") {
		t.Errorf("export with HF down and no state: %v", err)
	}
	err = export(context.Background(), nil, exportEnv(up, t.TempDir()), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-o names the directory") {
		t.Errorf("export without -o: %v", err)
	}
}
