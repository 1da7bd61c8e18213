package feed

import (
	"html"
	"net/url"
	"strings"
)

// The links that end a paper item's description, under the service's
// base URL: the paper's like= feed ("More like this", as arxiv-sanity's
// "similar" link), then its citations and its page.

// MoreLikePath is the address, under a base URL, of the builder page of
// a paper's like= feed: the papers most similar to it, with the feed's
// URLs to subscribe to.
func MoreLikePath(id string) string { return "/?like=" + url.QueryEscape(id) }

// MoreLikeFeedPath is the like= feed of a paper itself, in format f.
func MoreLikeFeedPath(f Format, id string) string {
	return "/feed." + string(f) + "?like=" + url.QueryEscape(id)
}

// linksHTML ends a paper item's description; "" without a base URL. An
// item with vote links of its own (a personal feed's) has no "More like
// this" here.
func (it *Item) linksHTML(m Meta) string {
	if m.BaseURL == "" || it.Paper == nil {
		return ""
	}
	base := strings.TrimRight(m.BaseURL, "/")
	var s string
	if it.moreLike(m) {
		s = `<p><a href="` + html.EscapeString(base+MoreLikePath(it.Paper.ID)) + `">More like this</a></p>`
	}
	u := html.EscapeString(base + CitePath(it.Paper.ID))
	return s + `<p><small>Cite: <a href="` + u + `.bib">BibTeX</a> · <a href="` + u + `.ris">RIS</a> · <a href="` + u + `">paper page</a></small></p>`
}

// moreLike reports whether the item links its like= feed.
func (it *Item) moreLike(m Meta) bool {
	return m.MoreLike && m.BaseURL != "" && it.Paper != nil && it.Votes == nil
}

// jsonMoreLike is JSON Feed's "more like this": the builder page of the
// paper's like= feed, and the feed.
type jsonMoreLike struct {
	Page string `json:"page"`
	Feed string `json:"feed"`
}

func (it *Item) jsonMoreLike(m Meta) *jsonMoreLike {
	if !it.moreLike(m) {
		return nil
	}
	base := strings.TrimRight(m.BaseURL, "/")
	return &jsonMoreLike{Page: base + MoreLikePath(it.Paper.ID), Feed: base + MoreLikeFeedPath(JSON, it.Paper.ID)}
}
