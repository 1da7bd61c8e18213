package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"

	"paperfeed/feed"
)

// ArxivFeed is one parsed rss.arxiv.org category feed (RSS or Atom).
type ArxivFeed struct {
	// Day is the announcement day the feed holds (UTC midnight of the
	// date arXiv gives, in its own time zone). Zero for an empty feed
	// that states no date.
	Day    time.Time
	Papers []feed.Paper
}

// ErrNotArxivFeed means the document parsed as a feed but is not one of
// arXiv's category feeds.
var ErrNotArxivFeed = errors.New("not an arXiv category feed")

// ParseArxivFeed parses an rss.arxiv.org feed, RSS 2.0 or Atom, with
// gofeed's format parsers (the universal translator would copy every
// item and parse each description as HTML, for nothing here). An empty
// channel (weekends, holidays) is a feed with no papers, not an error.
func ParseArxivFeed(r io.Reader) (ArxivFeed, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return ArxivFeed{}, fmt.Errorf("read arXiv feed: %w", err)
	}
	var entries []feedEntry
	var out ArxivFeed
	switch gofeed.DetectFeedType(bytes.NewReader(body)) {
	case gofeed.FeedTypeRSS:
		f, err := (&rss.Parser{}).Parse(bytes.NewReader(body))
		if err != nil {
			return ArxivFeed{}, fmt.Errorf("parse arXiv RSS: %w", err)
		}
		if f.PubDateParsed != nil {
			out.Day = localDay(*f.PubDateParsed)
		}
		for _, it := range f.Items {
			entries = append(entries, rssEntry(it))
		}
	case gofeed.FeedTypeAtom:
		f, err := (&atom.Parser{}).Parse(bytes.NewReader(body))
		if err != nil {
			return ArxivFeed{}, fmt.Errorf("parse arXiv Atom: %w", err)
		}
		for _, e := range f.Entries {
			entries = append(entries, atomEntry(e))
		}
	default:
		return ArxivFeed{}, fmt.Errorf("parse arXiv feed: %w: neither RSS nor Atom", ErrNotArxivFeed)
	}
	for _, e := range entries {
		p, ok := arxivItem(e)
		if !ok {
			continue
		}
		if out.Day.IsZero() || p.Announced.After(out.Day) {
			out.Day = p.Announced
		}
		out.Papers = append(out.Papers, p)
	}
	if len(entries) > 0 && len(out.Papers) == 0 {
		return ArxivFeed{}, fmt.Errorf("%w: %d items, none with an arXiv identifier", ErrNotArxivFeed, len(entries))
	}
	for i := range out.Papers {
		if out.Papers[i].Announced.IsZero() {
			out.Papers[i].Announced = out.Day
		}
	}
	return out, nil
}

// feedEntry is what an arXiv feed item says, whatever its format.
type feedEntry struct {
	title, link, desc, guid string
	categories, creators    []string
	published               *time.Time
	ext                     ext.Extensions
}

func rssEntry(it *rss.Item) feedEntry {
	e := feedEntry{title: it.Title, link: it.Link, desc: it.Description, published: it.PubDateParsed, ext: it.Extensions}
	if e.desc == "" {
		e.desc = it.Content
	}
	if it.GUID != nil {
		e.guid = it.GUID.Value
	}
	for _, c := range it.Categories {
		e.categories = append(e.categories, c.Value)
	}
	if it.DublinCoreExt != nil {
		e.creators = it.DublinCoreExt.Creator
	}
	if len(e.creators) == 0 && it.Author != "" {
		e.creators = []string{it.Author}
	}
	return e
}

