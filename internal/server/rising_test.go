package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"paperfeed/internal/standin"
)

// risingFixture is a service on a replay whose pages change over time,
// with a clock the test moves: each refresh records what changed in the
// history (the in-memory state store).
type risingFixture struct {
	*fixture
	now time.Time
}

func newRisingFixture(t *testing.T, start time.Time) *risingFixture {
	t.Helper()
	hf := replayHF(t)
	r := &risingFixture{now: start}
	a := testApp(t, newUpstream(t, hf), func() time.Time { return r.now }, nil)
	r.fixture = &fixture{app: a, hf: hf, srv: newServer(t, a)}
	return r
}

// at moves the clock and refreshes.
func (r *risingFixture) at(t *testing.T, now time.Time) {
	t.Helper()
	r.now = now
	r.loaded(t)
}

type feedItem struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	DatePublished string `json:"date_published"`
	ContentHTML   string `json:"content_html"`
	Ext           struct {
		ArxivID     string `json:"arxiv_id"`
		Upvotes     int    `json:"upvotes"`
		QualifiedAt string `json:"qualified_at"`
		Gain        *int   `json:"gain"`
		GainHours   int    `json:"gain_hours"`
		Digest      *struct {
			Period string `json:"period"`
			Shown  int    `json:"shown"`
			Total  int    `json:"total"`
			From   string `json:"from"`
		} `json:"digest"`
	} `json:"_paperfeed"`
}

func (r *risingFixture) feed(t *testing.T, query string) []feedItem {
	t.Helper()
	return feedItems(t, r.fixture, query)
}

// feedItems are the items of a JSON feed of the query.
func feedItems(t *testing.T, f *fixture, query string) []feedItem {
	t.Helper()
	resp, body := f.get(t, "/feed.json?"+query)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", query, resp.StatusCode, body)
	}
	var doc struct{ Items []feedItem }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Items
}

func find(items []feedItem, id string) (feedItem, bool) {
	for _, it := range items {
		if it.Ext.ArxivID == id {
			return it, true
		}
	}
	return feedItem{}, false
}

const (
	rising = "2608.19880" // listed 2026-08-21 with 163 upvotes
	nocode = "2608.13120" // listed 2026-08-21 with 6 upvotes, no code
)

var t0 = time.Date(2026, 8, 21, 20, 0, 0, 0, time.UTC)

// Threshold feeds date an item when the paper met all the feed's
// conditions; a paper that met them on first sight keeps its listing
// day; GUIDs never change and a count that drops later removes nothing.
func TestItemsDatedWhenTheyQualified(t *testing.T) {
	r := newRisingFixture(t, t0)
	r.loaded(t)
	if _, ok := find(r.feed(t, "limit=500"), nocode); !ok {
		t.Fatalf("%s is not in the replay's newest day", nocode)
	}
	t1, t2, t3 := t0.Add(6*time.Hour), t0.Add(12*time.Hour), t0.Add(18*time.Hour)
	r.hf.SetUpvotes(rising, 190)
	r.at(t, t1)
	r.hf.SetUpvotes(rising, 230)
	r.hf.SetGitHubRepo(nocode, "https://github.com/example/code")
	r.at(t, t2)
	r.hf.SetUpvotes(rising, 150) // HF counts can drop
	r.at(t, t3)

	guid := ""
	for _, c := range []struct {
		query string
		id    string
		want  time.Time // zero: the listing day, and no qualified_at
	}{
		{"min_upvotes=200", rising, t2},
		{"min_upvotes=180", rising, t1},
		{"min_upvotes=100", rising, time.Time{}}, // met on first sight
		{"min_upvotes=200&date_by=listed", rising, time.Time{}},
		{"has_code=1", nocode, t2},
		{"has_code=1&min_upvotes=1", rising, time.Time{}}, // had code and votes from the start
	} {
		items := r.feed(t, c.query+"&limit=500")
		it, ok := find(items, c.id)
		if !ok {
			t.Errorf("%s: %s missing", c.query, c.id)
			continue
		}
		date, err := time.Parse(time.RFC3339, it.DatePublished)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC) // the listing day
		if !c.want.IsZero() {
			want = c.want
		}
		if !date.Equal(want) || (it.Ext.QualifiedAt != "") != !c.want.IsZero() {
			t.Errorf("%s: %s dated %s (qualified_at %q), want %s", c.query, c.id, date, it.Ext.QualifiedAt, want)
		}
		if c.id == rising {
			if guid == "" {
				guid = it.ID
			}
			if it.ID != guid {
				t.Errorf("%s: GUID %s, was %s", c.query, it.ID, guid)
			}
		}
	}
	// A has_code feed says since when.
	it, _ := find(r.feed(t, "has_code=1&limit=500"), nocode)
	if !strings.Contains(it.ContentHTML, "Code since Sat 22 Aug") {
		t.Errorf("has_code=1 item does not say since when: %.300s", it.ContentHTML)
	}
	// Sorted by the items' dates: the paper that qualified last is first.
	if items := r.feed(t, "min_upvotes=200&limit=500"); len(items) == 0 || items[0].Ext.ArxivID != rising {
		t.Errorf("min_upvotes=200: %s first, want the paper that qualified last", items[0].Ext.ArxivID)
	}
	// The RSS and Atom feeds carry the same dates.
	_, rss := r.get(t, "/feed.rss?min_upvotes=200&limit=500")
	if !strings.Contains(string(rss), t2.Format("Mon, 02 Jan 2006 15:04:05 -0700")) {
		t.Error("RSS pubDate is not the qualification time")
	}
	_, atom := r.get(t, "/feed.atom?min_upvotes=200&limit=500")
	if !strings.Contains(string(atom), t2.Format(time.RFC3339)) {
		t.Error("Atom dates are not the qualification time")
	}
}

