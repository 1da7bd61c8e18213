package scrape

import (
	"fmt"
	"io"

	"github.com/mmcdole/gofeed"

	"paperfeed/feed"
)

// ParseArxivAPI parses an export.arxiv.org/api/query answer (Atom 1.0)
// into papers. Elements are read by name, so both the 2018 and the
// 2025+ element orders parse. Categories come primary first.
func ParseArxivAPI(r io.Reader) ([]feed.Paper, error) {
	f, err := gofeed.NewParser().Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse arXiv API answer: %w", err)
	}
	out := make([]feed.Paper, 0, len(f.Items))
	for _, it := range f.Items {
		id, version, ok := feed.ParseArxivID(it.GUID)
		if !ok {
			id, version, ok = feed.ParseArxivID(it.Link)
		}
		if !ok {
			continue // the API's error entries have no paper ID
		}
		p := feed.Paper{
			ID:           id,
			Version:      version,
			Title:        feed.CleanLine(it.Title),
			Abstract:     feed.Unwrap(it.Description),
			ArxivComment: feed.CleanLine(extValue(it, "arxiv", "comment")),
			JournalRef:   feed.CleanLine(extValue(it, "arxiv", "journal_ref")),
			DOI:          feed.CleanLine(extValue(it, "arxiv", "doi")),
		}
		primary := ""
		if xs := it.Extensions["arxiv"]["primary_category"]; len(xs) > 0 {
			primary = xs[0].Attrs["term"]
		}
		p.Categories = cleanCategories(primary, it.Categories)
		for _, a := range it.Authors {
			if n := feed.CleanLine(a.Name); n != "" {
				p.Authors = append(p.Authors, n)
			}
		}
		if it.PublishedParsed != nil {
			p.Published = it.PublishedParsed.UTC()
		}
		if it.UpdatedParsed != nil && version > 1 {
			p.Updated = it.UpdatedParsed.UTC() // when the latest version was posted
		}
		p.CodeURL = FindCodeURL(p.Abstract + "\n" + p.ArxivComment)
		out = append(out, p)
	}
	return out, nil
}
