package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"paperfeed/internal/command"
	"paperfeed/internal/standin"
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
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	data := t.TempDir()
	one, two := t.TempDir(), t.TempDir()
	if err := command.Export(context.Background(), []string{"-o", one}, exportEnv(up, data), io.Discard); err != nil {
		t.Fatal(err)
	}
	hits := upstreamHits(site)
	if err := command.Export(context.Background(), []string{"-o=" + two}, exportEnv(up, data), io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := upstreamHits(site) - hits; n != 0 {
		t.Errorf("the second export fetched %d times though the state was fresh", n)
	}
	a, b := readTree(t, one), readTree(t, two)
	topics := mustTopics(t)
	papers := 0
	for name := range a {
		if strings.HasPrefix(name, "papers/") {
			papers++
		}
	}
	if want := 3*(1+len(topics)) + 5; len(a)-papers != want {
		t.Errorf("%d files exported besides papers, want %d: %v", len(a)-papers, want, keys(a))
	}
	// Every item's citation links lead to an exported file, and no paper
	// file is exported that no item links.
	linked := map[string]bool{}
	for name, body := range a {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		for _, m := range regexp.MustCompile(`"(?:bibtex|ris|page)": "https://example\.org/papers/([^"]+)"`).FindAllStringSubmatch(string(body), -1) {
			rel := m[1]
			if !strings.HasSuffix(rel, ".bib") && !strings.HasSuffix(rel, ".ris") {
				rel += "/index.html"
			}
			linked[rel] = true
			if _, ok := a[rel]; !ok {
				t.Errorf("%s links %s, which was not exported", name, m[1])
			}
		}
	}
	if papers == 0 || len(linked) != papers {
		t.Errorf("%d paper files exported, %d linked", papers, len(linked))
	}
	// "More like this" needs the server (its builder page and like=
	// feeds): no exported file links it.
	for name, body := range a {
		if bytes.Contains(body, []byte("?like=")) || bytes.Contains(body, []byte("More like this")) || bytes.Contains(body, []byte("more_like")) {
			t.Errorf("%s links a like= feed, which a static host cannot serve", name)
		}
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
			// Relative links: the page works from disk and under any path;
			// the URLs to copy are the public ones.
			for _, want := range []string{`href="./static/style.css"`, `src="./static/app.js"`, `href="topics/agents.rss"`,
				`href="paperfeed.opml"`, `href="feed.atom"`, `value="https://example.org/papers/feed.rss"`, `<ol class="papers">`} {
				if !strings.Contains(page, want) {
					t.Errorf("index.html lacks %s", want)
				}
			}
			if strings.Contains(page, "<form") {
				t.Error("the static page has a form nothing serves")
			}
			// Its count is its feed's.
			n := len(parseFeed(t, string(a["feed.rss"])).Items)
			if !strings.Contains(page, fmt.Sprintf(">%d papers in this feed now", n)) {
				t.Errorf("the static page's count does not match feed.rss (%d items)", n)
			}
		}
	}
}

// An upstream failure that no state covers is an error with a clear
// message; the exit status is not 0.
func TestExportFailsWithoutData(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	site.HF.SetFault("/", standin.Fault{Status: 500})
	up := newUpstream(t, site)
	err = command.Export(context.Background(), []string{"-o", t.TempDir()}, exportEnv(up, t.TempDir()), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Hugging Face failed and no saved state covers it") {
		t.Errorf("export with HF down and no state: %v", err)
	}
	err = command.Export(context.Background(), nil, exportEnv(up, t.TempDir()), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-o names the directory") {
		t.Errorf("export without -o: %v", err)
	}
}

