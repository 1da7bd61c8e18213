package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"paperfeed/feed"
	"paperfeed/internal/testkit"
)

// Hostile titles and authors, as an upstream could list them, reach
// /feed.bib and /papers/ID.bib through the real handler and still read
// as one entry per paper, its title whole, in pybtex and bibtexparser
// (feed's TestBibTeXOfHostileTextParses tries many more on the
// renderer alone).
func TestBibTeXThroughTheHandlerParses(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	day := f.app.store.View().HFDays[0]
	titles := []string{
		`Closing } early @misc{forged, title={Forged}}`,
		`Unbalanced {{{ braces and \textbf{commands} % a comment`,
		`Quotes " and = signs, commas, and @ signs`,
		`Backslash at the end \`,
		`}{`,
	}
	var papers []feed.Paper
	for i, title := range titles {
		papers = append(papers, feed.Paper{ID: fmt.Sprintf("2608.%05d", 90001+i), Title: "Hostile " + title, OnHF: true, ListedOn: day,
			Authors: []string{`Ann } and {Lee`, "Bo @Chen"}, Categories: []string{"cs.LG"}})
	}
	f.app.store.PutHFDay(day, papers)
	_, all := f.get(t, "/feed.bib?q=hostile&date="+day.Format("2006-01-02"))
	files := map[string][]string{"/feed.bib": {string(all)}}
	for _, p := range papers {
		_, b := f.get(t, "/papers/"+p.ID+".bib")
		files["/papers/ID.bib"] = append(files["/papers/ID.bib"], string(b))
	}
	in, _ := json.Marshal(files)
	out := testkit.Python(t, `
import sys, json
import bibtexparser
from bibtexparser.bparser import BibTexParser
from pybtex.database import parse_string
res = {}
for name, texts in json.load(sys.stdin).items():
    for parser in ("pybtex", "bibtexparser"):
        res[name + " in " + parser] = []
    for text in texts:  # each file on its own: /papers/ID.bib files share keys
        for key, e in parse_string(text, "bibtex").entries.items():
            res[name + " in pybtex"].append([str(e.fields.get("eprint", "")), str(e.fields.get("title", ""))])
        for e in bibtexparser.loads(text, BibTexParser(common_strings=False)).entries:
            res[name + " in bibtexparser"].append([e.get("eprint", ""), e.get("title", "")])
print(json.dumps(res))
`, in, "pybtex", "bibtexparser")
	var res map[string][][2]string
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	for where, entries := range res {
		got := map[string]string{}
		for _, e := range entries {
			got[e[0]] = e[1]
		}
		if len(entries) != len(papers) || len(got) != len(papers) {
			t.Errorf("%s: %d entries for %d papers: %v\n%s", where, len(entries), len(papers), entries, all)
		}
		for _, p := range papers {
			if title, ok := got[p.ID]; !ok || !strings.HasPrefix(title, "Hostile") {
				t.Errorf("%s: %s read as %q", where, p.ID, title)
			}
		}
	}
}
