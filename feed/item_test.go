package feed

import (
	"html"
	"strings"
	"testing"
)

// renderAll renders items in the three feed formats, each description
// unescaped to the HTML a reader shows.
func renderAll(t *testing.T, m Meta, items []Item) map[Format]string {
	t.Helper()
	out := map[Format]string{}
	for _, f := range FeedFormats {
		b, err := RenderBytes(f, m, items)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if f == JSON {
			s = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\"`, `"`).Replace(s)
		} else {
			s = html.UnescapeString(s)
		}
		out[f] = s
	}
	return out
}

func gainPaper(id string, upvotes int) *Paper {
	return &Paper{ID: id, Title: "Paper " + id, OnHF: true, Upvotes: upvotes, ListedOn: day("2026-08-20")}
}

// A trending item shows its count once and what it gained: "▲ 127
// (+127 in 24 h) upvotes" said the same number twice for a paper listed
// inside the span.
func TestGainSaysOneCount(t *testing.T) {
	items := []Item{
		{Paper: gainPaper("2608.00001", 127), Gain: 127, GainHours: 24},
		{Paper: gainPaper("2608.00002", 163), Gain: 42, GainHours: 24},
		{Paper: gainPaper("2608.00003", 1), Gain: 1, GainHours: 6},
		{Paper: gainPaper("2608.00004", 50), Gain: -2, GainHours: 24},
	}
	for f, doc := range renderAll(t, Meta{Title: "t", HomeURL: "http://h/", SelfURL: "http://h/feed"}, items) {
		for _, want := range []string{
			"▲ 127</strong> upvotes, all in 24 h ·",
			"▲ 163</strong> upvotes, +42 in 24 h ·",
			"▲ 1</strong> upvote, all in 6 h ·",
			"▲ 50</strong> upvotes, -2 in 24 h ·",
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: no %q", f, want)
			}
		}
		if strings.Contains(doc, "(+") {
			t.Errorf("%s: a count in brackets is left", f)
		}
	}
}
