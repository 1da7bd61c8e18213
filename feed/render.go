package feed

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// Format is an output format.
type Format string

// The formats paperfeed renders: three feeds, and the feed's papers as
// citations (BibTeX, RIS) for a reference manager to import whole.
const (
	RSS    Format = "rss"
	Atom   Format = "atom"
	JSON   Format = "json"
	BibTeX Format = "bib"
	RISDoc Format = "ris"
)

// Formats lists every format, in the order they are offered.
var Formats = []Format{RSS, Atom, JSON, BibTeX, RISDoc}

// FeedFormats are the formats feed readers read: autodiscovery links,
// OPML and topics offer these.
var FeedFormats = []Format{RSS, Atom, JSON}

// IsFeed reports whether a feed reader reads the format.
func (f Format) IsFeed() bool { return slices.Contains(FeedFormats, f) }

// formatSpec is what a format is: its media type, its name for
// people, and, for a format feed readers do not read, its writer (the
// feed-reader formats are assembled from fragments, fragment.go).
type formatSpec struct {
	media, label string
	write        func(w io.Writer, f Format, m Meta, items []Item) error
}

// formats are the formats by name. Adding one is an entry here and its
// name in Formats (and in FeedFormats for a feed-reader format); the
// routes /feed.EXT, /topics/NAME.EXT and format= follow from Formats.
var formats = map[Format]formatSpec{
	RSS:    {media: "application/rss+xml", label: "RSS"},
	Atom:   {media: "application/atom+xml", label: "Atom"},
	JSON:   {media: "application/feed+json", label: "JSON Feed"},
	BibTeX: {media: "application/x-bibtex", label: "BibTeX", write: writeCitations},
	RISDoc: {media: "application/x-research-info-systems", label: "RIS", write: writeCitations},
}

// FormatNames lists the formats' names, for an error: "rss, atom, ...".
func FormatNames() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// ParseFormat maps a format name to a Format.
func ParseFormat(s string) (Format, bool) {
	f := Format(s)
	return f, slices.Contains(Formats, f)
}

// MediaType is a format's media type, as links and autodiscovery name
// it.
func (f Format) MediaType() string {
	if spec, ok := formats[f]; ok {
		return spec.media
	}
	return formats[RSS].media
}

// ContentType is the HTTP Content-Type of a format.
func (f Format) ContentType() string { return f.MediaType() + "; charset=utf-8" }

// Label is a format's name for people ("RSS", "Atom", "JSON Feed").
func (f Format) Label() string {
	if spec, ok := formats[f]; ok {
		return spec.label
	}
	return formats[RSS].label
}

// Meta describes a feed as a whole.
type Meta struct {
	Title       string
	Description string
	HomeURL     string // the web page this feed is a view of
	SelfURL     string // this feed's own canonical URL
	// BaseURL is the service's public root: items link their citations
	// (BibTeX, RIS) under it. Empty: no citation links.
	BaseURL string
	// Updated is the feed's date when its items give none newer; zero for
	// an empty feed (no RSS lastBuildDate; Atom, which needs one, says
	// 1970-01-01T00:00:00Z).
	Updated time.Time
	// Hub is a WebSub hub the feed advertises (rel="hub"; JSON Feed's
	// hubs), "" for none.
	Hub string
	// GUIDScope, when set, gives the feed's paper items GUIDs of their
	// own (guid=feed): "urn:paperfeed:feed:SCOPE:ID" rather than the
	// paper's, which every feed shares (GUID).
	GUIDScope string
	// MoreLike links each paper item's like= feed ("More like this", the
	// builder page of like=ID under BaseURL); a personal feed's items
	// have their own vote links instead.
	MoreLike bool
	// NoThumbnails leaves the papers' thumbnails (images on Hugging
	// Face's servers) out of the items.
	NoThumbnails bool
	// RSSHub's brief=N and tgiv=HASH (brief.go): each description cut to
	// its text, at Brief characters; each link through Telegram's Instant
	// View template TGIV.
	Brief int
	TGIV  string
}

// Render writes items as a feed in format f. It reads no clock: the
// feed's dates come from its items, so equal input gives equal bytes.
func Render(w io.Writer, f Format, m Meta, items []Item) error {
	spec, ok := formats[f]
	switch {
	case !ok:
		return fmt.Errorf("unknown format %q", f)
	case f.IsFeed():
		return renderFeed(w, f, m, items) // see fragment.go
	}
	return spec.write(w, f, m, items)
}

// feedUpdated is the feed's date: its newest item change or date, else
// the data's.
func feedUpdated(m Meta, items []Item) time.Time {
	updated := m.Updated
	for i := range items {
		it := &items[i]
		if it.Paper != nil && it.Paper.Changed.After(updated) {
			updated = it.Paper.Changed
		}
		if !it.Date.IsZero() && it.Date.After(updated) {
			updated = it.Date
		}
	}
	return updated
}

