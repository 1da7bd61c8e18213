package server

import (
	"context"
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"paperfeed/internal/source/artifacts"
	"paperfeed/internal/standin"
	"paperfeed/internal/testkit"
)

// richFixture is the replayed window with arXiv's records looked up and
// the linked artifacts counted; paper id was revised to v3 with an
// acceptance at NeurIPS, and has two models and a Space.
func richFixture(t *testing.T) (*siteFixture, string) {
	t.Helper()
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	var id string
	for k := range f.items(t, "/feed.json?limit=500") {
		if id == "" || k < id {
			id = k
		}
	}
	f.site.Arxiv.Revise(id, standin.Revision{Version: 3, Updated: time.Date(2026, 8, 20, 17, 0, 0, 0, time.UTC),
		Comment: "Camera-ready. Accepted at NeurIPS 2026 (Oral); code at https://github.com/x/y"})
	f.site.HF.SetArtifacts(id, standin.Artifacts{Models: 2, Spaces: 1})
	if err := f.app.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 5 { // every paper counted: 30 a run
		if _, err := f.app.refresh.RefreshSource(context.Background(), artifacts.Name); err != nil {
			t.Fatal(err)
		}
	}
	return f, id
}

type richItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Authors []struct {
		Name string `json:"name"`
	} `json:"authors"`
	Ext struct {
		ArxivID      string `json:"arxiv_id"`
		ArxivVersion int    `json:"arxiv_version"`
		Revised      string `json:"revised"`
		Event        string `json:"event"`
		Venue        *struct {
			Key, Name, Status, Note string
			Year                    int
		} `json:"venue"`
		Artifacts *struct {
			Models, Datasets, Spaces int
			ModelIDs                 []string `json:"model_ids"`
		} `json:"artifacts"`
		Cite *struct{ BibTeX, RIS, Page string } `json:"cite"`
	} `json:"_paperfeed"`
}

func richItems(t *testing.T, f *siteFixture, path string) []richItem {
	t.Helper()
	resp, b := f.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	var doc struct{ Items []richItem }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items
}

