package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

var update = flag.Bool("update", false, "rewrite golden files")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseArxivID(t *testing.T) {
	for _, c := range []struct {
		in      string
		id      string
		version int
		ok      bool
	}{
		{"2407.21783", "2407.21783", 0, true},
		{"2407.21783v3", "2407.21783", 3, true},
		{"arXiv:2407.21783v2", "2407.21783", 2, true},
		{"oai:arXiv.org:2609.26811v1", "2609.26811", 1, true},
		{"https://arxiv.org/abs/2205.06398v2", "2205.06398", 2, true},
		{"http://arxiv.org/pdf/2205.06398.pdf", "2205.06398", 0, true},
		{"http://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1, true},
		{"math.GT/0309136", "math.GT/0309136", 0, true},
		{"1412.0001", "1412.0001", 0, true},
		{"1501.0001", "", 0, false},
		{"1412.00001", "", 0, false},
		{"2407.21783v0", "", 0, false},
		{"2407.2178", "", 0, false},
		{"papers/2407.21783", "", 0, false},
		{"", "", 0, false},
		{"<script>", "", 0, false},
	} {
		id, v, ok := ParseArxivID(c.in)
		if id != c.id || v != c.version || ok != c.ok {
			t.Errorf("ParseArxivID(%q) = %q %d %v, want %q %d %v", c.in, id, v, ok, c.id, c.version, c.ok)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"a\x00b\x01c\x1fd":     "abcd",
		"tab\tand\nnewline":    "tab\tand\nnewline",
		"cr\r\nlf":             "cr\n\nlf",
		"bad \xff utf8":        "bad \uFFFD utf8",
		"c1 \u0085 control":    "c1  control",
		"noncharacter \uFFFE!": "noncharacter !",
		"emoji 🚀 rtl שלום":     "emoji 🚀 rtl שלום",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanLine("  A\n  title\twith   gaps "); got != "A title with gaps" {
		t.Errorf("CleanLine = %q", got)
	}
	if got := Unwrap("line one\nline two\n\npara two\n"); got != "line one line two\n\npara two" {
		t.Errorf("Unwrap = %q", got)
	}
}

func TestMergeKeepsIdentityAndSourceFields(t *testing.T) {
	hf := Paper{ID: "2609.26811", OnHF: true, Title: "T", Upvotes: 10, Comments: 2, ListedOn: day("2026-09-24"),
		GitHubRepo: "https://github.com/a/b", AIKeywords: []string{"agents"}, Abstract: "HF abstract"}
	ax := Paper{ID: "2609.26811", Version: 1, OnArxiv: true, Title: "T", Categories: []string{"cs.LG", "cs.AI"},
		AnnounceType: "new", Announced: day("2026-09-24"), Abstract: "arXiv abstract", DOI: "10.1/x"}
	v2 := Paper{ID: "2609.26811", Version: 2, OnArxiv: true, Title: "T (v2)", Categories: []string{"cs.LG", "cs.AI"},
		AnnounceType: "replace", Announced: day("2026-09-29")}

	p := hf.Clone()
	p.Merge(&ax)
	p.Merge(&v2)
	if GUID(p.ID) != GUID(hf.ID) || p.ID != "2609.26811" {
		t.Fatalf("identity moved: %s", p.ID)
	}
	if p.Upvotes != 10 || p.GitHubRepo == "" || p.AIKeywords[0] != "agents" || p.Abstract != "HF abstract" {
		t.Errorf("HF fields lost: %+v", p)
	}
	if p.Version != 2 || p.AnnounceType != "replace" || !p.Announced.Equal(day("2026-09-24")) || p.DOI != "10.1/x" {
		t.Errorf("arXiv fields: version %d type %q announced %v doi %q", p.Version, p.AnnounceType, p.Announced, p.DOI)
	}
	if !p.Day().Equal(day("2026-09-24")) {
		t.Errorf("day = %v, want the HF listing day", p.Day())
	}
	// A later HF snapshot with fewer upvotes (a card's "-") never lowers counts.
	card := Paper{ID: p.ID, OnHF: true, FromCards: true, Upvotes: 0, Title: "T"}
	p.Merge(&card)
	if p.Upvotes != 10 || p.FromCards {
		t.Errorf("after card merge: upvotes %d fromCards %v", p.Upvotes, p.FromCards)
	}
}

func TestStorePartialDayNeverShrinks(t *testing.T) {
	s := NewStore(2, 2, func() time.Time { return day("2026-09-30") })
	d := day("2026-09-24")
	full := []Paper{{ID: "2609.00001", OnHF: true, Title: "a", Upvotes: 5, ListedOn: d}, {ID: "2609.00002", OnHF: true, Title: "b", Upvotes: 3, ListedOn: d}}
	if !s.PutHFDay(d, full) {
		t.Fatal("first put reported no change")
	}
	v1 := s.View()
	if s.PutHFDay(d, full) {
		t.Error("identical put reported a change")
	}
	if s.View().Version != v1.Version {
		t.Error("version moved without a change")
	}
	s.PutHFDay(d, full[:1])
	if n := len(s.View().Papers); n != 2 {
		t.Errorf("partial refetch dropped papers: %d left", n)
	}
	s.PutHFDay(d, []Paper{{ID: "2609.00002", OnHF: true, Title: "b", Upvotes: 9, ListedOn: d}})
	v := s.View()
	if v.Papers[0].ID != "2609.00002" || v.Papers[0].Upvotes != 9 {
		t.Errorf("order after upvote change: %s %d", v.Papers[0].ID, v.Papers[0].Upvotes)
	}
	// The window keeps the newest two days.
	s.PutHFDay(day("2026-09-25"), []Paper{{ID: "2609.00003", OnHF: true, Title: "c", ListedOn: day("2026-09-25")}})
	s.PutHFDay(day("2026-09-28"), []Paper{{ID: "2609.00004", OnHF: true, Title: "d", ListedOn: day("2026-09-28")}})
	v = s.View()
	if len(v.HFDays) != 2 || !v.HFDays[0].Equal(day("2026-09-28")) || v.ByID["2609.00001"] != nil {
		t.Errorf("window: days %v, old paper held: %v", v.HFDays, v.ByID["2609.00001"] != nil)
	}
}

// nasty is upstream text that has broken feeds elsewhere.
const nasty = "A \x00\x08 title ]]> & <b>bold</b> \"quoted\" 'single' \u202Eשלום\u202C emoji 🚀 \xff end &amp; &#1;"

func nastyPapers() []*Paper {
	return []*Paper{
		{ID: "2609.00001", OnHF: true, Title: CleanLine(nasty), Abstract: CleanText(nasty + "\n\nsecond ]]> paragraph"),
			Authors: []string{CleanLine(nasty), "Zoë Ångström"}, AIKeywords: []string{CleanLine(nasty)}, AISummary: CleanLine(nasty),
			Upvotes: 3, ListedOn: day("2026-09-24"), Org: Org{Name: "x", FullName: CleanLine(nasty)},
			GitHubRepo: "https://github.com/a/b?x=1&y=2", Thumbnail: "https://cdn.example/t.png?a=1&b=2"},
		{ID: "2609.00002", OnArxiv: true, Title: "Plain", Categories: []string{"cs.CL"}, Announced: day("2026-09-23"), AnnounceType: "new"},
	}
}

func TestRenderWellFormedWithHostileText(t *testing.T) {
	papers := nastyPapers()
	meta := Meta{Title: nasty, Description: nasty, HomeURL: "http://h/?q=a&b=c", SelfURL: "http://h/feed.rss?q=a&b=c"}
	for _, f := range FeedFormats {
		var buf bytes.Buffer
		if err := Render(&buf, f, meta, Items(papers)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f != JSON {
			dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
			for {
				_, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s is not well-formed XML: %v", f, err)
				}
			}
		} else if !json.Valid(buf.Bytes()) {
			t.Fatalf("json is not valid")
		}
		parsed, err := gofeed.NewParser().Parse(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: gofeed: %v", f, err)
		}
		if len(parsed.Items) != 2 {
			t.Fatalf("%s: %d items", f, len(parsed.Items))
		}
		it := parsed.Items[0]
		if !strings.Contains(it.Title, "]]> & <b>bold</b>") || !strings.Contains(it.Title, "🚀") || !strings.Contains(it.Title, "שלום") {
			t.Errorf("%s: title did not survive: %q", f, it.Title)
		}
		desc := it.Description + it.Content
		if f == JSON {
			desc = it.Content // JSON Feed's summary is plain text by definition
		}
		if strings.Contains(desc, "<b>bold</b>") {
			t.Errorf("%s: upstream HTML reached the description unescaped", f)
		}
		if !strings.Contains(desc, "x=1&amp;y=2") {
			t.Errorf("%s: link query not escaped in HTML: %q", f, desc)
		}
		if it.GUID != "https://arxiv.org/abs/2609.00001" {
			t.Errorf("%s: guid = %q", f, it.GUID)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, f := range Formats {
		var a, b bytes.Buffer
		if err := Render(&a, f, Meta{Title: "t"}, Items(nastyPapers())); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		if err := Render(&b, f, Meta{Title: "t"}, Items(nastyPapers())); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renders of the same data differ", f)
		}
	}
}

func TestRenderEmptyFeed(t *testing.T) {
	for _, f := range FeedFormats {
		var buf bytes.Buffer
		if err := Render(&buf, f, Meta{Title: "Empty", SelfURL: "http://h/feed", Updated: day("2026-09-24")}, nil); err != nil {
			t.Fatal(err)
		}
		parsed, err := gofeed.NewParser().Parse(&buf)
		if err != nil {
			t.Fatalf("%s: empty feed does not parse: %v", f, err)
		}
		if len(parsed.Items) != 0 || parsed.Title != "Empty" {
			t.Errorf("%s: %d items, title %q", f, len(parsed.Items), parsed.Title)
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, JSON, Meta{Title: "Empty"}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"items": []`) {
		t.Errorf("JSON Feed must carry an items array: %s", buf.String())
	}
}

func TestRenderGolden(t *testing.T) {
	papers := nastyPapers()
	papers[0].Changed = day("2026-09-25").Add(3 * time.Hour)
	meta := Meta{Title: "Daily Papers: golden", Description: "golden test", HomeURL: "http://paperfeed.test/", SelfURL: "http://paperfeed.test/feed"}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, f, meta, Items(papers)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "render."+string(f)+".golden")
		if *update {
			_ = os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./feed -update creates it)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s output differs from %s; run go test ./feed -update and review the diff", f, path)
		}
	}
}

// The view keeps item HTML escaped for XML only; JSON unescapes it, which
// must give back exactly what the template renders.
func TestDescriptionEscapeRoundTrip(t *testing.T) {
	s := NewStore(7, 7, nil)
	ps := nastyPapers()
	s.PutHFDay(day("2026-09-24"), []Paper{*ps[0]})
	s.PutArxivDay(day("2026-09-23"), []Paper{*ps[1]})
	for _, p := range s.View().Papers {
		for _, thumbs := range []bool{true, false} {
			if p.frags == nil || DescriptionXML(p, thumbs) == "" || p.frags.desc[descSlot(thumbs)].Load() == nil {
				t.Fatalf("%s: the view keeps no escaped description", p.ID)
			}
			if got, want := DescriptionHTML(p, thumbs), Description(p, thumbs); got != want {
				t.Errorf("%s: unescaped description differs from the rendered one:\n%s\n%s", p.ID, got, want)
			}
		}
	}
}
