package filter

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
)

// withParam adds an entry to the parameter table for one test, as the
// recipe "Adding a filter parameter" (docs/architecture.md) says: the
// entry is all a parameter needs.
func withParam(t *testing.T, p Param) {
	t.Helper()
	t.Cleanup(Register(p))
}

// maxAuthors is the recipe's parameter: papers with at most N authors.
var maxAuthors = Param{
	Name: "max_authors",
	Set: func(q *Query, key, val string, _ Options) error {
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 1000 {
			return errf(key, val, "must be a whole number of authors from 1 to 1000")
		}
		return q.Write(key, strconv.Itoa(n))
	},
	Words: func(q *Query) []string {
		if v := q.Value("max_authors"); v != "" {
			return []string{"at most " + v + " authors"}
		}
		return nil
	},
	Keep: func(q *Query, p *feed.Paper) bool {
		n, _ := strconv.Atoi(q.Value("max_authors"))
		return len(p.Authors) <= n
	},
}

func parse(t *testing.T, raw string) (Query, error) {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(v, opts)
}

func TestAParameterIsOneEntry(t *testing.T) {
	if _, err := parse(t, "max_authors=1"); err == nil || !strings.Contains(err.Error(), "unknown parameter") {
		t.Fatalf("before its entry, max_authors: %v", err)
	}
	withParam(t, maxAuthors)

	if !slices.Contains(Accepted, "max_authors") {
		t.Error("Accepted does not list the new parameter")
	}
	if _, err := parse(t, "max_authors=zero"); err == nil || err.Error() != `max_authors=zero: must be a whole number of authors from 1 to 1000` {
		t.Errorf("a bad value: %v", err)
	}
	if _, err := parse(t, "max_author=1"); err == nil || !strings.Contains(err.Error(), "did you mean max_authors?") {
		t.Errorf("a typo of it: %v", err)
	}
	// It filters (papers 1 has two authors, 2 and 3 one each; 4 and 5
	// are arXiv's), says its words, and is in the canonical form.
	if got := run(t, "max_authors=1"); got != "2,3" {
		t.Errorf("max_authors=1 kept %s, want 2,3", got)
	}
	if got := run(t, "max_authors=2&q=agents"); got != "1" {
		t.Errorf("max_authors=2&q=agents kept %s, want 1", got)
	}
	q, err := parse(t, "max_authors=01&min_upvotes=20")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.Title(), "Daily Papers: 20+ upvotes, at most 1 authors"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if got := q.Canonical(); got != "max_authors=1&min_upvotes=20" {
		t.Errorf("canonical %q", got)
	}
	// It reads nothing but the data, and leaves items' bytes alone.
	ix := NewIndex(papers())
	items, err := q.Apply(context.Background(), ix, day("2026-11-27"))
	if err != nil || len(items) == 0 {
		t.Fatalf("Apply: %v, %d items", err, len(items))
	}
	if q.Reads() != 0 || items[0].Own {
		t.Errorf("reads %v, item own %v; want neither", q.Reads(), items[0].Own)
	}
}

// What an entry says it reads and whether it changes items' bytes reach
// the query: the engine keys the feed's render by the clock it reads,
// and the renderer shares no bytes of an item the entry changes.
func TestAParameterSaysWhatItReadsAndChanges(t *testing.T) {
	p := maxAuthors
	p.Reads = func(q *Query) Reads { return when(q.Value("max_authors") != "", ReadsDay) }
	p.Bytes = func(q *Query) bool { return q.Value("max_authors") != "" }
	withParam(t, p)
	for _, c := range []struct {
		raw   string
		reads Reads
		own   bool
	}{
		{"", 0, false},
		{"max_authors=3", ReadsDay, true},
		{"max_authors=3&sort=trending", ReadsDay | ReadsGains, true},
		{"min_gain=5", ReadsGains, false},
		{"filter_time=3600", ReadsDay, false},
		{"date=2026-11-20", ReadsListing, false},
		{"date=2026-11-20&source=arxiv", 0, false},
		{"digest=week", ReadsDigests, false},
	} {
		q, err := parse(t, c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Reads(); got != c.reads {
			t.Errorf("%q reads %b, want %b", c.raw, got, c.reads)
		}
		items, err := q.Apply(context.Background(), NewIndex(papers()), day("2026-11-27").Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Own != c.own {
				t.Errorf("%q: item %s own %v, want %v", c.raw, it.Paper.ID, it.Own, c.own)
				break
			}
		}
	}
}

// Every entry can be read: a name, a reader of values, and no name twice
// (indexParams panics on one).
func TestTheParameterTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Params() {
		if p.Name == "" || p.Set == nil || seen[p.Name] {
			t.Errorf("entry %q: unnamed, without Set, or twice", p.Name)
		}
		seen[p.Name] = true
	}
	for _, name := range append(slices.Clone(Accepted), rssHubRouteParams...) {
		if !seen[name] {
			t.Errorf("%s has no entry", name)
		}
	}
}
