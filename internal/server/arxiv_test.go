package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/standin"
	"paperfeed/internal/state"
)

// siteFixture is an app on the replay of both upstreams, driven by hand.
type siteFixture struct {
	*fixture
	site *standin.Site
}

func newSiteFixture(t *testing.T, now func() time.Time) *siteFixture {
	t.Helper()
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	a := testApp(t, up, now, func(c *Config) {
		c.ArxivCategories = []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
		c.ArxivRSSURL, c.ArxivAPIURL = up, up+"/api/query"
	})
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return &siteFixture{fixture: &fixture{app: a, hf: site.HF, srv: srv}, site: site}
}

func (f *siteFixture) arxivRefresh(t *testing.T) time.Duration {
	t.Helper()
	later, err := f.app.refresh.RefreshSource(context.Background(), feed.SourceArxiv)
	if err != nil {
		t.Fatal(err)
	}
	return later
}

func TestArxivMergeSourcesAndVersions(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	hfOnly := f.items(t, "/feed.json?limit=500")
	guid := hfOnly["2608.19880"].ID

	if later := f.arxivRefresh(t); later != time.Hour {
		t.Errorf("next arXiv check in %s, want the feed's max-age (1h)", later)
	}
	ax := f.items(t, "/feed.json?source=arxiv")
	if len(ax) != 6 {
		t.Fatalf("source=arxiv: %d items, want the 6 announced", len(ax))
	}
	env := ax["2608.19880"]
	if env.ID != guid || env.Ext.Upvotes != 163 || !slices.Equal(env.Ext.Sources, []string{"hf", "arxiv"}) ||
		!slices.Equal(env.Ext.Categories, []string{"cs.LG", "cs.AI"}) || env.Ext.AnnounceType != "new" {
		t.Errorf("merged paper: %+v (HF-only GUID %s)", env, guid)
	}
	if !slices.Contains(env.Tags, "cs.LG") || !slices.Contains(env.Tags, "LLM agents") {
		t.Errorf("item categories: %v", env.Tags)
	}
	all := f.items(t, "/feed.json?source=all&limit=500")
	if len(all) != len(hfOnly)+5 {
		t.Errorf("source=all: %d items, want %d HF + 5 arXiv-only", len(all), len(hfOnly))
	}
	if hf := f.items(t, "/feed.json?limit=500"); len(hf) != len(hfOnly) || hf["2608.19880"].ID != guid {
		t.Errorf("source=hf changed after the arXiv merge: %d items", len(hf))
	}
	// Code found in an arXiv abstract makes has_code work across sources.
	code := f.items(t, "/feed.json?source=arxiv&has_code=1")
	if _, ok := code["2403.06738"]; !ok || code["2403.06738"].Ext.CodeURL != "https://github.com/heheyas/V3D" {
		t.Errorf("has_code=1 missed the abstract's code link: %v", code)
	}
	if got := f.items(t, "/feed.json?source=arxiv&announce=cross"); len(got) != 1 || got["2205.06398"].Ext.DOI != "10.1093/bioinformatics/btac431" {
		t.Errorf("announce=cross: %v", got)
	}
	if got := f.items(t, "/feed.json?source=arxiv&category=stat"); len(got) != 2 {
		t.Errorf("category=stat: %d items", len(got))
	}

	// The weekend's empty channel changes nothing.
	f.site.Arxiv.SetDay(1)
	f.arxivRefresh(t)
	if got := f.items(t, "/feed.json?source=arxiv"); len(got) != 6 {
		t.Errorf("after the empty weekend feed: %d arXiv items, want 6", len(got))
	}

	// Monday: a v2 of a paper seen on Friday keeps its GUID and first-seen
	// day; its announce type becomes the latest.
	f.site.Arxiv.SetDay(2)
	f.arxivRefresh(t)
	ax = f.items(t, "/feed.json?source=arxiv")
	if len(ax) != 7 {
		t.Errorf("two announcement days: %d items, want 7", len(ax))
	}
	env = ax["2608.19880"]
	if env.ID != guid || env.Ext.ArxivVersion != 2 || env.Ext.AnnounceType != "replace" || env.Ext.Announced != "2026-08-21" {
		t.Errorf("v2: guid %s version %d type %s announced %s", env.ID, env.Ext.ArxivVersion, env.Ext.AnnounceType, env.Ext.Announced)
	}
	if sig := ax["2609.26820"]; sig.Ext.AnnounceType != "replace-cross" || sig.Ext.Announced != "2026-08-21" {
		t.Errorf("replace-cross: %+v", sig.Ext)
	}
	// new: 2609.26811 and 2403.06738 from Friday, 2604.21935 from Monday.
	if got := f.items(t, "/feed.json?source=arxiv&announce=new"); len(got) != 3 {
		t.Errorf("announce=new after Monday: %d items", len(got))
	}
	_, b := f.get(t, "/status")
	var doc Status
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if ax := doc.Sources[1]; !slices.Equal(ax.Days, []string{"2026-08-24", "2026-08-21"}) || ax.Items != 7 {
		t.Errorf("arXiv status: %+v", ax)
	}
}

