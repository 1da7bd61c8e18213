package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Realistic topic URLs on the replayed recordings.
func TestTopicFeedsThroughHandler(t *testing.T) {
	s := loadedServer(t, nil)
	want := expectedPapers(t, 7)
	for _, c := range []struct {
		path  string
		title string
		check func(id string) bool
		min   int
	}{
		{"/feed.rss?q=agents&min_upvotes=20&has_code=1", "Daily Papers: agents, 20+ upvotes, with code", func(id string) bool {
			p := want[id]
			return p.Upvotes >= 20 && p.GitHubRepo != "" && containsWord(p.Title+" "+p.Abstract+" "+strings.Join(p.AIKeywords, " "), "agents")
		}, 1},
		{"/feed.atom?q=diffus*&sort=upvotes&limit=5", "Daily Papers: diffus*", func(id string) bool { return true }, 5},
		{"/feed.json?org=google,nvidia", "Daily Papers: from google or nvidia", func(id string) bool {
			o := strings.ToLower(want[id].Org.Name + want[id].Org.FullName)
			return strings.Contains(o, "google") || strings.Contains(o, "nvidia")
		}, 1},
		{"/feed.rss?date=2026-08-20&min_comments=1", "Daily Papers: 1+ comments, 2026-08-20", func(id string) bool {
			return want[id].ListedOn.Format("2006-01-02") == "2026-08-20" && want[id].Comments >= 1
		}, 1},
		{"/huggingface/daily-papers/date/50", "Daily Papers: 50+ upvotes, last day", func(id string) bool {
			return want[id].Upvotes >= 50 && want[id].ListedOn.Format("2006-01-02") == "2026-08-21"
		}, 1},
	} {
		code, _, body := s.get(t, c.path)
		if code != 200 {
			t.Fatalf("%s: %d %s", c.path, code, body)
		}
		f := parseFeed(t, body)
		if f.Title != c.title {
			t.Errorf("%s: title %q, want %q", c.path, f.Title, c.title)
		}
		if len(f.Items) < c.min {
			t.Errorf("%s: %d items, want at least %d", c.path, len(f.Items), c.min)
		}
		for _, it := range f.Items {
			id := strings.TrimPrefix(it.GUID, "https://arxiv.org/abs/")
			if !c.check(id) {
				t.Errorf("%s: item %s does not satisfy the filter", c.path, id)
			}
		}
		// Nothing the filter should keep is missing.
		n := 0
		for id := range want {
			if c.check(id) {
				n++
			}
		}
		if c.path != "/feed.atom?q=diffus*&sort=upvotes&limit=5" && len(f.Items) != n {
			t.Errorf("%s: %d items, the recordings have %d matching papers", c.path, len(f.Items), n)
		}
	}
}

func containsWord(text, w string) bool {
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if f == w {
			return true
		}
	}
	return false
}

func TestBadQueriesAre400(t *testing.T) {
	s := loadedServer(t, nil)
	for _, c := range []struct{ path, ctype, want string }{
		{"/feed.rss?limit=0", "text/plain; charset=utf-8", "limit=0: must be between 1 and 500"},
		{"/feed.atom?min_upvote=5", "text/plain; charset=utf-8", "did you mean min_upvotes?"},
		{"/feed.rss?format=json", "text/plain; charset=utf-8", "format=json: conflicts with the route"},
		{"/feed?format=yaml", "text/plain; charset=utf-8", "format=yaml: must be one of rss, atom, json"},
		{"/huggingface/daily-papers/year", "text/plain; charset=utf-8", "period=year: path segment must be date, week or month"},
		{"/huggingface/daily-papers/week/many", "text/plain; charset=utf-8", "min_upvotes=many: path segment must be a whole number"},
	} {
		code, h, body := s.get(t, c.path)
		if code != 400 || h.Get("Content-Type") != c.ctype || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s %q", c.path, code, h.Get("Content-Type"), body)
		}
	}
	code, h, body := s.get(t, "/feed.json?has_code=maybe")
	var e struct{ Error, Param, Value, Reason string }
	if code != 400 || h.Get("Content-Type") != "application/json; charset=utf-8" || json.Unmarshal([]byte(body), &e) != nil ||
		e.Param != "has_code" || e.Value != "maybe" || !strings.Contains(e.Reason, "1, true, yes or on") {
		t.Errorf("json 400: %d %s %s", code, h.Get("Content-Type"), body)
	}
	code, _, _ = s.get(t, "/feed.rss?q="+strings.Repeat("x", 5000))
	if code != 414 {
		t.Errorf("oversized query: %d, want 414", code)
	}
}

