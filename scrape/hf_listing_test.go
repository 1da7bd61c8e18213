package scrape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"paperfeed/feed"
	"paperfeed/internal/standin"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares v, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file %s; run go test ./scrape -update and review the diff", name, path)
	}
}

func parseFile(t *testing.T, name string) Listing {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := ParseListing(f)
	if err != nil {
		t.Fatalf("ParseListing(%s): %v", name, err)
	}
	return l
}

func TestParseListing2024Page(t *testing.T) {
	l := parseFile(t, "papers_2024-08-01_slbqc.html")
	if l.FromCards {
		t.Fatal("read from cards, want the props JSON")
	}
	if got := l.Date.Format(time.DateOnly); got != "2024-08-01" {
		t.Errorf("date = %s, want 2024-08-01", got)
	}
	if got := l.PrevDate.Format(time.DateOnly); got != "2024-07-31" {
		t.Errorf("prev = %s", got)
	}
	if len(l.Papers) != 13 {
		t.Fatalf("papers = %d, want 13", len(l.Papers))
	}
	p := l.Papers[0]
	if p.ID != "2407.21783" || p.Title != "The Llama 3 Herd of Models" || p.Upvotes != 94 || p.Comments != 5 {
		t.Errorf("first paper = %s %q %d upvotes %d comments", p.ID, p.Title, p.Upvotes, p.Comments)
	}
	if len(p.Authors) != 533 || p.Authors[0] != "Abhimanyu Dubey" {
		t.Errorf("authors = %d, first %q", len(p.Authors), p.Authors[0])
	}
	if p.SubmittedBy != "akhaliq" || !p.ListedOn.Equal(l.Date) {
		t.Errorf("submitted by %q, listed %v", p.SubmittedBy, p.ListedOn)
	}
	if !strings.HasPrefix(p.Abstract, "Modern artificial intelligence (AI) systems are powered by foundation models. This paper") {
		t.Errorf("abstract not unwrapped: %q", p.Abstract[:100])
	}
	golden(t, "papers_2024-08-01", l)
}

func TestParseListingCardsFallback(t *testing.T) {
	l := parseFile(t, "papers_2026-09-28_cards_excerpt_romethegods.html")
	if !l.FromCards || len(l.Papers) != 2 {
		t.Fatalf("FromCards=%v papers=%d, want cards fallback with 2", l.FromCards, len(l.Papers))
	}
	a, b := l.Papers[0], l.Papers[1]
	if a.ID != "2609.23551" || a.Upvotes != 1 || a.Comments != 1 || a.GitHubStars != 0 || a.SubmittedBy != "ShuyangXiang" {
		t.Errorf("first card = %+v", a)
	}
	if b.ID != "2609.31291" || b.Upvotes != 0 || b.Comments != 1 || b.Org != (feed.Org{Name: "adobe", FullName: "Adobe"}) {
		t.Errorf("second card = %+v", b)
	}
	for _, p := range l.Papers {
		if !p.FromCards || p.Abstract != "" || len(p.Authors) != 0 || p.GitHubRepo != "" {
			t.Errorf("%s: cards must not invent abstract, authors or repo: %+v", p.ID, p)
		}
	}
	golden(t, "papers_2026-09-28_cards", l)
}

// The 2025-2026 fields, from a page derived from the newest real API
// listing (see internal/standin), fetched through HFClient.
func TestHFClientDerived2026Page(t *testing.T) {
	hf, err := standin.NewHF("../testdata", standin.DefaultDays())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hf)
	defer srv.Close()
	c := &HFClient{Base: srv.URL, Fetcher: &Fetcher{UserAgent: "paperfeed-test"}, API: &Fetcher{UserAgent: "paperfeed-test"}}
	l, err := c.Latest(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if l.View != ViewBoth {
		t.Errorf("served by %q, want the page and the API", l.View)
	}
	if l.Date.Format(time.DateOnly) != "2026-08-21" || l.PrevDate.Format(time.DateOnly) != "2026-08-20" || len(l.Papers) != 17 {
		t.Fatalf("date %v prev %v papers %d", l.Date, l.PrevDate, len(l.Papers))
	}
	p := l.Papers[0]
	want := feed.Paper{ID: "2608.19880", GitHubRepo: "https://github.com/google-research/envharness", GitHubStars: 8,
		ProjectPage: "https://envharness.com/", Org: feed.Org{Name: "google", FullName: "Google"}, Upvotes: 163, Comments: 1}
	if p.ID != want.ID || p.GitHubRepo != want.GitHubRepo || p.GitHubStars != want.GitHubStars || p.ProjectPage != want.ProjectPage ||
		p.Org != want.Org || p.Upvotes != want.Upvotes || p.Comments != want.Comments {
		t.Errorf("first paper = %+v", p)
	}
	if len(p.AIKeywords) != 8 || !strings.HasPrefix(p.AISummary, "EnvHarness and EnvRigger") || p.SubmittedBy != "taesiri" {
		t.Errorf("AI fields: %q %v, submitter %q", p.AISummary, p.AIKeywords, p.SubmittedBy)
	}
	golden(t, "papers_2026-08-21_derived", l)

	// A weekend date is answered with the previous papers-day.
	sat, _ := time.Parse(time.DateOnly, "2026-08-15")
	l, err = c.Day(context.Background(), sat)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Date.Format(time.DateOnly); got != "2026-08-14" {
		t.Errorf("weekend page date = %s, want the previous papers-day 2026-08-14", got)
	}
}