// Trending orders by upvotes gained in the span, computed by hand here;
// min_gain keeps the risers; items show the gain.
func TestTrendingOrderAndGain(t *testing.T) {
	r := newRisingFixture(t, t0)
	r.loaded(t)
	t1, t2 := t0.Add(6*time.Hour), t0.Add(12*time.Hour) // 2026-08-22 08:00
	r.hf.SetUpvotes(rising, 190)
	r.hf.SetUpvotes(nocode, 40)
	r.at(t, t1)
	r.hf.SetUpvotes(rising, 230)
	r.at(t, t2)

	// 24 h back from 08:00 on the 22nd is 08:00 on the 21st: after its
	// listing day began, before the first count seen (20:00): gains
	// count from the first count seen.
	items := r.feed(t, "sort=trending&limit=500")
	start := map[string]int{}
	for _, it := range r.feed(t, "limit=500") {
		start[it.Ext.ArxivID] = it.Ext.Upvotes
	}
	nocodeStart := 0
	{
		// its first count, from the recordings: the feed before any change
		f := newRisingFixture(t, t0)
		f.loaded(t)
		it, _ := find(f.feed(t, "limit=500"), nocode)
		nocodeStart = it.Ext.Upvotes
	}
	if len(items) < 2 || items[0].Ext.ArxivID != rising || *items[0].Ext.Gain != 230-163 || items[0].Ext.GainHours != 24 {
		t.Fatalf("trending first: %s gain %v, want %s +%d", items[0].Ext.ArxivID, items[0].Ext.Gain, rising, 230-163)
	}
	if it, _ := find(items, nocode); *it.Ext.Gain != 40-nocodeStart || items[1].Ext.ArxivID != nocode {
		t.Errorf("second: %s; %s gained %v, want %d", items[1].Ext.ArxivID, nocode, it.Ext.Gain, 40-nocodeStart)
	}
	for _, it := range items[2:] {
		if *it.Ext.Gain != 0 {
			t.Errorf("%s gained %d without changing", it.Ext.ArxivID, *it.Ext.Gain)
		}
	}
	if !strings.Contains(items[0].ContentHTML, "▲ 230</strong> upvotes, +67 in 24 h") || strings.Count(items[0].ContentHTML, "▲") != 1 {
		t.Errorf("the item does not show its count once, with its gain: %.300s", items[0].ContentHTML)
	}
	for _, f := range []string{"rss", "atom"} {
		_, body := r.get(t, "/feed."+f+"?sort=trending&limit=1")
		if !strings.Contains(string(body), "▲ 230&lt;/strong&gt; upvotes, +67 in 24 h") || strings.Count(string(body), "▲") != 1 {
			t.Errorf("%s: the count with its gain, once: %.600s", f, body)
		}
	}
	// 36 h back reaches before the listing day began: its papers count
	// from 0.
	items = r.feed(t, "sort=trending&gain_hours=36&limit=500")
	if it, _ := find(items, rising); *it.Ext.Gain != 230 {
		t.Errorf("gain_hours=36: %s gained %d, want 230 (listed inside the span)", rising, *it.Ext.Gain)
	}
	older := r.feed(t, "sort=trending&gain_hours=36&limit=500&since=2026-08-20&until=2026-08-20")
	for _, it := range older {
		if *it.Ext.Gain != 0 {
			t.Errorf("a paper listed before the span gained %d", *it.Ext.Gain)
		}
	}
	// min_gain keeps the papers that gained 10 in some 24 hours: those
	// listed on the 21st with 10 or more votes when first seen (listed
	// inside the span then: they count from 0), dated on their listing
	// day; and the one that rose later, dated when it did, first.
	got := r.feed(t, "min_gain=10&limit=500")
	if len(got) != 8 || got[0].Ext.ArxivID != nocode || got[0].DatePublished != t1.Format(time.RFC3339) {
		t.Errorf("min_gain=10: %d items, first %s at %s", len(got), got[0].Ext.ArxivID, got[0].DatePublished)
	}
	for _, it := range got[1:] {
		if it.DatePublished != "2026-08-21T00:00:00Z" || it.Ext.Upvotes < 10 {
			t.Errorf("min_gain=10: %s dated %s with %d upvotes", it.Ext.ArxivID, it.DatePublished, it.Ext.Upvotes)
		}
	}
	// RSSHub-style and topic routes take the same parameters.
	_, body := r.get(t, "/huggingface/daily-papers?sort=trending&format=json&limit=1")
	if !strings.Contains(string(body), rising) {
		t.Errorf("RSSHub route with sort=trending: %.300s", body)
	}
	resp, body := r.get(t, "/topics/trending.json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), rising) || !strings.Contains(string(body), `"gain": 67`) {
		t.Errorf("topic trending: %d %.300s", resp.StatusCode, body)
	}
}

