package scrape

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

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

var (
	categoryRe = regexp.MustCompile(`^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?$`)
)

// ParseArxivFeed parses an rss.arxiv.org feed, RSS 2.0 or Atom. An empty
// channel (weekends, holidays) is a feed with no papers, not an error.
func ParseArxivFeed(r io.Reader) (ArxivFeed, error) {
	f, err := gofeed.NewParser().Parse(r)
	if err != nil {
		return ArxivFeed{}, fmt.Errorf("parse arXiv feed: %w", err)
	}
	var out ArxivFeed
	if t := firstTime(f.PublishedParsed, f.UpdatedParsed); t != nil && f.FeedType == "rss" {
		out.Day = localDay(*t)
	}
	for _, it := range f.Items {
		p, ok := arxivItem(it)
		if !ok {
			continue
		}
		if out.Day.IsZero() || p.Announced.After(out.Day) {
			out.Day = p.Announced
		}
		out.Papers = append(out.Papers, p)
	}
	if len(f.Items) > 0 && len(out.Papers) == 0 {
		return ArxivFeed{}, fmt.Errorf("%w: %d items, none with an arXiv identifier", ErrNotArxivFeed, len(f.Items))
	}
	for i := range out.Papers {
		if out.Papers[i].Announced.IsZero() {
			out.Papers[i].Announced = out.Day
		}
	}
	return out, nil
}

func arxivItem(it *gofeed.Item) (feed.Paper, bool) {
	desc := it.Description
	if desc == "" {
		desc = it.Content
	}
	p := feed.Paper{OnArxiv: true, Title: feed.CleanLine(it.Title)}
	idText, typ, abstract := splitArxivDescription(desc)
	p.AnnounceType = strings.ToLower(typ)
	p.Abstract = feed.Unwrap(abstract)
	if t := extValue(it, "arxiv", "announce_type"); t != "" {
		p.AnnounceType = strings.ToLower(t)
	}
	id, version, ok := feed.ParseArxivID(it.GUID)
	if !ok {
		id, version, ok = feed.ParseArxivID(idText)
	}
	if !ok {
		id, version, ok = feed.ParseArxivID(it.Link)
	}
	if !ok || p.Title == "" {
		return feed.Paper{}, false
	}
	p.ID, p.Version = id, version
	if it.DublinCoreExt != nil {
		for _, c := range it.DublinCoreExt.Creator {
			p.Authors = append(p.Authors, SplitAuthors(c)...)
		}
	}
	if len(p.Authors) == 0 { // Atom: gofeed keeps dc:creator as an extension
		for _, x := range it.Extensions["dc"]["creator"] {
			p.Authors = append(p.Authors, SplitAuthors(x.Value)...)
		}
	}
	if len(p.Authors) == 0 {
		for _, a := range it.Authors {
			p.Authors = append(p.Authors, SplitAuthors(a.Name)...)
		}
	}
	p.Categories = cleanCategories("", it.Categories)
	p.DOI = feed.CleanLine(extValue(it, "arxiv", "DOI"))
	p.JournalRef = feed.CleanLine(extValue(it, "arxiv", "journal_reference"))
	if t := firstTime(it.PublishedParsed, it.UpdatedParsed); t != nil {
		p.Announced = localDay(*t)
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
		if categoryRe.MatchString(c) && !slices.Contains(out, c) {
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

func firstTime(ts ...*time.Time) *time.Time {
	for _, t := range ts {
		if t != nil && !t.IsZero() {
			return t
		}
	}
	return nil
}

// localDay is the calendar date of t in its own zone, as UTC midnight.
func localDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
