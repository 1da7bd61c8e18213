package filter

import (
	"strings"

	"paperfeed/feed"
)

// Index holds papers with their text folded once, so a query does no text
// processing per paper. Build one per store view and share it: it is
// read-only after NewIndex.
type Index struct {
	papers []*feed.Paper
	docs   []doc
}

type doc struct {
	title, abstract, keywords string // folded, space-padded
	authors                   []string
	authorsText               string
	org                       string
	categories                []string // lower case
}

// NewIndex folds the papers' searchable text. The order of papers is kept.
func NewIndex(papers []*feed.Paper) *Index {
	ix := &Index{papers: papers, docs: make([]doc, len(papers))}
	for i, p := range papers {
		d := &ix.docs[i]
		d.title = fold(p.Title)
		d.abstract = fold(p.Abstract + "\n\n" + p.AISummary)
		d.keywords = fold(strings.Join(p.AIKeywords, " , "))
		d.authors = make([]string, len(p.Authors))
		for j, a := range p.Authors {
			d.authors[j] = fold(a)
		}
		d.authorsText = strings.Join(d.authors, " ")
		d.org = fold(p.Org.Name + " , " + p.Org.FullName)
		d.categories = make([]string, len(p.Categories))
		for j, c := range p.Categories {
			d.categories[j] = strings.ToLower(c)
		}
	}
	return ix
}

// Len is the number of papers indexed.
func (ix *Index) Len() int { return len(ix.papers) }

// Papers are the indexed papers, in their order.
func (ix *Index) Papers() []*feed.Paper { return ix.papers }