// A digest item per closed day, never for the open one, emitted once
// when the day closes (a later listing day appeared), dated then.
func TestDigestsOfClosedDays(t *testing.T) {
	r := newRisingFixture(t, t0)
	r.hf.HideNewest(1) // the newest published day is 2026-08-20
	r.loaded(t)
	items := r.feed(t, "digest=day")
	periods := map[string]feedItem{}
	for _, it := range items {
		if it.Ext.Digest == nil {
			t.Fatalf("a digest feed holds a paper item: %+v", it)
		}
		periods[it.Ext.Digest.Period] = it
	}
	if _, open := periods["day/2026-08-20"]; open || len(items) != 6 {
		t.Fatalf("digests: %v, want the 6 closed days and not the open 2026-08-20", keys(periods))
	}
	d := periods["day/2026-08-17"]
	if d.Title != "Daily Papers, Mon 17 Aug 2026: top 10 of 29" || d.Ext.Digest.Shown != 10 || d.Ext.Digest.From != "the listing days held" {
		t.Errorf("digest item: %q %+v", d.Title, d.Ext.Digest)
	}
	if !strings.Contains(d.ContentHTML, "<ol>") || strings.Count(d.ContentHTML, "<li>") != 10 {
		t.Errorf("digest list: %.300s", d.ContentHTML)
	}
	// The next day appears: 2026-08-20 closes, now.
	t1 := t0.Add(26 * time.Hour)
	r.hf.HideNewest(0)
	r.at(t, t1)
	after := r.feed(t, "digest=day")
	var closed feedItem
	n := 0
	for _, it := range after {
		if it.Ext.Digest.Period == "day/2026-08-20" {
			closed = it
			n++
		}
		if it.Ext.Digest.Period == "day/2026-08-21" {
			t.Error("the open day 2026-08-21 has a digest")
		}
		if old, ok := periods[it.Ext.Digest.Period]; ok && (old.ID != it.ID || old.DatePublished != it.DatePublished || old.ContentHTML != it.ContentHTML) {
			t.Errorf("digest of %s changed", it.Ext.Digest.Period)
		}
	}
	if n != 1 || closed.DatePublished != t1.Format(time.RFC3339) {
		t.Errorf("digest of 2026-08-20: %d items, dated %s, want once, at %s", n, closed.DatePublished, t1.Format(time.RFC3339))
	}
	// Every filter applies before the top N; sizes and limits hold.
	small := r.feed(t, "digest=day&digest_size=3&min_upvotes=20&limit=2")
	if len(small) != 2 || small[0].Ext.Digest.Shown > 3 || small[0].Ext.Digest.Period != "day/2026-08-20" {
		t.Errorf("digest_size=3, limit=2: %d items, first %+v", len(small), small[0].Ext.Digest)
	}
	for _, f := range []string{"rss", "atom"} {
		resp, body := r.get(t, "/feed."+f+"?digest=day")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "urn:paperfeed:digest:day/2026-08-20:") {
			t.Errorf("%s digest: %d", f, resp.StatusCode)
		}
	}
	// A week digest: the week held completely (17 to 21 August) is open;
	// the week before is held only in part, so Hugging Face's own week
	// listing is fetched before the digest is made, and serves it.
	weeks := r.feed(t, "digest=week")
	if len(weeks) != 1 {
		t.Fatalf("week digests: %d, want the one of the week before", len(weeks))
	}
	w := weeks[0]
	if w.Ext.Digest.Period != "week/2026-W33" || w.Ext.Digest.From != "Hugging Face's week listing" {
		t.Errorf("week digest: %+v", w.Ext.Digest)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// While a listing a digest needs is on its way, the answer is a 503
// with a short Retry-After that no cache keeps, never an empty digest
// that looks final; once it arrived, the digest holds it.
func TestDigestWaitsForItsListing(t *testing.T) {
	r := &risingFixture{now: t0}
	hf := replayHF(t)
	a := testApp(t, newUpstream(t, hf), func() time.Time { return r.now }, func(c *Config) { c.PastWait = 200 * time.Millisecond })
	r.fixture = &fixture{app: a, hf: hf, srv: newServer(t, a)}
	r.loaded(t)
	// Slower than a reader waits, quicker than an upstream timeout.
	r.hf.SetFault("/papers/week/", standin.Fault{Slow: 700 * time.Millisecond})
	r.hf.SetFault("/api/daily_papers?week=", standin.Fault{Slow: 700 * time.Millisecond})
	for _, f := range []string{"json", "rss", "atom"} {
		resp, body := r.get(t, "/feed."+f+"?digest=week&q=video")
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("%s while the week listing is fetched: %d, Retry-After %q, Cache-Control %q: %.200s", f, resp.StatusCode,
				resp.Header.Get("Retry-After"), resp.Header.Get("Cache-Control"), body)
		}
	}
	waitFor(t, "the week listing", func() bool {
		resp, _ := r.get(t, "/feed.json?digest=week")
		return resp.StatusCode == 200
	})
	if weeks := r.feed(t, "digest=week"); len(weeks) != 1 || weeks[0].Ext.Digest.From != "Hugging Face's week listing" {
		t.Errorf("week digest once the listing arrived: %+v", weeks)
	}
}

// A period in which the filter matched nothing gets no digest item (no
// "top 0 of 0").
func TestDigestSkipsEmptyPeriods(t *testing.T) {
	r := newRisingFixture(t, t0)
	r.loaded(t)
	all := r.feed(t, "digest=day")
	some := r.feed(t, "digest=day&q=agents")
	if len(some) == 0 || len(some) >= len(all) {
		t.Fatalf("digests of agents: %d of %d days; the test needs days without an agents paper", len(some), len(all))
	}
	for _, it := range some {
		if it.Ext.Digest.Total == 0 || strings.Contains(it.Title, "top 0") || strings.Contains(it.ContentHTML, "<ol></ol>") {
			t.Errorf("an empty digest item: %q", it.Title)
		}
	}
}
