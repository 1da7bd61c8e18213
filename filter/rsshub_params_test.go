package filter

import (
	"net/url"
	"strings"
	"testing"
)

// RSSHub's parameters for every route: on RSSHub's routes they mean
// what they mean in RSSHub, or are a 400 naming what paperfeed has
// instead (never "unknown parameter", which broke RSSHub URLs after the
// host swap); off them, a 400 naming the routes that take them. A
// secret (key, code) is never repeated.
func TestRSSHubRouteParameters(t *testing.T) {
	route := opts
	route.RSSHubRoute = true
	for _, c := range []struct {
		query, canonical, err string
		brief                 int
		tgiv                  string
	}{
		{query: "sorted=false", canonical: "sort=upvotes"},
		{query: "sorted=0&sort=upvotes", canonical: "sort=upvotes"},
		{query: "sorted=true", canonical: ""},
		{query: "sorted=false&sort=stars", err: "sorted=false: conflicts with sort=stars"},
		{query: "sorted=maybe", err: "sorted=maybe: must be"},
		{query: "brief=100", canonical: "brief=100", brief: 100},
		{query: "brief=99", err: "brief=99: must be a number of characters from 100"},
		{query: "brief=abc", err: "brief=abc"},
		{query: "tgiv=BD3C42818A7F7E&limit=5", canonical: "limit=5&tgiv=bd3c42818a7f7e", tgiv: "bd3c42818a7f7e"},
		{query: "tgiv=<script>", err: "tgiv=<script>: must be the hash"},
		{query: "mode=fulltext", canonical: ""},
		{query: "mode=FullText&q=agents", canonical: "q=agents"},
		{query: "mode=summary", err: "mode=summary: must be fulltext"},
		{query: "scihub=1", err: "scihub=1: RSSHub's parameter has no equivalent here: every paper here is on arXiv"},
		{query: "opencc=t2s", err: "opencc=t2s: RSSHub's parameter has no equivalent here"},
		{query: "chatgpt=true", err: "AI summary"},
		{query: "key=hunter2", err: "key: RSSHub's parameter has no equivalent here: paperfeed's feeds are public"},
		{query: "code=hunter2", err: "code: RSSHub's parameter"},
		{query: "image_hotlink_template=x", err: "-thumbnails=off"},
		{query: "multimedia_hotlink_template=x", err: "no audio or video"},
		{query: "wrap_multimedia_in_iframe=1", err: "no audio or video"},
		{query: "filter=agent&filterout=survey&filter_case_sensitive=false&filter_time=86400&limit=10&format=atom",
			canonical: "filter=agent&filter_case_sensitive=false&filter_time=86400&filterout=survey&limit=10"},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(v, route)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.query, err, c.err)
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "unknown parameter")) {
				t.Errorf("%s: %v", c.query, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.query, err)
		case q.Canonical() != c.canonical || q.Brief != c.brief || q.TGIV != c.tgiv:
			t.Errorf("%s: canonical %q brief %d tgiv %q, want %q %d %q", c.query, q.Canonical(), q.Brief, q.TGIV, c.canonical, c.brief, c.tgiv)
		}
		if c.query == "sorted=false" && q.Sort != SortUpvotes {
			t.Errorf("sorted=false sorts by %s", q.Sort)
		}
		// Off RSSHub's routes, the same parameter names the routes.
		if c.canonical != "" || c.err != "" {
			for name := range v {
				if name == "filter" || name == "filterout" || name == "filter_case_sensitive" || name == "filter_time" || name == "limit" || name == "format" || name == "q" || name == "sort" {
					continue
				}
				_, err := Parse(v, opts)
				if err == nil || !strings.Contains(err.Error(), "/huggingface/daily-papers") {
					t.Errorf("%s on a paperfeed route: %v", c.query, err)
				}
				if name == "sorted" && !strings.Contains(err.Error(), "sort=upvotes") {
					t.Errorf("sorted off RSSHub's routes does not name sort=upvotes: %v", err)
				}
			}
		}
	}
}
