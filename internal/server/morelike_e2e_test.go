package server

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var moreLikeLink = regexp.MustCompile(`<a href="([^"]*\?like=[^"]*)">More like this</a>`)

// "More like this" wherever like= exists, as arxiv-sanity links
// "similar": every public item, in every format, links the builder page
// of its paper's like= feed, which answers with that feed; the paper's
// page links it and the feed; a personal feed's items keep their own
// vote links only.
func TestMoreLikeThisEverywhere(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/feed.rss?q=agents", "/feed.atom?q=agents", "/feed.json?q=agents", "/topics/agents.rss", "/huggingface/daily-papers"} {
		resp, b := f.get(t, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		fd := parseFeed(t, string(b))
		for _, it := range fd.Items {
			id := strings.TrimPrefix(it.GUID, "https://arxiv.org/abs/")
			m := moreLikeLink.FindStringSubmatch(it.Description + it.Content)
			if m == nil || m[1] != "http://paperfeed.test/?like="+url.QueryEscape(id) {
				t.Fatalf("%s: item %s links %v", path, id, m)
			}
		}
	}
	// The link leads to the builder page of the paper's like= feed.
	_, b := f.get(t, "/feed.json?q=agents&limit=1")
	var doc struct {
		Items []struct {
			Ext struct {
				ArxivID  string                      `json:"arxiv_id"`
				MoreLike struct{ Page, Feed string } `json:"more_like"`
			} `json:"_paperfeed"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	it := doc.Items[0]
	if it.Ext.MoreLike.Feed != "http://paperfeed.test/feed.json?like="+it.Ext.ArxivID {
		t.Errorf("JSON Feed's more_like: %+v", it.Ext.MoreLike)
	}
	page, _ := url.Parse(it.Ext.MoreLike.Page)
	resp, body := f.get(t, page.RequestURI())
	if resp.StatusCode != 200 || !strings.Contains(string(body), "more like “") || !strings.Contains(string(body), "feed.rss?like="+it.Ext.ArxivID) {
		t.Errorf("%s: %d %.400s", page.RequestURI(), resp.StatusCode, body)
	}
	// Each paper of the preview links its own like= feed.
	if n := strings.Count(string(body), `class="more-like"`); n < 2 {
		t.Errorf("the preview links more like this %d times", n)
	}
	// The paper's page.
	_, body = f.get(t, "/papers/"+it.Ext.ArxivID)
	for _, want := range []string{`href="http://paperfeed.test/?like=` + it.Ext.ArxivID + `">Papers like this one</a>`, `href="http://paperfeed.test/feed.rss?like=` + it.Ext.ArxivID + `">RSS</a>`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the paper page lacks %s", want)
		}
	}
	// A personal feed's items: their vote links, no second "More like
	// this".
	token := create(t, f.srv.URL, url.Values{"name": {"Mine"}, "filter": {"q=agents"}})
	_, b = f.get(t, "/f/"+token+".rss")
	for _, it := range parseFeed(t, string(b)).Items {
		if d := it.Description + it.Content; strings.Count(d, "More like this") != 1 || moreLikeLink.MatchString(d) {
			t.Fatalf("personal item %s: %.600s", it.GUID, d)
		}
	}
}
