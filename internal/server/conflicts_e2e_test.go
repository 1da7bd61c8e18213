package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// A parameter that would change nothing, or that another one overrules,
// is a 400 that says so, never a feed that quietly differs from what its
// URL says; and where the URL says a default, it is the same feed.
func TestNoParameterIsQuietlyDropped(t *testing.T) {
	s := loadedServer(t, nil)
	for _, c := range []struct{ path, want string }{
		{"/feed.rss?gain_hours=72", "gain_hours=72: changes nothing without sort=trending or min_gain"},
		{"/feed.rss?digest_size=5", "digest_size=5: changes nothing without digest="},
		{"/feed.rss?filter_case_sensitive=false", "filter_case_sensitive=false: changes nothing without one of RSSHub's regex filters"},
		{"/feed.bib?digest=day", "digest=day: makes one item per closed period, for feed readers; BibTeX lists papers"},
		{"/feed.ris?digest=week", "digest=week: makes one item per closed period"},
		{"/feed?format=bib&digest=month", "digest=month: makes one item per closed period"},
		{"/huggingface/daily-papers/date/20?min_upvotes=5", "min_upvotes=20: is given twice, in the path (/20) and the query (min_upvotes=5)"},
		{"/huggingface/daily-papers/date?days=3", "days=3: conflicts with the path, which chooses the period (date)"},
		{"/huggingface/daily-papers/week?date=2026-08-20", "date=2026-08-20: conflicts with the path, which chooses the period (week)"},
		{"/huggingface/daily-papers/date?digest=day", "digest=day: covers the closed periods held, and the path chooses one period (date)"},
		{"/feed.bib?guid=feed", "guid=feed: gives items GUIDs of the feed's own, for feed readers; BibTeX lists papers"},
		{"/huggingface/daily-papers?brief=200&format=bib", "brief=200: cuts each item's text"},
		{"/feed.rss?q=a&Q=", ""}, // empty values are absent, in any case: not a 400
		{"/status?foo=1", "foo=1: unknown parameter; /status takes"},
		{"/feed.rss?filter_author=%00x", "filter_author=?x: holds a control character"},
		{"/?format=xml", "format=xml: must be one of rss, atom, json"},
		{"/feed.rss%00.json", `\x00`},
		{"/feed.rss?%00=1", `\x00`},
	} {
		code, _, body := s.get(t, c.path)
		if c.want == "" {
			if code != 200 {
				t.Errorf("%s: %d, want 200: %.200s", c.path, code, body)
			}
			continue
		}
		if code != 400 && !(strings.Contains(c.path, "%00") && code == 404) {
			t.Errorf("%s: %d, want 400: %.200s", c.path, code, body)
		}
		if !strings.Contains(body, c.want) {
			t.Errorf("%s: the answer does not say %q: %.300s", c.path, c.want, body)
		}
		if strings.ContainsRune(body, 0) {
			t.Errorf("%s: the answer echoes a NUL byte", c.path)
		}
	}
	etag := func(path string) string {
		code, h, body := s.get(t, path)
		if code != 200 {
			t.Fatalf("%s: %d %.200s", path, code, body)
		}
		return h.Get("ETag")
	}
	for _, same := range [][2]string{
		{"/feed.rss?min_upvotes=5", "/feed.rss?min_upvotes=5&date_by=qualified"},
		{"/feed.rss?q=agents", "/feed.rss?q=agents&date_by=listed"},
		{"/feed.rss", "/feed.rss?gain_hours=24&digest_size=10&filter_case_sensitive=true"},
		{"/feed.rss", "/feed.rss?in=title"}, // where q searches, without q
		{"/feed.rss?q=&Q=b", "/feed.rss?q=b"},
		{"/feed.rss?like=2608.19880", "/feed.rss?like=2608.19880&sort=similarity&min_similarity=0.04"},
	} {
		if a, b := etag(same[0]), etag(same[1]); a != b {
			t.Errorf("%s and %s are the same feed, but their ETags differ: %s, %s", same[0], same[1], a, b)
		}
	}
	if a, b := etag("/feed.rss?like=2608.19880"), etag("/feed.rss?like=2608.19880&sort=date"); a == b {
		t.Error("like= with sort=date is ordered newest first, but its ETag is the similarity feed's")
	}
	if a, b := etag("/feed.rss?min_upvotes=5"), etag("/feed.rss?min_upvotes=5&date_by=listed"); a == b {
		t.Error("date_by=listed with a condition on counts changes the items' dates, but the ETag is the same")
	}
}

// A topic's extra parameter that replaces the topic's own keywords makes
// a feed the topic's name no longer describes: its title says the
// filter, not the topic (found by a hostile try: "agents, reasoning" for
// a feed of reasoning alone).
func TestATopicWhoseKeywordsAreReplacedIsNotTitledByIt(t *testing.T) {
	s := loadedServer(t, nil)
	title := func(path string) string {
		code, _, body := s.get(t, path)
		if code != 200 {
			t.Fatalf("%s: %d %.200s", path, code, body)
		}
		var doc struct{ Title string }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Title
	}
	if got := title("/topics/agents.json?min_upvotes=20"); got != "Daily Papers: agents, 20+ upvotes" {
		t.Errorf("a topic with a threshold added: %q", got)
	}
	if got := title("/topics/agents.json?q=reasoning"); got != "Daily Papers: reasoning" {
		t.Errorf("a topic whose keywords are replaced: %q, want the filter's own title", got)
	}
}

// The builder page offers no link that would answer 400: citations of a
// digest or of a feed with its own GUIDs are left out, and asked for,
// they are the feed route's 400.
func TestBuilderPageOffersNoLinkThatFails(t *testing.T) {
	s := loadedServer(t, nil)
	for _, query := range []string{"digest=week", "guid=feed", "digest=day&q=agents"} {
		code, _, page := s.get(t, "/?"+query)
		if code != 200 {
			t.Fatalf("/?%s: %d", query, code)
		}
		if strings.Contains(page, "/feed.bib?") || strings.Contains(page, "/feed.ris?") {
			t.Errorf("/?%s offers a citation link, which answers 400", query)
		}
		if !strings.Contains(page, "/feed.atom?") {
			t.Errorf("/?%s offers no Atom link", query)
		}
	}
	if _, _, page := s.get(t, "/?q=agents"); !strings.Contains(page, "/feed.bib?q=agents") {
		t.Error("a plain filter lost its BibTeX link")
	}
	code, _, page := s.get(t, "/?digest=week&guid=feed&format=bib")
	if code != 400 || !strings.Contains(page, "digest=week: makes one item per closed period") {
		t.Errorf("/?digest=week&format=bib: %d, want the feed route's 400", code)
	}
}
