package server

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

type likeItem struct {
	ID          string `json:"id"`
	ContentHTML string `json:"content_html"`
	Ext         struct {
		ArxivID    string   `json:"arxiv_id"`
		Upvotes    int      `json:"upvotes"`
		CodeURL    string   `json:"code_url"`
		Similarity *float64 `json:"similarity"`
		CloseTo    string   `json:"close_to"`
	} `json:"_paperfeed"`
}

func likeFeed(t *testing.T, f *fixture, query string) ([]likeItem, string) {
	t.Helper()
	resp, body := f.get(t, "/feed.json?"+query)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", query, resp.StatusCode, body)
	}
	var doc struct {
		FeedURL string `json:"feed_url"`
		Items   []likeItem
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items, doc.FeedURL
}

// like= with seeds the window holds: the seeds are not items, the rest
// is ordered by similarity above min_similarity, each item names its
// closest seed; every spelling of an ID gives the same canonical feed.
func TestLikeRanksBySimilarity(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	raw := "like=" + url.QueryEscape("2608.19880v2,https://arxiv.org/abs/2608.18580,huggingface.co/papers/2608.20335")
	items, self := likeFeed(t, f, raw+"&limit=500")
	if !strings.HasSuffix(self, "/feed.json?like=2608.18580%2C2608.19880%2C2608.20335&limit=500") {
		t.Errorf("self link %s: the IDs are not canonical", self)
	}
	if len(items) == 0 {
		t.Fatal("no paper is similar to the seeds")
	}
	prev := 2.0
	for _, it := range items {
		switch {
		case it.Ext.ArxivID == "2608.19880" || it.Ext.ArxivID == "2608.18580" || it.Ext.ArxivID == "2608.20335":
			t.Errorf("seed %s is an item", it.Ext.ArxivID)
		case it.Ext.Similarity == nil || *it.Ext.Similarity < 0.04 || *it.Ext.Similarity > prev:
			t.Errorf("%s: similarity %v out of order or under the default minimum", it.Ext.ArxivID, it.Ext.Similarity)
		case it.Ext.CloseTo == "" || !strings.Contains(it.ContentHTML, "Close to: "):
			t.Errorf("%s does not name its closest seed", it.Ext.ArxivID)
		}
		if it.Ext.Similarity != nil {
			prev = *it.Ext.Similarity
		}
	}
	all, _ := likeFeed(t, f, raw+"&min_similarity=0&limit=500")
	if len(all) <= len(items) {
		t.Errorf("min_similarity=0 keeps %d, the default %d: the default drops nothing", len(all), len(items))
	}
	// With every other parameter.
	narrow, _ := likeFeed(t, f, raw+"&min_upvotes=5&has_code=1&min_similarity=0&limit=500")
	for _, it := range narrow {
		if it.Ext.Upvotes < 5 || it.Ext.CodeURL == "" {
			t.Errorf("like with min_upvotes=5&has_code=1 kept %s (%d upvotes, code %q)", it.Ext.ArxivID, it.Ext.Upvotes, it.Ext.CodeURL)
		}
	}
	resp, body := f.get(t, "/feed.rss?"+raw+"&digest=day&min_similarity=0")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "urn:paperfeed:digest:day/") {
		t.Errorf("like with digest=day: %d", resp.StatusCode)
	}
	// The page preview shows the scores.
	_, page := f.get(t, "/preview?"+raw)
	if !strings.Contains(string(page), "similarity 0.") || !strings.Contains(string(page), "close to: ") {
		t.Error("the preview does not show similarity")
	}
}

// Seeds the service does not hold are looked up on arXiv once, kept
// across a restart; an ID arXiv does not have is a 400 naming it; arXiv
// down is a 503 with Retry-After, not an empty feed.
func TestLikeSeedsLookedUpOnArxiv(t *testing.T) {
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	open := func() state.Backend {
		b, err := state.Open(dir, discardLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mk := func() *fixture {
		a := testAppWith(t, up, nil, func(c *Config) { c.ArxivAPIURL = up + "/api/query" }, open())
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		return &fixture{app: a, hf: site.HF, srv: newServer(t, a)}
	}
	f := mk().loaded(t)
	api := func() int { return site.Arxiv.Hits()["/api/query"] }
	before := api()
	seed := "2604.26951" // a real recorded arXiv paper the window does not hold
	for range 3 {
		if items, _ := likeFeed(t, f, "like="+seed+"&min_similarity=0"); len(items) == 0 {
			t.Fatal("no items for an arXiv seed")
		}
	}
	if n := api() - before; n != 1 {
		t.Errorf("the seed was looked up %d times, want once", n)
	}
	if err := f.app.refresh.Close(); err != nil {
		t.Fatal(err)
	}
	g := mk()
	before = api()
	if items, _ := likeFeed(t, g, "like="+seed+"&min_similarity=0"); len(items) == 0 {
		t.Fatal("no items after the restart")
	}
	if n := api() - before; n != 0 {
		t.Errorf("after a restart the seed was looked up again (%d requests)", n)
	}

	site.Arxiv.Unknown("2601.99999")
	resp, body := g.get(t, "/feed.rss?like=2608.19880,2601.99999")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "like=2601.99999: arXiv has no paper with this ID") {
		t.Errorf("unknown seed: %d %s", resp.StatusCode, body)
	}
	site.Arxiv.SetFault("/api/query", standin.Fault{Status: 500})
	resp, body = g.get(t, "/feed.rss?like=2604.26942")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("arXiv down: %d %s", resp.StatusCode, body)
	}
	_ = g.app.refresh.Close()
}

// A topic may be "more like these".
func TestLikeTopic(t *testing.T) {
	file := filepath.Join(t.TempDir(), "topics.txt")
	if err := os.WriteFile(file, []byte("mine: like=2608.19880,arxiv.org/abs/2608.18580\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	topics, err := LoadTopics(file)
	if err != nil || topics[0].Query != "like=2608.18580%2C2608.19880" {
		t.Fatalf("topics: %+v %v", topics, err)
	}
	f := newFixture(t, nil).loaded(t)
	f.app.HTTP.topics = topics
	resp, body := f.get(t, "/topics/mine.json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"similarity"`) {
		t.Errorf("topic: %d %.300s", resp.StatusCode, body)
	}

}
