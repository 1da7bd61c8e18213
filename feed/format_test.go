package feed

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// A format added the way docs/architecture.md says (an entry in formats,
// its name in Formats) is named, typed and rendered like the others, and
// is not a feed-reader format unless FeedFormats names it.
func TestAFormatIsOneEntry(t *testing.T) {
	const IDs Format = "txt"
	formats[IDs] = formatSpec{media: "text/plain", label: "arXiv IDs", write: func(w io.Writer, _ Format, _ Meta, items []Item) error {
		for _, it := range items {
			if it.Paper != nil {
				if _, err := io.WriteString(w, it.Paper.ID+"\n"); err != nil {
					return err
				}
			}
		}
		return nil
	}}
	Formats = append(Formats, IDs)
	t.Cleanup(func() { delete(formats, IDs); Formats = Formats[:len(Formats)-1] })

	if f, ok := ParseFormat("txt"); !ok || f != IDs {
		t.Fatalf("ParseFormat(txt) = %q, %v", f, ok)
	}
	if IDs.ContentType() != "text/plain; charset=utf-8" || IDs.Label() != "arXiv IDs" || IDs.IsFeed() {
		t.Errorf("%s: %s, %s, feed %v", IDs, IDs.ContentType(), IDs.Label(), IDs.IsFeed())
	}
	items := []Item{{Paper: &Paper{ID: "2608.00001", Title: "One"}}, {Paper: &Paper{ID: "2608.00002", Title: "Two"}}}
	b, err := RenderBytes(IDs, Meta{Title: "t"}, items)
	if err != nil || string(b) != "2608.00001\n2608.00002\n" {
		t.Fatalf("RenderBytes: %q %v", b, err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, IDs, Meta{}, items); err != nil || buf.String() != string(b) {
		t.Errorf("Render: %q %v", buf.String(), err)
	}
	if err := Render(io.Discard, Format("nope"), Meta{}, items); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("an unknown format: %v", err)
	}
	for _, f := range []Format{RSS, Atom, JSON} {
		if !f.IsFeed() || !slices.Contains(Formats, f) {
			t.Errorf("%s lost its place", f)
		}
	}
}
