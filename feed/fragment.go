package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A feed is assembled from fragments. The feed's frame (everything but
// its items) is encoded once per request, each item on its own, and the
// pieces written one after another: the bytes are exactly those of
// encoding the whole document at once (the golden feeds hold it).
//
// An item that the query adds nothing to (no date of its own, no gain,
// no note, no similarity, not a version event) is the same bytes in
// every feed that holds it, for one data version, format and base URL:
// a paper of a store view keeps those bytes (fragCache), split around its
// description, which the paper keeps once for every format (see
// DescriptionXML) rather than in each. Assembling such a feed is copying.

// fragCache holds a view paper's rendered items, one per feed format.
// Papers are immutable once in a view; the store hands an unchanged
// paper's cache to its next view.
type fragCache struct {
	desc  [2]atomic.Pointer[string] // the description escaped for XML (DescriptionXML), with and without thumbnail
	slots [3]atomic.Pointer[itemFrag]
}

// itemFrag is one encoded item split around its description: head, the
// description's content, tail. For JSON, desc holds the description
// escaped as a JSON string (without quotes) of a plain item.
type itemFrag struct {
	made       fragFor // the feed settings it was made for
	head, tail []byte
	desc       string
}

// fragFor are the feed settings a plain item's bytes depend on.
type fragFor struct {
	base             string // the base URL
	moreLike, thumbs bool
}

func fragForOf(m Meta) fragFor {
	return fragFor{base: m.BaseURL, moreLike: m.MoreLike, thumbs: !m.NoThumbnails}
}

func fragSlot(f Format) int {
	switch f {
	case Atom:
		return 1
	case JSON:
		return 2
	}
	return 0
}

// descMarker stands in for the description while an item is encoded.
const descMarker = "@@paperfeed-description@@"

// plain reports whether the query adds nothing to the item.
func (it *Item) plain() bool {
	return it.Digest == nil && it.Paper != nil && it.Date.IsZero() && it.GainHours == 0 && len(it.Notes) == 0 &&
		it.CloseTo == "" && it.Version == 0 && it.Votes == nil && !it.Liked && !it.Own
}

