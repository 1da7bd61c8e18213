package feed

import (
	"io"
	"strings"
)

// writeCitations writes a feed's papers as one BibTeX file or one RIS
// file, in the feed's order: a reference manager imports the filter's
// papers whole. A digest contributes nothing (it is not a paper); the
// same paper twice (a version event) is written once. The file opens
// with a comment naming the feed, which both formats skip.
func writeCitations(w io.Writer, f Format, m Meta, items []Item) error {
	var b strings.Builder
	if f == BibTeX {
		b.WriteString("% " + CleanLine(m.Title) + "\n% " + m.SelfURL + "\n\n")
	}
	seen := map[string]bool{}
	for i := range items {
		p := items[i].Paper
		if p == nil || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		if f == BibTeX {
			b.WriteString(BibTeXOf(p) + "\n")
		} else {
			b.WriteString(RIS(p))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
