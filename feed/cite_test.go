package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{
		"Ashish Vaswani":           {"Vaswani", "Ashish"},
		"Ludwig van der Maaten":    {"van der Maaten", "Ludwig"},
		"Zoë Ångström":             {"Ångström", "Zoë"},
		"Vaswani, Ashish":          {"Vaswani", "Ashish"},
		"Madonna":                  {"Madonna", ""},
		"Jean-Baptiste de la Tour": {"de la Tour", "Jean-Baptiste"},
		"  Yann   LeCun ":          {"LeCun", "Yann"},
	} {
		last, first := splitName(in)
		if last != want[0] || first != want[1] {
			t.Errorf("splitName(%q) = %q, %q; want %q, %q", in, last, first, want[0], want[1])
		}
	}
}

func TestCiteKey(t *testing.T) {
	p := &Paper{ID: "1706.03762", Title: "Attention Is All You Need", Authors: []string{"Ashish Vaswani", "Noam Shazeer"},
		Published: time.Date(2017, 6, 12, 0, 0, 0, 0, time.UTC)}
	if got := CiteKey(p); got != "vaswani2017attention" {
		t.Errorf("key %q", got)
	}
	p = &Paper{ID: "2401.00001", Title: "À la carte: 3D", Authors: []string{"Zoë Ångström"}}
	if got := CiteKey(p); got != "angstromcarte" {
		t.Errorf("key %q", got)
	}
	if got := CiteKey(&Paper{ID: "2401.00002", Title: "日本語"}); got != "arxiv2401_00002" {
		t.Errorf("key without letters: %q", got)
	}
}

func TestBibTeXEscapesAndFields(t *testing.T) {
	p := &Paper{ID: "2401.00001", Version: 2, Title: "50% of {Agents} & $\\alpha$_1 ~ #1 ^ ok",
		Authors: []string{"Ann O'Neil", "Bob}", "Research and Development Team"}, Categories: []string{"cs.CL", "cs.AI"}, DOI: "10.1/x_y",
		ArxivComment: "Accepted at ICLR 2026", Published: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	p.Derive()
	b := BibTeXOf(p)
	for _, want := range []string{
		"@misc{oneil2024agents,\n",
		`  title         = {50\% of \textbraceleft{}Agents\textbraceright{} \& \$\textbackslash{}alpha\$\_1 \textasciitilde{} \#1 \textasciicircum{} ok},`,
		"  author        = {O'Neil, Ann and {Bob\\textbraceright{}} and {Research and Development Team}},",
		"  year          = {2024},", "  eprint        = {2401.00001},", "  archivePrefix = {arXiv},", "  primaryClass  = {cs.CL},",
		"  doi           = {10.1/x\\_y},", "  url           = {https://arxiv.org/abs/2401.00001},",
		"  note          = {Accepted at ICLR 2026; v2},",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("BibTeX lacks %s:\n%s", want, b)
		}
	}
}

func TestRISRecord(t *testing.T) {
	p := &Paper{ID: "2401.00001", Title: "T", Authors: []string{"Ann Lee", "Cher"}, JournalRef: "Transactions on Machine Learning Research, 2025",
		Abstract: "Line one\n\nline two.", Published: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Categories: []string{"cs.LG"}}
	p.Derive()
	want := "TY  - JOUR\r\nTI  - T\r\nAU  - Lee, Ann\r\nAU  - Cher\r\nPY  - 2024\r\nDA  - 2024/01/02\r\nT2  - TMLR\r\n" +
		"AB  - Line one line two.\r\nUR  - https://arxiv.org/abs/2401.00001\r\nAN  - arXiv:2401.00001\r\nDB  - arXiv\r\n" +
		"N1  - Transactions on Machine Learning Research, 2025\r\nKW  - cs.LG\r\nER  - \r\n"
	if got := RIS(p); got != want {
		t.Errorf("RIS:\n%q\nwant\n%q", got, want)
	}
}

