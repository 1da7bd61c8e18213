package filter

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

// A feed with a limit may stop reading the index once it has enough
// papers (see enough); whether it stops or not, it must hold exactly the
// first papers of the same query without a limit.
func TestLimitedFeedIsThePrefixOfTheWholeOne(t *testing.T) {
	ps, err := recorded.Derived(filepath.Join("..", "testdata"), 1500, 200, day("2026-11-27"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		p.OnArxiv = i%3 == 0
		p.OnHF = i%5 != 0
		p.Categories = []string{"cs.LG", "cs.CL", "cs.CV", "cs.AI"}[i%4 : i%4+1]
	}
	feed.SortPapers(ps)
	ix := NewIndex(ps)
	stopped := 0
	for _, raw := range []string{
		"", "source=all", "source=arxiv", "q=-zz1&source=all", "q=agents OR reasoning", "q=model&source=arxiv",
		"min_upvotes=5", "min_upvotes=20&source=all", "has_code=1", "has_code=0&source=all", "category=cs.CL&source=all",
		"days=2", "days=3&source=arxiv", "sort=upvotes", "sort=comments&source=all", "filter_title=model",
		"revised=1&source=all", "announce=new&source=arxiv", "min_upvotes=5&date_by=qualified", "min_gain=1", "q=learning&min_upvotes=3&has_code=1", "min_stars=1", "since=2026-11-25",
	} {
		values, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(values, opts)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		q.Limit = 0
		if raw == "" {
			q.Hide = []string{ps[1].ID} // a personal feed's hidden paper
		}
		whole, err := q.Apply(context.Background(), ix, opts.Today)
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{1, 3, 10, 50, 5000} {
			lq := q
			lq.Limit = limit
			if (selection{q: &lq}).enough(limit) > 0 {
				stopped++
			}
			got, err := lq.Apply(context.Background(), ix, opts.Today)
			if err != nil {
				t.Fatal(err)
			}
			want := whole[:min(limit, len(whole))]
			if g, w := ids(itemPapers(got)), ids(itemPapers(want)); g != w {
				t.Errorf("%s limit %d: %v, want the first of the whole feed %v", raw, limit, g, w)
			}
		}
	}
	if stopped == 0 {
		t.Error("no query stopped early: the test does not exercise enough")
	}
}
