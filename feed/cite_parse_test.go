package feed_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"paperfeed/feed"
	"paperfeed/internal/testkit"
)

// hostileTitles are titles and names written to break out of a BibTeX
// field or an RIS line: the forged entry, lone and escaped
// braces, TeX's specials, entry openers, line breaks of every kind.
var hostileTitles = []string{
	`X }, note={pwn} @misc(evil, title="Forged") {{`,
	`}}}}`, `{{{{`, `\}`, `\{`, `a\`, `\\`, `{BERT}: balanced {case} protection`,
	`%comment } @comment{`, `@misc{x, title={y}}`, `"quoted" and "more"`, `50% of $\alpha$_1 ~ #1 ^ & ok`,
	"Zoë ∑ 日本語", `\end{document}`, "two\nlines @article{forged,\n title={x}}", "a\rb\u2028c\u0085d\ve",
	"TI  - forged\r\nER  - \r\nTY  - JOUR", `}, author = {Forged`, "ends with a backslash \\",
}

var hostileAuthors = []string{
	`Bob}`, `{Alice`, `Ann and Bob`, `X }, note={pwn}`, `von Neumann, John`, `\`, `Madonna`,
	"Line\nBreak", `Ünïcode Näme`, `@misc{e,`, `O'Neil}{`,
}

// hostilePapers are papers with every hostile title and author, and
// randomly made ones from the dangerous characters; two share a key.
func hostilePapers() []*feed.Paper {
	var ps []*feed.Paper
	add := func(title string, authors ...string) {
		p := &feed.Paper{ID: fmt.Sprintf("2501.%05d", len(ps)+1), Title: title, Authors: authors, Categories: []string{"cs.LG"},
			Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), ArxivComment: title, JournalRef: title, DOI: "10.1/" + title}
		p.Derive()
		ps = append(ps, p)
	}
	for i, title := range hostileTitles {
		add(title, hostileAuthors[i%len(hostileAuthors)], "Ann Lee")
	}
	for _, a := range hostileAuthors {
		add("Attention", a)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "{}\\%@,=\"#~^$&_ aZ\n()"
	for range 200 {
		b := make([]byte, r.IntN(30))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		add(string(b), string(b[:len(b)/2])+" Lee")
	}
	add("Same Key Twice", "Ann Lee")
	add("Same Key Twice", "Ann Lee")
	return ps
}

// readBib parses a BibTeX file with pybtex and with bibtexparser and
// returns, per parser, each entry's key, eprint, title with the
// service's escapes undone, and number of authors.
func readBib(t *testing.T, bib string) map[string][]bibEntry {
	t.Helper()
	out := testkit.Python(t, `
import sys, json, re
import bibtexparser
from bibtexparser.bparser import BibTexParser
from pybtex.database import parse_string
text = sys.stdin.read()
undo = {r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\textbackslash{}": "\\", r"\textasciitilde{}": "~",
        r"\textasciicircum{}": "^", r"\%": "%", r"\&": "&", r"\$": "$", r"\#": "#", r"\_": "_"}
pat = re.compile("|".join(re.escape(k) for k in undo))
plain = lambda s: pat.sub(lambda m: undo[m.group(0)], s)
def names(s):  # "and" at brace depth 0 separates authors
    depth, n, words = 0, 0, s.split(" ")
    count = 1 if s.strip() else 0
    for w in words:
        if w == "and" and depth == 0:
            count += 1
        depth += w.count("{") - w.count("}")
    return count
res = {"pybtex": [], "bibtexparser": []}
for key, e in parse_string(text, "bibtex").entries.items():
    res["pybtex"].append({"key": key, "eprint": str(e.fields.get("eprint", "")), "title": plain(str(e.fields.get("title", ""))),
                          "authors": len(e.persons.get("author", []))})
db = bibtexparser.loads(text, BibTexParser(common_strings=False))
for e in db.entries:
    res["bibtexparser"].append({"key": e["ID"], "eprint": e.get("eprint", ""), "title": plain(e.get("title", "")),
                                "authors": names(e.get("author", ""))})
print(json.dumps(res))
`, []byte(bib), "pybtex", "bibtexparser")
	var res map[string][]bibEntry
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return res
}

type bibEntry struct {
	Key, Eprint, Title string
	Authors            int
}

// Every entry of a feed's BibTeX file and of each paper's own parses,
// in pybtex and in bibtexparser, as exactly one entry with the title's
// text, whatever the title and authors hold; keys are unique in a file.
func TestBibTeXOfHostileTextParses(t *testing.T) {
	papers := hostilePapers()
	items := make([]feed.Item, len(papers))
	for i, p := range papers {
		items[i] = feed.Item{Paper: p}
	}
	var file strings.Builder
	meta := feed.Meta{Title: `Mine @misc{forged, title={Forged}} }{`, SelfURL: "http://paperfeed.test/f/x.bib"}
	if err := feed.Render(&file, feed.BibTeX, meta, items); err != nil {
		t.Fatal(err)
	}
	// Each paper's own entry (/papers/ID.bib), read in one file: its key
	// made unique, the rest as written.
	var one strings.Builder
	for i, p := range papers {
		e := feed.BibTeXOf(p)
		head, rest, _ := strings.Cut(e, ",\n")
		one.WriteString(fmt.Sprintf("%s-%d,\n%s\n", head, i, rest))
	}
	for name, text := range map[string]string{"the feed's file": file.String()} {
		for parser, entries := range readBib(t, text) {
			checkEntries(t, name+" in "+parser, papers, entries, true)
		}
	}
	for parser, entries := range readBib(t, one.String()) {
		byEprint := map[string]bibEntry{}
		for _, e := range entries {
			byEprint[e.Eprint] = e
		}
		for _, p := range papers {
			e, ok := byEprint[p.ID]
			if !ok || e.Title != feed.CleanLine(p.Title) {
				t.Errorf("%s: /papers/%s.bib read as %+v; title %q", parser, p.ID, e, feed.CleanLine(p.Title))
			}
		}
	}
}

func checkEntries(t *testing.T, where string, papers []*feed.Paper, entries []bibEntry, uniqueKeys bool) {
	t.Helper()
	if len(entries) != len(papers) {
		t.Errorf("%s: %d entries for %d papers", where, len(entries), len(papers))
	}
	keys := map[string]bool{}
	byEprint := map[string]bibEntry{}
	for _, e := range entries {
		if uniqueKeys && keys[e.Key] {
			t.Errorf("%s: key %s twice", where, e.Key)
		}
		keys[e.Key] = true
		byEprint[e.Eprint] = e
	}
	for _, p := range papers {
		e, ok := byEprint[p.ID]
		switch {
		case !ok:
			t.Errorf("%s: no entry for %s (title %q)", where, p.ID, p.Title)
		case e.Title != feed.CleanLine(p.Title):
			t.Errorf("%s: %s's title read as %q, want %q", where, p.ID, e.Title, feed.CleanLine(p.Title))
		case e.Authors != len(p.Authors):
			t.Errorf("%s: %s has %d authors, want %d (%q)", where, p.ID, e.Authors, len(p.Authors), p.Authors)
		}
	}
}

// An RIS file of hostile papers: every line is one tag line, one TY and
// one ER per paper; no title writes a tag of its own.
func TestRISOfHostileTextHasNoForgedLine(t *testing.T) {
	papers := hostilePapers()
	items := make([]feed.Item, len(papers))
	for i, p := range papers {
		items[i] = feed.Item{Paper: p}
	}
	var b strings.Builder
	if err := feed.Render(&b, feed.RISDoc, feed.Meta{Title: "x\r\nTY  - JOUR"}, items); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
		t.Fatal("a line ends without CR LF")
	}
	counts := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(line) < 6 || line[2:6] != "  - " {
			t.Fatalf("not a tag line: %q", line)
		}
		counts[line[:2]]++
	}
	if counts["TY"] != len(papers) || counts["ER"] != len(papers) || counts["TI"] > len(papers) {
		t.Errorf("%d papers written as %d TY, %d ER, %d TI lines", len(papers), counts["TY"], counts["ER"], counts["TI"])
	}
}