func atomEntry(en *atom.Entry) feedEntry {
	e := feedEntry{title: en.Title, desc: en.Summary, guid: en.ID, ext: en.Extensions, published: en.PublishedParsed}
	if e.desc == "" && en.Content != nil {
		e.desc = en.Content.Value
	}
	if e.published == nil {
		e.published = en.UpdatedParsed
	}
	for _, l := range en.Links {
		if l.Rel == "" || l.Rel == "alternate" {
			e.link = l.Href
			break
		}
	}
	for _, c := range en.Categories {
		e.categories = append(e.categories, c.Term)
	}
	for _, x := range en.Extensions["dc"]["creator"] {
		e.creators = append(e.creators, x.Value)
	}
	for _, a := range en.Authors {
		if len(e.creators) == 0 || a.Name != "" && len(en.Extensions["dc"]["creator"]) == 0 {
			e.creators = append(e.creators, a.Name)
		}
	}
	return e
}

func arxivItem(e feedEntry) (feed.Paper, bool) {
	p := feed.Paper{OnArxiv: true, Title: feed.CleanLine(e.title)}
	idText, typ, abstract := splitArxivDescription(e.desc)
	p.AnnounceType = strings.ToLower(typ)
	p.Abstract = feed.Unwrap(abstract)
	if t := extIn(e.ext, "arxiv", "announce_type"); t != "" {
		p.AnnounceType = strings.ToLower(t)
	}
	id, version, ok := feed.ParseArxivID(e.guid)
	if !ok {
		id, version, ok = feed.ParseArxivID(idText)
	}
	if !ok {
		id, version, ok = feed.ParseArxivID(e.link)
	}
	if !ok || p.Title == "" {
		return feed.Paper{}, false
	}
	p.ID, p.Version = id, version
	for _, c := range e.creators {
		p.Authors = append(p.Authors, SplitAuthors(c)...)
	}
	p.Categories = cleanCategories("", e.categories)
	p.DOI = feed.CleanLine(extIn(e.ext, "arxiv", "DOI"))
	p.JournalRef = feed.CleanLine(extIn(e.ext, "arxiv", "journal_reference"))
	if e.published != nil && !e.published.IsZero() {
		p.Announced = localDay(*e.published)
	}
	if strings.HasPrefix(p.AnnounceType, "replace") && p.Version > 1 {
		// A new version, announced that day (the API later says when it
		// was posted).
		p.Updated = p.Announced
	}
	p.CodeURL = FindCodeURL(p.Abstract)
	return p, true
}

// splitArxivDescription splits arXiv's item description,
// "arXiv:2609.26811v1 Announce Type: new \nAbstract: ...", into the
// versioned ID, the announce type and the abstract. A description in
// another shape is all abstract.
func splitArxivDescription(desc string) (id, typ, abstract string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(desc), "arXiv:")
	if !ok {
		return "", "", desc
	}
	id, rest, _ = strings.Cut(rest, " ")
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t\n"), "Announce Type:")
	if !ok {
		return "", "", desc
	}
	rest = strings.TrimLeft(rest, " \t")
	end := strings.IndexAny(rest, " \t\n")
	if end < 0 {
		return id, rest, ""
	}
	typ, rest = rest[:end], strings.TrimLeft(rest[end:], " \t\n")
	abstract, _ = strings.CutPrefix(rest, "Abstract:")
	return id, typ, abstract
}

// SplitAuthors splits arXiv's comma-joined dc:creator. Extra spaces are
// tolerated ("Ratna Kandala,  Deepti"), single names kept, a final
// "and" dropped.
func SplitAuthors(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = feed.CleanLine(a)
		a = strings.TrimPrefix(a, "and ")
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// cleanCategories keeps arXiv category names (not MSC or ACM classes),
// primary first, without duplicates.
func cleanCategories(primary string, cats []string) []string {
	var out []string
	for _, c := range append([]string{primary}, cats...) {
		c = strings.TrimSpace(c)
		if feed.LooksLikeCategory(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func extValue(it *gofeed.Item, ns, name string) string {
	return extIn(it.Extensions, ns, name)
}

func extIn(e ext.Extensions, ns, name string) string {
	if e == nil {
		return ""
	}
	for _, x := range e[ns][name] {
		if v := strings.TrimSpace(x.Value); v != "" {
			return v
		}
	}
	return ""
}

// localDay is the calendar date of t in its own zone, as UTC midnight.
func localDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
