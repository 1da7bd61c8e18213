package server

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

// What a reader's list of feeds shows, through the real handler, in
// every format and in the OPML file: a topic by its name (not "agents:
// Daily Papers: agent OR agents OR agentic"), a like= feed by its seed's
// title (not its ID), trending once; the description keeps the whole
// story.
func TestFeedTitlesInAReadersList(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, title, desc string }{
		{"/topics/agents", "Daily Papers: agents", "filtered by: agent OR agents OR agentic"},
		{"/topics/trending", "Daily Papers: trending", "gained 10+ upvotes in 24 h"},
		{"/topics/agents?min_upvotes=20", "Daily Papers: agents, 20+ upvotes", "agent OR agents OR agentic; 20+ upvotes"},
		{"/feed?like=2608.09888", "Daily Papers: more like “HalluCiteChecker: A Lightweight Toolkit for Hallucinated…”", "most similar first"},
		{"/feed?sort=trending&min_gain=10", "Daily Papers: trending, gained 10+ in 24 h", "most upvotes gained in the last 24 h first"},
		{"/huggingface/daily-papers/date/5", "Daily Papers: 5+ upvotes, last day", "last day"},
	} {
		for _, format := range []string{"rss", "atom", "json"} {
			route, query, _ := strings.Cut(c.path, "?")
			path := route + "?" + joinQuery(query, "format="+format)
			if strings.HasPrefix(route, "/topics/") {
				path = route + "." + format + "?" + query
			}
			resp, b := f.get(t, path)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
			}
			feed := parseFeed(t, string(b))
			if feed.Title != c.title {
				t.Errorf("%s: title %q, want %q", path, feed.Title, c.title)
			}
			if !strings.Contains(feed.Description, c.desc) {
				t.Errorf("%s: description %q lacks %q", path, feed.Description, c.desc)
			}
		}
	}
	// The OPML file names the topics as their feeds do.
	_, b := f.get(t, "/opml?feed="+url.QueryEscape("q=agents&min_upvotes=5"))
	var doc struct {
		Outlines []struct {
			Text string `xml:"text,attr"`
		} `xml:"body>outline>outline"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, o := range doc.Outlines {
		texts = append(texts, o.Text)
	}
	got := strings.Join(texts, " | ")
	for _, want := range []string{"Daily Papers: agents |", "Daily Papers: trending |", "Daily Papers: agents, 5+ upvotes"} {
		if !strings.Contains(got+" |", want) {
			t.Errorf("OPML outlines %q lack %q", got, want)
		}
	}
	// The builder page names the like= feed by its seed, too.
	_, page := f.get(t, "/?like=2608.09888")
	if !strings.Contains(string(page), "more like “HalluCiteChecker") {
		t.Errorf("the page's title names the seed by ID: %.300s", page)
	}
}