// Whatever upstream text a paper holds, its BibTeX has balanced braces
// (counted as BibTeX counts them: every one) and one line per field, so
// a BibTeX parser reads it whole; its RIS is one tag line per value.
func FuzzBibTeX(f *testing.F) {
	f.Add("Attention {Is} All", "Ann Lee", "10.1/x", "Accepted at NeurIPS 2025")
	f.Add("}}{{\\", "{", "}", "\n\r")
	f.Fuzz(func(t *testing.T, title, author, doi, comment string) {
		p := &Paper{ID: "2401.00001", Title: title, Authors: []string{author, "B " + author}, DOI: doi, ArxivComment: comment, JournalRef: comment}
		p.Derive()
		b := BibTeXOf(p)
		lines := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "@misc{") || lines[len(lines)-1] != "}" {
			t.Fatalf("entry shape:\n%s", b)
		}
		for _, l := range lines[1 : len(lines)-1] {
			depth := 0 // BibTeX counts every brace, escaped or not
			for i := 0; i < len(l); i++ {
				switch l[i] {
				case '{':
					depth++
				case '}':
					depth--
					if depth < 0 {
						t.Fatalf("unbalanced field %q", l)
					}
				}
			}
			if depth != 0 {
				t.Fatalf("unbalanced field %q", l)
			}
		}
		r := RIS(p)
		if strings.Count(r, "\n") != strings.Count(r, "\r\n") || !strings.HasSuffix(r, "ER  - \r\n") {
			t.Fatalf("RIS lines: %q", r)
		}
		for line := range strings.SplitSeq(strings.TrimSuffix(r, "\r\n"), "\r\n") {
			if len(line) < 6 || line[2:6] != "  - " || strings.ContainsAny(line, "\r\n\u2028\u2029\u0085") {
				t.Fatalf("not one tag line: %q", line)
			}
		}
		if strings.Count(r, "TY  - ") != 1 || strings.Count(r, "\r\nER  - ") != 1 {
			t.Fatalf("RIS record forged: %q", r)
		}
	})
}

// A paper with everything look-ups add, in all three formats, with
// citation links: golden files.
func TestRenderRichGolden(t *testing.T) {
	p := &Paper{ID: "2608.09888", OnHF: true, OnArxiv: true, Title: "BDH-CQ: In-Context Learning with Recurrent Latent Reasoning",
		Abstract: "We introduce BDH-CQ.", Authors: []string{"Björn Engdahl", "Adrian Kosowski", "Jan Chorowski"},
		Upvotes: 782, ListedOn: time.Date(2026, 8, 11, 0, 0, 0, 0, time.UTC), Published: time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC),
		Version: 3, Updated: time.Date(2026, 8, 20, 17, 0, 0, 0, time.UTC), Categories: []string{"cs.LG", "cs.AI"},
		ArxivComment: "ICLR 2027 (Oral)", DOI: "10.48550/arXiv.2608.09888",
		Artifacts: Artifacts{Models: 5, Datasets: 1, ModelIDs: []string{"a/one", "b/two", "c/three"}, DatasetIDs: []string{"WhySoCodius/in-context-grid-reasoning"},
			Checked: time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)},
		Changed: time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)}
	p.Derive()
	meta := Meta{Title: "Daily Papers: rich", HomeURL: "http://paperfeed.test/", SelfURL: "http://paperfeed.test/feed", BaseURL: "http://paperfeed.test"}
	items := []Item{{Paper: p}, {Paper: p, Version: 3, Date: p.Updated}}
	for _, f := range Formats {
		var buf strings.Builder
		if err := Render(&buf, f, meta, items); err != nil {
			t.Fatal(err)
		}
		golden(t, "render_rich."+string(f)+".golden", []byte(buf.String()))
	}
}

// golden compares got with testdata/name (go test ./feed -update
// rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./feed -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test ./feed -update and review the diff", path)
	}
}

// A frame made from its template is the frame encoded directly, for any
// title, description and URLs.
func TestFrameTemplateMatchesEncoding(t *testing.T) {
	when := time.Date(2026, 9, 24, 3, 4, 5, 0, time.UTC)
	for _, m := range []Meta{
		{Title: nasty, Description: nasty, HomeURL: "http://h/?q=a&b=c\"<>", SelfURL: "http://h/feed.rss?q=a&b=c'"},
		{Title: "t", SelfURL: "http://h/feed.rss", Hub: "https://hub.example/?a=1&b=\"<>"},
		{Title: "t"},
		{Title: "", Description: "d \u2028 </script>", HomeURL: "h", SelfURL: ""},
	} {
		for _, f := range FeedFormats {
			for _, empty := range []bool{true, false} {
				for _, up := range []time.Time{when, {}} {
					o1, c1, err1 := frame(f, m, up, empty)
					o2, c2, err2 := encodeFrame(f, m, up, empty)
					if err1 != nil || err2 != nil || strings.Join(o1, "") != o2 || c1 != c2 {
						t.Errorf("%s %+v empty=%v: template\n%q\nencoded\n%q", f, m, empty, strings.Join(o1, ""), o2)
					}
				}
			}
		}
	}
}