// renderFeed writes an RSS, Atom or JSON feed from its frame and its
// items' fragments.
func renderFeed(w io.Writer, f Format, m Meta, items []Item) error {
	b, err := assemble(nil, f, m, items)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// assemble appends the feed's bytes to dst, growing it once to their
// exact size when it is too small.
func assemble(dst []byte, f Format, m Meta, items []Item) ([]byte, error) {
	updated := feedUpdated(m, items)
	open, closing, err := frame(f, m, updated, len(items) == 0)
	if err != nil {
		return nil, err
	}
	type piece struct {
		frag  *itemFrag
		descs [3]string
	}
	pieces := make([]piece, len(items))
	size := len(closing)
	for _, o := range open {
		size += len(o)
	}
	for i := range items {
		x := &items[i]
		fr, err := fragmentOf(f, m, x)
		if err != nil {
			return nil, err
		}
		pc := piece{frag: fr, descs: descriptionOf(f, m, x, fr)}
		size += len(fr.head) + len(fr.tail) + len(pc.descs[0]) + len(pc.descs[1]) + len(pc.descs[2]) + len(itemSep(f, i))
		pieces[i] = pc
	}
	b := slices.Grow(dst, size)
	for _, o := range open {
		b = append(b, o...)
	}
	for i := range pieces {
		pc := &pieces[i]
		b = append(b, itemSep(f, i)...)
		b = append(b, pc.frag.head...)
		for _, d := range pc.descs {
			b = append(b, d...)
		}
		b = append(b, pc.frag.tail...)
	}
	return append(b, closing...), nil
}

// itemSep is what goes before item i: the XML encoder's line break, or
// JSON's array punctuation.
func itemSep(f Format, i int) string {
	switch {
	case f != JSON:
		return "\n"
	case i == 0:
		return "\n    "
	}
	return ",\n    "
}

// descriptionOf is the item's description as it goes between a
// fragment's head and tail, in up to three pieces.
func descriptionOf(f Format, m Meta, x *Item, fr *itemFrag) [3]string {
	// A plain item's links line is in its fragment's tail.
	if f == JSON {
		if x.plainIn(m) {
			return [3]string{fr.desc}
		}
		return [3]string{jsonEscape(x.itemHTML(m))}
	}
	if x.plainIn(m) {
		return [3]string{DescriptionXML(x.Paper, !m.NoThumbnails)}
	}
	return [3]string{x.itemXML(m)}
}

// fragmentOf is the item's fragment: a view paper's cached one for a
// plain item, else encoded now (and cached when it can be). An item
// whose bytes are its feed's alone (its own GUID, a brief, a link
// through Telegram: Meta.perFeed) is encoded each time.
func fragmentOf(f Format, m Meta, x *Item) (*itemFrag, error) {
	if !x.plain() || x.Paper.frags == nil || m.perFeed() {
		return encodeFragment(f, m, x)
	}
	cache := x.Paper.frags
	slot := &cache.slots[fragSlot(f)]
	if fr := slot.Load(); fr != nil && fr.made == fragForOf(m) {
		return fr, nil
	}
	fr, err := encodeFragment(f, m, x)
	if err != nil {
		return nil, err
	}
	slot.Store(fr)
	return fr, nil
}

// encodeFragment encodes one item as the whole document would, with
// the description marked, and splits it there.
func encodeFragment(f Format, m Meta, x *Item) (*itemFrag, error) {
	gf := gorillaFeed(m, x.When(), []Item{*x})
	var buf bytes.Buffer
	var open string
	switch f {
	case RSS:
		it := rssDoc(gf, m, []Item{*x}).Channel.Items[0]
		if err := encodeXMLAt(&buf, "    ", it); err != nil {
			return nil, err
		}
		open = "<description>"
	case Atom:
		e := atomDoc(gf, m, []Item{*x}).Entries[0]
		if err := encodeXMLAt(&buf, "  ", e); err != nil {
			return nil, err
		}
		open = `<content type="html">`
	case JSON:
		it := jsonDoc(gf, m, []Item{*x}).Items[0]
		b, err := json.MarshalIndent(it, "    ", "  ")
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		open = `"content_html": "`
	default:
		return nil, fmt.Errorf("no fragments for format %q", f)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte(open+descMarker))
	if i < 0 {
		return nil, fmt.Errorf("encode %s item: description not found", f)
	}
	i += len(open)
	fr := &itemFrag{made: fragForOf(m), head: bytes.Clone(b[:i]), tail: bytes.Clone(b[i+len(descMarker):])}
	if x.plainIn(m) {
		// The description's end, the links line, depends only on the
		// paper and the feed's settings: it goes into the tail.
		links := x.linksHTML(m)
		if f == JSON {
			fr.desc = jsonEscape(DescriptionHTML(x.Paper, !m.NoThumbnails))
			links = jsonEscape(links)
		} else {
			links = escapeXML(links)
		}
		fr.tail = append([]byte(links), fr.tail...)
	}
	return fr, nil
}

// encodeXMLAt encodes v as an element nested under prefix, as the
// document's encoder writes it there.
func encodeXMLAt(w io.Writer, prefix string, v any) error {
	enc := xml.NewEncoder(w)
	enc.Indent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode feed item: %w", err)
	}
	return enc.Close()
}

// frame is the document without its items, split where they go: the
// opening in pieces, to be written one after another, and the closing.
// It is made from a template per format and shape (which values are
// empty), encoded once with markers in place of the values and cut at
// them; the values are escaped and put in per feed.
func frame(f Format, m Meta, updated time.Time, empty bool) (open []string, closing string, err error) {
	key := frameKey{f: f, title: m.Title == "", desc: m.Description == "", home: m.HomeURL == "", self: m.SelfURL == "",
		hub: m.Hub == "", updated: updated.IsZero(), empty: empty}
	t, ok := frames.Load(key)
	if !ok {
		mm := Meta{Title: markTitle, Description: markDesc, HomeURL: markHome, SelfURL: markSelf, Hub: markHub}
		if key.title {
			mm.Title = ""
		}
		if key.desc {
			mm.Description = ""
		}
		if key.home {
			mm.HomeURL = ""
		}
		if key.self {
			mm.SelfURL = ""
		}
		if key.hub {
			mm.Hub = ""
		}
		mu := markTime
		if key.updated {
			mu = time.Time{}
		}
		o, c, err := encodeFrame(f, mm, mu, empty)
		if err != nil {
			return nil, "", err
		}
		t, _ = frames.LoadOrStore(key, newFrameTemplate(o, c))
	}
	ft := t.(*frameTemplate)
	esc := escapeXML
	if f == JSON {
		esc = jsonEscape
	}
	var values [markCount]string
	for _, mk := range ft.marks {
		switch mk {
		case markTitleID:
			values[mk] = esc(CleanLine(m.Title))
		case markDescID:
			values[mk] = esc(CleanLine(m.Description))
		case markHomeID:
			values[mk] = esc(m.HomeURL)
		case markSelfID:
			values[mk] = esc(m.SelfURL)
		case markHubID:
			values[mk] = esc(m.Hub)
		case markRFC822ID:
			values[mk] = updated.UTC().Format(rfc822)
		case markRFC3339ID:
			values[mk] = updated.UTC().Format(time.RFC3339)
		}
	}
	open = make([]string, 0, 2*len(ft.marks)+1)
	for i, text := range ft.texts {
		open = append(open, text)
		if i < len(ft.marks) {
			open = append(open, values[ft.marks[i]])
		}
	}
	return open, ft.closing, nil
}

