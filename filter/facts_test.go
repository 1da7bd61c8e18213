package filter

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
)

// factPapers: 1 accepted at NeurIPS (comment), 2 published in TMLR
// (journal reference), 3 only submitted to ICLR, 4 nothing; models on
// 1 and 3, a dataset on 2, a Space on 4, 4 not counted at all; 1 at v3
// revised on 26 Nov, 2 at v2 revised before the days held.
func factPapers() []*feed.Paper {
	ps := []*feed.Paper{
		{ID: "2611.00001", OnHF: true, Title: "One", ListedOn: day("2026-11-25"), ArxivComment: "Accepted at NeurIPS 2026 (spotlight)",
			Version: 3, Updated: day("2026-11-26").Add(17 * time.Hour),
			Artifacts: feed.Artifacts{Models: 4, Checked: day("2026-11-27")}},
		{ID: "2611.00002", OnHF: true, Title: "Two", ListedOn: day("2026-11-26"), JournalRef: "Transactions on Machine Learning Research, 2026",
			Version: 2, Updated: day("2026-10-02"), Artifacts: feed.Artifacts{Datasets: 1, Checked: day("2026-11-27")}},
		{ID: "2611.00003", OnHF: true, Title: "Three", ListedOn: day("2026-11-26"), ArxivComment: "Under review at ICLR 2027",
			Artifacts: feed.Artifacts{Models: 1, Checked: day("2026-11-27")}},
		{ID: "2611.00004", OnHF: true, Title: "Four", ListedOn: day("2026-11-27"), Artifacts: feed.Artifacts{Spaces: 2, Checked: day("2026-11-27")}},
		{ID: "2611.00005", OnHF: true, Title: "Five", ListedOn: day("2026-11-27")},
	}
	for _, p := range ps {
		p.Derive()
	}
	feed.SortPapers(ps) // as a view holds them: newest day first
	return ps
}

func runFacts(t *testing.T, raw string, h History) []feed.Item {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(v, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	ix := NewIndex(factPapers())
	if h != nil {
		ix.SetHistory(h)
	}
	got, err := q.Apply(context.Background(), ix, day("2026-11-27").Add(12*time.Hour))
	if err != nil {
		t.Fatalf("Apply(%q): %v", raw, err)
	}
	return got
}

func TestFactFilters(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{"venue=neurips", "1"},
		{"venue=neurips,tmlr", "2,1"},
		{"venue=iclr", ""}, // submitted is not accepted
		{"venue=NeurIPS", "1"},
		{"accepted=1", "2,1"},
		{"accepted=0", "4,5,3"},
		{"has_model=1", "3,1"},
		{"has_model=0", "4,5,2"},
		{"has_dataset=yes", "2"},
		{"has_demo=on", "4"},
		{"has_demo=off&has_model=no", "5,2"},
		{"min_models=2", "1"},
		{"min_models=1&accepted=1", "1"},
		{"revised=1", "1"}, // 2's v2 is older than the days held
		{"revised=1&since=2026-11-27", ""},
		{"revised=1&date=2026-11-26", "1"},
		{"revised=0", "4,5,3"},
	} {
		got := runFacts(t, c.query, nil)
		if s := ids(itemPapers(got)); s != c.want {
			t.Errorf("%s: got %q, want %q", c.query, s, c.want)
		}
	}
}

// A venue or a model that appears after listing qualifies the paper when
// the history shows it first, and dates the item then.
func TestFactsQualifyFromHistory(t *testing.T) {
	listed := day("2026-11-25")
	accepted := day("2026-11-26").Add(9 * time.Hour)
	h := History{
		"2611.00001": {
			{At: listed.Add(time.Hour), Upvotes: 3, Version: 2},
			{At: accepted, Upvotes: 5, Version: 3, Venue: "neurips"},
			{At: accepted.Add(5 * time.Hour), Upvotes: 5, Version: 3, Venue: "neurips", Models: 4},
		},
	}
	for _, c := range []struct {
		query string
		at    time.Time
	}{
		{"venue=neurips", accepted},
		{"accepted=1", accepted},
		{"has_model=1", accepted.Add(5 * time.Hour)},
		{"venue=neurips&has_model=1", accepted.Add(5 * time.Hour)},
		{"venue=neurips&date_by=listed", time.Time{}},
	} {
		items := runFacts(t, c.query, h)
		var it *feed.Item
		for i := range items {
			if items[i].Paper.ID == "2611.00001" {
				it = &items[i]
			}
		}
		if it == nil {
			t.Errorf("%s: paper 1 not kept", c.query)
			continue
		}
		if !it.Date.Equal(c.at) {
			t.Errorf("%s: dated %v, want %v", c.query, it.Date, c.at)
		}
	}
}

// revised=1 is an event feed: one item per version, its own GUID, dated
// when the version was posted.
func TestRevisedItems(t *testing.T) {
	items := runFacts(t, "revised=1", nil)
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	it := items[0]
	if it.Version != 3 || !it.Date.Equal(day("2026-11-26").Add(17*time.Hour)) || len(it.Notes) != 0 {
		t.Errorf("item: version %d, date %v, notes %q", it.Version, it.Date, it.Notes)
	}
	var b strings.Builder
	if err := feed.Render(&b, feed.RSS, feed.Meta{Title: "t"}, items); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<guid isPermaLink=\"false\">https://arxiv.org/abs/2611.00001v3</guid>", "<title>One (v3)</title>", "v3, revised 26 Nov 2026"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the RSS lacks %s", want)
		}
	}
}
