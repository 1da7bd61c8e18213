package feed

import (
	"io"
	"strings"
)

// writeCitations writes a feed's papers as one BibTeX file or one RIS
// file, in the feed's order: a reference manager imports the filter's
// papers whole. A digest contributes nothing (it is not a paper); the
// same paper twice (a version event) is written once. The file opens
// with a comment naming the feed, which both formats skip (without "@",
// which opens an entry anywhere in BibTeX). Two papers with one key in a
// file get distinct keys: the second and later add b, c, ... (pybtex
// refuses a file with a key twice; others drop an entry).
func writeCitations(w io.Writer, f Format, m Meta, items []Item) error {
	var b strings.Builder
	if f == BibTeX {
		b.WriteString("% " + bibComment(m.Title) + "\n% " + bibComment(m.SelfURL) + "\n\n")
	}
	seen, keys := map[string]bool{}, map[string]int{}
	for i := range items {
		p := items[i].Paper
		if p == nil || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		if f == BibTeX {
			b.WriteString(bibTeXEntry(p, uniqueKey(keys, CiteKey(p))) + "\n")
		} else {
			b.WriteString(RIS(p))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bibComment is text for a comment line of a BibTeX file.
func bibComment(s string) string { return strings.ReplaceAll(CleanLine(s), "@", "(at)") }

// uniqueKey is key, or key with a letter when it was used before in the
// file (counted in used).
func uniqueKey(used map[string]int, key string) string {
	n := used[key]
	used[key] = n + 1
	if n == 0 {
		return key
	}
	for ; n > 0; n /= 26 {
		key += string(rune('a' + n%26))
	}
	if used[key] > 0 { // the suffixed key is another paper's own
		return uniqueKey(used, key)
	}
	used[key] = 1
	return key
}
