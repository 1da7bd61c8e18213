package server

import (
	"net/url"
	"testing"
)

// A feed whose content did not change keeps its bytes and ETag when the
// data changes elsewhere: empty feeds (which showed the data's newest
// change as their date, so every data change gave them a new ETag and
// WebSub announced them each time) and feeds of papers that did not
// change, in every format.
func TestUnchangedFeedKeepsItsETag(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	v := f.app.Store.View()
	newest, oldest := v.Papers[0], v.Papers[len(v.Papers)-1]
	if newest.ListedOn.Equal(oldest.ListedOn) {
		t.Fatal("the replay holds one day")
	}
	phrase := url.QueryEscape(`"` + oldest.Title + `"`)
	queries := []string{
		"q=zzqqxx",                     // empty
		"q=agents&min_upvotes=1000000", // empty
		"days=1&q=zzqqxx",              // empty
		"q=" + phrase + "&in=title",    // one paper of the oldest day
		"category=cs.CL&q=" + phrase,   // empty or that paper
		"q=" + phrase + "&in=title&sort=upvotes",
	}
	var paths []string
	for _, q := range queries {
		for _, ext := range []string{"rss", "atom", "json", "bib", "ris"} {
			paths = append(paths, "/feed."+ext+"?"+q)
		}
	}
	paths = append(paths, "/topics/agents.atom?min_upvotes=1000000", "/topics/popular.json?q=zzqqxx")
	type answer struct{ etag, body string }
	before := map[string]answer{}
	for _, p := range paths {
		resp, body := f.get(t, p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		before[p] = answer{resp.Header.Get("ETag"), string(body)}
	}
	// The newest day's first paper gains votes: a new data version that
	// none of these feeds shows.
	f.hf.SetUpvotes(newest.ID, newest.Upvotes+50)
	f.hf.SetAPIUpvotes(newest.ID, newest.Upvotes+50)
	f.loaded(t)
	if after := f.app.Store.View(); after.Version == v.Version || after.ByID[newest.ID].Upvotes == newest.Upvotes {
		t.Fatal("the refresh changed nothing")
	}
	for _, p := range paths {
		resp, body := f.get(t, p)
		if b := before[p]; resp.Header.Get("ETag") != b.etag || string(body) != b.body {
			t.Errorf("%s changed with data it does not show: ETag %s, was %s\n%.400s", p, resp.Header.Get("ETag"), b.etag, body)
		}
	}
}