func TestEmptyResultIsAValidFeed(t *testing.T) {
	s := loadedServer(t, nil)
	for _, p := range []string{"/feed.rss?q=zzzxqj", "/feed.atom?q=zzzxqj", "/feed.json?q=zzzxqj"} {
		code, _, body := s.get(t, p)
		if code != 200 {
			t.Fatalf("%s: %d", p, code)
		}
		if f := parseFeed(t, body); len(f.Items) != 0 {
			t.Errorf("%s: %d items", p, len(f.Items))
		}
	}
}

func TestSameFilterSameFeed(t *testing.T) {
	s := loadedServer(t, nil)
	_, h1, b1 := s.get(t, "/feed.rss?q=Agents&min_upvotes=20&has_code=1")
	_, h2, b2 := s.get(t, "/feed.rss?HAS_CODE=yes&min_upvotes=20&q=agents&utm_source=x")
	if b1 != b2 || h1.Get("ETag") != h2.Get("ETag") {
		t.Error("the same filter written differently gave different feeds")
	}
	if !strings.Contains(b1, `<atom:link href="http://paperfeed.test/feed.rss?has_code=true&amp;min_upvotes=20&amp;q=agents" rel="self"`) {
		t.Errorf("self link is not the canonical URL:\n%.800s", b1)
	}
}

func TestWeekAndMonthViews(t *testing.T) {
	s := loadedServer(t, nil)
	before := s.HF.Hits()["/papers/week/2026-W34"]
	code, _, body := s.get(t, "/feed.rss?week=2026-W34&limit=500")
	if code != 200 {
		t.Fatalf("week: %d %s", code, body)
	}
	f := parseFeed(t, body)
	// Week 34 of 2026 is 17-23 August: five replayed days.
	n := 0
	for _, p := range expectedPapers(t, 8) {
		if d := p.ListedOn.Format("2006-01-02"); d >= "2026-08-17" && d <= "2026-08-23" {
			n++
		}
	}
	if len(f.Items) != n || f.Title != "Daily Papers: week 2026-W34" {
		t.Errorf("week view: %d items (want %d), title %q", len(f.Items), n, f.Title)
	}
	s.get(t, "/feed.atom?week=2026-W34&min_upvotes=10")
	if got := s.HF.Hits()["/papers/week/2026-W34"] - before; got != 1 {
		t.Errorf("week page fetched %d times for two feeds, want once", got)
	}
	// Past listings carry validators too.
	if _, h, _ := s.get(t, "/feed.atom?date=2026-08-12"); h.Get("Last-Modified") == "" || h.Get("ETag") == "" {
		t.Errorf("past-day feed without validators: %v", h)
	}
	code, _, body = s.get(t, "/feed.rss?month=2026-08&limit=500")
	if f := parseFeed(t, body); code != 200 || len(f.Items) != len(expectedPapers(t, 8)) {
		t.Errorf("month view: %d, %d items", code, len(f.Items))
	}
	// RSSHub's /month is the current month's page.
	s.get(t, "/huggingface/daily-papers/month")
	if s.HF.Hits()["/papers/month/"+time.Now().UTC().Format("2006-01")] != 1 {
		t.Errorf("RSSHub /month did not ask for this month's page: %v", s.HF.Hits())
	}
	// An old day outside the window is fetched from HF's day page.
	code, _, body = s.get(t, "/feed.json?date=2026-08-12")
	if f := parseFeed(t, body); code != 200 || len(f.Items) != 9 {
		t.Errorf("past day: %d, %d items, want the 9 papers of 2026-08-12", code, len(f.Items))
	}
}

// Booleans in URLs take the same words as the settings.
func TestBooleansInURLs(t *testing.T) {
	f := newFixture(t, nil).loaded(t)
	for _, w := range []string{"on", "yes", "1", "TRUE"} {
		if resp, body := f.get(t, "/feed.json?has_code="+w); resp.StatusCode != 200 {
			t.Errorf("has_code=%s: %d %s", w, resp.StatusCode, body)
		}
	}
	a, b := f.items(t, "/feed.json?has_code=off&limit=500"), f.items(t, "/feed.json?has_code=0&limit=500")
	if len(a) == 0 || len(a) != len(b) {
		t.Errorf("has_code=off %d items, has_code=0 %d", len(a), len(b))
	}
}
