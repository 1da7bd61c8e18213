package feed

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gorilla/feeds"
)

// Format is an output format.
type Format string

// The formats paperfeed renders.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists every format, in the order they are offered.
var Formats = []Format{RSS, Atom, JSON}

// ParseFormat maps a format name to a Format.
func ParseFormat(s string) (Format, bool) {
	f := Format(s)
	return f, slices.Contains(Formats, f)
}

// ContentType is the HTTP Content-Type of a format.
func (f Format) ContentType() string {
	switch f {
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case JSON:
		return "application/feed+json; charset=utf-8"
	}
	return "application/rss+xml; charset=utf-8"
}

// Meta describes a feed as a whole.
type Meta struct {
	Title       string
	Description string
	HomeURL     string // the web page this feed is a view of
	SelfURL     string // this feed's own canonical URL
	// Updated is used as the feed's date when it has no item (the newest
	// change of the data it was filtered from).
	Updated time.Time
}

// Render writes papers as a feed in format f. It reads no clock: the
// feed's dates come from its items, so equal input gives equal bytes.
func Render(w io.Writer, f Format, m Meta, papers []*Paper) error {
	gf := gorillaFeed(m, papers)
	switch f {
	case RSS:
		return writeXML(w, rssDoc(gf, m, papers))
	case Atom:
		return writeXML(w, atomDoc(gf, m, papers))
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonDoc(gf, m, papers))
	}
	return fmt.Errorf("unknown format %q", f)
}

// gorillaFeed builds the library's generic feed; the format documents
// below start from its conversions and add what readers need.
func gorillaFeed(m Meta, papers []*Paper) *feeds.Feed {
	updated := m.Updated
	for _, p := range papers {
		if p.Changed.After(updated) {
			updated = p.Changed
		}
	}
	gf := &feeds.Feed{
		Title:       CleanLine(m.Title),
		Link:        &feeds.Link{Href: m.HomeURL},
		Description: CleanLine(m.Description),
		Id:          m.SelfURL,
		Updated:     updated.UTC(),
		Items:       make([]*feeds.Item, 0, len(papers)),
	}
	for _, p := range papers {
		day := p.Day().UTC()
		gf.Items = append(gf.Items, &feeds.Item{
			Title:  p.Title,
			Link:   &feeds.Link{Href: p.Link()},
			Source: &feeds.Link{Href: p.AbsURL()},
			// The description goes in pre-escaped (see rawXML); JSON
			// renders its own.
			Id:          GUID(p.ID),
			IsPermaLink: "false",
			Created:     day,
			Updated:     day,
		})
	}
	return gf
}

// rawXML is element content written as is: text escaped once, when the
// store made the paper's view, instead of on every render.
type rawXML struct {
	Inner string `xml:",innerxml"`
}

func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode feed: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// FeedCategories are an item's categories: arXiv categories (primary
// first), then HF's AI keywords.
func (p *Paper) FeedCategories() []string {
	out := make([]string, 0, len(p.Categories)+len(p.AIKeywords))
	out = append(out, p.Categories...)
	return append(out, p.AIKeywords...)
}

// SizeHint estimates the rendered size of a feed of papers, so a caller
// can allocate its buffer once.
func SizeHint(papers []*Paper) int {
	n := 2048
	for _, p := range papers {
		d := len(p.descXML)
		if d == 0 {
			d = 3000 + len(p.Abstract)
		}
		n += d + 700 + len(p.Title) + 40*(len(p.Authors)+len(p.Categories)+len(p.AIKeywords))
	}
	return n
}