func TestRichPapersInEveryFormat(t *testing.T) {
	f, id := richFixture(t)
	items := richItems(t, f, "/feed.json?venue=neurips&has_model=1")
	if len(items) != 1 || items[0].Ext.ArxivID != id {
		t.Fatalf("venue=neurips&has_model=1: %+v", items)
	}
	x := items[0].Ext
	if x.Venue == nil || x.Venue.Key != "neurips" || x.Venue.Year != 2026 || x.Venue.Status != "accepted" || x.Venue.Note != "Oral" {
		t.Errorf("venue %+v", x.Venue)
	}
	if x.Artifacts == nil || x.Artifacts.Models != 2 || x.Artifacts.Spaces != 1 || len(x.Artifacts.ModelIDs) != 2 {
		t.Errorf("artifacts %+v", x.Artifacts)
	}
	if x.ArxivVersion != 3 || x.Revised != "2026-08-20T17:00:00Z" {
		t.Errorf("version %d revised %q", x.ArxivVersion, x.Revised)
	}
	if x.Cite == nil || x.Cite.BibTeX != "http://paperfeed.test/papers/"+id+".bib" || x.Cite.Page != "http://paperfeed.test/papers/"+id {
		t.Errorf("cite %+v", x.Cite)
	}
	// The same paper in RSS and Atom, as a reader shows it.
	for _, path := range []string{"/feed.rss?accepted=1", "/feed.atom?has_demo=1&min_models=2"} {
		resp, b := f.get(t, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		body := html.UnescapeString(html.UnescapeString(string(b)))
		for _, want := range []string{"Accepted at NeurIPS 2026 (Oral)", "v3, revised 20 Aug 2026", "Linked on Hugging Face: 2 models:",
			"1 Space:", "/papers/" + id + ".bib\">BibTeX</a>", "Comment: Camera-ready."} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// revised=1: an item per version, in all three formats.
	for _, path := range []string{"/feed.rss?revised=1", "/feed.atom?revised=1", "/feed.json?revised=1"} {
		_, b := f.get(t, path)
		parsed, err := gofeed.NewParser().ParseString(string(b))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		found := false
		for _, it := range parsed.Items {
			if it.GUID == "https://arxiv.org/abs/"+id+"v3" {
				found = true
				if !strings.HasSuffix(it.Title, "(v3)") || it.PublishedParsed == nil || !it.PublishedParsed.Equal(time.Date(2026, 8, 20, 17, 0, 0, 0, time.UTC)) {
					t.Errorf("%s: version item %q dated %v", path, it.Title, it.PublishedParsed)
				}
			}
		}
		if !found {
			t.Errorf("%s: no item for v3 of %s", path, id)
		}
	}
	// revised=1 with like= also follows the seeds: a seed outside the
	// window with a new version is an item of its own.
	f.site.Arxiv.Revise("2604.26835", standin.Revision{Version: 2, Updated: time.Date(2026, 8, 19, 8, 0, 0, 0, time.UTC), Comment: "Accepted at ICML 2026"})
	seedItems := richItems(t, f, "/feed.json?like=2604.26835&revised=1")
	if len(seedItems) == 0 || seedItems[0].Ext.ArxivID != "2604.26835" || seedItems[0].ID != "https://arxiv.org/abs/2604.26835v2" ||
		seedItems[0].Ext.Event != "version" || seedItems[0].Ext.Venue == nil || seedItems[0].Ext.Venue.Key != "icml" {
		t.Errorf("like=&revised=1: the revised seed is not first: %+v", seedItems)
	}
	// Nothing unknown is claimed: the other papers' artifacts were all
	// counted, and only papers with a model pass has_model=1.
	for _, it := range richItems(t, f, "/feed.json?has_model=1&limit=500") {
		if it.Ext.Artifacts == nil || it.Ext.Artifacts.Models == 0 {
			t.Errorf("has_model=1 kept %s with %+v", it.Ext.ArxivID, it.Ext.Artifacts)
		}
	}
}

func TestPaperPageAndCitations(t *testing.T) {
	f, id := richFixture(t)
	resp, b := f.get(t, "/papers/"+id)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/papers/%s: %d %s", id, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	page := string(b)
	authors := richItems(t, f, "/feed.json?venue=neurips")[0].Authors
	if n := strings.Count(page, `<meta name="citation_author"`); n != len(authors) || n == 0 {
		t.Errorf("%d citation_author tags for %d authors", n, len(authors))
	}
	for _, want := range []string{`<meta name="citation_arxiv_id" content="` + id + `">`, `<meta name="citation_conference_title" content="NeurIPS">`,
		`<meta name="citation_title"`, "@misc{", `href="http://paperfeed.test/papers/` + id + `.ris"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the paper page lacks %s:\n%s", want, page)
		}
	}
	if resp, _ := f.get(t, "/papers/"+id+"v2"); resp.StatusCode != 200 {
		t.Errorf("a versioned ID: %d", resp.StatusCode)
	}
	resp, b = f.get(t, "/papers/"+id+".ris")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-research-info-systems") ||
		!strings.HasPrefix(string(b), "TY  - CONF\r\n") || !strings.Contains(string(b), "T2  - NeurIPS\r\n") || !strings.HasSuffix(string(b), "ER  - \r\n") {
		t.Errorf("RIS: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if n := strings.Count(string(b), "\r\nAU  - "); n != len(authors) {
		t.Errorf("RIS has %d authors, want %d", n, len(authors))
	}
	// Not an ID, or an ID arXiv does not have: 404 with a reason.
	f.site.Arxiv.Unknown("2608.99999")
	for _, p := range []string{"/papers/notanid.bib", "/papers/2608.99999", "/papers/2608.99999.ris"} {
		resp, b := f.get(t, p)
		if resp.StatusCode != 404 || len(b) < 20 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
	}
	// A paper that left the window: looked up on arXiv, then held.
	before := f.site.Arxiv.Hits()["/api/query"]
	if resp, b := f.get(t, "/papers/2604.26835.bib"); resp.StatusCode != 200 || !strings.Contains(string(b), "eprint        = {2604.26835}") {
		t.Errorf("a paper not held: %d %s", resp.StatusCode, b)
	}
	f.get(t, "/papers/2604.26835")
	if n := f.site.Arxiv.Hits()["/api/query"] - before; n != 1 {
		t.Errorf("a paper not held was looked up %d times", n)
	}
}

// The reference-manager check: every paper's BibTeX parses with pybtex
// into the same authors, title and eprint, and the feeds' authors survive
// the Universal Feed Parser one by one.
func TestCitationsParseInRealParsers(t *testing.T) {
	f, _ := richFixture(t)
	all := richItems(t, f, "/feed.json?source=all&limit=500")
	// The feed's papers as one BibTeX file: each paper's own entry.
	resp, feedBib := f.get(t, "/feed.bib?source=all&limit=500")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-bibtex; charset=utf-8" || resp.Header.Get("ETag") == "" {
		t.Fatalf("/feed.bib: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	var bib strings.Builder
	bib.Write(feedBib)
	want := map[string]int{}
	for _, it := range all {
		_, b := f.get(t, "/papers/"+it.Ext.ArxivID+".bib")
		if !strings.Contains(string(feedBib), string(b)) {
			t.Errorf("/feed.bib lacks the entry of /papers/%s.bib", it.Ext.ArxivID)
		}
		want[it.Ext.ArxivID] = len(it.Authors)
	}
	if resp, ris := f.get(t, "/feed.ris?source=all&limit=500"); resp.StatusCode != 200 || strings.Count(string(ris), "ER  - \r\n") != len(all) {
		t.Errorf("/feed.ris: %d, %d records for %d papers", resp.StatusCode, strings.Count(string(ris), "ER  - \r\n"), len(all))
	}
	out := testkit.Python(t, `
import sys, json
from pybtex.database import parse_string
db = parse_string(sys.stdin.read(), "bibtex")
out = {}
for key, e in db.entries.items():
    out[e.fields["eprint"]] = {"key": key, "authors": len(e.persons.get("author", [])), "title": str(e.fields["title"]),
                               "archive": str(e.fields.get("archivePrefix", ""))}
print(json.dumps(out))
`, []byte(bib.String()), "pybtex")
	var got map[string]struct {
		Key, Title, Archive string
		Authors             int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != len(want) {
		t.Errorf("pybtex read %d entries of %d (duplicate keys or parse loss)", len(got), len(want))
	}
	for id, n := range want {
		e, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: not in pybtex's reading", id)
		case e.Authors != n || e.Archive != "arXiv" || e.Title == "":
			t.Errorf("%s: pybtex read %d authors (want %d), archive %q, title %q", id, e.Authors, n, e.Archive, e.Title)
		}
	}
	t.Logf("pybtex read %d BibTeX entries", len(got))

	for _, path := range []string{"/feed.rss?source=all&limit=500", "/feed.atom?source=all&limit=500"} {
		_, b := f.get(t, path)
		out := testkit.Python(t, `
import sys, json, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({"bozo": bool(d.bozo), "items": {e.id: [a.get("name") for a in e.get("authors", [])] for e in d.entries},
                  "ids": {e.id: e.get("dc_identifier", "") for e in d.entries}}))
`, b, "feedparser")
		var fp struct {
			Bozo  bool
			Items map[string][]string
			IDs   map[string]string
		}
		if err := json.Unmarshal([]byte(out), &fp); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if fp.Bozo || len(fp.Items) != len(all) {
			t.Errorf("%s: feedparser bozo=%v, %d items of %d", path, fp.Bozo, len(fp.Items), len(all))
		}
		for _, it := range all {
			names := fp.Items[it.ID]
			var wantNames []string
			for _, a := range it.Authors {
				wantNames = append(wantNames, a.Name)
			}
			if len(wantNames) == 0 {
				continue // Atom names "unknown"; RSS has none
			}
			if !slices.Equal(names, wantNames) {
				t.Errorf("%s %s: feedparser authors %q, want %q", path, it.Ext.ArxivID, names, wantNames)
			}
			if !regexp.MustCompile(`^(arXiv:\d{4}\.\d{4,5}|doi:10\.\S+)$`).MatchString(fp.IDs[it.ID]) {
				t.Errorf("%s %s: dc:identifier %q", path, it.Ext.ArxivID, fp.IDs[it.ID])
			}
		}
	}
}

// A seed of like= that gets a new version after it was looked up shows
// in like=&revised=1 after the daily recheck of its record.
func TestSeedNewVersionFoundByRecheck(t *testing.T) {
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newSiteFixture(t, clock)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	const seed = "2604.26836"
	if got := richItems(t, f, "/feed.json?like="+seed+"&revised=1"); len(got) > 0 && got[0].Ext.ArxivID == seed {
		t.Fatalf("a first version is listed as revised: %+v", got[0])
	}
	f.site.Arxiv.Revise(seed, standin.Revision{Version: 2, Updated: time.Date(2026, 8, 21, 20, 0, 0, 0, time.UTC), Comment: "v2: camera-ready"})
	now = now.Add(25 * time.Hour)
	if err := f.app.refresh.EnrichCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := richItems(t, f, "/feed.json?like="+seed+"&revised=1")
	if len(got) == 0 || got[0].ID != "https://arxiv.org/abs/"+seed+"v2" {
		t.Errorf("after the recheck: %+v", got)
	}
	if n := f.site.Arxiv.Asked()[seed]; n != 2 {
		t.Errorf("the seed's record was read %d times, want 2 (look-up, recheck)", n)
	}
}
