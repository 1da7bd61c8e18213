package server

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var tagRe = regexp.MustCompile(`<[^>]*>`)

// An RSSHub URL with RSSHub's parameters for every route works when only
// its host changes: through the real handler, each takes RSSHub's
// meaning in every format (brief cuts each description to its text,
// tgiv links Telegram's Instant View, sorted=false is RSSHub's route
// order, most upvoted first), or is a 400 that names paperfeed's
// equivalent; off RSSHub's routes, a 400 that names them.
func TestRSSHubURLsKeepTheirParameters(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"rss", "atom", "json"} {
		_, b := f.get(t, "/huggingface/daily-papers?brief=120&format="+format+"&limit=5")
		items := parseFeed(t, string(b)).Items
		if len(items) != 5 {
			t.Fatalf("brief, %s: %d items", format, len(items))
		}
		for _, it := range items {
			d := it.Content
			if d == "" {
				d = it.Description
			}
			text := html.UnescapeString(tagRe.ReplaceAllString(d, ""))
			if !strings.HasPrefix(d, "<p>") || strings.Count(d, "<") != 2 || utf8.RuneCountInString(text) > 121 || !strings.HasSuffix(text, "…") {
				t.Errorf("brief=120, %s: %q", format, d)
			}
		}
		_, b = f.get(t, "/huggingface/daily-papers/date?tgiv=bd3c42818a7f7e&format="+format)
		for _, it := range parseFeed(t, string(b)).Items {
			if !strings.HasPrefix(it.Link, "https://t.me/iv?url=https%3A%2F%2Fhuggingface.co%2Fpapers%2F") || !strings.HasSuffix(it.Link, "&rhash=bd3c42818a7f7e") {
				t.Errorf("tgiv, %s: link %q", format, it.Link)
			}
		}
	}
	// sorted=false: most upvoted first, as RSSHub's route orders them.
	_, b := f.get(t, "/huggingface/daily-papers?sorted=false&format=json")
	var doc struct {
		Items []jsonItem `json:"items"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Items) < 2 {
		t.Fatalf("sorted=false: %v, %d items", err, len(doc.Items))
	}
	if !slices.IsSortedFunc(doc.Items, func(a, b jsonItem) int { return b.Ext.Upvotes - a.Ext.Upvotes }) {
		t.Error("sorted=false: not most upvoted first")
	}
	if r, b := f.get(t, "/huggingface/daily-papers?sorted=true&mode=fulltext"); r.StatusCode != 200 || !strings.Contains(string(b), `href="http://paperfeed.test/huggingface/daily-papers" rel="self"`) {
		t.Errorf("sorted=true&mode=fulltext: %d %.300s", r.StatusCode, b)
	}
	// RSSHub's filters, limit and format, as before.
	if r, b := f.get(t, "/huggingface/daily-papers/date/5?filter=agent&filterout=survey&filter_case_sensitive=false&limit=3&format=atom"); r.StatusCode != 200 {
		t.Errorf("RSSHub's filters: %d %s", r.StatusCode, b)
	}
	for path, want := range map[string]string{
		"/huggingface/daily-papers?scihub=1":                "every paper here is on arXiv, free to read",
		"/huggingface/daily-papers?opencc=t2s":              "converts no Chinese script",
		"/huggingface/daily-papers?key=hunter2":             "need no access key",
		"/huggingface/daily-papers?chatgpt=1":               "AI summary",
		"/huggingface/daily-papers?brief=10":                "from 100",
		"/huggingface/daily-papers?sorted=false&sort=stars": "conflicts with sort=stars",
		"/feed.rss?sorted=false":                            "sort=upvotes",
		"/feed.atom?brief=200":                              "/huggingface/daily-papers",
		"/topics/agents.rss?tgiv=abc":                       "/huggingface/daily-papers",
	} {
		r, b := f.get(t, path)
		if r.StatusCode != 400 || !strings.Contains(string(b), want) || strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "unknown parameter") {
			t.Errorf("%s: %d %s", path, r.StatusCode, b)
		}
	}
}
