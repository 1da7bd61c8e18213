package server

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestPageShowsFormURLsAndPreview(t *testing.T) {
	f := newFixture(t, nil)
	f.app.HTTP.topics = mustTopics(t)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	resp, body := f.get(t, "/?q=agents&min_upvotes=5&format=atom&in=title&in=abstract&in=keywords")
	page := string(body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{
		`<link rel="alternate" type="application/atom+xml" title="Daily Papers: agents, 5&#43; upvotes (Atom)" href="http://paperfeed.test/feed.atom?min_upvotes=5&amp;q=agents">`,
		`<link rel="alternate" type="application/rss+xml"`,
		`value="http://paperfeed.test/feed.json?min_upvotes=5&amp;q=agents"`,
		`11 papers in this feed now.`,
		`EnvHarness: Awakening Static Worlds for Agent Learning`,
		`name="q" type="search" value="agents"`,
		`<script src="/static/app.js" defer></script>`,
		`href="/topics/agents.rss"`,
		`Newest Hugging Face listing: Fri 21 Aug 2026.`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The chosen format's URL comes first.
	res := page[strings.Index(page, `id="result"`):]
	if strings.Index(res, "feed.atom?min") > strings.Index(res, "feed.rss?min") {
		t.Error("format=atom did not put the Atom URL first")
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Error("inline script or style on the page: the CSP would block it")
	}
	// Every form field is named like a query parameter the feeds accept.
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "select") {
			for _, a := range n.Attr {
				if a.Key == "name" {
					names[a.Val] = true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, p := range []string{"q", "in", "min_upvotes", "min_stars", "min_comments", "has_code", "category", "author", "org",
		"source", "announce", "days", "since", "until", "date", "week", "month", "sort", "limit", "format"} {
		if !names[p] {
			t.Errorf("the form has no field %s", p)
		}
	}
	// The preview endpoint renders the same result part alone.
	_, frag := f.get(t, "/preview?q=agents&min_upvotes=5")
	// (the builder's form not in it; the personal feed's form is, with the filter)
	if !strings.Contains(string(frag), "11 papers in this feed now.") || strings.Contains(string(frag), `id="builder"`) ||
		!strings.Contains(string(frag), `<input type="hidden" name="filter" value="min_upvotes=5&amp;q=agents">`) ||
		!strings.Contains(string(frag), `<code>mine: email you@example.org min_upvotes=5&amp;q=agents</code>`) {
		t.Errorf("preview fragment: %.300s", frag)
	}
}

func TestPageShowsErrorsNextToTheField(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	resp, body := f.get(t, "/?limit=0&q=agents")
	page := string(body)
	if resp.StatusCode != 400 {
		t.Errorf("invalid filter page: %d", resp.StatusCode)
	}
	i := strings.Index(page, `name="limit"`)
	e := strings.Index(page, `limit=0: must be between 1 and 500`)
	if i < 0 || e < i || !strings.Contains(page[i:e], `aria-invalid="true"`) {
		t.Errorf("the limit error is not next to its field")
	}
	if !strings.Contains(page, `role="alert"`) {
		t.Error("no alert")
	}
}

// A <script> in every parameter stays inert on the page, in the feeds and
// in OPML.
func TestUserInputIsEscapedEverywhere(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	evil := `"><script>alert(1)</script><img src=x onerror=alert(2)>'` + "`${x}"
	for _, p := range []string{"q", "in", "min_upvotes", "min_stars", "min_comments", "has_code", "category", "author", "org",
		"source", "announce", "days", "since", "until", "date", "week", "month", "sort", "limit", "format", "filter", "nonsense"} {
		for _, path := range []string{"/", "/preview", "/feed.rss", "/feed.json", "/opml"} {
			q := url.Values{p: {evil}}
			if p == "filter" || p == "author" || p == "org" || p == "q" {
				q.Set(p, "<script>alert(1)</script>") // valid there, so it reaches the output
			}
			resp, body := f.get(t, path+"?"+q.Encode())
			if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
				// A plain-text error may repeat the value: it is never rendered as markup.
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s?%s=...: plain-text answer without nosniff", path, p)
				}
				continue
			}
			if err := inert(resp.Header.Get("Content-Type"), body); err != nil {
				t.Errorf("%s?%s=...: %v", path, p, err)
			}
		}
	}
	// Custom feeds in OPML too.
	resp, body := f.get(t, "/opml?feed="+url.QueryEscape("q=<script>x</script>"))
	if err := inert(resp.Header.Get("Content-Type"), body); err != nil || resp.StatusCode != 200 {
		t.Errorf("OPML with a script in a custom feed: %d %v", resp.StatusCode, err)
	}
}

// inert checks that an answer carries no markup from the input: no
// script but the page's own, no event-handler attribute, no injected
// element, and JSON with no raw '<'.
func inert(ctype string, body []byte) error {
	switch {
	case strings.HasPrefix(ctype, "text/html"):
		doc, err := html.Parse(strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		var bad error
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				for _, a := range n.Attr {
					if strings.HasPrefix(a.Key, "on") || (n.Data == "script" && (a.Key != "src" || a.Val != "/static/app.js") && a.Key != "defer") {
						bad = fmt.Errorf("injected <%s %s=%q>", n.Data, a.Key, a.Val)
					}
				}
				if n.Data == "script" && n.FirstChild != nil {
					bad = fmt.Errorf("inline script %q", n.FirstChild.Data)
				}
				if n.Data == "img" && strings.Contains(fmt.Sprint(n.Attr), "{src x}") {
					bad = fmt.Errorf("injected img")
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		return bad
	case strings.Contains(ctype, "json"):
		if strings.Contains(string(body), "<") {
			return fmt.Errorf("raw < in JSON")
		}
	default: // XML feeds and OPML
		dec := xml.NewDecoder(strings.NewReader(string(body)))
		for {
			tok, err := dec.Token()
			if err != nil {
				if err.Error() == "EOF" {
					return nil
				}
				return fmt.Errorf("not well-formed: %w", err)
			}
			if se, ok := tok.(xml.StartElement); ok && (se.Name.Local == "script" || se.Name.Local == "img") {
				return fmt.Errorf("injected <%s>", se.Name.Local)
			}
		}
	}
	return nil
}

func mustTopics(t *testing.T) []Topic {
	t.Helper()
	ts, err := LoadTopics("")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestTopicsFile(t *testing.T) {
	ts := mustTopics(t)
	if len(ts) < 5 || ts[0].Name != "agents" {
		t.Fatalf("built-in topics: %+v", ts)
	}
	for _, c := range []struct{ file, want string }{
		{"good: q=agents\n# comment\n\nrl: q=rl&min_upvotes=3\n", ""},
		{"Bad Name: q=x\n", "line 1: want \"name: filter\""},
		{"a: q=x\na: q=y\n", "line 2: topic \"a\" is defined twice"},
		{"a: limit=0\n", "line 1 (a): limit=0: must be between 1 and 500"},
		{"a: since=2026-11-01\n", "since and until expire"},
		{"no colon here\n", "line 1"},
	} {
		_, err := parseTopics(strings.NewReader(c.file), "topics.txt")
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q: err = %v, want %q", c.file, err, c.want)
		}
	}
}

func TestTopicFeedsAndOPML(t *testing.T) {
	f := newFixture(t, nil)
	f.app.HTTP.topics = mustTopics(t)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	resp, body := f.get(t, "/opml?feed="+url.QueryEscape("q=diffusion&min_upvotes=10")+"&format=atom")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/x-opml") {
		t.Fatalf("opml: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		Version string `xml:"version,attr"`
		Title   string `xml:"head>title"`
		Body    struct {
			Outlines []struct {
				Outlines []struct {
					Type    string `xml:"type,attr"`
					Text    string `xml:"text,attr"`
					XMLURL  string `xml:"xmlUrl,attr"`
					HTMLURL string `xml:"htmlUrl,attr"`
				} `xml:"outline"`
			} `xml:"outline"`
		} `xml:"body"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("OPML does not parse: %v", err)
	}
	outs := doc.Body.Outlines[0].Outlines
	if doc.Version != "2.0" || len(outs) != len(f.app.HTTP.topics)+1 {
		t.Fatalf("OPML version %s with %d feeds", doc.Version, len(outs))
	}
	for _, o := range outs {
		u, err := url.Parse(o.XMLURL)
		if err != nil || o.Type != "rss" || o.Text == "" || !strings.HasSuffix(u.Path, ".atom") {
			t.Errorf("outline %+v", o)
			continue
		}
		r, b := f.get(t, u.RequestURI())
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
			t.Errorf("%s: %d %s", u.RequestURI(), r.StatusCode, b)
			continue
		}
		parseFeed(t, string(b))
		hu, _ := url.Parse(o.HTMLURL)
		if r, _ := f.get(t, hu.RequestURI()); r.StatusCode != 200 {
			t.Errorf("htmlUrl %s: %d", o.HTMLURL, r.StatusCode)
		}
	}
	// Topic feeds take extra parameters on top of their filter.
	_, b := f.get(t, "/topics/popular.json?limit=2")
	if feed := parseFeed(t, string(b)); len(feed.Items) != 2 || feed.Title != "Daily Papers: popular" {
		t.Errorf("topic with limit: %d items, title %q", len(feed.Items), feed.Title)
	}
	_, b = f.get(t, "/topics/popular.json?MIN_UPVOTES=100")
	if feed := parseFeed(t, string(b)); feed.Title != "Daily Papers: popular, 100+ upvotes" {
		t.Errorf("a request parameter did not replace the topic's: %q", feed.Title)
	}
	if r, b := f.get(t, "/topics/nope.rss"); r.StatusCode != 404 || !strings.Contains(string(b), "topics are agents") {
		t.Errorf("unknown topic: %d %s", r.StatusCode, b)
	}
	if r, _ := f.get(t, "/topics/agents.xml"); r.StatusCode != 404 {
		t.Errorf("unknown extension: %d", r.StatusCode)
	}
	if r, b := f.get(t, "/opml?feed="+url.QueryEscape("limit=0")); r.StatusCode != 400 || !strings.Contains(string(b), "feed #1") {
		t.Errorf("bad custom feed in OPML: %d %s", r.StatusCode, b)
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t, nil)
	for path, ctype := range map[string]string{"/static/app.js": "text/javascript; charset=utf-8", "/static/style.css": "text/css; charset=utf-8"} {
		r, b := f.get(t, path)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != ctype || len(b) == 0 {
			t.Errorf("%s: %d %s", path, r.StatusCode, r.Header.Get("Content-Type"))
		}
	}
	if r, _ := f.get(t, "/static/../main.go"); r.StatusCode == 200 {
		t.Error("static serves files outside its set")
	}
}

// The README names every topic paperfeed ships with.
func TestReadmeListsTheBuiltInTopics(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(readme, []byte("paperfeed ships with "))
	if i < 0 {
		t.Fatal("the README does not list the built-in topics")
	}
	list := string(readme[i : i+bytes.IndexByte(readme[i:], ';')])
	for _, tp := range mustTopics(t) {
		if !strings.Contains(list, "`"+tp.Name+"`") {
			t.Errorf("the README's list of built-in topics lacks %s", tp.Name)
		}
	}
}
