package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"paperfeed/internal/testkit"
)

// guids are the GUIDs of a feed's items, in order.
func (f *fixture) guids(t *testing.T, path string) []string {
	t.Helper()
	resp, b := f.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	var out []string
	for _, it := range parseFeed(t, string(b)).Items {
		out = append(out, it.GUID)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no items", path)
	}
	return out
}

// guid=feed: every item takes a GUID of its feed's own, the same in
// every spelling of the feed's URL, every format, and a topic holding
// the same filter; another filter gives others; without it the GUID is
// the paper's, shared by every feed.
func TestOwnGUIDsPerFeed(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	shared := f.guids(t, "/feed.rss?q=agents")
	for _, g := range shared {
		if !strings.HasPrefix(g, "https://arxiv.org/abs/") {
			t.Fatalf("default GUID %q is not the paper's arXiv URL", g)
		}
	}
	own := f.guids(t, "/feed.rss?q=agents&guid=feed")
	if len(own) != len(shared) || !strings.HasPrefix(own[0], "urn:paperfeed:feed:") || !strings.HasSuffix(own[0], ":"+strings.TrimPrefix(shared[0], "https://arxiv.org/abs/")) {
		t.Fatalf("guid=feed: %v, shared %v", own[:1], shared[:1])
	}
	for _, same := range []string{
		"/feed.atom?GUID=FEED&q=agents", "/feed.json?guid=feed&q=agents", "/feed?format=atom&q=agents&guid=feed&utm_source=x",
	} {
		if got := f.guids(t, same); !slices.Equal(got, own) {
			t.Errorf("%s: GUIDs %v, want those of /feed.rss?q=agents&guid=feed %v", same, got[:1], own[:1])
		}
	}
	topic, topicFeed := f.guids(t, "/topics/agents.rss?guid=feed"), f.guids(t, "/feed.rss?q="+url.QueryEscape("agent OR agents OR agentic")+"&guid=feed")
	if !slices.Equal(topic, topicFeed) {
		t.Errorf("a topic and the feed of its filter: %v, %v", topic[:1], topicFeed[:1])
	}
	other := f.guids(t, "/feed.rss?q=agents&min_upvotes=5&guid=feed")
	for _, g := range other {
		if slices.Contains(own, g) {
			t.Errorf("two filters share the GUID %s", g)
		}
	}
	week, window := f.guids(t, "/huggingface/daily-papers?guid=feed"), f.guids(t, "/feed.rss?guid=feed")
	if week[0] != window[0] {
		t.Errorf("RSSHub's window route is the window: %s, %s", week[0], window[0])
	}
	if day := f.guids(t, "/huggingface/daily-papers/date?guid=feed"); slices.Contains(window, day[0]) {
		t.Errorf("RSSHub's day route and the window share GUID %s", day[0])
	}
	// The description says it; a bad value is a 400 naming the choices.
	_, b := f.get(t, "/feed.rss?q=agents&guid=feed")
	if d := parseFeed(t, string(b)).Description; !strings.Contains(d, "item GUIDs are this feed's own") {
		t.Errorf("description %q", d)
	}
	resp, b := f.get(t, "/feed.rss?guid=arxiv")
	if resp.StatusCode != 400 || !strings.Contains(string(b), "guid=arxiv") || !strings.Contains(string(b), "paper") || !strings.Contains(string(b), "feed (this feed's own") {
		t.Errorf("guid=arxiv: %d %s", resp.StatusCode, b)
	}
	// The builder page keeps it in the form and in the feed's URLs.
	_, page := f.get(t, "/?q=agents&guid=feed")
	for _, want := range []string{`<option value="feed" selected>`, "http://paperfeed.test/feed.rss?guid=feed&amp;q=agents"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the builder page lacks %s", want)
		}
	}
}

// newsboat keeps one item per GUID across all its feeds: two feeds
// holding the same papers, subscribed side by side, leave the papers in
// one of them. With guid=feed both keep their items.
func TestNewsboatKeepsBothFeedsItems(t *testing.T) {
	f := newSiteFixture(t, nil)
	if err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	both, narrow := f.srv.URL+"/feed.rss?q=agents", f.srv.URL+"/feed.rss?min_upvotes=5&q=agents"
	wantBoth, wantNarrow := len(f.guids(t, "/feed.rss?q=agents")), len(f.guids(t, "/feed.rss?min_upvotes=5&q=agents"))
	if wantNarrow == 0 || wantNarrow >= wantBoth {
		t.Fatalf("the feeds hold %d and %d papers: not a subset", wantBoth, wantNarrow)
	}
	// Shared GUIDs: what the issue saw (the check that newsboat does
	// what this test says it does).
	counts := testkit.Newsboat(t, []string{both, narrow})
	if counts[both]+counts[narrow] != wantBoth {
		t.Errorf("shared GUIDs: newsboat kept %d + %d items; expected one per paper (%d)", counts[both], counts[narrow], wantBoth)
	}
	both, narrow = both+"&guid=feed", narrow+"&guid=feed"
	counts = testkit.Newsboat(t, []string{both, narrow})
	if counts[both] != wantBoth || counts[narrow] != wantNarrow {
		t.Errorf("guid=feed: newsboat kept %d and %d items, want %d and %d (%v)", counts[both], counts[narrow], wantBoth, wantNarrow, counts)
	}
}
