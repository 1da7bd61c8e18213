package feed

import (
	"html"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
)

// RSSHub's per-route parameters a feed may carry out (Meta.Brief,
// Meta.TGIV): an item's description cut to its text, and its link
// through Telegram's Instant View.

// Brief is an item's description as RSSHub's brief=N makes it: its text
// alone (tags dropped, entities read, white space collapsed), cut at n
// characters with "…" after a cut, in one paragraph.
func Brief(description string, n int) string {
	z := xhtml.NewTokenizer(strings.NewReader(description))
	var b strings.Builder
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		if tt == xhtml.TextToken {
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
	text := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(text); len(r) > n {
		text = string(r[:n]) + "…"
	}
	return "<p>" + html.EscapeString(text) + "</p>"
}

// TGIVLink is a link through Telegram's Instant View template hash, as
// RSSHub's tgiv= makes it.
func TGIVLink(link, hash string) string {
	return "https://t.me/iv?url=" + url.QueryEscape(link) + "&rhash=" + url.QueryEscape(hash)
}

// perFeed reports whether a feed's items are bytes of that feed alone
// (its own GUIDs, briefs, links), which the papers' item cache cannot
// keep.
func (m Meta) perFeed() bool { return m.GUIDScope != "" || m.Brief > 0 || m.TGIV != "" }

// plainIn reports whether the item is plain in the feed m: its
// description the paper's, whole.
func (it *Item) plainIn(m Meta) bool { return it.plain() && m.Brief == 0 }