// frameTemplate is a frame's opening cut at its markers: texts[i], then
// the value of marks[i], and so on, ending with the last text.
type frameTemplate struct {
	texts   []string
	marks   []int
	closing string
}

// The markers a frame's template holds, in the order of their IDs.
var frameMarkers = [...]string{markTitle, markDesc, markHome, markSelf, markHub, markTime.Format(rfc822), markTime.Format(time.RFC3339)}

const (
	markTitleID = iota
	markDescID
	markHomeID
	markSelfID
	markHubID
	markRFC822ID
	markRFC3339ID
	markCount
)

// newFrameTemplate cuts an opening at its markers, leftmost first.
func newFrameTemplate(open, closing string) *frameTemplate {
	ft := &frameTemplate{closing: closing}
	for {
		at, mark := -1, 0
		for id, mk := range frameMarkers {
			if i := strings.Index(open, mk); i >= 0 && (at < 0 || i < at) {
				at, mark = i, id
			}
		}
		if at < 0 {
			ft.texts = append(ft.texts, open)
			return ft
		}
		ft.texts = append(ft.texts, open[:at])
		ft.marks = append(ft.marks, mark)
		open = open[at+len(frameMarkers[mark]):]
	}
}

// frameKey is a frame's shape: the format, which values are empty, and
// whether the feed has items.
type frameKey struct {
	f                                            Format
	title, desc, home, self, hub, updated, empty bool
}

var frames sync.Map // frameKey -> *frameTemplate

// Markers of a frame template; markTime's formats are as unlikely.
const (
	markTitle = "@@paperfeed-title@@"
	markDesc  = "@@paperfeed-about@@"
	markHome  = "@@paperfeed-home@@"
	markSelf  = "@@paperfeed-self@@"
	markHub   = "@@paperfeed-hub@@"
)

var markTime = time.Date(1111, 11, 11, 11, 11, 11, 0, time.UTC)

// encodeFrame encodes the document without items and splits it.
func encodeFrame(f Format, m Meta, updated time.Time, empty bool) (open, closing string, err error) {
	gf := gorillaFeed(m, updated, nil)
	var buf strings.Builder
	switch f {
	case RSS:
		err = writeXML(&buf, rssDoc(gf, m, nil))
		open, closing, err = cut(buf.String(), "\n  </channel>\n</rss>\n", err)
	case Atom:
		err = writeXML(&buf, atomDoc(gf, m, nil))
		open, closing, err = cut(buf.String(), "\n</feed>\n", err)
	case JSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(jsonDoc(gf, m, nil))
		if empty {
			return buf.String(), "", err
		}
		open, _, err = cut(buf.String(), "[]\n}\n", err)
		open, closing = open+"[", "\n  ]\n}\n"
	}
	return open, closing, err
}

// cut splits a document before its ending.
func cut(doc, ending string, err error) (string, string, error) {
	if err != nil {
		return "", "", err
	}
	head, ok := strings.CutSuffix(doc, ending)
	if !ok {
		return "", "", fmt.Errorf("feed frame does not end as expected")
	}
	return head, ending, nil
}

// jsonEscape is s as encoding/json writes it inside a string's quotes
// (HTML characters escaped, as its encoder does by default).
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
