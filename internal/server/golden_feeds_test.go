package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paperfeed/internal/source/artifacts"
	"paperfeed/internal/standin"
)

var updateFeeds = flag.Bool("update-feeds", false, "rewrite testdata/feeds/, the golden feeds")

// goldenFeedURLs are a varied set of feeds: every format, the window and
// arXiv, keywords, thresholds, qualified dates, trending, digests,
// similarity, paper facts, RSSHub's routes, topics and citations.
var goldenFeedURLs = []string{
	"/feed.rss", "/feed.atom", "/feed.json", "/feed.bib", "/feed.ris",
	"/feed.rss?q=agents", "/feed.atom?q=diffusion%20OR%20video&in=title,abstract", "/feed.json?q=-survey&limit=20",
	"/feed.rss?min_upvotes=20&has_code=1", "/feed.json?min_upvotes=10&date_by=listed",
	"/feed.rss?sort=trending", "/feed.json?sort=trending&gain_hours=6&min_gain=1",
	"/feed.rss?digest=day", "/feed.atom?digest=day&digest_size=3",
	"/feed.rss?source=arxiv&category=cs.CL", "/feed.json?source=all&sort=upvotes&limit=50", "/feed.atom?source=arxiv&announce=replace",
	"/feed.rss?like=2608.09888", "/feed.json?like=2608.09888,2510.01284&min_similarity=0.02",
	"/feed.json?venue=stoc,neurips", "/feed.rss?has_model=1&sort=upvotes", "/feed.atom?revised=1&source=all",
	"/feed.rss?author=chen&org=google", "/feed.json?days=2", "/feed.rss?filter_title=LLM|agent",
	"/huggingface/daily-papers", "/huggingface/daily-papers/date/5",
	"/topics/agents.rss", "/topics/trending.json", "/feed.bib?venue=neurips&q=reasoning",
}

// Every feed of the set is byte for byte what it was when the goldens
// were taken (go test ./internal/server -run TestGoldenFeeds
// -update-feeds), ETag included: rendering changes that mean to change
// nothing a reader sees are held to it.
func TestGoldenFeeds(t *testing.T) {
	now := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	f := newSiteFixture(t, func() time.Time { return now })
	ctx := context.Background()
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	f.arxivRefresh(t)
	f.site.Arxiv.Revise("2608.09888", standin.Revision{Version: 2, Updated: time.Date(2026, 8, 20, 9, 0, 0, 0, time.UTC),
		Comment: "Accepted at NeurIPS 2026 (Spotlight)"})
	if err := f.app.refresh.EnrichCategories(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := f.app.refresh.RefreshSource(ctx, artifacts.Name); err != nil {
			t.Fatal(err)
		}
	}
	// Six hours later some papers gained upvotes: history for trending
	// and qualified dates.
	now = now.Add(6 * time.Hour)
	for i, id := range []string{"2608.09888", "2608.19880", "2608.20202"} {
		f.hf.SetUpvotes(id, 900+10*i)
	}
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "feeds")
	if *updateFeeds {
		_ = os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var etags []string
	for i, u := range goldenFeedURLs {
		resp, body := f.get(t, u)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", u, resp.StatusCode, body)
		}
		etags = append(etags, fmt.Sprintf("%02d %s %s", i, resp.Header.Get("ETag"), u))
		name := filepath.Join(dir, fmt.Sprintf("%02d.gz", i)) // kept compressed: a feed is mostly repeats
		if *updateFeeds {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		gz, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (take the goldens with -update-feeds)", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s differs from %s", u, name)
		}
	}
	index := filepath.Join(dir, "etags.txt")
	got := strings.Join(etags, "\n") + "\n"
	if *updateFeeds {
		if err := os.WriteFile(index, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("ETag: got %q, want %q", gl[i], wl[i])
			}
		}
	}
}
