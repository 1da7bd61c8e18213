package scrape

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"paperfeed/feed"
)

// The API fills what the page lacks; counts come from the API (the
// fresher, either way); text stays the page's unless it has none or came
// from the cards; papers only one view lists are kept.
func TestMergeViews(t *testing.T) {
	day := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)
	page := []feed.Paper{
		{ID: "2608.00001", OnHF: true, Title: "Page title", Abstract: "Page abstract.", Upvotes: 163, Comments: 4, ListedOn: day, Authors: []string{"A"}},
		{ID: "2608.00002", OnHF: true, Title: "Card title", Upvotes: 10, FromCards: true, ListedOn: day},
		{ID: "2608.00003", OnHF: true, Title: "Only on the page", Upvotes: 1},
	}
	api := []feed.Paper{
		{ID: "2608.00001", OnHF: true, Title: "API title", Abstract: "API abstract.", Upvotes: 150, Comments: 5, AISummary: "TL;DR.",
			AIKeywords: []string{"world models"}, Authors: []string{"A", "B"}, GitHubRepo: "https://github.com/x/y", GitHubStars: 9},
		{ID: "2608.00002", OnHF: true, Title: "Card title, in full", Abstract: "The abstract the cards lack.", Upvotes: 12},
		{ID: "2608.00004", OnHF: true, Title: "Only in the API", Upvotes: 2},
	}
	got := MergeViews(page, api)
	if len(got) != 4 || got[3].ID != "2608.00004" || got[2].ID != "2608.00003" {
		t.Fatalf("merged %d papers: %v", len(got), got)
	}
	p := got[0]
	if p.Title != "Page title" || p.Abstract != "Page abstract." {
		t.Errorf("text taken from the API over the page's: %q %q", p.Title, p.Abstract)
	}
	if p.AISummary != "TL;DR." || len(p.AIKeywords) != 1 || p.GitHubRepo != "https://github.com/x/y" || p.GitHubStars != 9 || len(p.Authors) != 2 {
		t.Errorf("missing fields not filled: %+v", p)
	}
	if p.Upvotes != 150 || p.Comments != 5 {
		t.Errorf("counts %d/%d, want the API's 150/5 even where lower", p.Upvotes, p.Comments)
	}
	if c := got[1]; c.FromCards || c.Title != "Card title, in full" || c.Abstract == "" || c.Upvotes != 12 {
		t.Errorf("a card paper not completed from the API: %+v", c)
	}
	if page[0].AISummary != "" || page[0].Upvotes != 163 {
		t.Error("MergeViews modified its input")
	}
}

func FuzzParseDailyPapersAPI(f *testing.F) {
	// The smaller recordings (the fuzzer mutates small inputs faster).
	for _, name := range []string{"daily_papers_date-2025-07-07_reserialized_2404589803.json", "daily_papers_date-2024-04-04_raw_2404589803.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"paper":{"id":"2401.00001v2","title":"x","upvotes":"7","ai_keywords":null},"numComments":null}]`))
	f.Add([]byte(`{"error":"Invalid date"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParseDailyPapersAPI(bytes.NewReader(b))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if _, _, ok := feed.ParseArxivID(p.ID); !ok || p.Title == "" || seen[p.ID] {
				t.Fatalf("bad or repeated paper %q %q", p.ID, p.Title)
			}
			seen[p.ID] = true
			if p.Upvotes < 0 || p.Comments < 0 || p.GitHubStars < 0 {
				t.Fatalf("negative count: %+v", p)
			}
			for _, s := range append([]string{p.Title, p.Abstract, p.AISummary}, append(p.Authors, p.AIKeywords...)...) {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid text %q", s)
				}
			}
		}
	})
}