func TestParseListingLayoutChanged(t *testing.T) {
	for name, page := range map[string]string{
		"empty":       "",
		"no listing":  "<html><body><main><h1>Daily Papers</h1></main></body></html>",
		"bad props":   `<div data-target="DailyPapers" data-props="{not json"></div>`,
		"empty props": `<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[]}"></div>`,
		"ids only":    `<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[{&quot;paper&quot;:{&quot;id&quot;:&quot;nope&quot;}}]}"></div>`,
	} {
		_, err := ParseListing(strings.NewReader(page))
		if !errors.Is(err, ErrLayoutChanged) {
			t.Errorf("%s: err = %v, want ErrLayoutChanged", name, err)
		}
	}
}

func TestParseListingOddProps(t *testing.T) {
	// Null fields, numbers as strings, hidden authors, a duplicate paper,
	// a javascript: link, control characters and a double-escaped name.
	props := `{"dateString":"2026-09-28","prevDate":"2026-09-25","periodType":"day","dailyPapers":[
	 {"paper":{"id":"2609.00001v2","title":"A\u0001 title\n  wrapped","summary":null,"authors":[{"name":"D&#39;Mello","hidden":false},{"name":"Ghost","hidden":true}],
	  "upvotes":"12","githubRepo":"javascript:alert(1)","githubStars":null,"ai_keywords":null,"organization":null},"numComments":null,"submittedBy":null},
	 {"paper":{"id":"2609.00001","title":"dup","upvotes":1}}]}`
	page := `<div data-target="DailyPapers" data-props="` + htmlEscape(props) + `"></div>`
	l, err := ParseListing(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Papers) != 1 {
		t.Fatalf("papers = %d, want the duplicate folded", len(l.Papers))
	}
	p := l.Papers[0]
	if p.ID != "2609.00001" || p.Title != "A title wrapped" || p.Upvotes != 12 || p.GitHubRepo != "" {
		t.Errorf("paper = %+v", p)
	}
	if len(p.Authors) != 1 || p.Authors[0] != "D&#39;Mello" {
		t.Errorf("authors = %q (hidden skipped, text kept as given)", p.Authors)
	}
	if l.Date.Format(time.DateOnly) != "2026-09-28" || l.PrevDate.Format(time.DateOnly) != "2026-09-25" {
		t.Errorf("dates %v %v", l.Date, l.PrevDate)
	}
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

func FuzzParseListing(f *testing.F) {
	for _, name := range []string{"papers_2024-08-01_slbqc.html", "papers_2026-09-28_cards_excerpt_romethegods.html"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[{&quot;paper&quot;:{&quot;id&quot;:&quot;2401.00001&quot;,&quot;title&quot;:&quot;x&quot;}}]}"></div>`))
	f.Add([]byte(`<article><h3><a href="/papers/2401.00001">T</a></h3></article>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseListing(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(l.Papers) == 0 {
			t.Fatal("no error but no papers")
		}
		for _, p := range l.Papers {
			if _, _, ok := feed.ParseArxivID(p.ID); !ok || p.Title == "" {
				t.Fatalf("bad paper %q %q", p.ID, p.Title)
			}
			for _, s := range append([]string{p.Title, p.Abstract, p.AISummary}, p.Authors...) {
				if !utf8.ValidString(s) || feed.CleanText(s) != s {
					t.Fatalf("unclean text %q", s)
				}
			}
		}
	})
}
