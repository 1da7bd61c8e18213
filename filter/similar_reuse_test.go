package filter

import (
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
)

// A new index whose papers changed counts only takes the previous one's
// similarity vectors (in its own order) and ranks exactly as a fresh
// build would; one where a text changed, or a paper came, builds its own.
func TestSimilarityVectorsFollowOnlyTheSameTexts(t *testing.T) {
	papers, err := recorded.Derived(filepath.Join("..", "testdata"), 600, 100, day("2026-11-27"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(url.Values{"like": {"2611.00003,2611.00150"}, "limit": {"40"}, "source": {"all"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ranked := func(ix *Index) []string {
		items, err := q.Apply(t.Context(), ix, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Paper.ID)
		}
		return out
	}
	prev := NewIndex(papers)
	ranked(prev) // its vectors built
	variants := map[string]func([]*feed.Paper) []*feed.Paper{
		"votes moved and reordered": func(ps []*feed.Paper) []*feed.Paper {
			out := slices.Clone(ps)
			for i := 0; i < len(out); i += 7 {
				c := out[i].Clone()
				c.Upvotes += 500
				out[i] = &c
			}
			feed.SortPapers(out)
			return out
		},
		"an abstract changed": func(ps []*feed.Paper) []*feed.Paper {
			out := slices.Clone(ps)
			c := out[10].Clone()
			c.Abstract = out[3].Abstract + " " + out[150].Abstract
			out[10] = &c
			return out
		},
		"a paper came": func(ps []*feed.Paper) []*feed.Paper {
			c := ps[5].Clone()
			c.ID = "2611.99999"
			return append(slices.Clone(ps), &c)
		},
	}
	for name, change := range variants {
		next := change(papers)
		reused := NewIndex(next)
		reused.VectorsFrom(prev)
		fresh := NewIndex(next)
		if got, want := ranked(reused), ranked(fresh); !slices.Equal(got, want) {
			t.Errorf("%s: the index that followed the previous one ranks\n%v\nwant (a fresh build)\n%v", name, got, want)
		}
		shared := reused.sim.v.vz == prev.sim.v.vz
		if want := name == "votes moved and reordered"; shared != want {
			t.Errorf("%s: vectors shared %v, want %v", name, shared, want)
		}
		if reused.sim.from.Load() != nil {
			t.Errorf("%s: still holds the previous index after building", name)
		}
	}
}