// An export replaces its directory whole: a reader during exports
// always finds whole files, never follows a link out of the directory,
// a failed export leaves the previous one as it was, and the state is
// read while rendering (seeds and past listings are not fetched again).
func TestExportSwapsTheTreeWhole(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	data := t.TempDir()
	topics := filepath.Join(t.TempDir(), "topics.txt")
	// A seed the window does not hold and a past day: both fetched by
	// the first export, neither by the next.
	if err := os.WriteFile(topics, []byte("like-it: like=2604.26951&min_similarity=0\npast: date=2026-08-12\nagents: q=agents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(dataDir string) func(string) (string, bool) {
		e := exportEnv(up, dataDir)
		return func(k string) (string, bool) {
			if k == "PAPERFEED_TOPICS" {
				return topics, true
			}
			return e(k)
		}
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "site")
	if err := command.Export(context.Background(), []string{"-o", out}, env(data), io.Discard); err != nil {
		t.Fatal(err)
	}
	first := readTree(t, out)
	if len(first["topics/like-it.rss"]) == 0 || len(first["topics/past.json"]) == 0 {
		t.Fatalf("the like= and date= topics were not exported: %v", keys(first))
	}
	hits := upstreamHits(site)
	if err := command.Export(context.Background(), []string{"-o", out}, env(data), io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := upstreamHits(site) - hits; n != 0 {
		t.Errorf("a second export with the state fetched %d times (seed, past listing)", n)
	}

	// A link planted in the export: replaced, never written through.
	outside := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "feed.rss")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(out, "feed.rss")); err != nil {
		t.Fatal(err)
	}
	// A reader walks the tree while exports run: every file it reads is
	// whole.
	stop := make(chan struct{})
	done := make(chan []string)
	go func() {
		var bad []string
		for {
			select {
			case <-stop:
				done <- bad
				return
			default:
			}
			for _, name := range []string{"feed.rss", "feed.atom", "topics/agents.json", "index.html", "paperfeed.opml"} {
				path := filepath.Join(out, name)
				if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink != 0 {
					if err != nil {
						bad = append(bad, name+" missing")
					}
					continue // the planted link, until the first export replaces it
				}
				b, err := os.ReadFile(path)
				if err != nil {
					bad = append(bad, name+": "+err.Error())
					continue
				}
				if end := map[string]string{"rss": "</rss>", "atom": "</feed>", "json": "}", "html": "</html>", "opml": "</opml>"}[name[strings.LastIndexByte(name, '.')+1:]]; !strings.HasSuffix(strings.TrimSpace(string(b)), end) {
					bad = append(bad, fmt.Sprintf("%s (%d bytes)", name, len(b)))
				}
			}
		}
	}()
	for range 6 {
		if err := command.Export(context.Background(), []string{"-o", out}, env(data), io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if bad := <-done; len(bad) > 0 {
		t.Errorf("a reader saw %d partial files, e.g. %v", len(bad), bad[0])
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep me" {
		t.Errorf("an export wrote through a link: the file outside holds %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(out, "feed.rss")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("feed.rss after the export: %v %v", fi, err)
	}

	// A failing export (HF down, a data directory without state) leaves
	// the previous export as it was, and no temporary tree behind.
	before := readTree(t, out)
	site.HF.SetFault("/", standin.Fault{Status: 500})
	if err := command.Export(context.Background(), []string{"-o", out}, env(t.TempDir()), io.Discard); err == nil {
		t.Fatal("an export with HF down and no state succeeded")
	}
	after := readTree(t, out)
	if len(after) != len(before) {
		t.Errorf("a failed export changed the tree: %d -> %d files", len(before), len(after))
	}
	for name, body := range before {
		if !bytes.Equal(after[name], body) {
			t.Errorf("a failed export changed %s", name)
		}
	}
	if left, _ := os.ReadDir(parent); len(left) != 1 {
		t.Errorf("beside the export: %v", left)
	}
	site.HF.SetFault("/", standin.Fault{})

	// -o naming a link is refused, and nothing is written.
	link := filepath.Join(parent, "link")
	target := t.TempDir()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := command.Export(context.Background(), []string{"-o", link}, env(data), io.Discard); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("export to a link: %v", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("an export wrote through -o's link: %v", entries)
	}
}

// -h says how to export; export -h lists what an export needs.
func TestExportIsInTheHelp(t *testing.T) {
	var out bytes.Buffer
	if err := command.Serve(context.Background(), []string{"-h"}, func(string) (string, bool) { return "", false }, &out, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(out.String(), "paperfeed export -o DIR") {
		t.Errorf("paperfeed -h does not mention export:\n%s", out.String())
	}
	out.Reset()
	if err := command.Export(context.Background(), []string{"-h"}, func(string) (string, bool) { return "", false }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("export -h: %v", err)
	}
	for _, want := range []string{"Usage: paperfeed export -o DIR -base-url URL", "-o DIR", "-base-url URL", "(required", "-data-dir", "-topics"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("export -h lacks %q:\n%s", want, out.String())
		}
	}
}

// An export writes no access-log lines for the requests it makes of its
// own handler.
func TestExportWritesNoAccessLog(t *testing.T) {
	site, err := standin.NewSite("testdata", standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := exportEnv(newUpstream(t, site), t.TempDir())
	var logs bytes.Buffer
	if err := command.Export(context.Background(), []string{"-o", t.TempDir()}, func(k string) (string, bool) {
		if k == "PAPERFEED_LOG_LEVEL" {
			return "info", true
		}
		return env(k)
	}, &logs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "method=GET") || strings.Contains(logs.String(), "/topics/") {
		t.Errorf("the export logged its own requests:\n%.1000s", logs.String())
	}
	if !strings.Contains(logs.String(), `msg=exported`) {
		t.Errorf("no line says what was exported:\n%s", logs.String())
	}
}
