package feed

import (
	"html"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
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

// viewPapers are papers of a store view: they keep their rendered items
// (fragment.go), so a test sees what the cache gives a second feed.
func viewPapers(t *testing.T) []Item {
	t.Helper()
	s := NewStore(7, 7, nil)
	s.PutHFDay(day("2026-08-20"), []Paper{
		{ID: "2608.00001", Title: "One", OnHF: true, Upvotes: 5, ListedOn: day("2026-08-20"), Thumbnail: "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2608.00001.png"},
		{ID: "hep-th/9901001", Title: "Old", OnHF: true, Upvotes: 2, ListedOn: day("2026-08-20"), Thumbnail: "https://cdn-thumbnails.huggingface.co/x.png"},
	})
	var items []Item
	for _, p := range s.View().Papers {
		items = append(items, Item{Paper: p})
	}
	if len(items) != 2 {
		t.Fatalf("%d papers in the view", len(items))
	}
	return items
}

func itemIDs(t *testing.T, f Format, doc string) []string {
	t.Helper()
	parsed, err := gofeed.NewParser().ParseString(doc)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	var out []string
	for _, it := range parsed.Items {
		out = append(out, it.GUID)
	}
	return out
}

// With a GUID scope (guid=feed) every format's items take the feed's own
// GUIDs; without, the paper's, also after a scoped feed rendered the same
// papers (the items' cache keeps them apart).
func TestOwnGUIDsInEveryFormat(t *testing.T) {
	items := viewPapers(t)
	m := Meta{Title: "t", HomeURL: "http://h/", SelfURL: "http://h/feed", BaseURL: "http://h"}
	for round := range 2 {
		for _, scope := range []string{"", "k3x", ""} {
			m.GUIDScope = scope
			for _, f := range FeedFormats {
				doc, err := RenderBytes(f, m, items)
				if err != nil {
					t.Fatal(err)
				}
				ids := itemIDs(t, f, string(doc))
				want := []string{"https://arxiv.org/abs/2608.00001", "https://arxiv.org/abs/hep-th/9901001"}
				if scope != "" {
					want = []string{"urn:paperfeed:feed:k3x:2608.00001", "urn:paperfeed:feed:k3x:hep-th/9901001"}
				}
				if strings.Join(ids, " ") != strings.Join(want, " ") {
					t.Errorf("round %d, scope %q, %s: GUIDs %v, want %v", round, scope, f, ids, want)
				}
			}
		}
	}
	// A version event keeps its version in its own GUID.
	v := Item{Paper: items[0].Paper, Version: 2}
	if g := v.guid("k3x"); g != "urn:paperfeed:feed:k3x:2608.00001v2" {
		t.Errorf("version GUID in a scope: %q", g)
	}
}

// Each public item links its like= feed ("More like this"), in every
// format, and JSON Feed says where; a personal feed's item, which has
// its own vote links, does not; a feed made without it (the static
// export) does not either.
func TestItemsLinkMoreLikeThis(t *testing.T) {
	items := viewPapers(t)
	voted := Item{Paper: items[0].Paper, Votes: &VoteLinks{More: "http://h/f/x/vote?more", Less: "http://h/f/x/vote?less"}}
	m := Meta{Title: "t", HomeURL: "http://h/", SelfURL: "http://h/feed", BaseURL: "http://h/", MoreLike: true}
	for f, doc := range renderAll(t, m, items) {
		for _, want := range []string{`<a href="http://h/?like=2608.00001">More like this</a>`, `<a href="http://h/?like=hep-th%2F9901001">More like this</a>`} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: no %s", f, want)
			}
		}
		if f == JSON && !strings.Contains(doc, `"more_like": {`) || f == JSON && !strings.Contains(doc, `"feed": "http://h/feed.json?like=2608.00001"`) {
			t.Errorf("json: no more_like in _paperfeed: %s", doc)
		}
	}
	for f, doc := range renderAll(t, m, []Item{voted}) {
		if strings.Count(doc, "More like this") != 1 || strings.Contains(doc, "?like=") {
			t.Errorf("%s: a personal item links more like this twice: %s", f, doc)
		}
	}
	m.MoreLike = false
	for f, doc := range renderAll(t, m, items) {
		if strings.Contains(doc, "More like this") || strings.Contains(doc, "more_like") {
			t.Errorf("%s: links more like this where it was not asked for", f)
		}
	}
}

// With thumbnails off no item carries an image (a request to Hugging
// Face's servers per reader), in any format, whichever was rendered
// before.
func TestItemsWithoutThumbnails(t *testing.T) {
	items := viewPapers(t)
	m := Meta{Title: "t", HomeURL: "http://h/", SelfURL: "http://h/feed", BaseURL: "http://h"}
	for _, off := range []bool{false, true, false, true} {
		m.NoThumbnails = off
		for f, doc := range renderAll(t, m, items) {
			has := strings.Contains(doc, "<img") || strings.Contains(doc, `"image"`)
			if has == off || off && strings.Contains(doc, "huggingface.co/social-thumbnails") {
				t.Errorf("thumbnails off %v, %s: has an image %v", off, f, has)
			}
		}
	}
}

// brief=N: the text alone, entities read and escaped again, cut at N
// characters (not bytes), "…" only after a cut.
func TestBrief(t *testing.T) {
	for in, want := range map[string]string{
		`<p><strong>▲ 5</strong> upvotes</p><p>A &amp; B <a href="x">é</a></p>`: "<p>▲ 5 upvotes A &amp; B é</p>",
		`<p>` + strings.Repeat("é", 150) + `</p>`:                               "<p>" + strings.Repeat("é", 100) + "…</p>",
		`<script>x</script><p>&lt;b&gt;</p>`:                                    "<p>x &lt;b&gt;</p>",
	} {
		if got := Brief(in, 100); got != want {
			t.Errorf("Brief(%q) = %q, want %q", in, got, want)
		}
	}
}
