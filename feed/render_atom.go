package feed

import (
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// atomFeed extends gorilla's feed with several links (self, alternate)
// and entries with several authors and term-attribute categories.
type atomFeed struct {
	*feeds.AtomFeed
	DCNS    string           `xml:"xmlns:dc,attr"`
	Links   []feeds.AtomLink `xml:"link"`
	Entries []*atomEntry     `xml:"entry"`
}

type atomEntry struct {
	*feeds.AtomEntry
	Content    atomContent        `xml:"content"`
	Authors    []feeds.AtomAuthor `xml:"author"`
	Categories []atomCategory     `xml:"category"`
	// Identifiers are the arXiv ID and DOI (Dublin Core), for reference
	// managers.
	Identifiers []string `xml:"dc:identifier"`
}

// atomContent is the entry's HTML content, pre-escaped.
type atomContent struct {
	Type  string `xml:"type,attr"`
	Inner string `xml:",innerxml"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

func atomDoc(gf *feeds.Feed, m Meta, items []Item) *atomFeed {
	af := (&feeds.Atom{Feed: gf}).AtomFeed()
	af.Id = m.SelfURL
	if af.Id == "" {
		af.Id = m.HomeURL
	}
	af.Updated = gf.Updated.Format(time.RFC3339)
	if gf.Updated.IsZero() {
		// A feed without a date (an empty one): Atom requires one, and a
		// fixed one keeps the bytes the same however the data changes.
		af.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	}
	af.Link = nil
	f := &atomFeed{AtomFeed: af, DCNS: "http://purl.org/dc/elements/1.1/", Entries: make([]*atomEntry, len(af.Entries))}
	if m.SelfURL != "" {
		f.Links = append(f.Links, feeds.AtomLink{Href: m.SelfURL, Rel: "self", Type: Atom.MediaType()})
	}
	if m.Hub != "" {
		f.Links = append(f.Links, feeds.AtomLink{Href: m.Hub, Rel: "hub"})
	}
	if m.HomeURL != "" {
		f.Links = append(f.Links, feeds.AtomLink{Href: m.HomeURL, Rel: "alternate", Type: "text/html"})
	}
	for i, e := range af.Entries {
		x := &items[i]
		day := x.When().UTC().Format(time.RFC3339)
		e.Updated, e.Published = day, day
		// The description is the entry's content; no separate summary.
		e.Content, e.Summary = nil, nil
		if p := x.Paper; p != nil && p.Link() != p.AbsURL() {
			e.Links = append(e.Links, feeds.AtomLink{Href: p.AbsURL(), Rel: "related", Type: "text/html"})
		}
		ae := &atomEntry{AtomEntry: e, Content: atomContent{Type: "html", Inner: descMarker}}
		if p := x.Paper; p != nil {
			ae.Identifiers = identifiers(p)
			if m.BaseURL != "" {
				u := strings.TrimRight(m.BaseURL, "/") + CitePath(p.ID)
				e.Links = append(e.Links, feeds.AtomLink{Href: u + ".bib", Rel: "related", Type: "application/x-bibtex"},
					feeds.AtomLink{Href: u + ".ris", Rel: "related", Type: "application/x-research-info-systems"})
			}
		}
		for _, a := range x.authors() {
			ae.Authors = append(ae.Authors, feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: a}})
		}
		if len(ae.Authors) == 0 {
			// Atom requires an author per entry when the feed has none.
			name := "unknown"
			if x.Digest != nil {
				name = "paperfeed"
			}
			ae.Authors = []feeds.AtomAuthor{{AtomPerson: feeds.AtomPerson{Name: name}}}
		}
		for _, c := range x.categories() {
			ae.Categories = append(ae.Categories, atomCategory{Term: c})
		}
		f.Entries[i] = ae
	}
	af.Entries = nil
	return f
}
