package server

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// primaryClass is arXiv's primary category: a Hugging Face paper's
// entry lacks it until arXiv's record is looked up, then every entry has
// it, in the feed's file and in each paper's own, as the first category
// of the paper's item.
func TestBibTeXPrimaryClassOnceRecordKnown(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	_, before := f.get(t, "/feed.bib?limit=500")
	entries := strings.Count(string(before), "@misc{")
	if entries == 0 || strings.Contains(string(before), "primaryClass") {
		t.Fatalf("before the look-up: %d entries, primaryClass in %d", entries, strings.Count(string(before), "primaryClass"))
	}
	if err := f.app.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	items := f.items(t, "/feed.json?limit=500")
	_, after := f.get(t, "/feed.bib?limit=500")
	if n := strings.Count(string(after), "primaryClass"); n != entries {
		t.Errorf("after the look-up: primaryClass in %d of %d entries", n, entries)
	}
	class := regexp.MustCompile(`primaryClass  = \{([^}]*)\}`)
	for id, it := range items {
		_, own := f.get(t, "/papers/"+id+".bib")
		m := class.FindSubmatch(own)
		if m == nil || len(it.Ext.Categories) == 0 || string(m[1]) != it.Ext.Categories[0] {
			t.Errorf("/papers/%s.bib: primaryClass %q, categories %v", id, m, it.Ext.Categories)
		}
	}
}