// RenderBytes is Render into a new slice of the exact size (what a cache
// keeps).
func RenderBytes(f Format, m Meta, items []Item) ([]byte, error) {
	return AppendRender(nil, f, m, items)
}

// AppendRender appends the document RenderBytes makes to dst: a caller
// that reuses its buffers renders a feed without allocating its size.
func AppendRender(dst []byte, f Format, m Meta, items []Item) ([]byte, error) {
	if f.IsFeed() {
		return assemble(dst, f, m, items)
	}
	buf := bytes.NewBuffer(dst)
	err := Render(buf, f, m, items)
	return buf.Bytes(), err
}

// gorillaFeed builds the library's generic feed; the format documents
// below start from its conversions and add what readers need.
func gorillaFeed(m Meta, updated time.Time, items []Item) *feeds.Feed {
	gf := &feeds.Feed{
		Title:       CleanLine(m.Title),
		Link:        &feeds.Link{Href: m.HomeURL},
		Description: CleanLine(m.Description),
		Id:          m.SelfURL,
		Updated:     updated.UTC(),
		Items:       make([]*feeds.Item, 0, len(items)),
	}
	for i := range items {
		it := &items[i]
		day := it.When().UTC()
		if d := it.Digest; d != nil {
			gf.Items = append(gf.Items, &feeds.Item{Title: d.Title, Link: &feeds.Link{Href: m.link(d.Link)}, Id: d.GUID,
				IsPermaLink: "false", Created: day, Updated: day})
			continue
		}
		p := it.Paper
		gf.Items = append(gf.Items, &feeds.Item{
			Title:  it.title(),
			Link:   &feeds.Link{Href: m.link(p.Link())},
			Source: &feeds.Link{Href: p.AbsURL()},
			// The description goes in pre-escaped (see rawXML); JSON
			// renders its own.
			Id:          it.guid(m.GUIDScope),
			IsPermaLink: "false",
			Created:     day,
			Updated:     day,
		})
	}
	return gf
}

// link is an item's link in the feed: through Telegram's Instant View
// with tgiv=.
func (m Meta) link(l string) string {
	if m.TGIV != "" {
		return TGIVLink(l, m.TGIV)
	}
	return l
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

// itemXML is an item's description escaped for XML.
func (it *Item) itemXML(m Meta) string {
	if m.Brief > 0 {
		return escapeXML(it.itemHTML(m))
	}
	if it.Digest != nil {
		return escapeXML(it.Digest.HTML)
	}
	desc := it.withGain(DescriptionXML(it.Paper, !m.NoThumbnails), "&lt;/strong&gt;")
	if x := it.extraHTML(); x != "" {
		desc = escapeXML(x) + desc
	}
	if l := it.linksHTML(m); l != "" {
		desc += escapeXML(l)
	}
	return desc
}

// withGain puts the item's gain after the paper's upvote count in its
// description ("▲ 163 upvotes, +42 in 24 h"), so a reader sees one count
// and what it gained; closing is how the description writes </strong>,
// escaped or not.
func (it *Item) withGain(desc, closing string) string {
	if it.GainHours == 0 || !it.Paper.OnHF {
		return desc
	}
	count := "▲ " + itoa(it.Paper.Upvotes) + closing + " upvote"
	i := strings.Index(desc, count)
	if i < 0 {
		return desc
	}
	i += len(count)
	if i < len(desc) && desc[i] == 's' {
		i++
	}
	return desc[:i] + ", " + GainWords(it.Paper.Upvotes, it.Gain, it.GainHours) + desc[i:]
}

// GainWords say what a count gained in a span: "+42 in 24 h", or "all in
// 24 h" when every upvote came in it (a paper listed inside the span),
// rather than the same number twice.
func GainWords(upvotes, gain, hours int) string {
	if gain > 0 && gain == upvotes {
		return "all in " + itoa(hours) + " h"
	}
	return signed(gain) + " in " + itoa(hours) + " h"
}

// itemHTML is an item's description as HTML.
func (it *Item) itemHTML(m Meta) string {
	var d string
	if it.Digest != nil {
		d = it.Digest.HTML
	} else {
		d = it.extraHTML() + it.withGain(DescriptionHTML(it.Paper, !m.NoThumbnails), "</strong>") + it.linksHTML(m)
	}
	if m.Brief > 0 {
		return Brief(d, m.Brief)
	}
	return d
}

// categories are an item's categories (none for a digest).
func (it *Item) categories() []string {
	if it.Paper == nil {
		return nil
	}
	return it.Paper.FeedCategories()
}

func (it *Item) authors() []string {
	if it.Paper == nil {
		return nil
	}
	return it.Paper.Authors
}
