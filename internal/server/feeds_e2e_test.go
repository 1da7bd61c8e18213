package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"paperfeed/feed"
	"paperfeed/internal/recorded"
	"paperfeed/internal/standin"
)

// expectedPapers reads the replayed days straight from the recordings:
// what the feeds must carry, paper for paper.
func expectedPapers(t *testing.T, days int) map[string]feed.Paper {
	t.Helper()
	out := map[string]feed.Paper{}
	for _, d := range standin.DefaultDays()[:days] {
		ps, err := recorded.File(testdata, d.File)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if _, dup := out[p.ID]; !dup {
				p.ListedOn = d.Date
				out[p.ID] = p
			}
		}
	}
	return out
}

func loadedServer(t *testing.T, env map[string]string) *testServer {
	s := startServer(t, env)
	waitFor(t, "the 7-day window and the look-ups after it", func() bool {
		_, _, body := s.get(t, "/status")
		var st Status
		return json.Unmarshal([]byte(body), &st) == nil && len(st.Sources[0].Days) == 7 && st.Settled
	})
	return s
}

func TestFeedsCarryEveryPaperAndField(t *testing.T) {
	s := loadedServer(t, nil)
	want := expectedPapers(t, 7)
	for _, c := range []struct {
		path, ctype string
	}{
		{"/feed.rss?limit=500", "application/rss+xml; charset=utf-8"},
		{"/feed.atom?limit=500", "application/atom+xml; charset=utf-8"},
		{"/feed.json?limit=500", "application/feed+json; charset=utf-8"},
		{"/feed?format=json&limit=500", "application/feed+json; charset=utf-8"},
	} {
		code, h, body := s.get(t, c.path)
		if code != 200 || h.Get("Content-Type") != c.ctype {
			t.Fatalf("%s: %d %s", c.path, code, h.Get("Content-Type"))
		}
		parsed, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s: gofeed: %v", c.path, err)
		}
		if len(parsed.Items) != len(want) {
			t.Errorf("%s: %d items, want %d", c.path, len(parsed.Items), len(want))
		}
		var prev time.Time
		prevUp := 1 << 30
		for _, it := range parsed.Items {
			id := strings.TrimPrefix(it.GUID, "https://arxiv.org/abs/")
			p, ok := want[id]
			if !ok {
				t.Errorf("%s: unexpected item %q", c.path, it.GUID)
				continue
			}
			checkItem(t, c.path, it, p)
			// Newest listing day first, then by upvotes.
			day := *it.PublishedParsed
			if !prev.IsZero() && (day.After(prev) || (day.Equal(prev) && p.Upvotes > prevUp)) {
				t.Errorf("%s: %s out of order", c.path, id)
			}
			prev, prevUp = day, p.Upvotes
		}
	}
}

