package server

import (
	"strings"
	"testing"
)

// A parameter that would change nothing, or that another one overrules,
// is a 400 that says so, never a feed that quietly differs from what its
// URL says; and where the URL says a default, it is the same feed.
func TestNoParameterIsQuietlyDropped(t *testing.T) {
	s := loadedServer(t, nil)
	for _, c := range []struct{ path, want string }{
		{"/feed.rss?gain_hours=72", "gain_hours=72: changes nothing without sort=trending or min_gain"},
		{"/feed.rss?digest_size=5", "digest_size=5: changes nothing without digest="},
		{"/feed.rss?filter_case_sensitive=false", "filter_case_sensitive=false: changes nothing without one of RSSHub's regex filters"},
		{"/feed.bib?digest=day", "digest=day: makes one item per closed period, for feed readers; BibTeX lists papers"},
		{"/feed.ris?digest=week", "digest=week: makes one item per closed period"},
		{"/feed?format=bib&digest=month", "digest=month: makes one item per closed period"},
		{"/huggingface/daily-papers/date/20?min_upvotes=5", "min_upvotes=20: is given twice, in the path (/20) and the query (min_upvotes=5)"},
		{"/huggingface/daily-papers/date?days=3", "period=date: the path chooses the period already"},
		{"/huggingface/daily-papers/week?date=2026-08-20", "period=week: the path chooses the period already"},
		{"/?format=xml", "format=xml: must be one of rss, atom, json"},
		{"/feed.rss%00.json", `\x00`},
		{"/feed.rss?%00=1", `\x00`},
	} {
		code, _, body := s.get(t, c.path)
		if code != 400 && !(strings.Contains(c.path, "%00") && code == 404) {
			t.Errorf("%s: %d, want 400: %.200s", c.path, code, body)
		}
		if !strings.Contains(body, c.want) {
			t.Errorf("%s: the answer does not say %q: %.300s", c.path, c.want, body)
		}
		if strings.ContainsRune(body, 0) {
			t.Errorf("%s: the answer echoes a NUL byte", c.path)
		}
	}
	etag := func(path string) string {
		code, h, body := s.get(t, path)
		if code != 200 {
			t.Fatalf("%s: %d %.200s", path, code, body)
		}
		return h.Get("ETag")
	}
	for _, same := range [][2]string{
		{"/feed.rss?min_upvotes=5", "/feed.rss?min_upvotes=5&date_by=qualified"},
		{"/feed.rss?q=agents", "/feed.rss?q=agents&date_by=listed"},
		{"/feed.rss", "/feed.rss?gain_hours=24&digest_size=10&filter_case_sensitive=true"},
	} {
		if a, b := etag(same[0]), etag(same[1]); a != b {
			t.Errorf("%s and %s are the same feed, but their ETags differ: %s, %s", same[0], same[1], a, b)
		}
	}
	if a, b := etag("/feed.rss?min_upvotes=5"), etag("/feed.rss?min_upvotes=5&date_by=listed"); a == b {
		t.Error("date_by=listed with a condition on counts changes the items' dates, but the ETag is the same")
	}
}
