package feed

import (
	"encoding/xml"

	"github.com/gorilla/feeds"
)

// rssRoot is gorilla's <rss> element with the namespaces our extensions use.
type rssRoot struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	AtomNS    string   `xml:"xmlns:atom,attr"`
	DCNS      string   `xml:"xmlns:dc,attr"`
	ContentNS string   `xml:"xmlns:content,attr"`
	PrismNS   string   `xml:"xmlns:prism,attr"`
	Channel   *rssChannel
}

// rssChannel extends gorilla's channel with atom:link rel="self" (and
// "hub") and
// items that carry several categories and authors.
type rssChannel struct {
	*feeds.RssFeed
	Links []rssAtomLink `xml:"atom:link"` // rel="self", and rel="hub" (WebSub)
	Items []*rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssItem struct {
	*feeds.RssItem
	Description rawXML `xml:"description"`
	// Creators are the authors, one dc:creator each, so reference
	// managers import each author separately.
	Creators    []string `xml:"dc:creator"`
	Categories  []string `xml:"category"`
	Identifiers []string `xml:"dc:identifier"` // arXiv ID, DOI
	// PRISM, as journals' feeds carry it: when the paper was first posted
	// and its DOI.
	PublicationDate string `xml:"prism:publicationDate,omitempty"`
	DOI             string `xml:"prism:doi,omitempty"`
}

func rssDoc(gf *feeds.Feed, m Meta, items []Item) *rssRoot {
	ch := (&feeds.Rss{Feed: gf}).RssFeed()
	// Dates come from the data, never the clock (gorilla falls back to now).
	ch.PubDate, ch.LastBuildDate = "", ""
	if !gf.Updated.IsZero() {
		ch.LastBuildDate = gf.Updated.Format(rfc822)
		ch.PubDate = ch.LastBuildDate
	}
	ch.Generator = "paperfeed"
	ch.Docs = "https://www.rssboard.org/rss-specification"
	c := &rssChannel{RssFeed: ch, Items: make([]*rssItem, len(ch.Items))}
	if m.SelfURL != "" {
		c.Links = append(c.Links, rssAtomLink{Href: m.SelfURL, Rel: "self", Type: RSS.MediaType()})
	}
	if m.Hub != "" {
		c.Links = append(c.Links, rssAtomLink{Href: m.Hub, Rel: "hub"})
	}
	for i, it := range ch.Items {
		x := &items[i]
		it.Source = "" // RSS <source> names a channel, not the arXiv page
		it.PubDate = x.When().UTC().Format(rfc822)
		ri := &rssItem{RssItem: it, Description: rawXML{descMarker}, Creators: x.authors(), Categories: x.categories()}
		if p := x.Paper; p != nil {
			ri.Identifiers = identifiers(p)
			ri.PublicationDate, ri.DOI = dateOrEmpty(p.Published), p.DOI
		}
		c.Items[i] = ri
	}
	ch.Items = nil
	return &rssRoot{
		Version:   "2.0",
		AtomNS:    "http://www.w3.org/2005/Atom",
		DCNS:      "http://purl.org/dc/elements/1.1/",
		ContentNS: "http://purl.org/rss/1.0/modules/content/",
		PrismNS:   "http://prismstandard.org/namespaces/basic/2.0/",
		Channel:   c,
	}
}

// identifiers are a paper's Dublin Core identifiers: its arXiv ID and,
// when known, its DOI.
func identifiers(p *Paper) []string {
	ids := []string{"arXiv:" + p.ID}
	if p.DOI != "" {
		ids = append(ids, "doi:"+p.DOI)
	}
	return ids
}

// rfc822 is RFC 1123 with a numeric zone, as RSS 2.0 readers expect.
const rfc822 = "Mon, 02 Jan 2006 15:04:05 -0700"
