package engine

import (
	"context"
	"net/url"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/filter"
	"paperfeed/internal/refresh"
	"paperfeed/internal/source"
	"paperfeed/internal/standin"
	"paperfeed/internal/testkit"
	"paperfeed/scrape"
)

const testdata = "../../testdata"

// loadedEngine is an engine over a store filled from the replayed
// upstreams (the 7 Hugging Face days and one arXiv day).
func loadedEngine(t *testing.T) *Engine {
	t.Helper()
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := testkit.Upstream(t, site)
	store := feed.NewStore(7, 7, time.Now)
	fetcher := func() *scrape.Fetcher {
		return &scrape.Fetcher{Client: scrape.NewHTTPClient(5 * time.Second), Limiter: scrape.NewLimiter(0)}
	}
	hf := &scrape.HFClient{Base: up, Fetcher: fetcher(), API: fetcher()}
	ax := &scrape.ArxivClient{RSSBase: up, APIURL: up + "/api/query", Fetcher: fetcher()}
	var e *Engine
	cfg := refresh.Config{Refresh: 15 * time.Minute, RefreshPast: 3 * time.Hour, Days: 7, ArxivDays: 7,
		ArxivCategories: []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}, ArxivRefresh: time.Hour, Timeout: 5 * time.Second}
	upstreams := refresh.Upstreams{HF: hf, Arxiv: ax}
	r := refresh.New(cfg, store, nil, upstreams, source.Registered(cfg, upstreams), nil, testkit.DiscardLog(), time.Now, func() { e.WarmIndex() })
	e = New(store, r, time.Now, 7)
	if _, err := r.RefreshSource(context.Background(), feed.SourceHF); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RefreshSource(context.Background(), feed.SourceArxiv); err != nil {
		t.Fatal(err)
	}
	return e
}

func parse(t *testing.T, e *Engine, raw string) filter.Query {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := filter.Parse(v, e.Options())
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return q
}

// A week the window holds whole, with source=all: the listing plus the
// arXiv papers of its days, filtered over the view's own index (a mask
// of it, not a second index of thousands of papers).
func TestWeekWithAllSourcesUsesTheViewsIndex(t *testing.T) {
	e := loadedEngine(t)
	ctx := context.Background()
	p, err := e.Plan(ctx, parse(t, e, "week=2026-W34&source=all&limit=500"), "")
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := e.Items(ctx, p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	v := e.View()
	pi, ok := e.indexes.past["week/2026-W34|all"]
	if !ok || pi.mask == nil || pi.ix != e.index(v) || p.index != e.index(v) {
		t.Fatalf("week=2026-W34&source=all: masked %v, the view's index %v", ok && pi.mask != nil, ok && pi.ix == e.index(v))
	}
	// What it must hold: the week listing's papers and the arXiv papers
	// announced in the week.
	listing, _ := e.store.Period("week/2026-W34")
	want := map[string]bool{}
	for _, p := range listing {
		want[p.ID] = true
	}
	from := time.Date(2026, 8, 17, 0, 0, 0, 0, time.UTC)
	for _, p := range v.Papers {
		if p.OnArxiv && !p.Day().Before(from) && !p.Day().After(from.AddDate(0, 0, 6)) {
			want[p.ID] = true
		}
	}
	got := map[string]bool{}
	for _, it := range items {
		got[it.Paper.ID] = true
		if !want[it.Paper.ID] {
			t.Errorf("%s is neither in the week listing nor announced that week", it.Paper.ID)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d items, want %d", len(got), len(want))
	}
	// Filters apply within the mask.
	p, err = e.Plan(ctx, parse(t, e, "week=2026-W34&source=all&limit=500&q=agents"), "")
	if err != nil {
		t.Fatal(err)
	}
	agents, _, _ := e.Items(ctx, p, func(string) string { return "" })
	for _, it := range agents {
		if !got[it.Paper.ID] {
			t.Errorf("q=agents holds %s, outside the week", it.Paper.ID)
		}
	}
	if len(agents) == 0 || len(agents) >= len(items) {
		t.Errorf("q=agents within the week: %d of %d", len(agents), len(items))
	}
}