func TestArxivEnrichesHFCategories(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	n := len(f.items(t, "/feed.json?limit=500"))
	if err := f.app.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	hits := f.site.Arxiv.Hits()["/api/query"]
	if want := (n + 99) / 100; hits != want {
		t.Errorf("%d papers looked up in %d requests, want %d batches", n, hits, want)
	}
	inCS := 0
	for id, it := range f.items(t, "/feed.json?limit=500") {
		if len(it.Ext.Categories) == 0 {
			t.Errorf("%s has no categories after enrichment", id)
		}
		if strings.HasPrefix(it.Ext.Categories[0], "cs.") || slices.ContainsFunc(it.Ext.Categories, func(c string) bool { return strings.HasPrefix(c, "cs.") }) {
			inCS++
		}
	}
	// Categories are kept for the life of the process: no second look-up.
	if err := f.app.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.site.Arxiv.Hits()["/api/query"]; got != hits {
		t.Errorf("second enrichment made %d more requests", got-hits)
	}
	if got := f.items(t, "/feed.json?category=cs&limit=500"); len(got) != inCS || inCS == 0 {
		t.Errorf("category=cs: %d papers, %d have a cs category", len(got), inCS)
	}
}

func TestArxivStaleDayIsReported(t *testing.T) {
	now := time.Date(2026, 8, 25, 15, 0, 0, 0, time.UTC) // Tuesday afternoon
	f := newSiteFixture(t, func() time.Time { return now })
	f.site.Arxiv.SetDay(2) // the feed still shows Monday
	f.arxivRefresh(t)
	_, b := f.get(t, "/status")
	var doc Status
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if st := doc.Sources[1]; len(st.Stale) != 1 || !strings.Contains(st.Stale[0], "still shows 2026-08-24, expected 2026-08-25") {
		t.Errorf("stale day not reported: %+v", st)
	}
	now = time.Date(2026, 8, 24, 15, 0, 0, 0, time.UTC) // Monday: up to date
	f.arxivRefresh(t)
	_, b = f.get(t, "/status")
	var fresh Status
	if err := json.Unmarshal(b, &fresh); err != nil {
		t.Fatal(err)
	}
	if st := fresh.Sources[1]; len(st.Stale) != 0 {
		t.Errorf("fresh feed reported stale: %v", st.Stale)
	}
}

// A paper arXiv brings before Hugging Face does (a fresh start where
// arXiv answers first) had no Hugging Face counts then, not zero: once
// Hugging Face lists it, a condition it meets at first sight there keeps
// its listing day, and it gained nothing (found by a hostile try: it was
// dated the moment Hugging Face loaded, and "met the conditions" then).
func TestArxivFirstKeepsListingDays(t *testing.T) {
	now := time.Date(2026, 8, 22, 9, 0, 0, 0, time.UTC)
	f := newSiteFixture(t, func() time.Time { return now })
	f.arxivRefresh(t)
	now = now.Add(20 * time.Minute)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	get := func(query string) feedItem {
		t.Helper()
		it, ok := find(feedItems(t, f.fixture, "limit=500&"+query), rising)
		if !ok {
			t.Fatalf("%s: %s is not in the feed", query, rising)
		}
		return it
	}
	checkListingDays(t, get)
}

// The same after a restart from the state file: what the points say of
// Hugging Face is kept on disk.
func TestArxivFirstKeepsListingDaysAcrossARestart(t *testing.T) {
	site, err := standin.NewSite(testdata, standin.SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, site)
	dir := t.TempDir()
	now := time.Date(2026, 8, 22, 9, 0, 0, 0, time.UTC)
	mk := func() *fixture {
		b, err := state.Open(dir, discardLog(), func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		a := testAppWith(t, up, func() time.Time { return now }, func(c *Config) {
			c.ArxivCategories = []string{"cs.AI", "cs.CL", "cs.CV", "cs.LG"}
			c.ArxivRSSURL, c.ArxivAPIURL = up, up+"/api/query"
		}, b)
		if _, err := a.refresh.Restore(); err != nil {
			t.Fatal(err)
		}
		return &fixture{app: a, hf: site.HF, srv: newServer(t, a)}
	}
	f := mk()
	if _, err := f.app.refresh.RefreshSource(context.Background(), feed.SourceArxiv); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	f.loaded(t)
	if err := f.app.refresh.Close(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	g := mk() // restored, no refresh: the history read back from the file
	checkListingDays(t, func(query string) feedItem {
		t.Helper()
		it, ok := find(feedItems(t, g, "limit=500&"+query), rising)
		if !ok {
			t.Fatalf("%s: %s is not in the restored feed", query, rising)
		}
		return it
	})
}

func checkListingDays(t *testing.T, get func(query string) feedItem) {
	t.Helper()
	for _, q := range []string{"min_upvotes=20", "min_upvotes=20&has_code=1", "source=all&min_upvotes=20"} {
		it := get(q)
		if !strings.HasPrefix(it.DatePublished, "2026-08-21") || it.Ext.QualifiedAt != "" || strings.Contains(it.ContentHTML, "Met this feed") {
			t.Errorf("%s: %s dated %s, qualified at %q: want its listing day, as at first sight", q, rising, it.DatePublished, it.Ext.QualifiedAt)
		}
	}
	if it := get("sort=trending"); it.Ext.Gain == nil || *it.Ext.Gain != 0 {
		gain := "nothing said"
		if it.Ext.Gain != nil {
			gain = strconv.Itoa(*it.Ext.Gain)
		}
		t.Errorf("sort=trending: %s gained %s since arXiv brought it; want 0 (its counts were not known)", rising, gain)
	}
}
