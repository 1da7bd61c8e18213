package scrape

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseArxivFeedCombinedRSS(t *testing.T) {
	f, err := ParseArxivFeed(open(t, "rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items_trimmed_transcribed_laya-reader.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Day.Format(time.DateOnly) != "2026-09-24" || len(f.Papers) != 4 {
		t.Fatalf("day %v, %d papers", f.Day, len(f.Papers))
	}
	type row struct {
		id      string
		version int
		typ     string
		cats    string
		doi     string
	}
	want := []row{
		{"2609.26811", 1, "new", "cs.LG", ""},
		{"2609.26820", 1, "new", "cs.LG,cs.AI", ""},
		{"2205.06398", 2, "cross", "stat.ME,stat.AP,stat.ML", "10.1093/bioinformatics/btac431"},
		{"2009.13987", 3, "replace", "cs.LG,math.MG,stat.ML", ""},
	}
	for i, w := range want {
		p := f.Papers[i]
		got := row{p.ID, p.Version, p.AnnounceType, strings.Join(p.Categories, ","), p.DOI}
		if got != w {
			t.Errorf("item %d = %+v, want %+v", i, got, w)
		}
		if !p.OnArxiv || !p.Announced.Equal(f.Day) || strings.HasPrefix(p.Abstract, "arXiv:") || strings.Contains(p.Abstract, "Announce Type") {
			t.Errorf("item %d: abstract not split out or day wrong: %q %v", i, p.Abstract[:40], p.Announced)
		}
	}
	if a := f.Papers[1].Authors; !slices.Equal(a, []string{"Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"}) {
		t.Errorf("authors %q", a)
	}
	if !strings.HasPrefix(f.Papers[0].Abstract, "Local learning trains each layer") {
		t.Errorf("abstract %q", f.Papers[0].Abstract[:50])
	}
}

func TestParseArxivFeedAuthorsSplitting(t *testing.T) {
	f, err := ParseArxivFeed(open(t, "rss_cs.CL_2026-04-27_first3items_reserialized_jmamath.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Anamta Khan", "Ratna Kandala", "Deepti", "Sheza Munir", "Joyojeet Pal"}
	if got := f.Papers[0].Authors; !slices.Equal(got, want) {
		t.Errorf("authors %q, want %q (double space, single name)", got, want)
	}
	for in, want := range map[string][]string{
		"A B,  C":           {"A B", "C"},
		" Solo ":            {"Solo"},
		"A, B, and C":       {"A", "B", "C"},
		"A,,B, ":            {"A", "B"},
		"Zoë\u00a0Ångström": {"Zoë Ångström"},
	} {
		if got := SplitAuthors(in); !slices.Equal(got, want) {
			t.Errorf("SplitAuthors(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseArxivFeedAtom(t *testing.T) {
	f, err := ParseArxivFeed(open(t, "atom_cs.LG_2026-09-25_3entries_abridged_transcribed_paper-forge.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Day.Format(time.DateOnly) != "2026-09-25" || len(f.Papers) != 3 {
		t.Fatalf("day %v, %d papers", f.Day, len(f.Papers))
	}
	p := f.Papers[0]
	if p.ID != "2609.28553" || p.AnnounceType != "new" || p.DOI != "10.1109/MAPR72750.2026.11685822" ||
		!strings.HasPrefix(p.JournalRef, "2026 International Conference") || len(p.Authors) != 6 || p.Categories[0] != "cs.LG" {
		t.Errorf("atom entry = %+v", p)
	}
	if f.Papers[1].AnnounceType != "cross" || f.Papers[1].Version != 3 || f.Papers[2].AnnounceType != "replace" {
		t.Errorf("announce types %s %s", f.Papers[1].AnnounceType, f.Papers[2].AnnounceType)
	}
}

func TestParseArxivFeedWeekend(t *testing.T) {
	f, err := ParseArxivFeed(open(t, "rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-22_weekend-empty_derived.xml"))
	if err != nil || len(f.Papers) != 0 {
		t.Fatalf("weekend feed: %v, %d papers", err, len(f.Papers))
	}
	if _, err := ParseArxivFeed(strings.NewReader("<html><body>Service Unavailable</body></html>")); err == nil {
		t.Error("an HTML error page parsed as a feed")
	}
}

func TestParseArxivFeedDerivedDays(t *testing.T) {
	a, err := ParseArxivFeed(open(t, "rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-21_derived.xml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseArxivFeed(open(t, "rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-24_derived.xml"))
	if err != nil {
		t.Fatal(err)
	}
	types := func(f ArxivFeed) string {
		var s []string
		for _, p := range f.Papers {
			s = append(s, p.ID+"v"+string(rune('0'+p.Version))+":"+p.AnnounceType)
		}
		return strings.Join(s, " ")
	}
	if got := types(a); got != "2608.19880v1:new 2609.26811v1:new 2609.26820v1:new 2205.06398v2:cross 2009.13987v3:replace 2403.06738v1:new" {
		t.Errorf("friday: %s", got)
	}
	if got := types(b); got != "2608.19880v2:replace 2609.26820v2:replace-cross 2604.21935v1:new" {
		t.Errorf("monday: %s", got)
	}
	if a.Papers[5].CodeURL != "https://github.com/heheyas/V3D" {
		t.Errorf("code link in abstract: %q", a.Papers[5].CodeURL)
	}
	golden(t, "arxiv_2026-08-21_derived", a)
}

func TestParseArxivAPIBothFormats(t *testing.T) {
	old, err := ParseArxivAPI(open(t, "api_query_all-Einstein_max10_2018-02-05_ThomPijnenburg.xml"))
	if err != nil || len(old) != 10 {
		t.Fatalf("2018 format: %v, %d entries", err, len(old))
	}
	if p := old[0]; p.ID != "1801.05533" || p.Version != 1 || !slices.Equal(p.Categories, []string{"math.DG"}) ||
		p.ArxivComment != "12 pages, no figures" || strings.Contains(p.Abstract, "\n") || p.Published.Format(time.DateOnly) != "2018-01-17" {
		t.Errorf("2018 entry = %+v", p)
	}
	cur, err := ParseArxivAPI(open(t, "api_query_cat-cs.LG-OR-cat-cs.AI_max20_2026-04-30_CrSamson.xml"))
	if err != nil || len(cur) != 20 {
		t.Fatalf("2025+ format: %v, %d entries", err, len(cur))
	}
	if p := cur[0]; p.ID != "2604.26951" || !slices.Equal(p.Categories, []string{"cs.CL", "cs.AI", "cs.LG"}) || len(p.Authors) != 4 ||
		p.CodeURL != "https://github.com/PKU-YuanGroup/TIDE" {
		t.Errorf("2025+ entry = %+v", p)
	}
	withDOI, withJR := 0, 0
	for _, p := range cur {
		if p.DOI != "" {
			withDOI++
		}
		if p.JournalRef != "" {
			withJR++
		}
		if p.Categories[0] == "" || len(p.Authors) == 0 {
			t.Errorf("%s: categories %v authors %v", p.ID, p.Categories, p.Authors)
		}
	}
	if withDOI == 0 || withJR == 0 {
		t.Errorf("DOI in %d, journal ref in %d entries", withDOI, withJR)
	}
	three, err := ParseArxivAPI(open(t, "api_query_all-attention-OR-mechanism_max3_2026-03-26_zhangyee.xml"))
	if err != nil || len(three) != 3 || !strings.HasPrefix(three[0].Title, "Déjà vu") {
		t.Fatalf("non-ASCII title: %v %d", err, len(three))
	}
}

// Every arXiv request goes through the one limiter, with a User-Agent,
// and refetches are conditional.
func TestArxivClientPoliteness(t *testing.T) {
	ax, err := standin.NewArxiv("../testdata", standin.ArxivDerivedDays)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		ax.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var sleeps []time.Duration
	lim := &Limiter{Interval: 3 * time.Second, Sleep: func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }}
	c := &ArxivClient{RSSBase: srv.URL, APIURL: srv.URL + "/api/query", Fetcher: &Fetcher{UserAgent: "paperfeed/test (ops@example.org)", Limiter: lim}}
	cats := []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
	r1, err := c.Feed(context.Background(), cats)
	if err != nil || r1.NotModified || len(r1.Feed.Papers) != 6 || r1.MaxAge != time.Hour {
		t.Fatalf("first fetch: %v %+v", err, r1.MaxAge)
	}
	r2, err := c.Feed(context.Background(), cats)
	if err != nil || !r2.NotModified {
		t.Fatalf("refetch was not conditional: %v %+v", err, r2)
	}
	ps, err := c.Lookup(context.Background(), []string{"2604.26951", "2608.19880"})
	if err != nil || len(ps) != 2 || ps[0].Categories[0] != "cs.CL" {
		t.Fatalf("lookup: %v %v", err, ps)
	}
	if len(sleeps) != 2 {
		t.Errorf("3 requests waited %d times, want 2 (each after the first)", len(sleeps))
	}
	for _, a := range agents {
		if a != "paperfeed/test (ops@example.org)" {
			t.Errorf("User-Agent %q", a)
		}
	}
	if hits := ax.Hits(); hits["/rss/cs.AI+cs.CL+cs.CV+cs.LG"] != 2 || hits["/api/query"] != 1 {
		t.Errorf("hits %v", hits)
	}
}

func FuzzParseArxivFeed(f *testing.F) {
	for _, name := range []string{"rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items_trimmed_transcribed_laya-reader.xml",
		"atom_cs.LG_2026-09-25_3entries_abridged_transcribed_paper-forge.xml", "rss_cs.AI+cs.CL+cs.CV+cs.LG_2026-08-22_weekend-empty_derived.xml"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		af, err := ParseArxivFeed(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, p := range af.Papers {
			if _, _, ok := feed.ParseArxivID(p.ID); !ok || p.Title == "" || !p.OnArxiv {
				t.Fatalf("bad paper %+v", p)
			}
			for _, s := range append([]string{p.Title, p.Abstract, p.DOI}, p.Authors...) {
				if feed.CleanText(s) != s {
					t.Fatalf("unclean text %q", s)
				}
			}
		}
	})
}

func FuzzParseArxivAPI(f *testing.F) {
	for _, name := range []string{"api_query_all-Einstein_max10_2018-02-05_ThomPijnenburg.xml", "api_query_all-attention-OR-mechanism_max3_2026-03-26_zhangyee.xml"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParseArxivAPI(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, p := range ps {
			if _, _, ok := feed.ParseArxivID(p.ID); !ok {
				t.Fatalf("bad id %q", p.ID)
			}
		}
	})
}