func checkItem(t *testing.T, where string, it *gofeed.Item, p feed.Paper) {
	t.Helper()
	where = where + " " + p.ID
	if it.Title != p.Title {
		t.Errorf("%s: title %q, want %q", where, it.Title, p.Title)
	}
	if it.Link != "https://huggingface.co/papers/"+p.ID {
		t.Errorf("%s: link %q", where, it.Link)
	}
	if it.PublishedParsed == nil || !it.PublishedParsed.Equal(p.ListedOn) {
		t.Errorf("%s: date %v, want listing day %v", where, it.PublishedParsed, p.ListedOn)
	}
	var names []string
	for _, a := range it.Authors {
		names = append(names, a.Name)
	}
	if it.DublinCoreExt != nil && len(it.DublinCoreExt.Creator) > 0 {
		// RSS: one dc:creator per author (gofeed's Authors keeps the first).
		names = it.DublinCoreExt.Creator
	}
	if !slices.Equal(names, p.Authors) && !(len(p.Authors) == 0 && len(names) == 1 && names[0] == "unknown") {
		t.Errorf("%s: %d authors, want %d", where, len(names), len(p.Authors))
	}
	if len(p.AIKeywords) > 0 && !slices.Equal(it.Categories, p.AIKeywords) {
		t.Errorf("%s: categories %q, want %q", where, it.Categories, p.AIKeywords)
	}
	html := it.Description + it.Content
	for _, frag := range []string{
		fmt.Sprintf("▲ %d</strong> upvote%s · %d comment%s", p.Upvotes, plural(p.Upvotes), p.Comments, plural(p.Comments)),
		`href="https://arxiv.org/abs/` + p.ID + `"`,
		`href="https://arxiv.org/pdf/` + p.ID + `"`,
	} {
		if !strings.Contains(html, frag) {
			t.Errorf("%s: description lacks %q", where, frag)
		}
	}
	for _, v := range []string{p.GitHubRepo, p.ProjectPage, p.Thumbnail, p.Org.FullName} {
		if v != "" && !strings.Contains(html, v) {
			t.Errorf("%s: description lacks %q", where, v)
		}
	}
	if p.AISummary != "" && !strings.Contains(html, htmlEscaped(p.AISummary)) {
		t.Errorf("%s: description lacks the AI summary", where)
	}
	if first := strings.SplitN(p.Abstract, " ", 6); len(first) == 6 && !strings.Contains(html, htmlEscaped(strings.Join(first[:5], " "))) {
		t.Errorf("%s: description lacks the abstract", where)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func htmlEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// JSON Feed items carry the structured values in _paperfeed.
func TestJSONFeedExtension(t *testing.T) {
	s := loadedServer(t, nil)
	want := expectedPapers(t, 7)
	_, _, body := s.get(t, "/feed.json?limit=500")
	var doc struct {
		Version string `json:"version"`
		FeedURL string `json:"feed_url"`
		Items   []struct {
			ID      string `json:"id"`
			Authors []struct {
				Name string `json:"name"`
			} `json:"authors"`
			Ext struct {
				ArxivID     string   `json:"arxiv_id"`
				Sources     []string `json:"sources"`
				Upvotes     int      `json:"upvotes"`
				Comments    int      `json:"comments"`
				ListedOn    string   `json:"listed_on"`
				CodeURL     string   `json:"code_url"`
				GitHubStars int      `json:"github_stars"`
				ProjectPage string   `json:"project_page"`
				AISummary   string   `json:"ai_summary"`
				AIKeywords  []string `json:"ai_keywords"`
				Abstract    string   `json:"abstract"`
				Org         *struct {
					Name     string `json:"name"`
					FullName string `json:"fullname"`
				} `json:"organization"`
			} `json:"_paperfeed"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" || doc.FeedURL != "http://paperfeed.test/feed.json?limit=500" {
		t.Errorf("version %q feed_url %q", doc.Version, doc.FeedURL)
	}
	withCode := 0
	for _, it := range doc.Items {
		p := want[it.Ext.ArxivID]
		x := it.Ext
		if x.Upvotes != p.Upvotes || x.Comments != p.Comments || x.CodeURL != p.GitHubRepo || x.GitHubStars != p.GitHubStars ||
			x.ProjectPage != p.ProjectPage || x.AISummary != p.AISummary || !slices.Equal(x.AIKeywords, p.AIKeywords) ||
			x.Abstract != p.Abstract || x.ListedOn != p.ListedOn.Format(time.DateOnly) || !slices.Equal(x.Sources, []string{"hf"}) {
			t.Errorf("%s: extension %+v does not match the listing", p.ID, x)
		}
		if (x.Org == nil) != (p.Org == feed.Org{}) || (x.Org != nil && x.Org.FullName != p.Org.FullName) {
			t.Errorf("%s: organization %+v, want %+v", p.ID, x.Org, p.Org)
		}
		if len(it.Authors) != len(p.Authors) {
			t.Errorf("%s: %d authors, want %d", p.ID, len(it.Authors), len(p.Authors))
		}
		if x.CodeURL != "" {
			withCode++
		}
	}
	if withCode < 30 {
		t.Errorf("only %d items with code; the recordings have more", withCode)
	}
}
