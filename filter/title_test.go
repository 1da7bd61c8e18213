package filter

import (
	"net/url"
	"strings"
	"testing"

	"paperfeed/feed"
)

// Titles and descriptions say what a feed is: every condition, what the
// items are, the order (in words that match the sort) and the dates.
func TestTitlesSayWhatTheFeedIs(t *testing.T) {
	for _, c := range []struct {
		query, title string
		desc         []string // parts the description holds
		notDesc      []string
	}{
		{"", "Daily Papers", []string{"newest first."}, []string{"dated"}},
		{"sort=trending", "Daily Papers: trending", []string{"most upvotes gained in the last 24 h first"}, []string{"newest first"}},
		{"sort=trending&gain_hours=72&q=agents", "Daily Papers: trending over 72 h, agents", []string{"most upvotes gained in the last 72 h first"}, nil},
		{"min_gain=30", "Daily Papers: gained 30+ upvotes in 24 h", []string{"gained 30+ upvotes in 24 h", "each paper dated when it met the conditions", "newest first, by the date each paper met the conditions"}, nil},
		{"min_upvotes=50&date_by=listed", "Daily Papers: 50+ upvotes", []string{"newest first", "dated by its listing day"}, []string{"met the conditions"}},
		{"digest=day", "Daily Papers: daily digest, top 10", []string{"One item per closed listing day", "top 10 papers, most upvoted first"}, []string{"newest first, by"}},
		{"digest=week&digest_size=20&q=video&sort=trending", "Daily Papers: trending, video, weekly digest, top 20", []string{"One item per closed week", "top 20 papers, most upvotes gained in the last 24 h first"}, nil},
		{"digest=month&source=all", "Daily Papers + arXiv: monthly digest, top 10", []string{"closed month"}, nil},
		{"sort=upvotes", "Daily Papers", []string{"most upvoted first"}, []string{"newest"}},
		{"like=2401.01234", "Daily Papers: more like 2401.01234", []string{"most similar first"}, []string{"newest"}},
		{"like=2401.01234,2312.05678", "Daily Papers: more like 2312.05678, 2401.01234", nil, nil},
		{"like=2401.01234&unlike=2312.05678", "Daily Papers: more like 2401.01234, less like 2312.05678", nil, nil},
		{"like=2401.01234&unlike=2312.05678,2312.05679", "Daily Papers: more like 2401.01234, less like 2 papers", nil, nil},
		// One count per condition, even where two conditions count gains.
		{"sort=trending&min_gain=10", "Daily Papers: trending, gained 10+ in 24 h", []string{"gained 10+ upvotes in 24 h", "most upvotes gained in the last 24 h first"}, nil},
		{"days=1&min_upvotes=5", "Daily Papers: 5+ upvotes, last day", []string{"last day"}, []string{"last 1 days"}},
		{"like=2401.01234,2312.05678,2312.05679", "Daily Papers: more like 2312.05678 and 2 more", nil, nil},
		// A long filter: the title names the first conditions, the
		// description every one.
		{"q=agents&min_upvotes=5&min_stars=10&has_code=1&category=cs.CL&author=chen", "Daily Papers: agents, 5+ upvotes, 10+ stars, and 3 more",
			[]string{"agents; 5+ upvotes; 10+ stars; with code; cs.CL; by chen"}, nil},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(v, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := q.Title(); got != c.title {
			t.Errorf("%q: title %q, want %q", c.query, got, c.title)
		}
		d := q.Description()
		for _, want := range c.desc {
			if !strings.Contains(d, want) {
				t.Errorf("%q: description %q lacks %q", c.query, d, want)
			}
		}
		for _, not := range c.notDesc {
			if strings.Contains(d, not) {
				t.Errorf("%q: description %q says %q", c.query, d, not)
			}
		}
	}
	// Seeds known by their title: named by it.
	v, _ := url.ParseQuery("like=2401.01234,2312.05678")
	q, _ := Parse(v, opts)
	q.Seeds = []*feed.Paper{{ID: "2312.05678", Title: "A Very Long Title About Agents That Plan Their Own Tools Before They Act in the World"}, {ID: "2401.01234", Title: "B"}}
	if got := q.Title(); got != "Daily Papers: more like “A Very Long Title About Agents That Plan Their Own Tools…” and 1 more" {
		t.Errorf("title with seeds: %q", got)
	}
	if got := q.PeriodTitle(); got != q.Title() {
		t.Errorf("a feed without digest: period title %q", got)
	}
	// A seed and an unliked seed known by their titles.
	v, _ = url.ParseQuery("like=2401.01234&unlike=2312.05678")
	q, _ = Parse(v, opts)
	q.Seeds = []*feed.Paper{{ID: "2312.05678", Title: "Pushed Away"}, {ID: "2401.01234", Title: "Liked"}}
	if got := q.Title(); got != "Daily Papers: more like “Liked”, less like “Pushed Away”" {
		t.Errorf("title with an unliked seed: %q", got)
	}
}

// A saved filter under a name (a topic) is titled by its name, with what
// the request adds on top: "agents: Daily Papers: agent OR agents OR
// agentic" was three names for one thing in a reader's list.
func TestNamedTitlesAreTheName(t *testing.T) {
	parse := func(s string) Query {
		t.Helper()
		v, err := url.ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(v, opts)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return q
	}
	for _, c := range []struct{ name, saved, own, want string }{
		{"agents", "q=agent OR agents OR agentic", "", "Daily Papers: agents"},
		{"trending", "sort=trending&min_gain=10", "", "Daily Papers: trending"},
		{"agents", "q=agent OR agents OR agentic&min_upvotes=20", "min_upvotes=20", "Daily Papers: agents, 20+ upvotes"},
		{"nlp-code", "category=cs.CL&has_code=1&source=all", "", "Daily Papers + arXiv: nlp-code"},
		{"agents", "q=agents&digest=week", "digest=week", "Daily Papers: agents, weekly digest, top 10"},
	} {
		if got := parse(c.saved).NamedTitle(c.name, parse(c.own)); got != c.want {
			t.Errorf("%s (%s + %s): %q, want %q", c.name, c.saved, c.own, got, c.want)
		}
	}
}
